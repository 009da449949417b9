import { createHash } from 'node:crypto';
import type { IdGenerator } from '../ids.js';
import type { JsonRecord, StoreReader, Transaction } from '../store/types.js';
import { NOTIFICATION_DELIVERIES } from './collections.js';
import { enumName, JobState } from './enums.js';
import type { JobRecord } from './records.js';
import { checkJobSubscriptions, checkTaskSubscriptions, findNotificationEndPoint, subscriptionWants, type JobNotificationSubscription, type NotificationEndPointRecord, type TaskNotificationSubscription } from './notification-endpoints.js';

/**
 * The job-notification outbox: job and task state changes, task progress, and the registration
 * of a queue endpoint. A change and the notifications it causes are written in ONE transaction,
 * so a notification is never lost to a crash between the two, nor raised for a change that was
 * rolled back. The delivery subsystem (`notifications/`) then sends each record,
 * per endpoint strictly in the order they were raised (insertion order), and records every
 * attempt on it, which `/_emulator/notifications` shows.
 */
export type NotificationDeliveryRecord = {
  id: string;
  endpointId: string;
  /** What happened, in the service's terms; the wire forms (queue, webhook) are built from it. */
  event: NotificationEvent;
  status: DeliveryStatus;
  attempts: DeliveryAttempt[];
  /** When the next attempt is due (pending only). */
  nextAttemptAt: string | null;
  created: string;
};

export type DeliveryStatus = 'pending' | 'delivered' | 'failed';
export type DeliveryAttempt = { at: string; ok: boolean; detail: string };

/** What every notification carries besides its properties (ams-v2-surface.md §3.3). */
type EventHead = {
  /** 64 hex digits, unique per message: what the service told consumers to drop duplicates by. */
  ETag: string;
  TimeStamp: string;
};

export type JobStateChangeEvent = EventHead & {
  EventType: 'JobStateChange';
  JobId: string;
  JobName: string;
  OldState: string;
  NewState: string;
};

/** A task's state moved (the webhook sample's EventType 4: JobId, TaskId, NewState, OldState). */
export type TaskStateChangeEvent = EventHead & {
  EventType: 'TaskStateChange';
  JobId: string;
  TaskId: string;
  OldState: string;
  NewState: string;
};

/**
 * A running task's progress (EventType 5), for subscriptions with IncludeTaskProgress. No sample
 * of the message was found; `LastComputedProgress` (a whole percentage, as text) is the property a
 * consumer of the service read (Gridwich's AMS v2 encoder), the others are those of TaskStateChange.
 */
export type TaskProgressEvent = EventHead & {
  EventType: 'TaskProgress';
  JobId: string;
  TaskId: string;
  LastComputedProgress: number;
};

/**
 * An AzureQueue endpoint was created (EventType 2): the queue sample's first message, raised when
 * the endpoint was made, before any job (its TimeStamp is two seconds after the endpoint's Created).
 */
export type EndPointRegistrationEvent = EventHead & {
  EventType: 'NotificationEndPointRegistration';
  NotificationEndPointId: string;
  State: 'Registered';
  Name: string;
  Created: string;
};

export type NotificationEvent = JobStateChangeEvent | TaskStateChangeEvent | TaskProgressEvent | EndPointRegistrationEvent;
/** An event before the outbox gives it its ETag and TimeStamp. */
type EventBody = NotificationEvent extends unknown ? DistributiveOmit<NotificationEvent, keyof EventHead> : never;
type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;

/** The job fields the outbox reads. */
export interface JobStateView {
  Id: string;
  Name: string | null;
  State: number;
  JobNotificationSubscriptions: readonly JobNotificationSubscription[] | null;
}

/** The task fields the outbox reads. */
export interface TaskStateView {
  Id: string;
  State: number;
  Progress: number;
  TaskNotificationSubscriptions?: readonly TaskNotificationSubscription[] | null;
  _internal: { jobId: string };
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

/**
 * The same for a task, in the transaction that stores it: a new task's TaskNotificationSubscriptions
 * are checked; a change of State raises TaskStateChange for the subscriptions that want it (by
 * TargetTaskState, as TargetJobState), and a running task's Progress reaching a new whole percent
 * raises TaskProgress for those with IncludeTaskProgress. Returns how many were raised.
 */
export function taskChangeNotifications(tx: Transaction, ids: IdGenerator, now: string, before: TaskStateView | undefined, after: TaskStateView): number {
  if (before === undefined) {
    checkTaskSubscriptions(tx, after.TaskNotificationSubscriptions ?? null);
    return 0;
  }
  const head = { JobId: after._internal.jobId, TaskId: after.Id };
  const moved = before.State !== after.State;
  const percent = Math.floor(after.Progress);
  const progressed = after.State === JobState.Processing && percent !== Math.floor(before.Progress);
  let raised = 0;
  for (const subscription of after.TaskNotificationSubscriptions ?? []) {
    if (!subscription.NotificationEndPointId) continue;
    if (moved && subscriptionWants(subscription.TargetTaskState, isFinalState(after.State))) {
      raised += enqueue(tx, ids, now, subscription.NotificationEndPointId, { EventType: 'TaskStateChange', ...head, OldState: stateName(before.State), NewState: stateName(after.State) });
    }
    if (progressed && subscription.IncludeTaskProgress) {
      raised += enqueue(tx, ids, now, subscription.NotificationEndPointId, { EventType: 'TaskProgress', ...head, LastComputedProgress: percent });
    }
  }
  if (raised > 0) pruneFinished(tx);
  return raised;
}

/** The NotificationEndPointRegistration message a new AzureQueue endpoint gets first. Returns 1. */
export function endpointRegistered(tx: Transaction, ids: IdGenerator, now: string, endpoint: NotificationEndPointRecord): number {
  const raised = enqueue(tx, ids, now, endpoint.Id, { EventType: 'NotificationEndPointRegistration', NotificationEndPointId: endpoint.Id, State: 'Registered', Name: endpoint.Name, Created: endpoint.Created });
  pruneFinished(tx);
  return raised;
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
  let raised = 0;
  for (const subscription of job.JobNotificationSubscriptions ?? []) {
    if (!subscription.NotificationEndPointId || !subscriptionWants(subscription.TargetJobState, isFinalState(job.State))) continue;
    raised += enqueue(tx, ids, now, subscription.NotificationEndPointId, { EventType: 'JobStateChange', JobId: job.Id, JobName: job.Name ?? '', OldState: stateName(from), NewState: stateName(job.State) });
  }
  if (raised > 0) pruneFinished(tx);
  return raised;
}

/** One pending record for the endpoint `endpointId` names, if it still exists; returns how many were written (0 or 1). */
function enqueue(tx: Transaction, ids: IdGenerator, now: string, endpointId: string, body: EventBody): number {
  const endpoint = findNotificationEndPoint(tx, endpointId);
  if (!endpoint) return 0;
  const id = ids.guid();
  const event = { ...body, ETag: createHash('sha256').update(`${JSON.stringify(body)}|${id}`).digest('hex'), TimeStamp: now } as NotificationEvent;
  const record: NotificationDeliveryRecord = { id, endpointId: endpoint.Id, event, status: 'pending', attempts: [], nextAttemptAt: now, created: now };
  tx.put(NOTIFICATION_DELIVERIES, id, record);
  return 1;
}

function isFinalState(state: number): boolean {
  return state === JobState.Finished || state === JobState.Error || state === JobState.Canceled;
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
