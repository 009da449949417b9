import { randomBytes, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { formatNbId } from '../../../client/src/crypto/index.js';
import { entityPath, startTestEmulator, type JsonBody, type TestEmulator } from '../../../test/support/emulator.js';
import { createAsset, createPolicy, errorMessage, linkKey, protectionKey, type ProtectionKey } from '../helpers/api-fixtures.js';
import { atomEntries, atomProperties, parseXml } from '../helpers/clients-xml.js';
import { createEnvelopeKey, createOption, defaultTemplate, openRestriction, templateXml, tokenRestriction } from '../helpers/delivery-fixtures.js';

/**
 * AssetDeliveryPolicies, ContentKeyAuthorizationPolicies and their options as entity sets: the
 * same protocol as the core sets (ids, 400/404, server-owned fields, formats, query options,
 * `$links`, navigation, `$batch`) and the rules the service applied to them.
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

const ENVELOPE_CONFIG = JSON.stringify([{ Key: 2, Value: 'https://keys.example.test/' }]);
const clearPolicy = { Name: 'Clear Policy', AssetDeliveryProtocol: 7, AssetDeliveryPolicyType: 2, AssetDeliveryConfiguration: null };

async function create(set: string, body: JsonBody): Promise<JsonBody> {
  const res = await emu.ams('POST', set, { body });
  expect(res.status, res.text).toBe(201);
  return res.body;
}

describe('the three sets share the core protocol', () => {
  const sets: [string, string, () => JsonBody][] = [
    ['AssetDeliveryPolicies', 'adpid', () => clearPolicy],
    ['ContentKeyAuthorizationPolicies', 'ckpid', () => ({ Name: 'policy' })],
    ['ContentKeyAuthorizationPolicyOptions', 'ckpoid', () => ({ Name: '', KeyDeliveryType: 2, KeyDeliveryConfiguration: '', Restrictions: [openRestriction] })],
  ];

  it.each(sets)('%s: 201 with Location and a server id; server-owned fields ignored; GET, MERGE, DELETE; 404 after', async (set, tag, body) => {
    const sentId = formatNbId(tag, randomUUID());
    const res = await emu.ams('POST', set, { body: { ...body(), Id: sentId } });
    expect(res.status, res.text).toBe(201);
    expect(res.body.Id).toMatch(new RegExp(`^nb:${tag}:UUID:[0-9a-f-]{36}$`));
    expect(res.body.Id).not.toBe(sentId);
    expect(res.headers.get('location')).toBe(`${emu.url}${entityPath(set, res.body.Id)}`);
    expect(res.body['odata.metadata']).toBe(`${emu.url}$metadata#${set}/@Element`);
    const path = entityPath(set, res.body.Id);
    expect((await emu.ams('GET', path)).body).toEqual(res.body);
    expect((await emu.ams('MERGE', path, { body: { Name: 'renamed' } })).status).toBe(204);
    expect((await emu.ams('GET', path)).body.Name).toBe('renamed');
    expect((await emu.ams('GET', `${set}?$filter=Name eq 'renamed'&$select=Id,Name&$inlinecount=allpages`)).body).toMatchObject({ 'odata.count': '1', value: [{ Id: res.body.Id, Name: 'renamed' }] });
    expect((await emu.ams('DELETE', path)).status).toBe(204);
    expect((await emu.ams('GET', path)).status).toBe(404);
  });

  it.each(sets)('%s: 400 for a malformed id, 404 for an unknown well-formed one', async (set, tag) => {
    for (const method of ['GET', 'MERGE', 'DELETE']) {
      const options = method === 'MERGE' ? { body: { Name: 'x' } } : {};
      const malformed = await emu.ams(method, `${set}('notAValidId')`, options);
      expect(malformed.status, `${method} malformed`).toBe(400);
      expect(errorMessage(malformed.body)).toMatch(new RegExp(`nb:${tag}:UUID:<guid>`));
      expect((await emu.ams(method, entityPath(set, formatNbId(tag, randomUUID())), options)).status, `${method} unknown`).toBe(404);
    }
  });

  it.each(sets)('%s: JSON verbose and Atom answers', async (set, _tag, body) => {
    const made = await create(set, body());
    const verbose = await emu.ams('GET', entityPath(set, made.Id), { headers: { Accept: 'application/json;odata=verbose' } });
    expect(verbose.body.d.__metadata.type).toMatch(/^Microsoft\.Cloud\.Media\.Vod\.Rest\.Data\.Models\./);
    expect(verbose.body.d.Id).toBe(made.Id);
    const atom = await emu.ams('GET', set, { headers: { Accept: 'application/atom+xml' } });
    const [entry] = atomEntries(parseXml(atom.text));
    expect(atomProperties(entry!)['Id']).toBe(made.Id);
  });

  it('the service document and $metadata list the sets', async () => {
    const doc = await emu.ams('GET', '');
    for (const [set] of sets) expect(JSON.stringify(doc.body)).toContain(set);
    const metadata = await emu.ams('GET', '$metadata');
    expect(metadata.status).toBe(200);
    for (const name of ['AssetDeliveryPolicy', 'ContentKeyAuthorizationPolicy', 'ContentKeyAuthorizationPolicyOption', 'ContentKeyAuthorizationPolicyRestriction']) {
      expect(metadata.text).toContain(`Name="${name}"`);
    }
    expect(() => parseXml(metadata.text)).not.toThrow();
  });
});

describe('AssetDeliveryPolicies', () => {
  it('echoes AssetDeliveryConfiguration as sent (the .NET test: an IV under key 3 and a URL under key 1)', async () => {
    const config = JSON.stringify([{ Key: 3, Value: randomBytes(16).toString('base64') }, { Key: 1, Value: 'https://keys.example.test/?KID=abc' }]);
    const made = await create('AssetDeliveryPolicies', { Name: '', AssetDeliveryProtocol: 4, AssetDeliveryPolicyType: 3, AssetDeliveryConfiguration: config });
    expect(made.AssetDeliveryConfiguration).toBe(config);
    expect(made.Created).toMatch(/Z$/);
  });

  it.each([
    [{ ...clearPolicy, AssetDeliveryPolicyType: 0 }, /AssetDeliveryPolicyType 0/],
    [{ ...clearPolicy, AssetDeliveryPolicyType: 6 }, /AssetDeliveryPolicyType 6/],
    [{ ...clearPolicy, AssetDeliveryProtocol: 0 }, /AssetDeliveryProtocol 0/],
    [{ ...clearPolicy, AssetDeliveryProtocol: 64 }, /AssetDeliveryProtocol 64/],
    [{ ...clearPolicy, AssetDeliveryConfiguration: 'not json' }, /not JSON/],
    [{ ...clearPolicy, AssetDeliveryConfiguration: '{"Key":1}' }, /JSON array/],
    [{ ...clearPolicy, AssetDeliveryConfiguration: '[{"Key":99,"Value":"x"}]' }, /Key 99/],
    [{ ...clearPolicy, AssetDeliveryPolicyType: 3 }, /needs a key acquisition URL/],
    [{ ...clearPolicy, AssetDeliveryPolicyType: 3, AssetDeliveryConfiguration: '[{"Key":2,"Value":"/relative"}]' }, /absolute http/],
    [{ ...clearPolicy, AssetDeliveryPolicyType: 3, AssetDeliveryConfiguration: JSON.stringify([{ Key: 2, Value: 'https://k/' }, { Key: 3, Value: 'AAAA' }]) }, /16-byte IV/],
    [{ ...clearPolicy, AssetDeliveryPolicyType: 4 }, /licence acquisition URL/],
    [{ Name: 'no type', AssetDeliveryProtocol: 1 }, /AssetDeliveryPolicyType/],
  ])('refuses %j with 400', async (body, message) => {
    const res = await emu.ams('POST', 'AssetDeliveryPolicies', { body });
    expect(res.status, res.text).toBe(400);
    expect(errorMessage(res.body)).toMatch(message);
  });

  it('a MERGE that breaks the policy is refused and changes nothing', async () => {
    const made = await create('AssetDeliveryPolicies', clearPolicy);
    const res = await emu.ams('MERGE', entityPath('AssetDeliveryPolicies', made.Id), { body: { AssetDeliveryPolicyType: 3 } });
    expect(res.status).toBe(400);
    expect((await emu.ams('GET', entityPath('AssetDeliveryPolicies', made.Id))).body.AssetDeliveryPolicyType).toBe(2);
  });
});

describe('Assets(…)/$links/DeliveryPolicies and Assets(…)/DeliveryPolicies', () => {
  const linkPath = (assetId: string) => `${entityPath('Assets', assetId)}/$links/DeliveryPolicies`;
  const uri = (policyId: string) => ({ uri: `${emu.url}${entityPath('AssetDeliveryPolicies', policyId)}` });

  it('links, lists, navigates and unlinks (JSON and the Java SDK\'s XML <uri>)', async () => {
    const asset = await createAsset(emu, { Name: 'clear', Options: 0 });
    const policy = await create('AssetDeliveryPolicies', { ...clearPolicy, AssetDeliveryProtocol: 16 });
    expect((await emu.ams('POST', linkPath(asset.Id), { body: uri(policy.Id) })).status).toBe(204);
    const links = await emu.ams('GET', linkPath(asset.Id));
    expect(links.body.value).toEqual([{ url: `${emu.url}${entityPath('AssetDeliveryPolicies', policy.Id)}` }]);
    const nav = await emu.ams('GET', `${entityPath('Assets', asset.Id)}/DeliveryPolicies`);
    expect(nav.body.value.map((p: JsonBody) => p.Id)).toEqual([policy.Id]);
    expect((await emu.ams('DELETE', `${linkPath(asset.Id)}('${encodeURIComponent(policy.Id)}')`)).status).toBe(204);
    expect((await emu.ams('GET', `${entityPath('Assets', asset.Id)}/DeliveryPolicies`)).body.value).toEqual([]);
    const xml = `<uri xmlns="http://schemas.microsoft.com/ado/2007/08/dataservices">${emu.url}AssetDeliveryPolicies('${encodeURIComponent(policy.Id)}')</uri>`;
    const javaLink = await emu.ams('POST', linkPath(asset.Id), { body: xml, headers: { 'Content-Type': 'application/xml', Accept: 'application/atom+xml' } });
    expect(javaLink.status, javaLink.text).toBe(204);
    expect((await emu.ams('DELETE', `${linkPath(asset.Id)}('${encodeURIComponent(policy.Id)}')`)).status).toBe(204);
    expect((await emu.ams('DELETE', `${linkPath(asset.Id)}('${encodeURIComponent(policy.Id)}')`)).status).toBe(404);
    // Deleting a linked asset takes its links and leaves the policy.
    expect((await emu.ams('POST', linkPath(asset.Id), { body: uri(policy.Id) })).status).toBe(204);
    const storedLinks = async () => ((await emu.admin('GET', 'state')).body.state.assetDeliveryPolicyLinks as JsonBody[]).length;
    expect(await storedLinks()).toBe(1);
    expect((await emu.ams('DELETE', entityPath('Assets', asset.Id))).status).toBe(204);
    expect(await storedLinks()).toBe(0);
    expect((await emu.ams('GET', entityPath('AssetDeliveryPolicies', policy.Id))).status).toBe(200);
  });

  it('refuses a dynamic-encryption policy on an asset without the key type it needs, with the service\'s message', async () => {
    const asset = await createAsset(emu, { Name: 'no envelope key', Options: 0 });
    const envelope = await create('AssetDeliveryPolicies', { Name: 'aes', AssetDeliveryProtocol: 4, AssetDeliveryPolicyType: 3, AssetDeliveryConfiguration: ENVELOPE_CONFIG });
    const res = await emu.ams('POST', linkPath(asset.Id), { body: uri(envelope.Id) });
    expect(res.status).toBe(400);
    expect(errorMessage(res.body)).toMatch(/Cannot set an AssetDeliveryPolicy specifying AssetDeliveryPolicyType.DynamicEnvelopeEncryption when no ContentKey with ContentKeyType.EnvelopeEncryption is linked/);
    const key = await createEnvelopeKey(emu, protection);
    await linkKey(emu, asset.Id, key.id);
    expect((await emu.ams('POST', linkPath(asset.Id), { body: uri(envelope.Id) })).status).toBe(204);
  });

  it('one policy per protocol (409), no duplicate link (409), no change while a streaming locator exists (409)', async () => {
    const asset = await createAsset(emu, { Name: 'clear', Options: 0 });
    const hls = await create('AssetDeliveryPolicies', { ...clearPolicy, AssetDeliveryProtocol: 4 });
    const all = await create('AssetDeliveryPolicies', { ...clearPolicy, AssetDeliveryProtocol: 0xffff });
    const dash = await create('AssetDeliveryPolicies', { ...clearPolicy, AssetDeliveryProtocol: 2 });
    expect((await emu.ams('POST', linkPath(asset.Id), { body: uri(hls.Id) })).status).toBe(204);
    expect((await emu.ams('POST', linkPath(asset.Id), { body: uri(hls.Id) })).status).toBe(409);
    const overlap = await emu.ams('POST', linkPath(asset.Id), { body: uri(all.Id) });
    expect(overlap.status).toBe(409);
    expect(errorMessage(overlap.body)).toMatch(/for HLS: an asset has one policy per protocol/);
    const access = await createPolicy(emu, 1);
    const locator = await emu.ams('POST', 'Locators', { body: { AssetId: asset.Id, AccessPolicyId: access.Id, Type: 2 } });
    expect(locator.status, locator.text).toBe(201);
    const streaming = await emu.ams('POST', linkPath(asset.Id), { body: uri(dash.Id) });
    expect(streaming.status).toBe(409);
    expect(errorMessage(streaming.body)).toMatch(/streaming locator/);
    expect((await emu.ams('MERGE', entityPath('AssetDeliveryPolicies', hls.Id), { body: { AssetDeliveryProtocol: 5 } })).status).toBe(409);
    expect((await emu.ams('DELETE', entityPath('AssetDeliveryPolicies', hls.Id))).status).toBe(409);
    expect((await emu.ams('DELETE', entityPath('Locators', locator.body.Id))).status).toBe(204);
    expect((await emu.ams('DELETE', entityPath('AssetDeliveryPolicies', hls.Id))).status).toBe(204);
    expect((await emu.ams('GET', `${entityPath('Assets', asset.Id)}/DeliveryPolicies`)).body.value).toEqual([]);
  });

  it('400 for a malformed id in the path or the body, 404 for unknown ones, 400 for a body naming another set', async () => {
    const asset = await createAsset(emu, { Name: 'a', Options: 0 });
    const policy = await create('AssetDeliveryPolicies', clearPolicy);
    expect((await emu.ams('POST', linkPath('bad'), { body: uri(policy.Id) })).status).toBe(400);
    expect((await emu.ams('POST', linkPath(asset.Id), { body: { uri: `${emu.url}AssetDeliveryPolicies('bad')` } })).status).toBe(400);
    expect((await emu.ams('POST', linkPath(asset.Id), { body: uri(formatNbId('adpid', randomUUID())) })).status).toBe(404);
    expect((await emu.ams('POST', linkPath(formatNbId('cid', randomUUID())), { body: uri(policy.Id) })).status).toBe(404);
    expect((await emu.ams('POST', linkPath(asset.Id), { body: { uri: `${emu.url}${entityPath('AccessPolicies', formatNbId('pid', randomUUID()))}` } })).status).toBe(400);
  });
});

describe('ContentKeyAuthorizationPolicyOptions and $links/Options', () => {
  it('stores Restrictions as sent and reads them back in JSON and Atom', async () => {
    const option = await createOption(emu, tokenRestriction(defaultTemplate()));
    expect(option.Restrictions[0]).toMatchObject({ Name: 'Token', KeyRestrictionType: 1 });
    expect(option.Restrictions[0].Requirements).toMatch(/^<TokenRestrictionTemplate/);
    const atom = await emu.ams('GET', entityPath('ContentKeyAuthorizationPolicyOptions', option.Id), { headers: { Accept: 'application/atom+xml' } });
    expect(atom.text).toContain('<d:KeyRestrictionType m:type="Edm.Int32">1</d:KeyRestrictionType>');
  });

  it('accepts an option written as an Atom entry, as the Java SDK sends it', async () => {
    const requirements = templateXml(defaultTemplate()).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
    const entry =
      '<?xml version="1.0" encoding="utf-8"?><entry xmlns="http://www.w3.org/2005/Atom" xmlns:d="http://schemas.microsoft.com/ado/2007/08/dataservices" xmlns:m="http://schemas.microsoft.com/ado/2007/08/dataservices/metadata">' +
      '<content type="application/xml"><m:properties><d:Name>java</d:Name><d:KeyDeliveryType m:type="Edm.Int32">2</d:KeyDeliveryType><d:KeyDeliveryConfiguration m:null="true" />' +
      `<d:Restrictions><d:element><d:Name>Token</d:Name><d:KeyRestrictionType m:type="Edm.Int32">1</d:KeyRestrictionType><d:Requirements>${requirements}</d:Requirements></d:element></d:Restrictions>` +
      '</m:properties></content></entry>';
    const res = await emu.ams('POST', 'ContentKeyAuthorizationPolicyOptions', { body: entry, headers: { 'Content-Type': 'application/atom+xml', Accept: 'application/atom+xml' } });
    expect(res.status, res.text).toBe(201);
    const props = atomProperties(atomEntries(parseXml(res.text))[0]!);
    expect(props['KeyDeliveryType']).toBe('2');
  });

  it.each([
    [{ KeyDeliveryType: 0, Restrictions: [openRestriction] }, /KeyDeliveryType 0/],
    [{ KeyDeliveryType: 2, Restrictions: [] }, /at least one restriction/],
    [{ KeyDeliveryType: 2, Restrictions: [{ Name: 'x', KeyRestrictionType: 7, Requirements: null }] }, /KeyRestrictionType 7/],
    [{ KeyDeliveryType: 2, Restrictions: [{ Name: 'x', KeyRestrictionType: 1, Requirements: null }] }, /needs its TokenRestrictionTemplate/],
    [{ KeyDeliveryType: 2, Restrictions: [{ Name: 'x', KeyRestrictionType: 1, Requirements: '<nope' }] }, /not a TokenRestrictionTemplate/],
    [{ KeyDeliveryType: 2, Restrictions: [{ Name: 'x', KeyRestrictionType: 1, Requirements: '<Other xmlns="urn:x"/>' }] }, /must be a <TokenRestrictionTemplate/],
    [{ KeyDeliveryType: 2, Restrictions: [tokenRestriction({ ...defaultTemplate(), issuer: '' })] }, /Issuer is empty/],
    [{ KeyDeliveryType: 2, Restrictions: [tokenRestriction({ ...defaultTemplate(), tokenType: 'SWT', audience: 'not a uri' })] }, /absolute URI/],
  ])('refuses %j with 400', async (body, message) => {
    const res = await emu.ams('POST', 'ContentKeyAuthorizationPolicyOptions', { body: { Name: 'o', ...body } });
    expect(res.status, res.text).toBe(400);
    expect(errorMessage(res.body)).toMatch(message);
  });

  it('links options to a policy, lists and navigates them, unlinks; a key takes the policy by MERGE and gives it back with null', async () => {
    const policy = await create('ContentKeyAuthorizationPolicies', { Name: 'p' });
    const option = await createOption(emu, openRestriction);
    const links = `${entityPath('ContentKeyAuthorizationPolicies', policy.Id)}/$links/Options`;
    const body = { uri: `${emu.url}${entityPath('ContentKeyAuthorizationPolicyOptions', option.Id)}` };
    expect((await emu.ams('POST', links, { body })).status).toBe(204);
    expect((await emu.ams('POST', links, { body })).status).toBe(409);
    expect((await emu.ams('GET', `${entityPath('ContentKeyAuthorizationPolicies', policy.Id)}/Options`)).body.value.map((o: JsonBody) => o.Id)).toEqual([option.Id]);
    const key = await createEnvelopeKey(emu, protection);
    const keyPath = entityPath('ContentKeys', key.id);
    expect((await emu.ams('MERGE', keyPath, { body: { AuthorizationPolicyId: policy.Id } })).status).toBe(204);
    expect((await emu.ams('GET', `ContentKeys?$filter=AuthorizationPolicyId eq '${policy.Id}'`)).body.value.map((k: JsonBody) => k.Id)).toEqual([key.id]);
    const inUse = await emu.ams('DELETE', entityPath('ContentKeyAuthorizationPolicies', policy.Id));
    expect(inUse.status).toBe(409);
    expect(errorMessage(inUse.body)).toMatch(/set its AuthorizationPolicyId to null first/);
    expect((await emu.ams('MERGE', keyPath, { body: { AuthorizationPolicyId: formatNbId('ckpid', randomUUID()) } })).status).toBe(400);
    expect((await emu.ams('MERGE', keyPath, { body: { AuthorizationPolicyId: 'bad' } })).status).toBe(400);
    expect((await emu.ams('MERGE', keyPath, { body: { AuthorizationPolicyId: null } })).status).toBe(204);
    expect((await emu.ams('GET', keyPath)).body.AuthorizationPolicyId).toBeNull();
    expect((await emu.ams('DELETE', `${links}('${encodeURIComponent(option.Id)}')`)).status).toBe(204);
    expect((await emu.ams('GET', links)).body.value).toEqual([]);
    expect((await emu.ams('DELETE', entityPath('ContentKeyAuthorizationPolicies', policy.Id))).status).toBe(204);
  });
});

describe('$batch', () => {
  it('creates a policy, an option and their link in one changeset, and undoes them when a later part fails', async () => {
    const { batchBody, readBatchResponse } = await import('../../../client/src/rest/batch-wire.js');
    const boundary = 'batch_delivery';
    const json = { 'Content-Type': 'application/json', Accept: 'application/json' };
    const items = (fail: boolean) => [
      {
        changeset: [
          { method: 'POST', url: 'ContentKeyAuthorizationPolicies', contentId: '1', headers: json, body: JSON.stringify({ Name: 'batched' }) },
          { method: 'POST', url: 'ContentKeyAuthorizationPolicyOptions', contentId: '2', headers: json, body: JSON.stringify({ Name: 'o', KeyDeliveryType: 2, Restrictions: [openRestriction] }) },
          { method: 'POST', url: 'AssetDeliveryPolicies', contentId: '3', headers: json, body: JSON.stringify(fail ? { ...clearPolicy, AssetDeliveryPolicyType: 0 } : clearPolicy) },
        ],
      },
    ];
    const post = (fail: boolean) => emu.ams('POST', '$batch', { body: batchBody(boundary, items(fail)), headers: { 'Content-Type': `multipart/mixed; boundary=${boundary}`, Accept: 'multipart/mixed' } });
    const ok = await post(false);
    expect(ok.status).toBe(202);
    const [changeset] = readBatchResponse(ok.headers.get('content-type'), ok.text);
    expect(('changeset' in changeset! ? changeset.changeset : []).map((p) => p.status)).toEqual([201, 201, 201]);
    const failed = await post(true);
    const [answer] = readBatchResponse(failed.headers.get('content-type'), failed.text);
    expect('changeset' in answer! ? answer.changeset.map((p) => p.status) : []).toEqual([400]);
    expect((await emu.ams('GET', 'ContentKeyAuthorizationPolicies/$count')).text).toBe('1');
    expect((await emu.ams('GET', 'ContentKeyAuthorizationPolicyOptions/$count')).text).toBe('1');
  });

  it('puts a MERGE of a delivery policy back when a later part of its changeset fails', async () => {
    const { batchBody, readBatchResponse } = await import('../../../client/src/rest/batch-wire.js');
    const policy = await create('AssetDeliveryPolicies', clearPolicy);
    const json = { 'Content-Type': 'application/json', Accept: 'application/json' };
    const boundary = 'batch_undo_merge';
    const res = await emu.ams('POST', '$batch', {
      body: batchBody(boundary, [
        {
          changeset: [
            { method: 'MERGE', url: entityPath('AssetDeliveryPolicies', policy.Id), headers: json, body: JSON.stringify({ Name: 'changed', AssetDeliveryProtocol: 1 }) },
            { method: 'POST', url: 'ContentKeyAuthorizationPolicyOptions', headers: json, body: JSON.stringify({ KeyDeliveryType: 0, Restrictions: [openRestriction] }) },
          ],
        },
      ]),
      headers: { 'Content-Type': `multipart/mixed; boundary=${boundary}`, Accept: 'multipart/mixed' },
    });
    const [answer] = readBatchResponse(res.headers.get('content-type'), res.text);
    expect('changeset' in answer! ? answer.changeset.map((p) => p.status) : []).toEqual([400]);
    expect((await emu.ams('GET', entityPath('AssetDeliveryPolicies', policy.Id))).body).toMatchObject({ Name: 'Clear Policy', AssetDeliveryProtocol: 7 });
  });
});

describe('dynamic-encryption keys', () => {
  it('flags an EnvelopeEncryption key that is not 16 bytes (content-key-length-aes128)', async () => {
    const { storageKeyBody } = await import('../helpers/api-fixtures.js');
    const made = storageKeyBody(protection, { key: randomBytes(32), contentKeyType: 4 });
    const res = await emu.ams('POST', 'ContentKeys', { body: made.request });
    expect(res.status).toBe(201);
    const findings = (await emu.admin('GET', 'findings')).body.findings as JsonBody[];
    expect(findings.map((f) => [f.rule, f.keyLength])).toEqual([['content-key-length-aes128', 32]]);
    const strict = await startTestEmulator({ strict: true });
    try {
      const refused = await strict.ams('POST', 'ContentKeys', { body: storageKeyBody(await protectionKey(strict), { key: randomBytes(24), contentKeyType: 4 }).request });
      expect(refused.status).toBe(400);
      expect(errorMessage(refused.body)).toMatch(/content-key-length-aes128/);
      const right = await strict.ams('POST', 'ContentKeys', { body: storageKeyBody(await protectionKey(strict), { key: randomBytes(16), contentKeyType: 4 }).request });
      expect(right.status).toBe(201);
    } finally {
      await strict.close();
    }
  });
});
