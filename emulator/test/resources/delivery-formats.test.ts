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
  emu = await startTestEmulator();
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

describe.each<Format>(['json-minimal', 'json-verbose', 'atom'])('the publish flow in %s', (format) => {
  it('protects, authorizes and attaches, then a valid JWT gets the 16 bytes; expired and wrong-audience tokens get 401 and their findings', async () => {
    const c = client(format);
    const protection = await protectionKey(emu);
    const made = storageKeyBody(protection, { key: randomBytes(16), contentKeyType: 4 });
    const key = await c.create('ContentKeys', made.request);
    expect(key['Id']).toBe(made.id);
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

    const claims = { [KEY_ID_CLAIM]: guid };
    const valid = await jwt({ key: template.key, issuer: template.issuer, audience: template.audience, exp: nowSeconds() + 600, claims });
    const got = await fetchKey(String(keyUrl), `Bearer ${valid}`);
    expect(got.status).toBe(200);
    expect(got.bytes.equals(made.key)).toBe(true);

    const expired = await jwt({ key: template.key, issuer: template.issuer, audience: template.audience, exp: nowSeconds() - 5, claims });
    expect((await fetchKey(String(keyUrl), `Bearer ${expired}`)).status).toBe(401);
    const wrongAudience = await jwt({ key: template.key, issuer: template.issuer, audience: 'urn:not-this-one', exp: nowSeconds() + 600, claims });
    expect((await fetchKey(String(keyUrl), `Bearer ${wrongAudience}`)).status).toBe(401);
    const findings = (await emu.admin('GET', 'findings')).body.findings as JsonBody[];
    expect(findings.map((f) => f.rule)).toEqual(['key-delivery-token-expired', 'key-delivery-token-wrong-audience']);
  });
});
