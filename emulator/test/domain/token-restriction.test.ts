import { createHmac } from 'node:crypto';
import fc from 'fast-check';
import { SignJWT } from 'jose';
import { describe, expect, it } from 'vitest';
import { checkToken, CLOCK_SKEW_SECONDS, CONTENT_KEY_IDENTIFIER_CLAIM, type TokenMistake, type TokenRestrictionTemplate } from '../../src/domain/token-restriction.js';
import { readTokenRestrictionTemplate } from '../../src/odata/token-restriction-template.js';
import { templateXml } from '../helpers/delivery-fixtures.js';

/**
 * The key delivery service's token check, for all templates and tokens: whatever token satisfies
 * its template is accepted, and any one mistake in it is refused with the reason that names it.
 */

const NOW = new Date('2026-12-06T12:00:00.000Z');
const NOW_S = Math.floor(NOW.getTime() / 1000);
const KEY_GUID = '0f1e2d3c-4b5a-4978-8695-a4b3c2d1e0f9';

type Claims = Record<string, string>;

interface Case {
  template: TokenRestrictionTemplate;
  /** The claims a valid token carries (besides iss/aud/exp). */
  claims: Claims;
  key: Buffer;
  alg: 'HS256' | 'HS384' | 'HS512';
}

const claimType = fc.stringMatching(/^urn:claim:[a-z0-9]{1,12}$/);
const claimValue = fc.string({ minLength: 1, maxLength: 20 }).filter((s) => s.trim() === s && !/[<>&]/.test(s));
const uri = fc.webUrl({ withQueryParameters: false, withFragments: false }).map((u) => `${u}/`);

const caseArb: fc.Arbitrary<Case> = fc
  .record({
    tokenType: fc.constantFrom('JWT' as const, 'SWT' as const),
    issuer: uri,
    audience: uri,
    key: fc.uint8Array({ minLength: 16, maxLength: 64 }).map((a) => Buffer.from(a)),
    requireKeyId: fc.boolean(),
    required: fc.dictionary(claimType, fc.option(claimValue, { nil: null }), { maxKeys: 3 }),
    extraValues: fc.dictionary(claimType, claimValue, { maxKeys: 2 }),
    alg: fc.constantFrom('HS256' as const, 'HS384' as const, 'HS512' as const),
  })
  .map(({ tokenType, issuer, audience, key, requireKeyId, required, extraValues, alg }) => {
    const requiredClaims = Object.entries(required).map(([type, value]) => ({ type, value }));
    if (requireKeyId) requiredClaims.push({ type: CONTENT_KEY_IDENTIFIER_CLAIM, value: null });
    const claims: Claims = { ...extraValues };
    for (const { type, value } of requiredClaims) claims[type] = type === CONTENT_KEY_IDENTIFIER_CLAIM ? KEY_GUID : (value ?? 'anything');
    const template: TokenRestrictionTemplate = { tokenType, issuer, audience, primaryKey: { kind: 'symmetric', key }, alternateKeys: [], openIdDiscoveryUri: null, requiredClaims };
    return { template, claims, key, alg: tokenType === 'SWT' ? 'HS256' : alg };
  });

interface TokenFields {
  issuer: string;
  audience: string;
  exp: number | undefined;
  /** JWT only (SWT has no not-before). */
  nbf?: number;
  claims: Claims;
  key: Buffer;
}

async function issue(c: Case, fields: TokenFields): Promise<string> {
  if (c.template.tokenType === 'JWT') {
    const builder = new SignJWT(fields.claims).setProtectedHeader({ alg: c.alg }).setIssuer(fields.issuer).setAudience(fields.audience);
    if (fields.exp !== undefined) builder.setExpirationTime(fields.exp);
    if (fields.nbf !== undefined) builder.setNotBefore(fields.nbf);
    return builder.sign(new Uint8Array(fields.key));
  }
  const enc = encodeURIComponent;
  const parts = Object.entries(fields.claims).map(([k, v]) => `${enc(k)}=${enc(v)}`);
  parts.push(`Audience=${enc(fields.audience)}`);
  if (fields.exp !== undefined) parts.push(`ExpiresOn=${fields.exp}`);
  parts.push(`Issuer=${enc(fields.issuer)}`);
  const unsigned = parts.join('&');
  return `${unsigned}&HMACSHA256=${enc(createHmac('sha256', fields.key).update(unsigned, 'utf8').digest('base64'))}`;
}

const valid = (c: Case): TokenFields => ({ issuer: c.template.issuer, audience: c.template.audience, exp: NOW_S + 3600, claims: { ...c.claims }, key: c.key });

/** One mistake, and the reason the checker must give for it; undefined when the case cannot make it. */
type Mutation = (c: Case, f: TokenFields) => { fields: TokenFields; mistake: TokenMistake } | undefined;

const MUTATIONS: Record<string, Mutation> = {
  'other issuer': (_c, f) => ({ fields: { ...f, issuer: `${f.issuer}x` }, mistake: 'token-wrong-issuer' }),
  'other audience': (_c, f) => ({ fields: { ...f, audience: `${f.audience}x` }, mistake: 'token-wrong-audience' }),
  // The first second past the clock skew the service allowed.
  expired: (_c, f) => ({ fields: { ...f, exp: NOW_S - CLOCK_SKEW_SECONDS }, mistake: 'token-expired' }),
  'no expiry': (_c, f) => ({ fields: { ...f, exp: undefined }, mistake: 'token-expired' }),
  'signed with another key': (_c, f) => ({ fields: { ...f, key: Buffer.concat([f.key, Buffer.from([1])]) }, mistake: 'token-wrong-signing-key' }),
  'no key id claim': (c, f) => {
    if (!c.template.requiredClaims.some((r) => r.type === CONTENT_KEY_IDENTIFIER_CLAIM)) return undefined;
    const claims = { ...f.claims };
    delete claims[CONTENT_KEY_IDENTIFIER_CLAIM];
    return { fields: { ...f, claims }, mistake: 'token-missing-key-id-claim' };
  },
  'another key id': (c, f) =>
    c.template.requiredClaims.some((r) => r.type === CONTENT_KEY_IDENTIFIER_CLAIM)
      ? { fields: { ...f, claims: { ...f.claims, [CONTENT_KEY_IDENTIFIER_CLAIM]: '11111111-2222-4333-8444-555555555555' } }, mistake: 'token-wrong-key-id-claim' }
      : undefined,
  'a required claim missing': (c, f) => {
    const required = c.template.requiredClaims.find((r) => r.type !== CONTENT_KEY_IDENTIFIER_CLAIM);
    if (!required) return undefined;
    const claims = { ...f.claims };
    delete claims[required.type];
    return { fields: { ...f, claims }, mistake: 'token-missing-claim' };
  },
  'a required claim with another value': (c, f) => {
    const required = c.template.requiredClaims.find((r) => r.type !== CONTENT_KEY_IDENTIFIER_CLAIM && r.value !== null);
    if (!required) return undefined;
    return { fields: { ...f, claims: { ...f.claims, [required.type]: `${required.value}x` } }, mistake: 'token-wrong-claim' };
  },
};

describe('checkToken', () => {
  it('accepts every token that satisfies its template (JWT and SWT)', async () => {
    await fc.assert(
      fc.asyncProperty(caseArb, async (c) => {
        const verdict = await checkToken(c.template, await issue(c, valid(c)), { keyGuid: KEY_GUID, now: NOW });
        expect(verdict).toEqual({ ok: true });
      }),
      { numRuns: 150 },
    );
  });

  it.each(Object.keys(MUTATIONS))('refuses a token with one mistake (%s) and names it', async (name) => {
    await fc.assert(
      fc.asyncProperty(caseArb, async (c) => {
        const mutated = MUTATIONS[name]!(c, valid(c));
        fc.pre(mutated !== undefined);
        const verdict = await checkToken(c.template, await issue(c, mutated!.fields), { keyGuid: KEY_GUID, now: NOW });
        expect(verdict.ok).toBe(false);
        if (!verdict.ok) expect(verdict.mistake).toBe(mutated!.mistake);
      }),
      { numRuns: 60 },
    );
  });

  it('allows the clock skew, no more: exp up to 5 minutes past, nbf up to 5 minutes ahead (JWT and SWT)', async () => {
    await fc.assert(
      fc.asyncProperty(caseArb, fc.integer({ min: 0, max: CLOCK_SKEW_SECONDS - 1 }), async (c, skew) => {
        const late = await checkToken(c.template, await issue(c, { ...valid(c), exp: NOW_S - skew }), { keyGuid: KEY_GUID, now: NOW });
        expect(late).toEqual({ ok: true });
        const past = await checkToken(c.template, await issue(c, { ...valid(c), exp: NOW_S - CLOCK_SKEW_SECONDS - skew }), { keyGuid: KEY_GUID, now: NOW });
        expect(past.ok === false && past.mistake).toBe('token-expired');
        if (c.template.tokenType !== 'JWT') return;
        const early = await checkToken(c.template, await issue(c, { ...valid(c), nbf: NOW_S + CLOCK_SKEW_SECONDS - skew }), { keyGuid: KEY_GUID, now: NOW });
        expect(early).toEqual({ ok: true });
        const tooEarly = await checkToken(c.template, await issue(c, { ...valid(c), nbf: NOW_S + CLOCK_SKEW_SECONDS + 1 + skew }), { keyGuid: KEY_GUID, now: NOW });
        expect(tooEarly.ok === false && tooEarly.mistake).toBe('token-not-yet-valid');
      }),
      { numRuns: 60 },
    );
  });

  it('refuses a token of the other type as malformed, and no token as missing', async () => {
    await fc.assert(
      fc.asyncProperty(caseArb, async (c) => {
        const other: Case = { ...c, template: { ...c.template, tokenType: c.template.tokenType === 'JWT' ? 'SWT' : 'JWT' }, alg: 'HS256' };
        const verdict = await checkToken(c.template, await issue(other, valid(other)), { keyGuid: KEY_GUID, now: NOW });
        expect(verdict.ok === false && verdict.mistake).toBe('token-malformed');
        const none = await checkToken(c.template, undefined, { keyGuid: KEY_GUID, now: NOW });
        expect(none.ok === false && none.mistake).toBe('token-missing');
      }),
      { numRuns: 40 },
    );
  });

  it('any single flipped byte in the signed part of a valid token is refused', async () => {
    await fc.assert(
      fc.asyncProperty(caseArb, fc.nat(), fc.integer({ min: 1, max: 127 }), async (c, at, flip) => {
        const text = await issue(c, valid(c));
        // The signature's own text may have equivalent spellings (%3d and %3D, unused base64 bits).
        const signedLength = c.template.tokenType === 'JWT' ? text.lastIndexOf('.') : text.lastIndexOf('&HMACSHA256=');
        const token = Buffer.from(text, 'latin1');
        const i = at % signedLength;
        token[i] = token[i]! ^ flip;
        const verdict = await checkToken(c.template, token.toString('latin1'), { keyGuid: KEY_GUID, now: NOW });
        expect(verdict.ok).toBe(false);
      }),
      { numRuns: 150 },
    );
  });
});

describe('readTokenRestrictionTemplate', () => {
  it('reads back what the .NET serializer writes, for all templates', () => {
    fc.assert(
      fc.property(caseArb, (c) => {
        const key = (c.template.primaryKey as { key: Buffer }).key;
        const claims = Object.fromEntries(c.template.requiredClaims.map((r) => [r.type, r.value]));
        const read = readTokenRestrictionTemplate(templateXml({ tokenType: c.template.tokenType, issuer: c.template.issuer, audience: c.template.audience, key, claims }), 'Requirements');
        expect(read).toEqual(c.template);
      }),
    );
  });

  it('treats a template without TokenType as SWT, as the SDK did', () => {
    const xml = templateXml({ tokenType: 'JWT', issuer: 'http://i/', audience: 'http://a/', key: Buffer.alloc(32, 1) }).replace('<TokenType>JWT</TokenType>', '');
    expect(readTokenRestrictionTemplate(xml, 'Requirements').tokenType).toBe('SWT');
  });
});
