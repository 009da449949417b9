import { NotificationEndPoint } from '../odata/edm-notifications.js';
import { badRequest } from '../odata/errors.js';
import { COLLECTIONS } from '../model/collections.js';
import { endpointKey, newNotificationEndPoint, putNotificationEndPoint, type NotificationEndPointRecord } from '../model/notification-endpoints.js';
import { findEntity, mergeValues, numberValue, stringValue } from '../model/entity.js';
import type { EntityOperations } from './entity-set.js';

const E = COLLECTIONS.NotificationEndPoints;

/**
 * NotificationEndPoints. POST: 201 with the endpoint (the model says what makes one valid). MERGE:
 * the Name; type, address and credential are fixed at create (400 when changed). DELETE: jobs that
 * subscribed keep their subscriptions; what they would still have raised for it is marked failed
 * ("deleted") in `/_emulator/notifications`.
 */
export const notificationEndPointOperations: EntityOperations = {
  create: async ({ services, values }) => {
    const record = newNotificationEndPoint(services, {
      Name: stringValue(values, 'Name'),
      EndPointType: numberValue(values, 'EndPointType'),
      EndPointAddress: stringValue(values, 'EndPointAddress'),
      CredentialType: numberValue(values, 'CredentialType'),
      EncryptedEndPointCredential: stringValue(values, 'EncryptedEndPointCredential'),
      ProtectionKeyId: stringValue(values, 'ProtectionKeyId'),
      ProtectionKeyType: numberValue(values, 'ProtectionKeyType'),
    });
    await services.store.transaction((tx) => {
      putNotificationEndPoint(tx, record);
      services.events.endpointCreated(tx, record);
    });
    return record;
  },
  update: ({ services, values }, key) =>
    services.store.transaction((tx) => {
      const current = findEntity<NotificationEndPointRecord>(tx, NotificationEndPoint, E, key);
      const next = mergeValues(NotificationEndPoint, current, values);
      if (next.Name === null || next.Name === '') throw badRequest('A NotificationEndPoint needs a Name: it cannot be updated to an empty one');
      tx.put(E, endpointKey(current.Id), next);
    }),
  remove: ({ services }, key) =>
    services.store.transaction((tx) => {
      const current = findEntity<NotificationEndPointRecord>(tx, NotificationEndPoint, E, key);
      tx.delete(E, endpointKey(current.Id));
    }),
};
