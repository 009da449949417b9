import { createHmac } from 'node:crypto';
import type { NotificationEvent } from '../model/notification-deliveries.js';

/**
 * The wire forms of a notification (ams-v2-surface.md §3.3): JobStateChange, TaskStateChange,
 * TaskProgress and NotificationEndPointRegistration. The service's own samples
 * differ by transport, and consumers were written against them, so each transport gets its own:
 * - queue: MessageVersion "1.0", EventType by name, TimeStamp without fraction or zone
 *   ("2013-04-22T19:34:12"), the JSON base64-encoded as the classic CloudQueue client
 *   (EncodeMessage = true) wrote and reads it;
 * - webhook: MessageVersion "1.1", EventType by number, TimeStamp with 7 fraction digits and Z,
 *   Properties also naming the NotificationEndPointId (as in the TaskStateChange sample), the
 *   raw JSON as the body, signed with `ms-signature: sha256=<UPPER-CASE hex HMAC-SHA256>`.
 */
export interface Account {
  name: string;
  id: string;
}

/** EventType numbers (.NET NotificationEventType). */
const EVENT_TYPE_NUMBERS = { JobStateChange: 1, NotificationEndPointRegistration: 2, TaskStateChange: 4, TaskProgress: 5 } as const;

/** The message's Properties, as the samples of each EventType list them. */
function properties(event: NotificationEvent, account: Account): Record<string, string> {
  const owner = { AccountName: account.name, AccountId: account.id };
  switch (event.EventType) {
    case 'JobStateChange':
      return { JobId: event.JobId, JobName: event.JobName, NewState: event.NewState, OldState: event.OldState, ...owner };
    case 'TaskStateChange':
      return { JobId: event.JobId, TaskId: event.TaskId, NewState: event.NewState, OldState: event.OldState, ...owner };
    case 'TaskProgress':
      return { JobId: event.JobId, TaskId: event.TaskId, LastComputedProgress: String(event.LastComputedProgress), ...owner };
    case 'NotificationEndPointRegistration':
      // The queue sample's four, Created to the second as its TimeStamp.
      return { NotificationEndPointId: event.NotificationEndPointId, State: event.State, Name: event.Name, Created: event.Created.slice(0, 19) };
  }
}

/** The queue message text: base64 of the UTF-8 JSON. */
export function queueMessageText(event: NotificationEvent, account: Account): string {
  const json = JSON.stringify({
    MessageVersion: '1.0',
    ETag: event.ETag,
    EventType: event.EventType,
    TimeStamp: event.TimeStamp.slice(0, 19),
    Properties: properties(event, account),
  });
  return Buffer.from(json, 'utf8').toString('base64');
}

/** The webhook body (UTF-8 JSON). */
export function webhookBody(event: NotificationEvent, account: Account, endpointId: string): Buffer {
  const json = JSON.stringify({
    MessageVersion: '1.1',
    ETag: event.ETag,
    EventType: EVENT_TYPE_NUMBERS[event.EventType],
    TimeStamp: sevenDigitTimestamp(event.TimeStamp),
    Properties: { ...properties(event, account), NotificationEndPointId: endpointId },
  });
  return Buffer.from(json, 'utf8');
}

/** The webhook's headers; `signingKey` undefined (CredentialType None) sends no signature. */
export function webhookHeaders(body: Buffer, account: Account, signingKey: Buffer | undefined): Record<string, string> {
  const headers: Record<string, string> = { 'content-type': 'application/json; charset=utf-8', 'ms-mediaservices-accountid': account.id };
  // The consumer in the service's sample compares the header ordinally: the hex must be upper case.
  if (signingKey) headers['ms-signature'] = `sha256=${createHmac('sha256', signingKey).update(body).digest('hex').toUpperCase()}`;
  return headers;
}

/** `2013-04-22T19:34:12.123Z` -> `2013-04-22T19:34:12.1230000Z`. */
function sevenDigitTimestamp(iso: string): string {
  const match = /^(.{19})(?:\.(\d+))?Z$/.exec(iso);
  if (!match) return iso;
  return `${match[1]}.${(match[2] ?? '').padEnd(7, '0').slice(0, 7)}Z`;
}
