import type { Request, Response } from 'express';
import type { Services } from '../app/services.js';
import { findNotificationEndPoint } from '../model/notification-endpoints.js';
import { listDeliveries, type NotificationDeliveryRecord } from '../model/notification-deliveries.js';
import { enumName, NotificationEndPointType } from '../model/enums.js';
import { badRequest } from '../odata/errors.js';
import type { NotificationControl } from '../notifications/index.js';

/** Longest a caller may hold the request waiting (`?wait=` seconds). */
const MAX_WAIT_SECONDS = 300;

/**
 * The `/_emulator` handler for job notifications (control/table.ts routes it):
 *   GET /notifications[?endpointId=&status=pending|delivered|failed&wait=s]
 * every job notification raised, oldest first, with each delivery try (time, outcome, what the
 * endpoint answered). `wait` holds the answer until nothing is pending (or the seconds pass).
 */
export function notificationHandlers(services: Services, control: NotificationControl) {
  return {
    async list(req: Request, res: Response): Promise<void> {
      const wait = Number(req.query['wait'] ?? 0);
      if (!Number.isFinite(wait) || wait < 0 || wait > MAX_WAIT_SECONDS) throw badRequest(`wait must be a number of seconds from 0 to ${MAX_WAIT_SECONDS}`);
      const settled = wait > 0 ? await control.idle(wait * 1000) : undefined;
      const endpointId = typeof req.query['endpointId'] === 'string' ? req.query['endpointId'].toLowerCase() : undefined;
      const status = typeof req.query['status'] === 'string' ? req.query['status'] : undefined;
      const notifications = listDeliveries(services.store)
        .filter((d) => (endpointId === undefined || d.endpointId.toLowerCase() === endpointId) && (status === undefined || d.status === status))
        .map((d) => present(services, d));
      res.status(200).json({ notifications, ...(settled !== undefined ? { settled } : {}) });
    },
  };
}

function present(services: Services, delivery: NotificationDeliveryRecord): Record<string, unknown> {
  const endpoint = findNotificationEndPoint(services.store, delivery.endpointId);
  return {
    ...delivery,
    endpoint: endpoint ? { type: enumName(NotificationEndPointType, endpoint.EndPointType) ?? endpoint.EndPointType, address: endpoint.EndPointAddress } : null,
  };
}
