import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { parseKeyId } from '../../../client/src/crypto/index.js';
import { entityPath, startTestEmulator, type AmsResponse, type JsonBody, type TestEmulator } from '../../../test/support/emulator.js';
import { protectionKey, storageKeyBody } from '../helpers/api-fixtures.js';
import { atomEntries, atomProperties, parseXml } from '../helpers/clients-xml.js';
import { defaultTemplate, fetchKey, jwt, KEY_ID_CLAIM, nowSeconds, templateXml } from '../helpers/delivery-fixtures.js';

/**
 * The issue's publish flow in each OData format a client speaks: every request body and answer in
 * JSON minimal, JSON verbose, or Atom (as the Java and PHP SDKs write entries, `<uri>` for links);
 * the key delivery service at the end is the same for all.
 */

let emu: TestEmulator;

beforeAll(async () => {
  // Operations run InProgress for two polls, so the client's wait on Start is a real wait.
  emu = await startTestEmulator({ operationProgression: { mode: 'polls', pollsPerState: 2 } });
});
afterAll(() => emu.close());
beforeEach(() => emu.reset());

type Format = 'json-minimal' | 'json-verbose' | 'atom';

const xmlEscape = (text: string) => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/** One value as an Atom `<d:Name>`: numbers typed Int32, null as m:null, arrays as complex collections. */
function atomProperty(name: string, value: unknown): string {
  if (value === null) return `<d:${name} m:null="true" />`;
  if (typeof value === 'number') return `<d:${name} m:type="Edm.Int32">${value}</d:${name}>`;
  if (Array.isArray(value)) return `<d:${name}>${value.map((item) => `<d:element>${Object.entries(item as JsonBody).map(([k, v]) => atomProperty(k, v)).join('')}</d:element>`).join('')}</d:${name}>`;
  return `<d:${name}>${xmlEscape(String(value))}</d:${name}>`;
}

function atomEntry(body: JsonBody): string {
  return (
    '<?xml version="1.0" encoding="utf-8"?><entry xmlns="http://www.w3.org/2005/Atom" xmlns:d="http://schemas.microsoft.com/ado/2007/08/dataservices" xmlns:m="http://schemas.microsoft.com/ado/2007/08/dataservices/metadata">' +
    `<content type="application/xml"><m:properties>${Object.entries(body).map(([k, v]) => atomProperty(k, v)).join('')}</m:properties></content></entry>`
  );
}

/** A client of one format: bodies written and answers read in it. */
function client(format: Format) {
  const accept = { 'json-minimal': 'application/json', 'json-verbose': 'application/json;odata=verbose', atom: 'application/atom+xml' }[format];
  const send = (method: string, path: string, body?: JsonBody): Promise<AmsResponse> => {
    if (body === undefined) return emu.ams(method, path, { headers: { Accept: accept } });
    if (format === 'atom') return emu.ams(method, path, { body: atomEntry(body), headers: { Accept: accept, 'Content-Type': 'application/atom+xml' } });
    return emu.ams(method, path, { body, headers: { Accept: accept, 'Content-Type': accept } });
  };
  const link = (path: string, uri: string): Promise<AmsResponse> =>
    format === 'atom'
      ? emu.ams('POST', path, { body: `<uri xmlns="http://schemas.microsoft.com/ado/2007/08/dataservices">${xmlEscape(uri)}</uri>`, headers: { Accept: accept, 'Content-Type': 'application/xml' } })
      : emu.ams('POST', path, { body: { uri }, headers: { Accept: accept, 'Content-Type': accept } });
  const entity = (res: AmsResponse): Record<string, unknown> => {
    if (format === 'json-minimal') return res.body;
    if (format === 'json-verbose') return res.body.d;
    return atomProperties(atomEntries(parseXml(res.text))[0]!);
  };
  const create = async (set: string, body: JsonBody): Promise<Record<string, unknown>> => {
    const res = await send('POST', set, body);
    expect(res.status, `${format} POST ${set}: ${res.text}`).toBe(201);
    return entity(res);
  };
  return { send, link, entity, create };
}

/** Poll `Operations('<id>')` in the client's format until it leaves InProgress; the states seen, in order. */
async function awaitOperation(c: ReturnType<typeof client>, id: string): Promise<string[]> {
  const states: string[] = [];
  for (let poll = 0; poll < 50; poll++) {
    const res = await c.send('GET', entityPath('Operations', id));
    expect(res.status, res.text).toBe(200);
    const op = c.entity(res);
    expect(op['Id']).toBe(id);
    states.push(String(op['State']));
    if (op['State'] !== 'InProgress') return states;
  }
  throw new Error(`operation ${id} still InProgress after 50 polls: ${states.join(', ')}`);
}

/** Every finding, as `/_emulator/findings` lists them. */
async function findings(): Promise<JsonBody[]> {
  const res = await emu.admin('GET', 'findings');
  expect(res.status).toBe(200);
  return res.body.findings as JsonBody[];
}

const SIGNED_BY = "the signature verifies with the template's key, so the token service made it";
const reEscape = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/**
 * The issue's "Done when", one client end to end in its own format (bodies written and answers
 * read in it): an envelope key (16 bytes, RSA-OAEP wrapped, checksummed), a token-restricted
 * authorization policy (JWT template: symmetric key, issuer, audience, content key identifier
 * claim) linked and set on the key, a DynamicEnvelopeEncryption delivery policy with the key
 * acquisition URL on the asset, the default StreamingEndpoint started (202, operation-id, the
 * Operation polled from InProgress to Succeeded), GetKeyDeliveryUrl, then the key delivery service:
 * a valid JWT (as "Bearer <jwt>" and as "Bearer=<jwt>") gets exactly the 16 bytes; an expired
 * and a wrong-audience token get 401 in the service's shape and the finding that names the mistake.
 */
describe.each<Format>(['json-minimal', 'json-verbose', 'atom'])('the publish flow in %s', (format) => {
  it('protects, authorizes, attaches, streams, then a valid JWT gets the 16 bytes; expired and wrong-audience tokens get 401 and their findings', async () => {
    const c = client(format);
    const protection = await protectionKey(emu);
    const made = storageKeyBody(protection, { key: randomBytes(16), contentKeyType: 4 });
    const key = await c.create('ContentKeys', made.request);
    expect(key['Id']).toBe(made.id);
    expect(Number(key['ContentKeyType'])).toBe(4);
    const guid = parseKeyId(made.id).toLowerCase();

    const template = defaultTemplate();
    const policy = await c.create('ContentKeyAuthorizationPolicies', { Name: 'token policy' });
    const option = await c.create('ContentKeyAuthorizationPolicyOptions', {
      Name: 'token option',
      KeyDeliveryType: 2,
      KeyDeliveryConfiguration: '',
      Restrictions: [{ Name: 'Token', KeyRestrictionType: 1, Requirements: templateXml(template) }],
    });
    const linked = await c.link(`${entityPath('ContentKeyAuthorizationPolicies', String(policy['Id']))}/$links/Options`, `${emu.url}${entityPath('ContentKeyAuthorizationPolicyOptions', String(option['Id']))}`);
    expect(linked.status, linked.text).toBe(204);
    const merged = await c.send('MERGE', entityPath('ContentKeys', made.id), { AuthorizationPolicyId: String(policy['Id']) });
    expect(merged.status, merged.text).toBe(204);
    expect(c.entity(await c.send('GET', entityPath('ContentKeys', made.id)))['AuthorizationPolicyId']).toBe(policy['Id']);

    // Without keyDeliveryType it is a 400 in the client's format; the SDKs send it as JSON.
    const noType = await c.send('POST', `${entityPath('ContentKeys', made.id)}/GetKeyDeliveryUrl`);
    expect(noType.status).toBe(400);
    expect(noType.text).toMatch(/keyDeliveryType/);
    const delivery = await emu.ams('POST', `${entityPath('ContentKeys', made.id)}/GetKeyDeliveryUrl`, {
      body: { keyDeliveryType: 2 },
      headers: { Accept: format === 'atom' ? 'application/xml' : format === 'json-verbose' ? 'application/json;odata=verbose' : 'application/json' },
    });
    expect(delivery.status).toBe(200);
    const keyUrl = format === 'atom' ? parseXml(delivery.text).text : format === 'json-verbose' ? delivery.body.d.GetKeyDeliveryUrl : delivery.body.value;
    expect(keyUrl).toBe(`${emu.baseUrl}keydelivery/?KID=${guid}`);

    const asset = await c.create('Assets', { Name: `protected-${format}`, Options: 0 });
    const assetId = String(asset['Id']);
    expect((await c.link(`${entityPath('Assets', assetId)}/$links/ContentKeys`, `${emu.url}${entityPath('ContentKeys', made.id)}`)).status).toBe(204);
    const deliveryPolicy = await c.create('AssetDeliveryPolicies', {
      Name: 'envelope',
      AssetDeliveryProtocol: 7,
      AssetDeliveryPolicyType: 3,
      AssetDeliveryConfiguration: JSON.stringify([{ Key: 2, Value: String(keyUrl).split('?')[0] }]),
    });
    expect((await c.link(`${entityPath('Assets', assetId)}/$links/DeliveryPolicies`, `${emu.url}${entityPath('AssetDeliveryPolicies', String(deliveryPolicy['Id']))}`)).status).toBe(204);
    const attached = await c.send('GET', `${entityPath('Assets', assetId)}/DeliveryPolicies`);
    expect(attached.status).toBe(200);
    expect(attached.text).toContain(String(deliveryPolicy['Id']));

    // The default streaming endpoint, Stopped from the start: Start answers 202 with operation-id,
    // and the Operation runs InProgress -> Succeeded (this emulator paces it over polls).
    const listed = await c.send('GET', "StreamingEndpoints?$filter=Name eq 'default'");
    expect(listed.status, listed.text).toBe(200);
    const endpoints = format === 'atom' ? atomEntries(parseXml(listed.text)).map(atomProperties) : format === 'json-verbose' ? (listed.body.d.results as JsonBody[]) : (listed.body.value as JsonBody[]);
    expect(endpoints.map((e) => [e['Name'], e['State']])).toEqual([['default', 'Stopped']]);
    const endpointId = String(endpoints[0]!['Id']);
    const start = await c.send('POST', `${entityPath('StreamingEndpoints', endpointId)}/Start`);
    expect(start.status, start.text).toBe(202);
    const operationId = start.headers.get('operation-id');
    expect(operationId).toMatch(/^nb:opid:UUID:[0-9a-f-]{36}$/);
    const states = await awaitOperation(c, operationId!);
    expect(states[0]).toBe('InProgress');
    expect(states.at(-1)).toBe('Succeeded');
    expect(c.entity(await c.send('GET', entityPath('StreamingEndpoints', endpointId)))['State']).toBe('Running');

    // A valid JWT, as the SDK's key delivery client sends it and in the player's "Bearer=" form.
    const claims = { [KEY_ID_CLAIM]: guid };
    const valid = await jwt({ key: template.key, issuer: template.issuer, audience: template.audience, exp: nowSeconds() + 600, claims });
    for (const authorization of [`Bearer ${valid}`, `Bearer=${valid}`]) {
      const got = await fetchKey(String(keyUrl), authorization);
      expect(got.status, authorization.slice(0, 7)).toBe(200);
      expect(got.bytes.length).toBe(16);
      expect(got.bytes.equals(made.key)).toBe(true);
    }
    expect(await findings()).toEqual([]);

    // An hour-old token (beyond any clock skew) and one for another audience: 401, the service's
    // error shape, no key bytes, and one finding each that names the mistake precisely.
    const expiredAt = nowSeconds() - 3600;
    const expired = await jwt({ key: template.key, issuer: template.issuer, audience: template.audience, exp: expiredAt, claims });
    const wrongAudience = await jwt({ key: template.key, issuer: template.issuer, audience: 'urn:not-this-one', exp: nowSeconds() + 600, claims });
    for (const token of [expired, wrongAudience]) {
      const refused = await fetchKey(String(keyUrl), `Bearer ${token}`);
      expect(refused.status).toBe(401);
      expect(refused.json).toEqual({ error: { code: 'Unauthorized', message: expect.stringMatching(/^Content key policy evaluation has failed: option nb:ckpoid:UUID:/) } });
      expect(refused.bytes.includes(made.key)).toBe(false);
    }
    const [expiredFinding, audienceFinding, ...more] = await findings();
    expect(more).toEqual([]);
    expect(expiredFinding).toMatchObject({ rule: 'key-delivery-token-expired', severity: 'error', entityId: made.id });
    expect(expiredFinding!.message).toMatch(
      new RegExp(`^Key request for ${reEscape(made.id)} refused: the token expired at ${reEscape(new Date(expiredAt * 1000).toISOString())} \\(exp ${expiredAt}\\), before the request at \\d{4}-\\d\\d-\\d\\dT[\\d:.]+Z and more than the 300 s clock skew allowed \\(${reEscape(SIGNED_BY)}\\)$`),
    );
    expect(expiredFinding).toMatchObject({ exp: expiredAt, authorizationPolicyId: policy['Id'], method: 'POST', path: `/keydelivery/?KID=${guid}` });
    expect(audienceFinding).toMatchObject({
      rule: 'key-delivery-token-wrong-audience',
      severity: 'error',
      entityId: made.id,
      message: `Key request for ${made.id} refused: the token's audience "urn:not-this-one" is not the template's Audience "${template.audience}" (${SIGNED_BY})`,
    });
    expect(audienceFinding).toMatchObject({ audience: 'urn:not-this-one', expected: template.audience, authorizationPolicyId: policy['Id'] });
  });
});
