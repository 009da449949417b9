import { createHash } from 'node:crypto';
import type { IdGenerator } from '../ids.js';
import type { JsonRecord, StoreReader, Transaction } from '../store/types.js';
import { NOTIFICATION_DELIVERIES } from './collections.js';
import { enumName, JobState } from './enums.js';
import type { JobRecord } from './records.js';
import { checkJobSubscriptions, findNotificationEndPoint, subscriptionWants, type JobNotificationSubscription } from './notification-endpoints.js';

/**
 * The job-notification outbox. A job's state change and the notifications it causes are written
 * in ONE transaction, so a notification is never lost to a crash between the two, nor raised for
 * a change that was rolled back. The delivery subsystem (`notifications/`) then sends each record,
 * per endpoint strictly in the order they were raised (insertion order), and records every
 * attempt on it, which `/_emulator/notifications` shows.
 */
export type NotificationDeliveryRecord = {
  id: string;
  endpointId: string;
  /** What happened, in the service's terms; the wire forms (queue, webhook) are built from it. */
  event: JobStateChangeEvent;
  status: DeliveryStatus;
  attempts: DeliveryAttempt[];
  /** When the next attempt is due (pending only). */
  nextAttemptAt: string | null;
  created: string;
};

export type DeliveryStatus = 'pending' | 'delivered' | 'failed';
export type DeliveryAttempt = { at: string; ok: boolean; detail: string };

export type JobStateChangeEvent = {
  EventType: 'JobStateChange';
  /** 64 hex digits, unique per message: what the service told consumers to drop duplicates by. */
  ETag: string;
  TimeStamp: string;
  JobId: string;
  JobName: string;
  OldState: string;
  NewState: string;
};

/** The job fields the outbox reads. */
export interface JobStateView {
  Id: string;
  Name: string | null;
  State: number;
  JobNotificationSubscriptions: readonly JobNotificationSubscription[] | null;
}

/**
 * What storing a job means for notifications, in the job's transaction: a new job's
 * subscriptions must name endpoints (a Refusal otherwise); a change of State raises the
 * notifications its subscribers asked for. Returns how many were raised.
 */
export function jobChangeNotifications(tx: Transaction, ids: IdGenerator, now: string, before: JobRecord | undefined, after: JobRecord): number {
  if (before === undefined) {
    checkJobSubscriptions(tx, after.JobNotificationSubscriptions);
    return 0;
  }
  return raiseJobStateChange(tx, ids, now, after, before.State);
}

/** Delivered and failed records kept for `/_emulator/notifications`; older ones are dropped as new ones come. */
export const MAX_FINISHED_DELIVERIES = 1000;

/**
 * Record the notifications a job's move from `from` to `to` causes: one per subscription that
 * wants it (All: every change; FinalStatesOnly: Finished, Error, Canceled) whose endpoint still
 * exists. The initial Queued raises nothing (the service's REST sample starts at Queued -> Scheduled).
 */
export function raiseJobStateChange(tx: Transaction, ids: IdGenerator, now: string, job: JobStateView, from: number): number {
  if (from === job.State) return 0;
  const final = job.State === JobState.Finished || job.State === JobState.Error || job.State === JobState.Canceled;
  let raised = 0;
  for (const subscription of job.JobNotificationSubscriptions ?? []) {
    if (!subscription.NotificationEndPointId || !subscriptionWants(subscription.TargetJobState, final)) continue;
    const endpoint = findNotificationEndPoint(tx, subscription.NotificationEndPointId);
    if (!endpoint) continue;
    const id = ids.guid();
    const record: NotificationDeliveryRecord = {
      id,
      endpointId: endpoint.Id,
      event: {
        EventType: 'JobStateChange',
        ETag: createHash('sha256').update(`${job.Id}|${from}|${job.State}|${id}`).digest('hex'),
        TimeStamp: now,
        JobId: job.Id,
        JobName: job.Name ?? '',
        OldState: stateName(from),
        NewState: stateName(job.State),
      },
      status: 'pending',
      attempts: [],
      nextAttemptAt: now,
      created: now,
    };
    tx.put(NOTIFICATION_DELIVERIES, id, record);
    raised++;
  }
  if (raised > 0) pruneFinished(tx);
  return raised;
}

export function listDeliveries(reader: StoreReader): NotificationDeliveryRecord[] {
  return [...reader.values<NotificationDeliveryRecord>(NOTIFICATION_DELIVERIES)];
}

/**
 * The next record to send to each endpoint: its oldest pending one. Later ones wait behind it,
 * so a consumer reads an endpoint's messages in the order they were raised.
 */
export function headsOfLines(reader: StoreReader): NotificationDeliveryRecord[] {
  const heads = new Map<string, NotificationDeliveryRecord>();
  for (const record of reader.values<NotificationDeliveryRecord>(NOTIFICATION_DELIVERIES)) {
    if (record.status === 'pending' && !heads.has(record.endpointId)) heads.set(record.endpointId, record);
  }
  return [...heads.values()];
}

/** Record one attempt; `next` is when to try again, or undefined when this was the last try. */
export function recordAttempt(tx: Transaction, id: string, attempt: DeliveryAttempt, next: { status: 'delivered' } | { status: 'pending'; at: string } | { status: 'failed' }): void {
  const record = tx.get<NotificationDeliveryRecord>(NOTIFICATION_DELIVERIES, id);
  if (!record || record.status !== 'pending') return;
  const updated: NotificationDeliveryRecord = {
    ...record,
    attempts: [...record.attempts, attempt],
    status: next.status,
    nextAttemptAt: next.status === 'pending' ? next.at : null,
  };
  tx.put(NOTIFICATION_DELIVERIES, id, updated as JsonRecord);
}

function pruneFinished(tx: Transaction): void {
  const finished = [...tx.values<NotificationDeliveryRecord>(NOTIFICATION_DELIVERIES)].filter((r) => r.status !== 'pending');
  for (const record of finished.slice(0, Math.max(0, finished.length - MAX_FINISHED_DELIVERIES))) tx.delete(NOTIFICATION_DELIVERIES, record.id);
}

function stateName(state: number): string {
  return enumName(JobState, state) ?? String(state);
}
