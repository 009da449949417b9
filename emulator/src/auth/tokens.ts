import { timingSafeEqual } from 'node:crypto';
import { errors, jwtVerify, SignJWT } from 'jose';
import { AAD_RESOURCE, ACS_SCOPE, DEV_CLIENT_ID, DEV_CLIENT_SECRET, TOKEN_ISSUER, TOKEN_LIFETIME_SECONDS } from './credentials.js';

/**
 * The emulator's tokens: HS256 JWTs signed with a key kept in the data directory, so a token a
 * client got before a restart stays valid, and nothing but the emulator can mint one.
 */
export interface TokenIssuer {
  issue(clientId: string, audience: string, now?: Date): Promise<{ token: string; expiresIn: number; expiresOn: number; notBefore: number }>;
  /** Resolves to the token's claims; rejects with a message that says why the token is refused. */
  verify(token: string): Promise<{ clientId: string; audience: string }>;
}

export function createTokenIssuer(key: Uint8Array): TokenIssuer {
  return {
    async issue(clientId, audience, now = new Date()) {
      const iat = Math.floor(now.getTime() / 1000);
      const exp = iat + TOKEN_LIFETIME_SECONDS;
      const token = await new SignJWT({ appid: clientId })
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
      try {
        const { payload } = await jwtVerify(token, key, { algorithms: ['HS256'], issuer: TOKEN_ISSUER, audience: [ACS_SCOPE, AAD_RESOURCE, `${AAD_RESOURCE}/`] });
        return { clientId: String(payload.sub ?? ''), audience: String(payload.aud ?? '') };
      } catch (err) {
        throw new Error(describeTokenError(err));
      }
    },
  };
}

function describeTokenError(err: unknown): string {
  if (err instanceof errors.JWTExpired) return 'the access token has expired: get a new one from the token endpoint';
  if (err instanceof errors.JWTClaimValidationFailed) {
    if (err.claim === 'aud') return `the access token is for another audience: request it with resource=${AAD_RESOURCE} or scope=${ACS_SCOPE}`;
    if (err.claim === 'iss') return 'the access token was not issued by this emulator';
    if (err.claim === 'nbf') return 'the access token is not valid yet';
    return `the access token's ${err.claim} claim is not valid`;
  }
  if (err instanceof errors.JOSEAlgNotAllowed) return 'the access token is not signed with the emulator\'s algorithm (unsigned "alg": "none" tokens are refused)';
  if (err instanceof errors.JWSSignatureVerificationFailed) return 'the access token\'s signature does not verify: it was not issued by this emulator';
  if (err instanceof errors.JWSInvalid || err instanceof errors.JWTInvalid) return 'the access token is not a well-formed JWT';
  return 'the access token is not valid';
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
