import { NotificationEndPoint } from '../odata/edm-notifications.js';
import { badRequest } from '../odata/errors.js';
import { COLLECTIONS } from '../model/collections.js';
import { endpointKey, newNotificationEndPoint, putNotificationEndPoint, type NotificationEndPointRecord } from '../model/notification-endpoints.js';
import type { Services } from '../app/services.js';
import { findEntity, mergeValues, numberValue, stringValue } from '../model/entity.js';
import { readBody } from './common.js';
import type { ApiRequest, ApiResult } from './context.js';

const E = COLLECTIONS.NotificationEndPoints;

/** POST NotificationEndPoints: 201 with the endpoint (the model says what makes one valid). */
export async function createNotificationEndPoint(req: ApiRequest, services: Services): Promise<ApiResult> {
  const { values } = readBody(req, services, NotificationEndPoint);
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
  return { kind: 'entity', type: NotificationEndPoint, record, status: 201 };
}

/** MERGE NotificationEndPoints('..'): the Name; type, address and credential are fixed at create (400 when changed). */
export async function updateNotificationEndPoint(req: ApiRequest, services: Services, key: string): Promise<ApiResult> {
  const { values } = readBody(req, services, NotificationEndPoint);
  await services.store.transaction((tx) => {
    const current = findEntity<NotificationEndPointRecord>(tx, NotificationEndPoint, E, key);
    const next = mergeValues(NotificationEndPoint, current, values);
    if (next.Name === null || next.Name === '') throw badRequest('A NotificationEndPoint needs a Name: it cannot be updated to an empty one');
    tx.put(E, endpointKey(current.Id), next);
  });
  return { kind: 'noContent' };
}

/**
 * DELETE NotificationEndPoints('..'). Jobs that subscribed keep their subscriptions; what they
 * would still have raised for it is marked failed ("deleted") in `/_emulator/notifications`.
 */
export async function deleteNotificationEndPoint(_req: ApiRequest, services: Services, key: string): Promise<ApiResult> {
  await services.store.transaction((tx) => {
    const current = findEntity<NotificationEndPointRecord>(tx, NotificationEndPoint, E, key);
    tx.delete(E, endpointKey(current.Id));
  });
  return { kind: 'noContent' };
}
