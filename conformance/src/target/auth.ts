import { createTokenSource, readErrorBody, sendOnce, type AmsAuth, type JsonValue, type TokenSource } from '../../../client/src/index.js';

/** How the kit signs in to the endpoint under test, as given on the command line. */
export type KitCredentials =
  | { kind: 'token'; token: string }
  | { kind: 'client-credentials'; clientId: string; clientSecret: string; tokenEndpoint: string };

/**
 * The client library's auth for these credentials. A token endpoint with `/oauth2/` in its path is
 * Azure AD (v1 or v2, told apart by the library); anything else is the ACS era's `OAuth2-13`.
 */
export function amsAuthOf(credentials: KitCredentials): AmsAuth {
  if (credentials.kind === 'token') return { kind: 'static', token: credentials.token };
  const { clientId, clientSecret, tokenEndpoint } = credentials;
  return /\/oauth2\//i.test(new URL(tokenEndpoint).pathname)
    ? { kind: 'aad', tokenEndpoint, clientId, clientSecret }
    : { kind: 'acs', tokenEndpoint, clientId, clientSecret };
}

/** The ACS token endpoint on the endpoint's own host, where the emulator serves it. */
export function defaultTokenEndpoint(endpoint: string): string {
  return new URL('/v2/OAuth2-13', endpoint).toString();
}

/**
 * Tokens for the kit's raw HTTP calls, from the same token source the client library uses, so
 * both kinds of call sign in the same way and share the cache rules.
 */
export function kitTokenSource(credentials: KitCredentials): TokenSource {
  return createTokenSource(amsAuthOf(credentials), requestToken, Date.now);
}

async function requestToken(tokenEndpoint: string, form: URLSearchParams): Promise<JsonValue> {
  const response = await sendOnce(
    (input, init) => fetch(input, init),
    {
      method: 'POST',
      url: tokenEndpoint,
      headers: { 'Content-Type': 'application/x-www-form-urlencoded', Accept: 'application/json' },
      body: form.toString(),
    },
    { timeoutMs: 30_000 },
  );
  if (response.status < 200 || response.status >= 300) {
    const { code, message } = readErrorBody(response.text);
    throw new Error(`the token endpoint ${tokenEndpoint} refused the credentials: HTTP ${response.status}${code ? ` ${code}` : ''}${message ? `: ${message}` : ''}`);
  }
  try {
    return JSON.parse(response.text) as JsonValue;
  } catch {
    throw new Error(`the token endpoint ${tokenEndpoint} answered with something that is not JSON`);
  }
}
