import { createHmac, createPublicKey, timingSafeEqual, X509Certificate, type KeyObject } from 'node:crypto';

/**
 * The TokenRestrictionTemplate of a token-restricted content key authorization (ams-v2-surface.md
 * §2.4) and the check the key delivery service made of a player's token against it: SWT (the
 * HMACSHA256 form the .NET SDK's token generator writes) and JWT (HS256/384/512 with a symmetric
 * key; RS256/384/512 with an X509 or RSA key). The signature is checked first: only a token that
 * verifies with one of the template's keys was made by the user's token service, so only then is a
 * wrong claim that service's mistake (the positive evidence a finding needs).
 */
export const CONTENT_KEY_IDENTIFIER_CLAIM = 'urn:microsoft:azure:mediaservices:contentkeyidentifier';

/**
 * How far exp and nbf may be off the request time and the token still pass. The service validated
 * tokens with .NET's token handlers, whose default ClockSkew is 5 minutes; the sources do not
 * record the service's own setting (ams-v2-surface.md §10), so the emulator takes that default: a
 * token service whose clock runs a little ahead or behind is not wrong, and a finding about expiry
 * then rests on a time well past any skew (the positive evidence an error needs).
 */
export const CLOCK_SKEW_SECONDS = 300;

export type TokenType = 'SWT' | 'JWT';

export type VerificationKey =
  | { kind: 'symmetric'; key: Buffer }
  | { kind: 'x509'; certificate: Buffer }
  | { kind: 'rsa'; modulus: string; exponent: string };

export interface TokenClaim {
  type: string;
  /** null: any value; for the content key identifier claim, the requested key's id. */
  value: string | null;
}

export interface TokenRestrictionTemplate {
  tokenType: TokenType;
  issuer: string;
  audience: string;
  primaryKey: VerificationKey | null;
  alternateKeys: VerificationKey[];
  openIdDiscoveryUri: string | null;
  requiredClaims: TokenClaim[];
}

/** What the SDK's serializer refused; the emulator refuses the same at option create (400). */
export function templateProblems(template: TokenRestrictionTemplate): string[] {
  const problems: string[] = [];
  if (template.primaryKey === null && template.openIdDiscoveryUri === null) problems.push('Both PrimaryVerificationKey and OpenIdConnectDiscoveryDocument are null');
  if (template.issuer.trim() === '') problems.push('Issuer is empty');
  if (template.audience.trim() === '') problems.push('Audience is empty');
  if (template.tokenType === 'SWT') {
    if (!isAbsoluteUri(template.issuer)) problems.push(`an SWT template's Issuer must be an absolute URI, not ${JSON.stringify(template.issuer)}`);
    if (!isAbsoluteUri(template.audience)) problems.push(`an SWT template's Audience must be an absolute URI, not ${JSON.stringify(template.audience)}`);
    for (const key of allKeys(template)) if (key.kind !== 'symmetric') problems.push('an SWT template verifies with symmetric keys only (SWT tokens are HMACSHA256)');
  }
  for (const key of allKeys(template)) if (key.kind === 'symmetric' && key.key.length === 0) problems.push('a SymmetricVerificationKey has an empty KeyValue');
  if (template.openIdDiscoveryUri !== null && !isAbsoluteUri(template.openIdDiscoveryUri)) problems.push('OpenIdDiscoveryUri must be an absolute URI');
  return [...new Set(problems)];
}

function isAbsoluteUri(text: string): boolean {
  return /^[a-z][a-z0-9+.-]*:/i.test(text) && URL.canParse(text);
}

function allKeys(template: TokenRestrictionTemplate): VerificationKey[] {
  return template.primaryKey ? [template.primaryKey, ...template.alternateKeys] : [...template.alternateKeys];
}

/** The mistakes a token can make, each a finding rule of its own (`key-delivery-<mistake>`, domain/key-delivery-rules.ts). */
export const TOKEN_MISTAKES = [
  'token-missing',
  'token-malformed',
  'token-wrong-signing-key',
  'token-wrong-issuer',
  'token-wrong-audience',
  'token-expired',
  'token-not-yet-valid',
  'token-missing-key-id-claim',
  'token-wrong-key-id-claim',
  'token-missing-claim',
  'token-wrong-claim',
  'token-not-verifiable',
] as const;

export type TokenMistake = (typeof TOKEN_MISTAKES)[number];

export function isTokenMistake(text: string): text is TokenMistake {
  return (TOKEN_MISTAKES as readonly string[]).includes(text);
}

export type TokenVerdict = { ok: true } | { ok: false; mistake: TokenMistake; message: string; details: Record<string, string | number | null> };

export interface TokenContext {
  /** The requested content key's GUID, lower case. */
  keyGuid: string;
  now: Date;
}

/** Parsed claims of a token whose signature verified: one value per claim type (arrays kept for aud). */
type Claims = Record<string, unknown>;

export async function checkToken(template: TokenRestrictionTemplate, token: string | undefined, context: TokenContext): Promise<TokenVerdict> {
  if (token === undefined || token.trim() === '') {
    return refuse('token-missing', 'no token was sent: send it as "Authorization: Bearer <token>" (or "Bearer=<token>")', {});
  }
  const verified = template.tokenType === 'SWT' ? verifySwt(template, token) : await verifyJwt(template, token);
  if (!verified.ok) return verified;
  return checkClaims(template, verified.claims, context);
}

type Verified = { ok: true; claims: Claims } | Extract<TokenVerdict, { ok: false }>;

function refuse(mistake: TokenMistake, message: string, details: Record<string, string | number | null>): Extract<TokenVerdict, { ok: false }> {
  return { ok: false, mistake, message, details };
}

const SWT_SIGNATURE = '&HMACSHA256=';

/** `claim=value&…&Issuer=…&Audience=…&ExpiresOn=<unix s>&HMACSHA256=<urlenc base64>`. */
function verifySwt(template: TokenRestrictionTemplate, token: string): Verified {
  const at = token.lastIndexOf(SWT_SIGNATURE);
  if (at < 0) {
    const hint = token.split('.').length === 3 ? ' (it looks like a JWT: the template says TokenType SWT)' : '';
    return refuse('token-malformed', `the token is not an SWT: it has no "&HMACSHA256=" signature${hint}`, { tokenType: 'SWT' });
  }
  const signed = token.slice(0, at);
  let signature: Buffer;
  let claims: Claims;
  try {
    signature = Buffer.from(decodeURIComponent(token.slice(at + SWT_SIGNATURE.length)), 'base64');
    claims = {};
    for (const pair of signed.split('&')) {
      const eq = pair.indexOf('=');
      if (eq <= 0) throw new Error(`"${pair.slice(0, 60)}" is not name=value`);
      claims[decodeURIComponent(pair.slice(0, eq).replace(/\+/g, ' '))] = decodeURIComponent(pair.slice(eq + 1).replace(/\+/g, ' '));
    }
  } catch (err) {
    return refuse('token-malformed', `the SWT cannot be read: ${(err as Error).message}`, { tokenType: 'SWT' });
  }
  const keys = allKeys(template).filter((k): k is Extract<VerificationKey, { kind: 'symmetric' }> => k.kind === 'symmetric');
  const matches = keys.some((k) => {
    const expected = createHmac('sha256', k.key).update(signed, 'utf8').digest();
    return expected.length === signature.length && timingSafeEqual(expected, signature);
  });
  if (!matches) return wrongKey(keys.length);
  // SWT claims by their SWT names; ExpiresOn is the SWT form of exp.
  const exp = claims['ExpiresOn'];
  return { ok: true, claims: { ...claims, iss: claims['Issuer'], aud: claims['Audience'], exp: exp === undefined ? undefined : Number(exp), swt: true } };
}

function wrongKey(keyCount: number): Extract<TokenVerdict, { ok: false }> {
  return refuse(
    'token-wrong-signing-key',
    `the token's signature does not verify with any of the template's ${keyCount} verification key(s) (PrimaryVerificationKey, AlternateVerificationKeys): observed, whoever signed it`,
    { keysTried: keyCount },
  );
}

const HMAC_ALGS = ['HS256', 'HS384', 'HS512'];
const RSA_ALGS = ['RS256', 'RS384', 'RS512'];

async function verifyJwt(template: TokenRestrictionTemplate, token: string): Promise<Verified> {
  // jose on first use, not at start-up (its ~45 ES modules): the module loader caches the import.
  const { compactVerify, decodeProtectedHeader, errors: joseErrors } = await import('jose');
  let alg: string | undefined;
  try {
    alg = decodeProtectedHeader(token).alg;
  } catch {
    const hint = token.includes(SWT_SIGNATURE) ? ' (it looks like an SWT: the template says TokenType JWT)' : '';
    return refuse('token-malformed', `the token is not a JWT (header.payload.signature, base64url)${hint}`, { tokenType: 'JWT' });
  }
  const keys = allKeys(template);
  if (keys.length === 0) {
    return refuse('token-not-verifiable', 'the template has only an OpenIdConnectDiscoveryDocument, which the emulator cannot fetch offline: use a PrimaryVerificationKey', {});
  }
  let payload: Uint8Array | undefined;
  for (const key of keys) {
    const verifier = verifierOf(key);
    if (verifier === undefined) continue;
    try {
      payload = (await compactVerify(token, verifier.key, { algorithms: verifier.algorithms })).payload;
      break;
    } catch (err) {
      if (err instanceof joseErrors.JWSSignatureVerificationFailed || err instanceof joseErrors.JOSEAlgNotAllowed || err instanceof TypeError) continue;
      if (err instanceof joseErrors.JOSEError) return refuse('token-malformed', `the JWT cannot be read: ${err.message}`, { tokenType: 'JWT' });
      throw err;
    }
  }
  if (payload === undefined) return { ...wrongKey(keys.length), details: { keysTried: keys.length, alg: alg ?? null } };
  try {
    const claims: unknown = JSON.parse(Buffer.from(payload).toString('utf8'));
    if (typeof claims !== 'object' || claims === null || Array.isArray(claims)) throw new Error('the payload is not a JSON object');
    return { ok: true, claims: claims as Claims };
  } catch (err) {
    return refuse('token-malformed', `the JWT payload cannot be read: ${(err as Error).message}`, { tokenType: 'JWT' });
  }
}

function verifierOf(key: VerificationKey): { key: KeyObject | Uint8Array; algorithms: string[] } | undefined {
  try {
    switch (key.kind) {
      case 'symmetric':
        return { key: new Uint8Array(key.key), algorithms: HMAC_ALGS };
      case 'x509':
        return { key: new X509Certificate(key.certificate).publicKey, algorithms: RSA_ALGS };
      case 'rsa':
        return { key: createPublicKey({ key: { kty: 'RSA', n: key.modulus, e: key.exponent }, format: 'jwk' }), algorithms: RSA_ALGS };
    }
  } catch {
    return undefined; // A key that does not load verifies nothing; the option's create checked the common ones.
  }
}

function checkClaims(template: TokenRestrictionTemplate, claims: Claims, context: TokenContext): TokenVerdict {
  const signedBy = 'the signature verifies with the template\'s key, so the token service made it';
  const iss = claims['iss'];
  if (iss !== template.issuer) {
    return refuse('token-wrong-issuer', `the token's issuer ${JSON.stringify(iss ?? null)} is not the template's Issuer ${JSON.stringify(template.issuer)} (${signedBy})`, { issuer: stringOrNull(iss), expected: template.issuer });
  }
  const aud = claims['aud'];
  const audiences = Array.isArray(aud) ? aud : [aud];
  if (!audiences.includes(template.audience)) {
    return refuse('token-wrong-audience', `the token's audience ${JSON.stringify(aud ?? null)} is not the template's Audience ${JSON.stringify(template.audience)} (${signedBy})`, { audience: stringOrNull(Array.isArray(aud) ? aud.join(' ') : aud), expected: template.audience });
  }
  const now = Math.floor(context.now.getTime() / 1000);
  const exp = claims['exp'];
  const expName = claims['swt'] === true ? 'ExpiresOn' : 'exp';
  if (typeof exp !== 'number' || !Number.isFinite(exp)) {
    return refuse('token-expired', `the token has no ${expName} claim (seconds since 1970): the key delivery service requires one (${signedBy})`, { exp: null, now });
  }
  if (exp + CLOCK_SKEW_SECONDS <= now) {
    return refuse('token-expired', `the token expired at ${isoOf(exp)} (${expName} ${exp}), before the request at ${isoOf(now)} and more than the ${CLOCK_SKEW_SECONDS} s clock skew allowed (${signedBy})`, { exp, now, clockSkewSeconds: CLOCK_SKEW_SECONDS });
  }
  const nbf = claims['nbf'];
  if (typeof nbf === 'number' && nbf - CLOCK_SKEW_SECONDS > now) {
    return refuse('token-not-yet-valid', `the token is valid only from ${isoOf(nbf)} (nbf ${nbf}); the request came at ${isoOf(now)}, more than the ${CLOCK_SKEW_SECONDS} s clock skew allowed before it (${signedBy})`, { nbf, now, clockSkewSeconds: CLOCK_SKEW_SECONDS });
  }
  for (const required of template.requiredClaims) {
    const value = claims[required.type];
    const isKeyId = required.type === CONTENT_KEY_IDENTIFIER_CLAIM;
    if (value === undefined || value === null) {
      return refuse(isKeyId ? 'token-missing-key-id-claim' : 'token-missing-claim', `the token lacks the claim ${required.type} the template requires${isKeyId ? ` (the content key's GUID, here ${context.keyGuid})` : ''} (${signedBy})`, { claim: required.type });
    }
    const expected = required.value ?? (isKeyId ? context.keyGuid : null);
    if (expected === null) continue;
    const same = isKeyId ? String(value).toLowerCase() === expected.toLowerCase() : String(value) === expected;
    if (!same) {
      return refuse(isKeyId ? 'token-wrong-key-id-claim' : 'token-wrong-claim', `the token's ${required.type} is ${JSON.stringify(String(value).slice(0, 200))}, the template requires ${JSON.stringify(expected)}${isKeyId ? ' (the requested key)' : ''} (${signedBy})`, { claim: required.type, value: String(value).slice(0, 200), expected });
    }
  }
  return { ok: true };
}

function stringOrNull(value: unknown): string | null {
  return value === undefined || value === null ? null : String(value).slice(0, 200);
}

function isoOf(seconds: number): string {
  const date = new Date(seconds * 1000);
  return Number.isNaN(date.getTime()) ? String(seconds) : date.toISOString();
}
