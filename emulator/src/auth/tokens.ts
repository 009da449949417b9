import { timingSafeEqual } from 'node:crypto';
import type { AuthMode } from '../config.js';
import { AAD_RESOURCE, ACS_SCOPE, DEV_CLIENT_ID, DEV_CLIENT_SECRET, TOKEN_ISSUER, TOKEN_LIFETIME_SECONDS } from './credentials.js';

/**
 * jose on first use (its ~45 ES modules were a tenth of a start-up's module load): an import is
 * cached by the module loader, so later calls cost a lookup. Tokens are signed and verified
 * asynchronously anyway.
 */
type Jose = typeof import('jose');
const loadJose = (): Promise<Jose> => import('jose');

/**
 * The emulator's tokens: HS256 JWTs signed with a key kept in the data directory, so a token a
 * client got before a restart stays valid, and nothing but the emulator can mint one.
 */
export interface TokenIssuer {
  issue(clientId: string, audience: string, now?: Date): Promise<{ token: string; expiresIn: number; expiresOn: number; notBefore: number }>;
  /** Resolves to the token's claims; rejects with a message that says why the token is refused. */
  verify(token: string): Promise<{ clientId: string; audience: string }>;
}

/**
 * The claim naming the --auth mode a token was issued under. `--auth any` gives a token to any
 * client id; one of those must not pass `--auth strict` later on the same data directory (same
 * signing key), so strict accepts only tokens issued under strict.
 */
const AUTH_MODE_CLAIM = 'ams_auth';

export function createTokenIssuer(key: Uint8Array, mode: AuthMode): TokenIssuer {
  return {
    async issue(clientId, audience, now = new Date()) {
      const iat = Math.floor(now.getTime() / 1000);
      const exp = iat + TOKEN_LIFETIME_SECONDS;
      const { SignJWT } = await loadJose();
      const token = await new SignJWT({ appid: clientId, [AUTH_MODE_CLAIM]: mode })
        .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
        .setIssuer(TOKEN_ISSUER)
        .setAudience(audience)
        .setSubject(clientId)
        .setIssuedAt(iat)
        .setNotBefore(iat - 300)
        .setExpirationTime(exp)
        .sign(key);
      return { token, expiresIn: TOKEN_LIFETIME_SECONDS, expiresOn: exp, notBefore: iat - 300 };
    },
    async verify(token) {
      const jose = await loadJose();
      let payload;
      try {
        ({ payload } = await jose.jwtVerify(token, key, { algorithms: ['HS256'], issuer: TOKEN_ISSUER, audience: [ACS_SCOPE, AAD_RESOURCE, `${AAD_RESOURCE}/`] }));
      } catch (err) {
        throw new Error(describeTokenError(jose, err, token));
      }
      const issuedUnder = payload[AUTH_MODE_CLAIM];
      if (issuedUnder !== mode) {
        throw new Error(`the access token was issued under ${typeof issuedUnder === 'string' ? `--auth ${issuedUnder.slice(0, 20)}` : 'another --auth mode (or by an older emulator)'}, not --auth ${mode}: get a new one from the token endpoint`);
      }
      return { clientId: String(payload.sub ?? ''), audience: String(payload.aud ?? '') };
    },
  };
}

function describeTokenError(jose: Jose, err: unknown, token: string): string {
  const { errors } = jose;
  if (err instanceof errors.JWTExpired) return 'the access token has expired: get a new one from the token endpoint';
  if (err instanceof errors.JWTClaimValidationFailed) {
    if (err.claim === 'aud') return `the access token is for another audience: request it with resource=${AAD_RESOURCE} or scope=${ACS_SCOPE}`;
    if (err.claim === 'iss') return 'the access token was not issued by this emulator';
    if (err.claim === 'nbf') return 'the access token is not valid yet';
    return `the access token's ${err.claim} claim is not valid`;
  }
  if (err instanceof errors.JOSEAlgNotAllowed) {
    const alg = algorithmOf(jose, token);
    return alg === undefined || alg.toLowerCase() === 'none'
      ? 'the access token is unsigned ("alg": "none"): the emulator accepts only its own HS256 tokens'
      : `the access token is signed with ${JSON.stringify(alg.slice(0, 40))}: the emulator signs and accepts only HS256 (get a token from its token endpoint)`;
  }
  if (err instanceof errors.JWSSignatureVerificationFailed) return 'the access token\'s signature does not verify: it was not issued by this emulator';
  if (err instanceof errors.JWSInvalid || err instanceof errors.JWTInvalid) return 'the access token is not a well-formed JWT';
  return 'the access token is not valid';
}

function algorithmOf(jose: Jose, token: string): string | undefined {
  try {
    const alg = jose.decodeProtectedHeader(token).alg;
    return typeof alg === 'string' ? alg : undefined;
  } catch {
    return undefined;
  }
}

/** Client credentials check for `--auth strict`; constant time so the secret cannot be guessed byte by byte. */
export function devCredentialsMatch(clientId: string, clientSecret: string): boolean {
  return constantTimeEqual(clientId, DEV_CLIENT_ID) && constantTimeEqual(clientSecret, DEV_CLIENT_SECRET);
}

function constantTimeEqual(a: string, b: string): boolean {
  const x = Buffer.from(a, 'utf8');
  const y = Buffer.from(b, 'utf8');
  // Compare equal-length buffers always, so the length check does not shortcut the timing.
  const padded = Buffer.alloc(y.length);
  x.copy(padded, 0, 0, Math.min(x.length, y.length));
  return timingSafeEqual(padded, y) && x.length === y.length;
}
