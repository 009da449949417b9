import type { Services } from '../app/services.js';
import { NotificationEndPointType } from '../model/enums.js';
import { findNotificationEndPoint } from '../model/notification-endpoints.js';
import { headsOfLines, recordAttempt, type DeliveryAttempt, type NotificationDeliveryRecord } from '../model/notification-deliveries.js';
import type { QueueStorage } from '../storage/queue-storage.js';
import { queueMessageText, webhookBody, webhookHeaders, type Account } from './messages.js';

/** The longest wait between two tries of one notification. */
export const MAX_RETRY_DELAY_MS = 60_000;
/** Longest a webhook may take to answer before the try counts as failed. */
const WEBHOOK_TIMEOUT_MS = 10_000;

export interface DeliveryOptions {
  log(message: string, err: unknown): void;
}

/**
 * Sends the outbox (model/notification-deliveries.ts): for each endpoint its oldest pending
 * notification, endpoints side by side, one endpoint's notifications one after another. A failed
 * try is retried after `notificationRetryMs`, doubling per try up to a minute; after
 * `notificationMaxAttempts` tries the notification is marked failed and the endpoint's next one
 * goes. Every try is recorded on the notification.
 */
export class NotificationDelivery {
  readonly #services: Services;
  readonly #queues: QueueStorage;
  readonly #account: Account;
  readonly #log: DeliveryOptions['log'];
  readonly #stop = new AbortController();
  #running: Promise<void> | undefined;
  #again = false;
  #timer: NodeJS.Timeout | undefined;
  /** Until the first pass: notifications pending from a previous run are due now. */
  #resumed = true;
  readonly #idleWaiters = new Set<() => void>();

  constructor(services: Services, queues: QueueStorage, account: Account, options: DeliveryOptions) {
    this.#services = services;
    this.#queues = queues;
    this.#account = account;
    this.#log = options.log;
  }

  /** Look at the outbox soon (something was raised, or the emulator started with some pending). */
  kick(): void {
    if (this.#stop.signal.aborted) return;
    if (this.#running) {
      this.#again = true;
      return;
    }
    clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#running = this.#drain()
      .catch((err: unknown) => this.#log('job notifications could not be delivered', err))
      .finally(() => {
        this.#running = undefined;
        if (this.#again) {
          this.#again = false;
          this.kick();
        } else {
          this.#wakeIdle();
        }
      });
  }

  /** Resolves true once nothing is pending, false after `timeoutMs`. */
  async idle(timeoutMs: number): Promise<boolean> {
    if (this.#pending() === 0) return true;
    return new Promise<boolean>((resolve) => {
      const check = () => {
        if (this.#pending() > 0) return;
        clearTimeout(timer);
        this.#idleWaiters.delete(check);
        resolve(true);
      };
      const timer = setTimeout(() => {
        this.#idleWaiters.delete(check);
        resolve(false);
      }, timeoutMs);
      timer.unref();
      this.#idleWaiters.add(check);
    });
  }

  async stop(): Promise<void> {
    this.#stop.abort(new Error('the emulator is stopping'));
    clearTimeout(this.#timer);
    await this.#running;
  }

  #pending(): number {
    return headsOfLines(this.#services.store).length;
  }

  #wakeIdle(): void {
    for (const check of [...this.#idleWaiters]) check();
  }

  /** Send every due head of line, until none is due; then wait for the earliest retry. */
  async #drain(): Promise<void> {
    for (;;) {
      if (this.#stop.signal.aborted) return;
      const heads = headsOfLines(this.#services.store);
      const now = this.#services.now().getTime();
      // A new run tries what the last one left pending at once: its back-off was that process's.
      const due = heads.filter((h) => this.#resumed || Date.parse(h.nextAttemptAt ?? '') <= now);
      this.#resumed = false;
      if (due.length === 0) {
        const next = Math.min(...heads.map((h) => Date.parse(h.nextAttemptAt ?? '')).filter(Number.isFinite));
        if (Number.isFinite(next)) {
          this.#timer = setTimeout(() => this.kick(), Math.max(0, next - now));
          this.#timer.unref();
        }
        return;
      }
      await Promise.all(due.map((record) => this.#attempt(record)));
      this.#wakeIdle();
    }
  }

  async #attempt(record: NotificationDeliveryRecord): Promise<void> {
    const started = this.#services.now();
    let attempt: DeliveryAttempt;
    let gone = false;
    try {
      const detail = await this.#send(record);
      attempt = { at: started.toISOString(), ok: true, detail };
    } catch (err) {
      if (this.#stop.signal.aborted) return;
      gone = err instanceof EndpointGone;
      attempt = { at: started.toISOString(), ok: false, detail: describe(err) };
    }
    const tries = record.attempts.length + 1;
    const { notificationRetryMs, notificationMaxAttempts } = this.#services.config.limits;
    const next = attempt.ok
      ? ({ status: 'delivered' } as const)
      : gone || tries >= notificationMaxAttempts
        ? ({ status: 'failed' } as const)
        : ({ status: 'pending', at: new Date(this.#services.now().getTime() + Math.min(MAX_RETRY_DELAY_MS, notificationRetryMs * 2 ** (tries - 1))).toISOString() } as const);
    await this.#services.store.transaction((tx) => recordAttempt(tx, record.id, attempt, next));
  }

  /** One try; resolves with what the endpoint answered, throws with why it failed. */
  async #send(record: NotificationDeliveryRecord): Promise<string> {
    const endpoint = findNotificationEndPoint(this.#services.store, record.endpointId);
    if (!endpoint) throw new EndpointGone(`the NotificationEndPoint ${record.endpointId} was deleted before the notification could be delivered`);
    if (endpoint.EndPointType === NotificationEndPointType.AzureQueue) {
      await this.#queues.sendMessage(endpoint.EndPointAddress, queueMessageText(record.event, this.#account));
      return `queued on ${this.#queues.queueEndpoint ?? ''}/${endpoint.EndPointAddress}`;
    }
    let signingKey: Buffer | undefined;
    if (endpoint.EncryptedEndPointCredential) {
      const opened = this.#services.keys.open(endpoint.EncryptedEndPointCredential);
      if (!opened.ok) throw new EndpointGone(`the endpoint's EncryptedEndPointCredential no longer unwraps (${opened.message})`);
      signingKey = opened.key;
    }
    const body = webhookBody(record.event, this.#account, endpoint.Id);
    const response = await fetch(endpoint.EndPointAddress, {
      method: 'POST',
      headers: webhookHeaders(body, this.#account, signingKey),
      body,
      redirect: 'manual',
      signal: AbortSignal.any([this.#stop.signal, AbortSignal.timeout(WEBHOOK_TIMEOUT_MS)]),
    });
    await response.body?.cancel().catch(() => undefined);
    if (response.status < 200 || response.status > 299) throw new Error(`the webhook ${endpoint.EndPointAddress} answered ${response.status} ${response.statusText}`.trim());
    return `the webhook answered ${response.status}`;
  }
}

/** A notification that no further try can deliver. */
class EndpointGone extends Error {}

/** fetch says only "fetch failed": the cause says what (ECONNREFUSED, a timeout). */
function describe(err: unknown): string {
  const message = (err as Error | undefined)?.message ?? String(err);
  const cause = (err as { cause?: { code?: unknown; message?: unknown } } | undefined)?.cause;
  const why = typeof cause?.code === 'string' ? cause.code : typeof cause?.message === 'string' ? cause.message : undefined;
  return why ? `${message} (${why})` : message;
}
