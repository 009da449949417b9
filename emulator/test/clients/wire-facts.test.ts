import { randomBytes, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createProtectionCertificate, formatKeyId, wrapContentKey } from '../../../client/src/crypto/index.js';
import { AMS_HEADERS, entityPath, rawRequest, startTestEmulator, type JsonBody, type TestEmulator } from '../../../test/support/emulator.js';
import { createAsset, createPolicy, createSasLocator, createStorageKey, errorMessage, protectionKey, storageKeyBody } from '../helpers/api-fixtures.js';
import { atomEntries, atomProperties, DATA_NS, parseXml, relatedHref, rootText } from '../helpers/clients-xml.js';

/**
 * One test per row of real-client-wire-facts.md §"Findings that matter", named after it: what the
 * clients were seen to send, and what the emulator must do with it.
 */

let emu: TestEmulator;
beforeAll(async () => {
  emu = await startTestEmulator();
});
afterAll(() => emu.close());
beforeEach(() => emu.reset());

const JAVA = { ...AMS_HEADERS, Accept: 'application/atom+xml', 'Content-Type': 'application/atom+xml', DataServiceVersion: '3.0', MaxDataServiceVersion: '3.0', 'x-ms-version': '2.11', 'User-Agent': 'Azure-SDK-For-Java' };
const VERBOSE = { Accept: 'application/json;odata=verbose', 'Content-Type': 'application/json;odata=verbose', 'x-ms-version': '2.2' };
const ENTRY = '<entry xmlns="http://www.w3.org/2005/Atom" xmlns:ns2="http://schemas.microsoft.com/ado/2007/08/dataservices/metadata" xmlns:ns3="http://schemas.microsoft.com/ado/2007/08/dataservices"><content type="application/xml"><ns2:properties>';
const javaEntry = (properties: Record<string, string>) => `${ENTRY}${Object.entries(properties).map(([k, v]) => `<ns3:${k}>${v}</ns3:${k}>`).join('')}</ns2:properties></content></entry>`;

const raw = (method: string, path: string, headers: Record<string, string>, body?: string) =>
  rawRequest(emu.baseUrl, method, path, { ...headers, ...(body !== undefined ? { 'Content-Length': String(Buffer.byteLength(body)) } : {}) }, body);

async function findings(rule: string): Promise<JsonBody[]> {
  return (await emu.admin('GET', `findings?rule=${rule}`)).body.findings as JsonBody[];
}

describe('real-client-wire-facts.md: findings that matter', () => {
  it('1. The checksum algorithm differs between official SDKs: .NET, Java and PHP checksums are all accepted, a mismatch is recorded as a finding naming the variant', async () => {
    const protection = await protectionKey(emu);
    for (const variant of ['dotnet', 'java', 'php'] as const) {
      const made = storageKeyBody(protection, { variant });
      const res = await emu.ams('POST', 'ContentKeys', { body: made.request });
      expect(res.status, `${variant}: ${res.text}`).toBe(201);
      expect(res.body.Checksum).toBe(made.request['Checksum']);
    }
    const mismatches = await findings('checksum-mismatch');
    expect(mismatches.map((f) => f['details']?.variant ?? f['variant']).sort()).toEqual(['java', 'php']);
  });

  it('2. A key wrapped for another certificate with no checksum (Java ContentKeyIntegrationTest): 201, Checksum "" on read-back, RebindContentKey 400', async () => {
    const other = createProtectionCertificate({ bits: 1024 });
    const id = formatKeyId(randomUUID());
    const created = await raw('POST', '/api/ContentKeys', JAVA, javaEntry({ Id: id, ContentKeyType: '0', EncryptedContentKey: wrapContentKey(other.der, randomBytes(16)).toString('base64'), ProtectionKeyId: other.thumbprint }));
    expect(created.status, created.text).toBe(201);
    const read = await raw('GET', `/api/ContentKeys('${encodeURIComponent(id)}')`, JAVA);
    expect(atomProperties(atomEntries(parseXml(read.text))[0]!)['Checksum']).toBe('');
    const rebind = await raw('GET', `/api/RebindContentKey?x509Certificate=''&id='${encodeURIComponent(id)}'`, { ...JAVA, Accept: 'application/xml' });
    expect(rebind.status).toBe(400);
    expect(parseXml(rebind.text).local).toBe('error');
  });

  it('3. GetProtectionKey parameter casing: .NET protectionKeyId and Java/docs ProtectionKeyId both answer', async () => {
    const thumbprint = emu.emulator.protectionKeyId;
    const dotnet = await raw('GET', `/api/GetProtectionKey?protectionKeyId='${thumbprint}'`, { ...AMS_HEADERS, Accept: 'application/atom+xml,application/xml' });
    const java = await raw('GET', `/api/GetProtectionKey?ProtectionKeyId=%27${thumbprint}%27`, { ...JAVA, Accept: 'application/xml,application/xml' });
    expect([dotnet.status, java.status]).toEqual([200, 200]);
    expect(parseXml(dotnet.text).text).toBe(parseXml(java.text).text);
  });

  it('4. GetProtectionKeyId content key type: the thumbprint PHP gets for type 0 wraps a type-1 (storage) key that rebinds', async () => {
    const type0 = JSON.parse((await raw('GET', '/api/GetProtectionKeyId?contentKeyType=0', AMS_HEADERS)).text).value;
    const type1 = JSON.parse((await raw('GET', '/api/GetProtectionKeyId?contentKeyType=1', AMS_HEADERS)).text).value;
    expect(type0).toBe(type1);
    const certificate = JSON.parse((await raw('GET', `/api/GetProtectionKey?ProtectionKeyId='${type0}'`, AMS_HEADERS)).text).value;
    const key = await createStorageKey(emu, { thumbprint: type0, certificate }, { variant: 'php' });
    const rebind = await emu.ams('GET', `RebindContentKey?id='${encodeURIComponent(key.id)}'&x509Certificate=''`);
    expect(Buffer.from(rebind.body.value, 'base64').equals(key.key)).toBe(true);
  });

  it('5. Payload formats differ per client: Java Atom with application/xml,application/xml function results and related/Files; fritzy verbose on 2.2; the docs\' minimal JSON', async () => {
    const keyId = await raw('GET', '/api/GetProtectionKeyId?contentKeyType=1', { ...JAVA, Accept: 'application/xml,application/xml' });
    expect(keyId.headers['content-type']).toMatch(/^application\/xml/);
    expect(rootText(parseXml(keyId.text), 'GetProtectionKeyId', DATA_NS)).toBe(emu.emulator.protectionKeyId);
    const asset = await raw('POST', '/api/Assets', JAVA, javaEntry({ Name: 'java', Options: '0' }));
    const root = parseXml(asset.text);
    const files = relatedHref(root, atomEntries(root)[0]!, 'Files');
    expect(files).toBe(`${emu.url}Assets('${encodeURIComponent(atomProperties(atomEntries(root)[0]!)['Id']!)}')/Files`);
    const listed = await raw('GET', new URL(files).pathname, JAVA);
    expect(listed.status).toBe(200);
    expect(parseXml(listed.text).local).toBe('feed');
    const verbose = await emu.ams('GET', 'GetProtectionKeyId?contentKeyType=1', { headers: VERBOSE });
    expect(verbose.body).toEqual({ d: { GetProtectionKeyId: emu.emulator.protectionKeyId } });
    const minimal = await emu.ams('GET', 'GetProtectionKeyId?contentKeyType=1');
    expect(minimal.body).toEqual({ 'odata.metadata': `${emu.url}$metadata#Edm.String`, value: emu.emulator.protectionKeyId });
  });

  it('6. Java Atom request bodies: ns2:/ns3: prefixes, no m:type, 10.0 and 1, ContentKeys without ProtectionKeyType or Name, MERGE via X-HTTP-Method, $links with the key id percent-encoded', async () => {
    const protection = await protectionKey(emu);
    const made = storageKeyBody(protection, { variant: 'java' });
    const key = await raw('POST', '/api/ContentKeys', JAVA, javaEntry({ Id: made.id, ContentKeyType: '1', EncryptedContentKey: String(made.request['EncryptedContentKey']), ProtectionKeyId: protection.thumbprint, Checksum: String(made.request['Checksum']) }));
    expect(key.status, key.text).toBe(201);
    expect(atomProperties(atomEntries(parseXml(key.text))[0]!)).toMatchObject({ ProtectionKeyType: '0', Name: null, ContentKeyType: '1' });
    const asset = atomProperties(atomEntries(parseXml((await raw('POST', '/api/Assets', JAVA, javaEntry({ Name: 'enc', Options: '1' }))).text))[0]!);
    expect(asset['Options']).toBe('1');
    const policy = await raw('POST', '/api/AccessPolicies', JAVA, javaEntry({ Name: 'p', DurationInMinutes: '10.0', Permissions: '2' }));
    expect(atomProperties(atomEntries(parseXml(policy.text))[0]!)['DurationInMinutes']).toBe('10.0');
    const link = `<?xml version="1.0" encoding="UTF-8" standalone="yes"?><uri xmlns="${DATA_NS}">${emu.url}ContentKeys('${encodeURIComponent(made.id)}')</uri>`;
    expect((await raw('POST', `/api/Assets('${encodeURIComponent(asset['Id']!)}')/$links/ContentKeys`, JAVA, link)).status).toBe(204);
    const renamed = await raw('POST', `/api/Assets('${encodeURIComponent(asset['Id']!)}')`, { ...JAVA, 'X-HTTP-Method': 'MERGE' }, javaEntry({ Name: 'renamed' }));
    expect(renamed.status).toBe(204);
    const keys = await emu.ams('GET', `${entityPath('Assets', asset['Id']!)}/ContentKeys`);
    expect(keys.body.value.map((k: JsonBody) => k.Id)).toEqual([made.id]);
  });

  it("7. URL shapes seen from real clients: CreateFileInfos?assetid='nb%3Acid...', $filter=Name+eq+'x', Locators(%27...%27), /api//CreateFileInfos, amspy's wholly encoded path", async () => {
    const asset = await createAsset(emu, { Name: 'x' });
    const id = String(asset.Id);
    expect((await raw('GET', `/api/CreateFileInfos?assetid='${encodeURIComponent(id)}'`, AMS_HEADERS)).status).toBe(204);
    expect((await raw('GET', `/api//CreateFileInfos?assetid=%27${encodeURIComponent(id)}%27`, AMS_HEADERS)).status).toBe(204);
    expect(JSON.parse((await raw('GET', "/api/Assets?$filter=Name+eq+'x'", AMS_HEADERS)).text).value).toHaveLength(1);
    const locator = await createSasLocator(emu, id, String((await createPolicy(emu, 2)).Id));
    expect((await raw('GET', `/api/Locators(%27${locator.Id}%27)`, AMS_HEADERS)).status).toBe(200);
    const amspy = `/${encodeURIComponent(`API/Assets('${id}')/Files`).replace(/'/g, '%27').replace(/\(/g, '%28').replace(/\)/g, '%29')}`;
    expect((await raw('GET', amspy, AMS_HEADERS)).status).toBe(200);
  });

  it.each([
    ["fritzy's M/D/YYYY hh:mm:ss A", '11/28/2026 08:03:48 PM', '2026-11-28T20:03:48.000Z'],
    [".NET DateTime.ToString() in en-US (h:mm:ss tt)", '11/28/2026 8:03:48 PM', '2026-11-28T20:03:48.000Z'],
    ['.NET DateTime.ToString() in the invariant culture (HH:mm:ss)', '11/28/2026 20:03:48', '2026-11-28T20:03:48.000Z'],
    ['.NET DateTime.ToString() in de-DE (dd.MM.yyyy HH:mm:ss)', '28.11.2026 20:03:48', '2026-11-28T20:03:48.000Z'],
    ['.NET DateTime.ToString() in en-GB (dd/MM/yyyy HH:mm:ss)', '28/11/2026 20:03:48', '2026-11-28T20:03:48.000Z'],
    ['.NET DateTime.ToString() in ja-JP (yyyy/MM/dd H:mm:ss)', '2026/11/28 20:03:48', '2026-11-28T20:03:48.000Z'],
    ['Java: omitted', undefined, undefined],
  ])('8. Locator StartTime formats: %s', async (_name, startTime, iso) => {
    const asset = await createAsset(emu, { Name: 'start' });
    const policy = await createPolicy(emu, 2, 30);
    const body: JsonBody = { AssetId: asset.Id, AccessPolicyId: policy.Id, Type: 1 };
    if (startTime !== undefined) body['StartTime'] = startTime;
    const res = await emu.ams('POST', 'Locators', { body });
    expect(res.status, res.text).toBe(201);
    if (iso === undefined) {
      expect(res.body.StartTime).toBeNull();
      expect(Math.abs(Date.parse(res.body.ExpirationDateTime) - (Date.now() + 30 * 60_000))).toBeLessThan(60_000);
    } else {
      expect(Date.parse(res.body.StartTime)).toBe(Date.parse(iso));
    }
  });

  it("9. Blob PUT headers: Java's single-shot PUT with x-ms-version 2011-08-18 to scheme://authority/<locator path>/<blob>?<SAS> gets 201 and Last-Modified; fritzy's PUT has no x-ms-version", async () => {
    const asset = await createAsset(emu, { Name: 'puts' });
    const locator = await createSasLocator(emu, String(asset.Id), String((await createPolicy(emu, 2)).Id));
    const base = new URL(String(locator.BaseUri));
    const javaUrl = `${base.protocol}//${base.host}/${base.pathname.replace(/^\//, '')}/java.bin?${String(locator.ContentAccessComponent).replace(/^\?/, '')}`;
    const java = await fetch(javaUrl, { method: 'PUT', headers: { 'x-ms-blob-type': 'BlockBlob', 'x-ms-version': '2011-08-18', 'Content-Type': 'application/octet-stream' }, body: Buffer.from('java bytes') });
    expect(java.status).toBe(201);
    expect(java.headers.get('last-modified')).toMatch(/GMT$/);
    const path = new URL(String(locator.Path));
    path.pathname += '/fritzy.bin';
    const fritzy = await fetch(path, { method: 'PUT', headers: { 'x-ms-blob-type': 'BlockBlob', 'Content-Type': 'application/octet-stream' }, body: Buffer.from('fritzy bytes') });
    expect(fritzy.status).toBe(201);
    expect((await emu.ams('GET', `CreateFileInfos?assetid='${encodeURIComponent(String(asset.Id))}'`)).status).toBe(204);
    const names = (await emu.ams('GET', `${entityPath('Assets', String(asset.Id))}/Files`)).body.value.map((f: JsonBody) => f.Name).sort();
    expect(names).toEqual(['fritzy.bin', 'java.bin']);
  });

  it('10. IV values above 2^63 are stored verbatim (.NET ulong, Java BigInteger), and so is the base64 IV of the PHP functional test', async () => {
    const asset = await createAsset(emu, { Name: 'ivs', Options: 1 });
    const high = '18446744073709551615';
    const java = await raw('POST', '/api/Files', JAVA, javaEntry({ Name: 'high.mp4', ParentAssetId: String(asset.Id), IsEncrypted: 'true', EncryptionScheme: 'StorageEncryption', EncryptionVersion: '1.0', InitializationVector: high }));
    expect(atomProperties(atomEntries(parseXml(java.text))[0]!)['InitializationVector']).toBe(high);
    const php = await emu.ams('POST', 'Files', { body: { Name: 'php.txt', ParentAssetId: asset.Id, IsEncrypted: '1', InitializationVector: 'MTIzNDU2Nzg=' } });
    expect(php.status, php.text).toBe(201);
    expect((await emu.ams('GET', entityPath('Files', String(php.body.Id)))).body.InitializationVector).toBe('MTIzNDU2Nzg=');
  });

  it('11. The docs\' ContentKey POST has no Id and ContentKeyType "1"; amspy sends "IsEncrypted": "false": types are coerced', async () => {
    const made = storageKeyBody(await protectionKey(emu), { omitId: true });
    const key = await emu.ams('POST', 'ContentKeys', { body: { ...made.request, ContentKeyType: '1' } });
    expect(key.status, key.text).toBe(201);
    expect(key.body.Id).toMatch(/^nb:kid:UUID:[0-9a-f-]{36}$/);
    expect(key.body.ContentKeyType).toBe(1);
    const asset = await createAsset(emu, { Name: 'amspy' });
    const file = await emu.ams('POST', 'Files', { body: { Name: 'clear.mp4', ParentAssetId: asset.Id, IsEncrypted: 'false', ContentFileSize: '0' } });
    expect(file.body.IsEncrypted).toBe(false);
    const wrong = await emu.ams('POST', 'Files', { body: { Name: 'bad.mp4', ParentAssetId: asset.Id, IsEncrypted: 'maybe' } });
    expect(wrong.status).toBe(400);
    expect(errorMessage(wrong.body)).toMatch(/IsEncrypted/);
  });
});
