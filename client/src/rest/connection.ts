import { randomUUID } from 'node:crypto';
import { createTokenSource, type AmsAuth, type TokenSource } from './auth.js';
import { AmsNetworkError, AmsRequestError, AmsResponseError, AmsTimeoutError } from './errors.js';
import { sendOnce, type FetchLike, type HttpMethod, type HttpResponse } from './http.js';
import {
  backoffDelayMs, isRetryableStatus, outcomeUnknownAfterStatus, parseRetryAfterMs, resolveRetryOptions, sleep,
  type ResolvedRetryOptions, type RetryOptions,
} from './retry.js';
import { normalizeBaseUri } from './urls.js';
import {
  encodeBody, MEDIA_TYPES, parseJsonBody, readCollection, readEntity, readErrorBody, readFunctionValue,
  isJsonObject, type JsonObject, type JsonValue, type WireFormat,
} from './wire-format.js';

export interface AmsClientOptions {
  /** The REST endpoint, e.g. `https://<account>.restv2.<region>.media.azure.net/api/` or `http://127.0.0.1:10010/api/`. */
  endpoint: string;
  auth: AmsAuth;
  /** `json` (minimal metadata, the default) or `verbose` (`application/json;odata=verbose`). */
  format?: WireFormat;
  /** `x-ms-version`; default 2.19, the last version the .NET SDK sent. */
  apiVersion?: string;
  /** Limit on each attempt (connect, headers, body). Default 60 s. */
  timeoutMs?: number;
  retry?: RetryOptions;
  /** Stand-in for the global `fetch` (tests, proxies, instrumentation). */
  fetch?: FetchLike;
  userAgent?: string;
  /** Milliseconds since the epoch; injectable so tests can move time for token expiry. */
  clock?: () => number;
}

/** One logical call; retries, redirects and token refreshes all happen beneath it. */
export interface AmsCall {
  method: HttpMethod;
  /** Relative to the base URI, no leading "/": `Assets('nb%3Acid%3A...')/Files`. */
  path: string;
  /** Already encoded, without "?". */
  query?: string;
  body?: Record<string, unknown>;
  /**
   * Safe to send twice? Defaults to GET/HEAD/PUT/MERGE/DELETE yes, POST/PATCH no (the .NET SDK's
   * rule). Idempotent calls are also retried after 500/502/504, network failures and timeouts.
   */
  idempotent?: boolean;
  signal?: AbortSignal | undefined;
}

export interface AmsResponse extends HttpResponse {
  method: HttpMethod;
  url: string;
}

export const DEFAULT_API_VERSION = '2.19';
export const DEFAULT_TIMEOUT_MS = 60_000;
const DEFAULT_USER_AGENT = 'ams-v2-emulator-client';
const REDIRECT_STATUSES: ReadonlySet<number> = new Set([301, 302, 307, 308]);
const MAX_REDIRECTS = 5;
const IDEMPOTENT_METHODS: ReadonlySet<HttpMethod> = new Set(['GET', 'HEAD', 'PUT', 'MERGE', 'DELETE']);

/**
 * The transport under `AmsClient`: the base URI (moved by a 301 on the first call, as the legacy
 * `media.windows.net` root did), the required headers, the bearer token, retries and error mapping.
 */
export class AmsConnection {
  readonly format: WireFormat;
  readonly apiVersion: string;
  private base: string;
  private readonly fetchImpl: FetchLike;
  private readonly retry: ResolvedRetryOptions;
  private readonly timeoutMs: number;
  private readonly userAgent: string;
  private readonly clock: () => number;
  private readonly tokens: TokenSource;

  constructor(options: AmsClientOptions) {
    this.base = normalizeBaseUri(options.endpoint);
    this.format = options.format ?? 'json';
    this.apiVersion = options.apiVersion ?? DEFAULT_API_VERSION;
    this.fetchImpl = options.fetch ?? ((input, init) => fetch(input, init));
    this.retry = resolveRetryOptions(options.retry);
    this.timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    this.userAgent = options.userAgent ?? DEFAULT_USER_AGENT;
    this.clock = options.clock ?? Date.now;
    this.tokens = createTokenSource(options.auth, (endpoint, form) => this.requestToken(endpoint, form), this.clock);
  }

  /** The base URI calls go to now: the endpoint, or where a 301 sent us. */
  get baseUri(): string {
    return this.base;
  }

  /** The absolute URI of a path under the base, e.g. for `$links` bodies. */
  resolve(path: string): string {
    return this.base + path;
  }

  /**
   * Sends a call until it succeeds, fails for good, or the caller aborts. Returns only 2xx answers;
   * everything else becomes an `AmsRequestError` (or network/timeout error).
   */
  async send(call: AmsCall): Promise<AmsResponse> {
    const idempotent = call.idempotent ?? IDEMPOTENT_METHODS.has(call.method);
    const relative = call.query ? `${call.path}?${call.query}` : call.path;
    const body = call.body === undefined ? undefined : encodeBody(call.body, this.format);
    // One id for the logical call: the service's logs tie all attempts together by it.
    const clientRequestId = randomUUID();
    let attempt = 0;
    let redirects = 0;
    let refreshedToken = false;
    let outcomeUnknown = false;

    for (;;) {
      attempt++;
      call.signal?.throwIfAborted();
      const token = await this.tokens.getToken(call.signal);
      const url = this.base + relative;
      let response: HttpResponse;
      try {
        response = await sendOnce(
          this.fetchImpl,
          { method: call.method, url, headers: this.headers(token, clientRequestId, body !== undefined), body },
          { timeoutMs: this.timeoutMs, signal: call.signal },
        );
      } catch (err) {
        const transient = err instanceof AmsNetworkError || err instanceof AmsTimeoutError;
        if (!transient || !idempotent || attempt >= this.retry.maxAttempts) throw err;
        outcomeUnknown = true;
        await sleep(backoffDelayMs(attempt, this.retry), call.signal);
        continue;
      }

      const location = response.headers.get('location');
      if (REDIRECT_STATUSES.has(response.status) && location && redirects < MAX_REDIRECTS) {
        // Re-issue the same method and body at the new base, and keep using it: never a blind follow.
        this.base = baseAfterRedirect(location, url, relative);
        redirects++;
        attempt--;
        continue;
      }
      if (response.status >= 200 && response.status < 300) return { ...response, method: call.method, url };

      if (response.status === 401 && this.tokens.canRefresh && !refreshedToken) {
        // A revoked or clock-skewed token: fetch a new one once before giving up.
        this.tokens.invalidate(token);
        refreshedToken = true;
        attempt--;
        continue;
      }
      if (call.method === 'DELETE' && response.status === 404 && outcomeUnknown) {
        // An earlier attempt probably deleted it; what the caller wanted is true.
        return { ...response, method: call.method, url };
      }
      const error = errorFromResponse(response, call.method, url, clientRequestId, attempt, outcomeUnknown);
      if (!isRetryableStatus(response.status, idempotent) || attempt >= this.retry.maxAttempts) throw error;
      outcomeUnknown ||= outcomeUnknownAfterStatus(response.status);
      const retryAfter = parseRetryAfterMs(response.headers.get('retry-after'), this.clock());
      const delay = Math.min(this.retry.maxDelayMs, retryAfter ?? backoffDelayMs(attempt, this.retry));
      await sleep(delay, call.signal);
    }
  }

  /** A call answered by one entity (201 on create, 200 on get). */
  async entity<T>(call: AmsCall, decode: (raw: JsonObject) => T): Promise<T> {
    const response = await this.send(call);
    const raw = readEntity(this.json(response));
    if (!raw) throw new AmsResponseError(response.method, response.url, 'the body is not an entity');
    return this.decode(response, raw, decode);
  }

  /** A call answered by a collection (minimal `value` or verbose `d.results`). */
  async collection<T>(call: AmsCall, decode: (raw: JsonObject) => T): Promise<T[]> {
    const response = await this.send(call);
    const items = readCollection(this.json(response));
    if (!items) throw new AmsResponseError(response.method, response.url, 'the body is not a collection');
    return items.map((item) => {
      if (!isJsonObject(item)) throw new AmsResponseError(response.method, response.url, 'a collection member is not an entity');
      return this.decode(response, item, decode);
    });
  }

  /** A service operation that returns one string (GetProtectionKeyId, RebindContentKey, ...). */
  async functionString(call: AmsCall, functionName: string): Promise<string> {
    const response = await this.send(call);
    const value = readFunctionValue(response.text, functionName);
    if (typeof value !== 'string') {
      throw new AmsResponseError(response.method, response.url, `${functionName} should return a string, got ${JSON.stringify(value ?? null)}`);
    }
    return value;
  }

  /**
   * A call the service may answer `202 Accepted` with an `operation-id` header (StreamingEndpoint
   * actions, deletes, updates): the operation's id, or null when it answered synchronously.
   */
  async accepted(call: AmsCall): Promise<string | null> {
    const response = await this.send(call);
    return response.status === 202 ? response.headers.get('operation-id') : null;
  }

  /** A call answered by 204 No Content (MERGE, DELETE, $links, CreateFileInfos). */
  async noContent(call: AmsCall): Promise<void> {
    await this.send(call);
  }

  private headers(token: string, clientRequestId: string, hasBody: boolean): Record<string, string> {
    const headers: Record<string, string> = {
      Authorization: `Bearer ${token}`,
      'x-ms-version': this.apiVersion,
      DataServiceVersion: '3.0',
      MaxDataServiceVersion: '3.0',
      Accept: MEDIA_TYPES[this.format],
      'x-ms-client-request-id': clientRequestId,
      'User-Agent': this.userAgent,
    };
    if (hasBody) headers['Content-Type'] = MEDIA_TYPES[this.format];
    return headers;
  }

  private json(response: AmsResponse): JsonValue {
    const parsed = parseJsonBody(response.text);
    if ('problem' in parsed) throw new AmsResponseError(response.method, response.url, parsed.problem);
    return parsed.value;
  }

  private decode<T>(response: AmsResponse, raw: JsonObject, decode: (raw: JsonObject) => T): T {
    try {
      return decode(raw);
    } catch (err) {
      throw new AmsResponseError(response.method, response.url, (err as Error).message);
    }
  }

  /**
   * The token request. It has no side effects, so it is retried like an idempotent call; it runs
   * without any caller's signal because callers share it (each waiter still honours its own).
   */
  private async requestToken(tokenEndpoint: string, form: URLSearchParams): Promise<JsonValue> {
    const headers = { 'Content-Type': 'application/x-www-form-urlencoded', Accept: 'application/json', 'User-Agent': this.userAgent };
    const body = form.toString();
    for (let attempt = 1; ; attempt++) {
      let response: HttpResponse;
      try {
        response = await sendOnce(this.fetchImpl, { method: 'POST', url: tokenEndpoint, headers, body }, { timeoutMs: this.timeoutMs });
      } catch (err) {
        if (attempt >= this.retry.maxAttempts) throw err;
        await sleep(backoffDelayMs(attempt, this.retry));
        continue;
      }
      if (response.status >= 200 && response.status < 300) {
        const parsed = parseJsonBody(response.text);
        if ('problem' in parsed) throw new AmsResponseError('POST', tokenEndpoint, parsed.problem);
        return parsed.value;
      }
      const error = errorFromResponse(response, 'POST', tokenEndpoint, undefined, attempt, false);
      if (!isRetryableStatus(response.status, true) || attempt >= this.retry.maxAttempts) throw error;
      const retryAfter = parseRetryAfterMs(response.headers.get('retry-after'), this.clock());
      await sleep(Math.min(this.retry.maxDelayMs, retryAfter ?? backoffDelayMs(attempt, this.retry)));
    }
  }
}

function errorFromResponse(
  response: HttpResponse,
  method: string,
  url: string,
  clientRequestId: string | undefined,
  attempts: number,
  afterUncertainAttempt: boolean,
): AmsRequestError {
  const { code, message } = readErrorBody(response.text);
  return new AmsRequestError({
    status: response.status,
    code,
    serviceMessage: message,
    requestId: response.headers.get('x-ms-request-id') ?? response.headers.get('request-id') ?? undefined,
    clientRequestId,
    method,
    url,
    attempts,
    afterUncertainAttempt,
  });
}

/**
 * The new base URI from a redirect. The Location may name the new root (media.windows.net sent
 * `https://wamsbayclus001rest-hs.cloudapp.net/api/` for `GET /`) or the same resource under the new
 * root; in the second case the resource part is cut off again.
 */
export function baseAfterRedirect(location: string, requestUrl: string, relative: string): string {
  // Resolve only relative Locations: re-serialising an absolute one could re-encode its quotes.
  const target = /^[a-z][a-z0-9+.-]*:/i.test(location) ? location : new URL(location, requestUrl).toString();
  if (relative !== '' && target.endsWith(relative)) return normalizeBaseUri(target.slice(0, -relative.length));
  const relativePath = relative.split('?')[0]!;
  const targetPath = target.split('?')[0]!;
  if (relativePath !== '' && targetPath.endsWith(relativePath)) return normalizeBaseUri(targetPath.slice(0, -relativePath.length));
  return normalizeBaseUri(target);
}
