import { isJsonObject, type JsonValue } from './wire-format.js';

/**
 * Where the bearer token comes from.
 * - `static`: a token you already have (tests, short scripts, a token from elsewhere).
 * - `acs`: the ACS era (until 2018): `POST <tokenEndpoint>` with client credentials and
 *   `scope=urn:WindowsAzureMediaServices`.
 * - `aad`: Azure AD client credentials. A v1 endpoint (`.../oauth2/token`) takes
 *   `resource=https://rest.media.azure.net`; a v2 endpoint (`.../oauth2/v2.0/token`) takes
 *   `scope=https://rest.media.azure.net/.default`. The endpoint's shape picks the form.
 */
export type AmsAuth =
  | { kind: 'static'; token: string }
  | { kind: 'acs'; tokenEndpoint: string; clientId: string; clientSecret: string; scope?: string }
  | { kind: 'aad'; tokenEndpoint: string; clientId: string; clientSecret: string; resource?: string };

export const DEFAULT_ACS_SCOPE = 'urn:WindowsAzureMediaServices';
export const DEFAULT_AAD_RESOURCE = 'https://rest.media.azure.net';

export interface TokenSource {
  /** A token to send now: the cached one, or a fresh one when it is missing or about to expire. */
  getToken(signal?: AbortSignal): Promise<string>;
  /** The service refused `token` (401): forget it so the next `getToken` fetches another. */
  invalidate(token: string): void;
  /** Whether asking again can give a different token (false for a static token). */
  readonly canRefresh: boolean;
}

/** Sends the token request (form POST) and returns the parsed JSON body of a 2xx answer. */
export type TokenRequester = (tokenEndpoint: string, form: URLSearchParams) => Promise<JsonValue>;

export function createTokenSource(auth: AmsAuth, requestToken: TokenRequester, clock: () => number): TokenSource {
  switch (auth.kind) {
    case 'static':
      return { getToken: () => Promise.resolve(auth.token), invalidate: () => undefined, canRefresh: false };
    case 'acs':
      return new ClientCredentialsTokenSource(auth.tokenEndpoint, clientCredentials(auth.clientId, auth.clientSecret, { scope: auth.scope ?? DEFAULT_ACS_SCOPE }), requestToken, clock);
    case 'aad': {
      const resource = auth.resource ?? DEFAULT_AAD_RESOURCE;
      const audience: Record<string, string> = isAadV2Endpoint(auth.tokenEndpoint) ? { scope: `${resource.replace(/\/+$/, '')}/.default` } : { resource };
      return new ClientCredentialsTokenSource(auth.tokenEndpoint, clientCredentials(auth.clientId, auth.clientSecret, audience), requestToken, clock);
    }
    default:
      throw new TypeError(`unknown auth kind ${JSON.stringify((auth as { kind: unknown }).kind)}`);
  }
}

/** `https://login.microsoftonline.com/<tenant>/oauth2/v2.0/token` is the v2 (scope-based) endpoint. */
export function isAadV2Endpoint(tokenEndpoint: string): boolean {
  return /\/oauth2\/v2\.0\/token\/?$/i.test(new URL(tokenEndpoint).pathname);
}

/** What a token endpoint answered, reduced to what the cache needs. */
export interface IssuedToken {
  accessToken: string;
  /** Lifetime in ms, from `expires_in` (a number, or a string as AAD v1 sends it), else `expires_on`. */
  lifetimeMs: number;
}

/** Used when the endpoint states no lifetime: short enough to be safe, a 401 refreshes sooner. */
const FALLBACK_LIFETIME_MS = 5 * 60_000;

export function readTokenResponse(body: JsonValue, now: number): IssuedToken | undefined {
  if (!isJsonObject(body) || typeof body.access_token !== 'string' || body.access_token === '') return undefined;
  const expiresIn = toSeconds(body.expires_in);
  const expiresOn = toSeconds(body.expires_on);
  const lifetimeMs =
    expiresIn !== undefined ? expiresIn * 1000 : expiresOn !== undefined ? Math.max(0, expiresOn * 1000 - now) : FALLBACK_LIFETIME_MS;
  return { accessToken: body.access_token, lifetimeMs };
}

/** Refresh this long before expiry: a tenth of the lifetime, at most 5 minutes. */
export function refreshMarginMs(lifetimeMs: number): number {
  return Math.min(5 * 60_000, lifetimeMs / 10);
}

interface CachedToken {
  token: string;
  refreshAt: number;
  expiresAt: number;
}

/**
 * Client-credentials tokens, fetched lazily and cached. Callers that find the token due at the same
 * time share one request. If a refresh fails while the old token is still valid, the old one is
 * used: a token endpoint hiccup should not fail calls that can still succeed.
 */
class ClientCredentialsTokenSource implements TokenSource {
  readonly canRefresh = true;
  private cached: CachedToken | undefined;
  private refreshing: Promise<string> | undefined;

  constructor(
    private readonly tokenEndpoint: string,
    private readonly form: URLSearchParams,
    private readonly requestToken: TokenRequester,
    private readonly clock: () => number,
  ) {}

  getToken(signal?: AbortSignal): Promise<string> {
    signal?.throwIfAborted();
    if (this.cached && this.clock() < this.cached.refreshAt) return Promise.resolve(this.cached.token);
    if (!this.refreshing) {
      this.refreshing = this.refresh().finally(() => {
        this.refreshing = undefined;
      });
      // Every waiter may have given up (aborted): the shared refresh must not become an unhandled rejection.
      this.refreshing.catch(() => undefined);
    }
    // The refresh is shared, so one caller's abort must not cancel it for the others.
    return untilAborted(this.refreshing, signal);
  }

  invalidate(token: string): void {
    if (this.cached?.token === token) this.cached = undefined;
  }

  private async refresh(): Promise<string> {
    const requestedAt = this.clock();
    try {
      const body = await this.requestToken(this.tokenEndpoint, this.form);
      const issued = readTokenResponse(body, requestedAt);
      if (!issued) throw new TypeError(`the token endpoint ${this.tokenEndpoint} answered without an access_token`);
      // Lifetimes count from when we asked, so time spent in flight is not counted as validity.
      this.cached = {
        token: issued.accessToken,
        refreshAt: requestedAt + issued.lifetimeMs - refreshMarginMs(issued.lifetimeMs),
        expiresAt: requestedAt + issued.lifetimeMs,
      };
      return issued.accessToken;
    } catch (err) {
      if (this.cached && this.clock() < this.cached.expiresAt) return this.cached.token;
      throw err;
    }
  }
}

function clientCredentials(clientId: string, clientSecret: string, audience: Record<string, string>): URLSearchParams {
  return new URLSearchParams({ grant_type: 'client_credentials', client_id: clientId, client_secret: clientSecret, ...audience });
}

function toSeconds(value: JsonValue | undefined): number | undefined {
  if (typeof value === 'number' && Number.isFinite(value)) return value;
  if (typeof value === 'string' && /^\d+$/.test(value.trim())) return Number(value);
  return undefined;
}

function untilAborted<T>(promise: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (!signal) return promise;
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (err: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(err);
      },
    );
  });
}
