import express, { type Express } from 'express';
import type { JobEvents, Services } from '../app/services.js';
import { DEV_ACCOUNT_ID, DEV_CLIENT_ID } from '../auth/credentials.js';
import { jobChangeNotifications } from '../model/notification-deliveries.js';
import { createQueueStorage } from '../storage/queue-storage.js';
import { NotificationDelivery } from './delivery.js';
import { notificationsRouter } from './routes.js';

/** Job notifications for one emulator: what job changes raise, their delivery, and their `/_emulator` view. */
export interface NotificationService {
  events: JobEvents;
  mount(app: Express): void;
  /** Resolves true once no notification is pending (false after `timeoutMs`). */
  idle(timeoutMs: number): Promise<boolean>;
  stop(): Promise<void>;
}

/**
 * Start delivering: notifications left pending by a previous run go first. AzureQueue endpoints
 * are queues of the emulator's own storage account (the embedded Azurite's queue service, or the
 * QueueEndpoint of --storage-connection-string).
 */
export function startNotifications(services: Services, options: { log(message: string, err: unknown): void }): NotificationService {
  const delivery = new NotificationDelivery(services, createQueueStorage(services.storage.connectionString), { name: DEV_CLIENT_ID, id: DEV_ACCOUNT_ID }, options);
  delivery.kick();
  return {
    events: {
      jobWritten(tx, before, after) {
        const raised = jobChangeNotifications(tx, services.ids, services.now().toISOString(), before, after);
        // The transaction applies its writes as soon as this synchronous hook's caller returns.
        if (raised > 0) setImmediate(() => delivery.kick());
      },
    },
    mount(app) {
      app.use('/_emulator', express.json({ limit: '64kb' }), notificationsRouter(services, (ms) => delivery.idle(ms)));
    },
    idle: (ms) => delivery.idle(ms),
    stop: () => delivery.stop(),
  };
}
