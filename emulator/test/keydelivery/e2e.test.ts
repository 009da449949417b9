import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { parseKeyId } from '../../../client/src/crypto/index.js';
import { entityPath, type JsonBody, type TestEmulator, startTestEmulator } from '../../../test/support/emulator.js';
import { protectionKey, type ProtectionKey } from '../helpers/api-fixtures.js';
import {
  authorizeKey,
  createEnvelopeKey,
  defaultTemplate,
  envelopeAsset,
  fetchKey,
  jwt,
  type JwtSpec,
  KEY_ID_CLAIM,
  keyDeliveryUrl,
  nowSeconds,
  openRestriction,
  swt,
  tokenRestriction,
  type TemplateSpec,
} from '../helpers/delivery-fixtures.js';

/**
 * The "Done when", end to end over real HTTP: a client protects an asset with an envelope
 * key and a token-restricted policy, attaches a delivery policy, gets the key delivery URL and
 * fetches the key with a valid JWT (exactly the 16 bytes it created); with an expired or
 * wrong-audience token it gets 401 and a finding that names the mistake.
 */

let emu: TestEmulator;
let protection: ProtectionKey;

beforeAll(async () => {
  emu = await startTestEmulator();
});
afterAll(() => emu.close());
beforeEach(async () => {
  await emu.reset();
  protection = await protectionKey(emu);
});

async function findings(): Promise<JsonBody[]> {
  const res = await emu.admin('GET', 'findings');
  expect(res.status).toBe(200);
  return res.body.findings as JsonBody[];
}

async function protectedKey(template: TemplateSpec = defaultTemplate()) {
  const key = await createEnvelopeKey(emu, protection);
  await authorizeKey(emu, key.id, tokenRestriction(template));
  const url = await keyDeliveryUrl(emu, key.id);
  await envelopeAsset(emu, key.id, url);
  return { key, url, template, guid: parseKeyId(key.id).toLowerCase() };
}

describe('envelope key delivery with a JWT template', () => {
  it('delivers exactly the 16 bytes created for a valid token, and nothing is a finding', async () => {
    const { key, url, template, guid } = await protectedKey();
    expect(url).toBe(`${emu.baseUrl}keydelivery/?KID=${guid}`);
    const token = await jwt({ key: template.key, issuer: template.issuer, audience: template.audience, exp: nowSeconds() + 600, claims: { [KEY_ID_CLAIM]: guid } });
    const res = await fetchKey(url, `Bearer ${token}`);
    expect(res.status).toBe(200);
    expect(res.bytes.length).toBe(16);
    expect(res.bytes.equals(key.key)).toBe(true);
    // The player form "Bearer=<token>" too.
    expect((await fetchKey(url, `Bearer=${token}`)).bytes.equals(key.key)).toBe(true);
    expect(await findings()).toEqual([]);
  });

  it.each([
    ['expired', { exp: -301 }, 'key-delivery-token-expired', /expired at .* more than the 300 s clock skew/],
    ['nbf beyond the clock skew', { nbf: 400 }, 'key-delivery-token-not-yet-valid', /valid only from .* more than the 300 s clock skew/],
    ['wrong audience', { audience: 'urn:someone-else' }, 'key-delivery-token-wrong-audience', /audience "urn:someone-else"/],
    ['wrong issuer', { issuer: 'https://other-sts.test/' }, 'key-delivery-token-wrong-issuer', /issuer/],
    ['no key id claim', { claims: {} }, 'key-delivery-token-missing-key-id-claim', /lacks the claim urn:microsoft:azure:mediaservices:contentkeyidentifier/],
    ['another key id', { claims: { [KEY_ID_CLAIM]: '00000000-0000-4000-8000-000000000000' } }, 'key-delivery-token-wrong-key-id-claim', /the requested key/],
  ] as const)('answers 401 to a token with %s and records the finding that names it', async (_what, change, rule, message) => {
    const { key, url, template, guid } = await protectedKey();
    const spec: JwtSpec = { key: template.key, issuer: template.issuer, audience: template.audience, exp: nowSeconds() + 600, claims: { [KEY_ID_CLAIM]: guid } as Record<string, string>, ...change };
    if ('exp' in change) spec.exp = nowSeconds() + change.exp;
    if ('nbf' in change) spec.nbf = nowSeconds() + change.nbf;
    const res = await fetchKey(url, `Bearer ${await jwt(spec)}`);
    expect(res.status).toBe(401);
    expect(res.json?.error?.code).toBe('Unauthorized');
    expect(res.bytes.includes(key.key)).toBe(false);
    const all = await findings();
    expect(all.map((f) => f.rule)).toEqual([rule]);
    expect(all[0]!.severity).toBe('error');
    expect(all[0]!.message).toMatch(message);
    expect(all[0]!.message).toMatch(/signature verifies with the template's key/);
    expect(String(all[0]!.entityId).toLowerCase()).toBe(key.id.toLowerCase());
  });

  it('delivers to a token a little off the clock (within the 5-minute skew), with no finding', async () => {
    const { key, url, template, guid } = await protectedKey();
    const base = { key: template.key, issuer: template.issuer, audience: template.audience, claims: { [KEY_ID_CLAIM]: guid } };
    expect((await fetchKey(url, `Bearer ${await jwt({ ...base, exp: nowSeconds() - 120 })}`)).bytes.equals(key.key)).toBe(true);
    expect((await fetchKey(url, `Bearer ${await jwt({ ...base, nbf: nowSeconds() + 120, exp: nowSeconds() + 600 })}`)).bytes.equals(key.key)).toBe(true);
    expect(await findings()).toEqual([]);
  });

  it('a token signed with another key is a warning that says only what was observed', async () => {
    const { url, template, guid } = await protectedKey();
    const token = await jwt({ key: randomBytes(64), issuer: template.issuer, audience: template.audience, exp: nowSeconds() + 600, claims: { [KEY_ID_CLAIM]: guid } });
    expect((await fetchKey(url, `Bearer ${token}`)).status).toBe(401);
    const [finding] = await findings();
    expect(finding!.rule).toBe('key-delivery-token-wrong-signing-key');
    expect(finding!.severity).toBe('warning');
    expect(finding!.message).toMatch(/observed/);
  });

  it('takes the token from ?token= too, answers GET (HLS players) and a CORS preflight, refuses other verbs', async () => {
    const { key, url, template, guid } = await protectedKey();
    const token = await jwt({ key: template.key, issuer: template.issuer, audience: template.audience, exp: nowSeconds() + 600, claims: { [KEY_ID_CLAIM]: guid } });
    expect((await fetchKey(`${url}&token=${encodeURIComponent(token)}`)).bytes.equals(key.key)).toBe(true);
    const get = await fetch(url, { headers: { Authorization: `Bearer ${token}` } });
    expect(Buffer.from(await get.arrayBuffer()).equals(key.key)).toBe(true);
    expect(get.headers.get('content-type')).toBe('application/octet-stream');
    const preflight = await fetch(url, { method: 'OPTIONS' });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get('access-control-allow-origin')).toBe('*');
    expect(preflight.headers.get('access-control-allow-headers')).toMatch(/Authorization/);
    const del = await fetch(url, { method: 'DELETE' });
    expect(del.status).toBe(405);
    expect(((await del.json()) as JsonBody).error.code).toBe('MethodNotAllowed');
  });

  it('accepts a token signed with an alternate verification key', async () => {
    const alternate = randomBytes(32);
    const { key, url, template, guid } = await protectedKey({ ...defaultTemplate(), alternateKeys: [alternate] });
    const token = await jwt({ key: alternate, issuer: template.issuer, audience: template.audience, exp: nowSeconds() + 600, claims: { [KEY_ID_CLAIM]: guid }, alg: 'HS512' });
    expect((await fetchKey(url, `Bearer ${token}`)).bytes.equals(key.key)).toBe(true);
  });

  it('answers 401 without a token (a warning: nothing to read)', async () => {
    const { url } = await protectedKey();
    expect((await fetchKey(url)).status).toBe(401);
    expect((await findings()).map((f) => [f.rule, f.severity])).toEqual([['key-delivery-token-missing', 'warning']]);
  });
});

describe('envelope key delivery with an SWT template and an open policy', () => {
  it('delivers the key for the SDK test generator\'s SWT, as Bearer= (Azure Media Player) and as Bearer', async () => {
    const template: TemplateSpec = { tokenType: 'SWT', issuer: 'http://testacs.com/', audience: 'urn:test', key: randomBytes(64), claims: { [KEY_ID_CLAIM]: null } };
    const { key, url, guid } = await protectedKey(template);
    const token = swt({ key: template.key, issuer: template.issuer, audience: template.audience, expiresOn: nowSeconds() + 600, claims: { [KEY_ID_CLAIM]: guid } });
    expect((await fetchKey(url, `Bearer=${token}`)).bytes.equals(key.key)).toBe(true);
    expect((await fetchKey(url, `Bearer ${token}`)).bytes.equals(key.key)).toBe(true);
    const expired = swt({ key: template.key, issuer: template.issuer, audience: template.audience, expiresOn: nowSeconds() - 301, claims: { [KEY_ID_CLAIM]: guid } });
    expect((await fetchKey(url, `Bearer=${expired}`)).status).toBe(401);
    expect((await findings()).map((f) => f.rule)).toEqual(['key-delivery-token-expired']);
  });

  it('an Open restriction delivers to anyone, ignoring an unrelated token (the .NET test sends one)', async () => {
    const key = await createEnvelopeKey(emu, protection);
    await authorizeKey(emu, key.id, openRestriction);
    const url = await keyDeliveryUrl(emu, key.id);
    expect((await fetchKey(url)).bytes.equals(key.key)).toBe(true);
    expect((await fetchKey(url, 'Bearer unrelated')).bytes.equals(key.key)).toBe(true);
    expect(await findings()).toEqual([]);
  });

  it('an IPRestricted restriction (never available in the service) allows nothing, and is no finding', async () => {
    const key = await createEnvelopeKey(emu, protection);
    await authorizeKey(emu, key.id, { Name: 'IP', KeyRestrictionType: 2, Requirements: '<IPRestriction/>' });
    const res = await fetchKey(await keyDeliveryUrl(emu, key.id));
    expect(res.status).toBe(401);
    expect(res.json?.error?.message).toMatch(/IPRestricted restrictions are not emulated/);
    expect(await findings()).toEqual([]);
  });

  it('refuses a key with no authorization policy (401), and an unknown or malformed KID (404, 400)', async () => {
    const key = await createEnvelopeKey(emu, protection);
    const url = await keyDeliveryUrl(emu, key.id);
    const res = await fetchKey(url);
    expect(res.status).toBe(401);
    expect(res.json?.error?.message).toMatch(/no AuthorizationPolicyId/);
    expect((await fetchKey(`${emu.baseUrl}keydelivery/?KID=00000000-0000-4000-8000-000000000000`)).status).toBe(404);
    expect((await fetchKey(`${emu.baseUrl}keydelivery/?KID=nope`)).status).toBe(400);
    expect((await fetchKey(`${emu.baseUrl}keydelivery/`)).status).toBe(400);
  });

  it('answers that PlayReady and Widevine licences are not emulated (404 LicenceNotEmulated)', async () => {
    const res = await fetchKey(`${emu.baseUrl}keydelivery/PlayReady/?KID=00000000-0000-4000-8000-000000000000`);
    expect(res.status).toBe(404);
    expect(res.json?.error).toMatchObject({ code: 'LicenceNotEmulated', message: expect.stringMatching(/not emulated/) });
    expect((await fetchKey(`${emu.baseUrl}keydelivery/Widevine/?KID=00000000-0000-4000-8000-000000000000`)).json?.error?.code).toBe('LicenceNotEmulated');
  });
});

describe('GetKeyDeliveryUrl', () => {
  it('answers in each format: JSON minimal, JSON verbose, XML', async () => {
    const key = await createEnvelopeKey(emu, protection);
    const guid = parseKeyId(key.id).toLowerCase();
    const path = `${entityPath('ContentKeys', key.id)}/GetKeyDeliveryUrl`;
    const expected = `${emu.baseUrl}keydelivery/?KID=${guid}`;
    const minimal = await emu.ams('POST', path, { body: { keyDeliveryType: 2 } });
    expect(minimal.body).toEqual({ 'odata.metadata': `${emu.url}$metadata#Edm.String`, value: expected });
    const verbose = await emu.ams('POST', path, { body: { keyDeliveryType: 2 }, headers: { Accept: 'application/json;odata=verbose' } });
    expect(verbose.body.d.GetKeyDeliveryUrl).toBe(expected);
    const xml = await emu.ams('POST', path, { body: { keyDeliveryType: 2 }, headers: { Accept: 'application/xml' } });
    expect(xml.status).toBe(200);
    expect(xml.text).toContain(`>${expected.replace(/&/g, '&amp;')}</`);
  });

  it('refuses a delivery type the key cannot use, 0, or none (400); 404 for an unknown key, 400 for a malformed one, 405 for GET', async () => {
    const envelope = await createEnvelopeKey(emu, protection);
    const path = `${entityPath('ContentKeys', envelope.id)}/GetKeyDeliveryUrl`;
    for (const body of [{ keyDeliveryType: 1 }, { keyDeliveryType: 0 }, { keyDeliveryType: 9 }, {}, { keyDeliveryType: 'two' }]) {
      const res = await emu.ams('POST', path, { body });
      expect(res.status, JSON.stringify(body)).toBe(400);
    }
    expect((await emu.ams('POST', `${entityPath('ContentKeys', 'nb:kid:UUID:00000000-0000-4000-8000-000000000000')}/GetKeyDeliveryUrl`, { body: { keyDeliveryType: 2 } })).status).toBe(404);
    expect((await emu.ams('POST', "ContentKeys('notAValidId')/GetKeyDeliveryUrl", { body: { keyDeliveryType: 2 } })).status).toBe(400);
    expect((await emu.ams('GET', path)).status).toBe(405);
  });

  it('gives PlayReady and Widevine URLs for a CommonEncryption key', async () => {
    const { storageKeyBody } = await import('../helpers/api-fixtures.js');
    const made = storageKeyBody(protection, { key: randomBytes(16), contentKeyType: 0 });
    expect((await emu.ams('POST', 'ContentKeys', { body: made.request })).status).toBe(201);
    const guid = parseKeyId(made.id).toLowerCase();
    expect(await keyDeliveryUrl(emu, made.id, 1)).toBe(`${emu.baseUrl}keydelivery/PlayReady/?KID=${guid}`);
    expect(await keyDeliveryUrl(emu, made.id, 3)).toBe(`${emu.baseUrl}keydelivery/Widevine/?KID=${guid}`);
    expect((await emu.ams('POST', `${entityPath('ContentKeys', made.id)}/GetKeyDeliveryUrl`, { body: { keyDeliveryType: 2 } })).status).toBe(400);
  });
});
