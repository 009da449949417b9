import { NotificationEndPoint } from '../odata/edm-notifications.js';
import type { Services } from '../app/services.js';
import type { ApiRequest, ApiResult } from './context.js';
import { createNotificationEndPoint, deleteNotificationEndPoint, updateNotificationEndPoint } from './notification-endpoints.js';

type Handler = (req: ApiRequest, services: Services) => Promise<ApiResult>;
type KeyHandler = (req: ApiRequest, services: Services, key: string) => Promise<ApiResult>;

/**
 * The job-notification area's part of the API, for the router to compose: NotificationEndPoints
 * (JobNotificationSubscriptions live on Jobs; their delivery is `notifications/`). The handler
 * types are spelled here rather than imported from router.ts, which imports this file.
 */
export const NOTIFICATION_SETS: { sets: [typeof NotificationEndPoint, { create: Handler; update: KeyHandler; remove: KeyHandler }][] } = {
  sets: [[NotificationEndPoint, { create: createNotificationEndPoint, update: updateNotificationEndPoint, remove: deleteNotificationEndPoint }]],
};
