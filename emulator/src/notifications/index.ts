import type { JobEvents, Services } from '../app/services.js';
import { DEV_ACCOUNT_ID, DEV_CLIENT_ID } from '../auth/credentials.js';
import { endpointRegistered, jobChangeNotifications, taskChangeNotifications } from '../model/notification-deliveries.js';
import { NotificationEndPointType } from '../model/enums.js';
import { createQueueStorage } from '../storage/queue-storage.js';
import { NotificationDelivery } from './delivery.js';

/** Job notifications for one emulator: what job changes raise, their delivery, and what `/_emulator` shows of them. */
export interface NotificationService {
  events: JobEvents;
  /** For the `/_emulator/notifications` route (control/notifications.ts). */
  control: NotificationControl;
  stop(): Promise<void>;
}

/** What the `/_emulator` notification route needs from the service. */
export interface NotificationControl {
  /** Resolves true once no notification is pending (false after `timeoutMs`). */
  idle(timeoutMs: number): Promise<boolean>;
}

/**
 * Start delivering: notifications left pending by a previous run go first. AzureQueue endpoints
 * are queues of the emulator's own storage account (the embedded Azurite's queue service, or the
 * QueueEndpoint of --storage-connection-string).
 */
export function startNotifications(services: Services, options: { log(message: string, err: unknown): void }): NotificationService {
  const delivery = new NotificationDelivery(services, createQueueStorage(services.storage.connectionString), { name: DEV_CLIENT_ID, id: DEV_ACCOUNT_ID }, options);
  delivery.kick();
  // The transaction applies its writes as soon as a synchronous hook's caller returns.
  const kickIf = (raised: number) => {
    if (raised > 0) setImmediate(() => delivery.kick());
  };
  return {
    events: {
      jobWritten(tx, before, after) {
        kickIf(jobChangeNotifications(tx, services.ids, services.now().toISOString(), before, after));
      },
      taskWritten(tx, before, after) {
        kickIf(taskChangeNotifications(tx, services.ids, services.now().toISOString(), before, after));
      },
      endpointCreated(tx, endpoint) {
        // The queue sample's first message; no webhook sample shows one, so webhooks get none.
        if (endpoint.EndPointType === NotificationEndPointType.AzureQueue) kickIf(endpointRegistered(tx, services.ids, services.now().toISOString(), endpoint));
      },
    },
    control: { idle: (ms) => delivery.idle(ms) },
    stop: () => delivery.stop(),
  };
}
