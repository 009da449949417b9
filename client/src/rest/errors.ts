/**
 * What can go wrong talking to an AMS v2 endpoint. Every error names the call (method and URL) so a
 * log line alone says which request failed; service errors also carry the ids to quote to support.
 */

/** The service answered with an error status (4xx/5xx), or a token endpoint refused the credentials. */
export class AmsRequestError extends Error {
  readonly status: number;
  /** The OData error `code` (often empty on AMS), or the OAuth `error` of a token endpoint. */
  readonly code: string | undefined;
  /** The service's own message (`error.message.value`, `error_description`, or the text body). */
  readonly serviceMessage: string | undefined;
  /** `x-ms-request-id` of the response: the id AMS support asks for. */
  readonly requestId: string | undefined;
  /** The `x-ms-client-request-id` this client sent (the same on every attempt of one call). */
  readonly clientRequestId: string | undefined;
  readonly method: string;
  readonly url: string;
  /** How many attempts were made, this one included. */
  readonly attempts: number;
  /**
   * True when an earlier attempt of this call may have been carried out by the service (a network
   * failure, a timeout, or a 500/502/504 before this answer). A 404 on a retried DELETE or a 409 on
   * a retried create then usually means "done by the earlier attempt".
   */
  readonly afterUncertainAttempt: boolean;

  constructor(init: {
    status: number;
    code?: string | undefined;
    serviceMessage?: string | undefined;
    requestId?: string | undefined;
    clientRequestId?: string | undefined;
    method: string;
    url: string;
    attempts?: number;
    afterUncertainAttempt?: boolean;
  }) {
    const what = [init.code, init.serviceMessage].filter((part) => part !== undefined && part !== '').join(': ');
    const ids = init.requestId ? ` (x-ms-request-id ${init.requestId})` : '';
    super(`${init.method} ${init.url} failed with HTTP ${init.status}${what ? `: ${what}` : ''}${ids}`);
    this.name = 'AmsRequestError';
    this.status = init.status;
    this.code = init.code;
    this.serviceMessage = init.serviceMessage;
    this.requestId = init.requestId;
    this.clientRequestId = init.clientRequestId;
    this.method = init.method;
    this.url = init.url;
    this.attempts = init.attempts ?? 1;
    this.afterUncertainAttempt = init.afterUncertainAttempt ?? false;
  }
}

/** The connection failed before a response arrived (refused, reset, DNS, TLS). */
export class AmsNetworkError extends Error {
  readonly method: string;
  readonly url: string;
  constructor(method: string, url: string, cause: unknown) {
    super(`${method} ${url} failed before a response arrived: ${describeCause(cause)}`, { cause });
    this.name = 'AmsNetworkError';
    this.method = method;
    this.url = url;
  }
}

/** One attempt took longer than `timeoutMs` (connect, headers and body together). */
export class AmsTimeoutError extends Error {
  readonly method: string;
  readonly url: string;
  readonly timeoutMs: number;
  constructor(method: string, url: string, timeoutMs: number) {
    super(`${method} ${url} timed out after ${timeoutMs} ms`);
    this.name = 'AmsTimeoutError';
    this.method = method;
    this.url = url;
    this.timeoutMs = timeoutMs;
  }
}

/** A 2xx response whose body is not what the protocol says it should be. */
export class AmsResponseError extends Error {
  readonly method: string;
  readonly url: string;
  constructor(method: string, url: string, problem: string) {
    super(`${method} ${url} returned an unexpected response: ${problem}`);
    this.name = 'AmsResponseError';
    this.method = method;
    this.url = url;
  }
}

function describeCause(cause: unknown): string {
  if (!(cause instanceof Error)) return String(cause);
  // undici wraps the socket error: "fetch failed" with the useful part in `cause`.
  const inner = (cause as Error & { cause?: unknown }).cause;
  if (inner instanceof Error) {
    const code = (inner as Error & { code?: string }).code;
    return `${cause.message} (${code ? `${code}: ` : ''}${inner.message})`;
  }
  return cause.message;
}
