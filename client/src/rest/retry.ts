/**
 * When to try a call again, and how long to wait first. The status rules are the .NET SDK's
 * `MediaErrorDetectionStrategy`: 408, 429 and 503 mean "not processed, come back later" and are
 * always retried; 500, 502 and 504 may hide a request the service did carry out, so they are
 * retried only when doing the call twice is harmless (an idempotent call).
 */

export interface RetryOptions {
  /** Attempts in total, the first included. Default 4. 1 turns retrying off. */
  maxAttempts?: number;
  /** Backoff before retry n is uniform in [0, min(maxDelayMs, baseDelayMs * 2^(n-1))] ("full jitter"). Default 500. */
  baseDelayMs?: number;
  /** Cap on any single wait, `Retry-After` included. Default 30000. */
  maxDelayMs?: number;
  /** Source of randomness for the jitter, in [0, 1). Default `Math.random`. */
  random?: () => number;
}

export type ResolvedRetryOptions = Required<RetryOptions>;

export function resolveRetryOptions(options: RetryOptions = {}): ResolvedRetryOptions {
  const resolved = {
    maxAttempts: options.maxAttempts ?? 4,
    baseDelayMs: options.baseDelayMs ?? 500,
    maxDelayMs: options.maxDelayMs ?? 30_000,
    random: options.random ?? Math.random,
  };
  if (!Number.isInteger(resolved.maxAttempts) || resolved.maxAttempts < 1) {
    throw new RangeError(`retry.maxAttempts must be an integer >= 1, got ${resolved.maxAttempts}`);
  }
  if (!(resolved.baseDelayMs >= 0) || !(resolved.maxDelayMs >= 0)) {
    throw new RangeError('retry delays must be >= 0');
  }
  return resolved;
}

/** Throttling and "try later": the service did not act on the request. */
const RETRY_ALWAYS: ReadonlySet<number> = new Set([408, 429, 503]);
/** Server failures after which the request may or may not have been carried out. */
const RETRY_IF_IDEMPOTENT: ReadonlySet<number> = new Set([500, 502, 504]);

export function isRetryableStatus(status: number, idempotent: boolean): boolean {
  return RETRY_ALWAYS.has(status) || (idempotent && RETRY_IF_IDEMPOTENT.has(status));
}

/** Whether a response with this status leaves open that the service did the work. */
export function outcomeUnknownAfterStatus(status: number): boolean {
  return RETRY_IF_IDEMPOTENT.has(status);
}

/** The wait before retry number `retry` (1 for the first retry). */
export function backoffDelayMs(retry: number, options: ResolvedRetryOptions): number {
  const ceiling = Math.min(options.maxDelayMs, options.baseDelayMs * 2 ** (retry - 1));
  return Math.floor(options.random() * ceiling);
}

/** `Retry-After` as milliseconds: delta-seconds or an HTTP date; undefined when absent or unreadable. */
export function parseRetryAfterMs(header: string | null, now: number): number | undefined {
  if (header === null) return undefined;
  const text = header.trim();
  if (/^\d+$/.test(text)) return Number(text) * 1000;
  const date = Date.parse(text);
  if (Number.isNaN(date)) return undefined;
  return Math.max(0, date - now);
}

/** Wait, but give up the moment `signal` aborts (with the signal's reason). */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(signal.reason);
      return;
    }
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(signal!.reason);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
