import { NotificationEndPoint } from '../odata/edm-notifications.js';
import type { EntitySetRoute } from './router.js';
import { entitySet } from './entity-set.js';
import { notificationEndPointOperations } from './notification-endpoints.js';

/**
 * The job-notification area's part of the API, for `app/compose.ts`: NotificationEndPoints
 * (JobNotificationSubscriptions live on Jobs; their delivery is `notifications/`).
 */
export const NOTIFICATION_SETS: readonly EntitySetRoute[] = [
  entitySet(NotificationEndPoint, notificationEndPointOperations),
];
