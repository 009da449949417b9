import { NotificationEndPoint } from '../odata/edm-notifications.js';
import type { EntitySetRoute } from './router.js';
import { createNotificationEndPoint, deleteNotificationEndPoint, updateNotificationEndPoint } from './notification-endpoints.js';

/**
 * The job-notification area's part of the API, for `app/compose.ts`: NotificationEndPoints
 * (JobNotificationSubscriptions live on Jobs; their delivery is `notifications/`).
 */
export const NOTIFICATION_SETS: readonly EntitySetRoute[] = [
  { type: NotificationEndPoint, handlers: { create: createNotificationEndPoint, update: updateNotificationEndPoint, remove: deleteNotificationEndPoint } },
];
