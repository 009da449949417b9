import { randomUUID } from 'node:crypto';
import { BlockBlobClient } from '@azure/storage-blob';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { amsCtr, formatIv, randomIv } from '../../../client/src/crypto/index.js';
import { AMS_HEADERS, entityPath, rawRequest, startTestEmulator, type JsonBody, type TestEmulator } from '../../../test/support/emulator.js';
import { createAsset, createFile, createPolicy, createSasLocator, createStorageKey, linkKey, protectionKey, storageKeyBody, type NewKey } from '../helpers/api-fixtures.js';
import { awaitVerification, fileContent } from '../helpers/clients-actions.js';

/**
 * Each request shape real clients put on the wire (issue "Atom/XML and the request shapes of real
 * legacy clients", real-client-wire-facts.md), replayed byte for byte through a raw socket so no
 * HTTP library normalises the path, and checked by what the emulator then holds.
 */

let emu: TestEmulator;
beforeAll(async () => {
  emu = await startTestEmulator();
});
afterAll(() => emu.close());
beforeEach(() => emu.reset());

const raw = (method: string, path: string, headers: Record<string, string> = {}, body?: string) =>
  rawRequest(emu.baseUrl, method, path, { ...AMS_HEADERS, ...headers, ...(body !== undefined ? { 'Content-Length': String(Buffer.byteLength(body)) } : {}) }, body);

/** An encrypted asset with its key linked and a write SAS locator. */
async function encryptedAssetWithLocator(): Promise<{ asset: JsonBody; key: NewKey; locator: JsonBody }> {
  const key = await createStorageKey(emu, await protectionKey(emu));
  const asset = await createAsset(emu, { Name: 'shapes', Options: 1 });
  await linkKey(emu, String(asset.Id), key.id);
  const locator = await createSasLocator(emu, String(asset.Id), String((await createPolicy(emu, 2)).Id));
  return { asset, key, locator };
}

/** Encrypt `data` with the key and IV and put it through the locator. */
async function uploadEncrypted(locator: JsonBody, name: string, key: Buffer, iv: bigint, data: Buffer): Promise<void> {
  await new BlockBlobClient(`${locator.BaseUri}/${name}${locator.ContentAccessComponent}`).upload(amsCtr(key, iv, data), data.length);
}

async function expectVerified(fileId: string): Promise<void> {
  const result = await awaitVerification(emu, fileId);
  expect(result.status, JSON.stringify(result)).toBe('verified');
}

describe('paths', () => {
  it("percent-encoded quotes inside keys: Locators(%27nb:lid:...%27) (fritzy)", async () => {
    const { locator } = await encryptedAssetWithLocator();
    const get = await raw('GET', `/api/Locators(%27${locator.Id}%27)`);
    expect(get.status, get.text).toBe(200);
    expect(JSON.parse(get.text).Id).toBe(locator.Id);
    expect((await raw('DELETE', `/api/Locators(%27${locator.Id}%27)`)).status).toBe(204);
    expect((await emu.ams('GET', entityPath('Locators', String(locator.Id)))).status).toBe(404);
  });

  it("percent-encoded colons inside quoted keys: Assets('nb%3Acid%3A...') (the SDKs, the docs)", async () => {
    const asset = await createAsset(emu, { Name: 'encoded' });
    const id = String(asset.Id);
    const encoded = await raw('GET', `/api/Assets('${id.replace(/:/g, '%3A')}')`);
    expect(encoded.status).toBe(200);
    expect(JSON.parse(encoded.text).Id).toBe(id);
    // Upper-case escapes and the raw form address the same entity.
    expect((await raw('GET', `/api/Assets(%27${encodeURIComponent(id).replace(/%3a/gi, '%3A')}%27)`)).status).toBe(200);
    expect((await raw('GET', `/api/Assets('${id}')`)).status).toBe(200);
  });

  it('// in paths: /api//CreateFileInfos (fritzy), then the file is listed', async () => {
    const asset = await createAsset(emu, { Name: 'double slash' });
    const locator = await createSasLocator(emu, String(asset.Id), String((await createPolicy(emu, 2)).Id));
    await new BlockBlobClient(`${locator.BaseUri}/movie.mp4${locator.ContentAccessComponent}`).upload(Buffer.from('clear'), 5);
    const res = await raw('GET', `/api//CreateFileInfos?assetid=%27${encodeURIComponent(String(asset.Id))}%27`);
    expect(res.status, res.text).toBe(204);
    const files = await raw('GET', `/api//Assets('${encodeURIComponent(String(asset.Id))}')//Files`);
    expect(JSON.parse(files.text).value.map((f: JsonBody) => [f.Name, f.ContentFileSize])).toEqual([['movie.mp4', '5']]);
  });

  it('an entirely percent-encoded path: API%2FAssets%28%27...%27%29%2F%24links%2FContentKeys (amspy)', async () => {
    const key = await createStorageKey(emu, await protectionKey(emu));
    const asset = await createAsset(emu, { Name: 'amspy', Options: 1 });
    const path = `/${encodeURIComponent(`API/Assets('${asset.Id}')/$links/ContentKeys`).replace(/'/g, '%27').replace(/\(/g, '%28').replace(/\)/g, '%29')}`;
    expect(path).toMatch(/^\/API%2FAssets%28%27nb%3Acid%3AUUID%3A[0-9a-f-]+%27%29%2F%24links%2FContentKeys$/);
    const linked = await raw('POST', path, { 'Content-Type': 'application/json' }, JSON.stringify({ uri: `${emu.url}${entityPath('ContentKeys', key.id)}` }));
    expect(linked.status, linked.text).toBe(204);
    const listed = await raw('GET', path);
    expect(JSON.parse(listed.text).value).toEqual([{ url: `${emu.url}${entityPath('ContentKeys', key.id)}` }]);
  });

  it("links with raw unencoded ids, one without its closing parenthesis (the Java SDK's job links), bind as intended", async () => {
    const asset = await createAsset(emu, { Name: 'java links' });
    const policy = await createPolicy(emu, 2);
    const related = 'http://schemas.microsoft.com/ado/2007/08/dataservices/related/';
    const body =
      '<entry xmlns="http://www.w3.org/2005/Atom" xmlns:ns2="http://schemas.microsoft.com/ado/2007/08/dataservices/metadata" xmlns:ns3="http://schemas.microsoft.com/ado/2007/08/dataservices">' +
      `<link href="${emu.url}AccessPolicies('${policy.Id}')" rel="${related}AccessPolicy" type="application/atom+xml;type=entry" title="AccessPolicy"/>` +
      `<link href="${emu.url}Assets('${asset.Id}'" rel="${related}Asset" type="application/atom+xml;type=entry" title="Asset"/>` +
      '<content type="application/xml"><ns2:properties><ns3:Type>1</ns3:Type></ns2:properties></content></entry>';
    const res = await raw('POST', '/api/Locators', { 'Content-Type': 'application/atom+xml' }, body);
    expect(res.status, res.text).toBe(201);
    expect(JSON.parse(res.text)).toMatchObject({ AssetId: asset.Id, AccessPolicyId: policy.Id });
  });
});

describe('query strings and function parameters', () => {
  it("+ for spaces in $filter: $filter=Name+eq+'x'", async () => {
    await createAsset(emu, { Name: 'the one' });
    await createAsset(emu, { Name: 'another' });
    const res = await raw('GET', "/api/Assets?$filter=Name+eq+'the+one'");
    expect(JSON.parse(res.text).value.map((a: JsonBody) => a.Name)).toEqual(['the one']);
    const startsWith = await raw('GET', "/api/Assets?$filter=startswith(Name,+'ano')+eq+true");
    expect(JSON.parse(startsWith.text).value.map((a: JsonBody) => a.Name)).toEqual(['another']);
  });

  it('case-insensitive function parameter names: protectionKeyId (.NET), ProtectionKeyId (Java, docs), contentkeytype, ASSETID', async () => {
    const thumbprint = emu.emulator.protectionKeyId;
    for (const name of ['protectionKeyId', 'ProtectionKeyId', 'PROTECTIONKEYID']) {
      const res = await raw('GET', `/api/GetProtectionKey?${name}='${thumbprint}'`);
      expect(res.status, name).toBe(200);
    }
    for (const name of ['contentKeyType', 'ContentKeyType', 'contentkeytype']) {
      expect(JSON.parse((await raw('GET', `/api/GetProtectionKeyId?${name}=1`)).text).value, name).toBe(thumbprint);
    }
    const asset = await createAsset(emu, { Name: 'p' });
    expect((await raw('GET', `/api/CreateFileInfos?ASSETID='${encodeURIComponent(String(asset.Id))}'`)).status).toBe(204);
  });
});

describe('values', () => {
  it('quoted numbers and "true"/"false" strings (the docs, amspy)', async () => {
    const protection = await protectionKey(emu);
    const key = await createStorageKey(emu, protection, { contentKeyType: 1 });
    const asset = await emu.ams('POST', 'Assets', { body: { Name: 'quoted', Options: '1' } });
    expect(asset.body.Options).toBe(1);
    const keyAgain = await emu.ams('GET', entityPath('ContentKeys', key.id));
    expect(keyAgain.body.ContentKeyType).toBe(1);
    const quotedKey = await emu.ams('POST', 'ContentKeys', { body: { ...storageKeyBody(protection).request, ContentKeyType: '1', ProtectionKeyType: '0' } });
    expect(quotedKey.status, quotedKey.text).toBe(201);
    expect(quotedKey.body).toMatchObject({ ContentKeyType: 1, ProtectionKeyType: 0 });
    const file = await emu.ams('POST', 'Files', { body: { Name: 'a.mp4', ParentAssetId: asset.body.Id, IsEncrypted: 'true', IsPrimary: 'false', ContentFileSize: '12', Options: '0' } });
    expect(file.status, file.text).toBe(201);
    expect(file.body).toMatchObject({ IsEncrypted: true, IsPrimary: false, ContentFileSize: '12', Options: 0 });
    const policy = await emu.ams('POST', 'AccessPolicies', { body: { Name: 'q', DurationInMinutes: '30', Permissions: '2' } });
    expect(policy.body).toMatchObject({ DurationInMinutes: 30, Permissions: 2 });
  });

  it('DurationInMinutes as 10.0 (Java), in JSON and in Atom, and as the string "10.0"', async () => {
    const json = await emu.ams('POST', 'AccessPolicies', { body: '{"Name":"j","DurationInMinutes":10.0,"Permissions":2}', headers: { 'Content-Type': 'application/json' } });
    expect(json.text).toContain('"DurationInMinutes":10.0');
    const text = await emu.ams('POST', 'AccessPolicies', { body: { Name: 's', DurationInMinutes: '10.0', Permissions: 2 } });
    expect(text.body.DurationInMinutes).toBe(10);
    const atom = await emu.ams('POST', 'AccessPolicies', {
      headers: { 'Content-Type': 'application/atom+xml', Accept: 'application/atom+xml' },
      body: '<entry xmlns="http://www.w3.org/2005/Atom" xmlns:ns2="http://schemas.microsoft.com/ado/2007/08/dataservices/metadata" xmlns:ns3="http://schemas.microsoft.com/ado/2007/08/dataservices"><content type="application/xml"><ns2:properties><ns3:Name>a</ns3:Name><ns3:DurationInMinutes>10.0</ns3:DurationInMinutes><ns3:Permissions>2</ns3:Permissions></ns2:properties></content></entry>',
    });
    expect(atom.status, atom.text).toBe(201);
    expect(atom.text).toContain('<d:DurationInMinutes m:type="Edm.Double">10.0</d:DurationInMinutes>');
  });

  it.each([
    ['M/D/YYYY hh:mm:ss A (fritzy, PM)', '"11/28/2026 08:03:48 PM"', '2026-11-28T20:03:48.000Z'],
    ['M/D/YYYY hh:mm:ss A (12 AM is midnight)', '"1/2/2027 12:05:00 AM"', '2027-01-02T00:05:00.000Z'],
    ['MM/DD/YYYY hh:mm:ss A (fritzy downloads)', '"03/04/2027 11:00:01 AM"', '2027-03-04T11:00:01.000Z'],
    ['ISO with Z', '"2026-11-28T20:03:48Z"', '2026-11-28T20:03:48.000Z'],
    ['ISO with an offset', '"2026-11-28T22:03:48.267872+02:00"', '2026-11-28T20:03:48.267Z'],
    ['ISO without zone (UTC, as the service read it)', '"2026-11-28T20:03:48"', '2026-11-28T20:03:48.000Z'],
    ['\\/Date(ms)\\/ (verbose JSON)', '"\\/Date(1795896228000)\\/"', '2026-11-28T20:03:48.000Z'],
  ])('lenient dates: Locator StartTime as %s', async (_name, literal, iso) => {
    const asset = await createAsset(emu, { Name: 'dates' });
    const policy = await createPolicy(emu, 2, 60);
    const res = await emu.ams('POST', 'Locators', {
      headers: { 'Content-Type': 'application/json;odata=verbose', Accept: 'application/json' },
      body: `{"AssetId":${JSON.stringify(asset.Id)},"AccessPolicyId":${JSON.stringify(policy.Id)},"Type":1,"StartTime":${literal}}`,
    });
    expect(res.status, res.text).toBe(201);
    expect(res.body.StartTime).toBe(iso.replace(/\.(\d{3})Z$/, '.$10000Z'));
    expect(Date.parse(res.body.ExpirationDateTime) - Date.parse(iso)).toBe(60 * 60_000);
  });
});

describe('updates', () => {
  it('X-HTTP-Method: MERGE on POST (Java)', async () => {
    const asset = await createAsset(emu, { Name: 'before' });
    const res = await raw('POST', `/api/Assets('${encodeURIComponent(String(asset.Id))}')`, { 'X-HTTP-Method': 'MERGE', 'Content-Type': 'application/json' }, '{"Name":"after"}');
    expect(res.status, res.text).toBe(204);
    expect((await emu.ams('GET', entityPath('Assets', String(asset.Id)))).body.Name).toBe('after');
  });

  it('MERGE bodies carrying every property: server-owned ones ignored, create-only ones unchanged accepted, changed ones refused', async () => {
    const asset = await createAsset(emu, { Name: 'full', Options: 1 });
    const file = await createFile(emu, { Name: 'f.mp4', ParentAssetId: asset.Id, MimeType: 'video/mp4' });
    const { 'odata.metadata': _metadata, ...properties } = file;
    const everything = { ...properties, Id: 'nb:cid:UUID:00000000-0000-0000-0000-000000000000', Created: '2001-01-01T00:00:00Z', LastModified: '0001-01-01T00:00:00', ContentFileSize: '42', MimeType: 'video/quicktime' };
    const merged = await emu.ams('MERGE', entityPath('Files', String(file.Id)), { body: everything });
    expect(merged.status, merged.text).toBe(204);
    const after = (await emu.ams('GET', entityPath('Files', String(file.Id)))).body;
    expect(after).toMatchObject({ Id: file.Id, Created: file.Created, ParentAssetId: asset.Id, ContentFileSize: '42', MimeType: 'video/quicktime' });
    const assetMerge = await emu.ams('MERGE', entityPath('Assets', String(asset.Id)), { body: { ...asset, 'odata.metadata': undefined, Options: 1, State: 2, Uri: 'http://elsewhere/', Name: 'renamed' } });
    expect(assetMerge.status, assetMerge.text).toBe(204);
    expect((await emu.ams('GET', entityPath('Assets', String(asset.Id)))).body).toMatchObject({ Options: 1, State: 0, Uri: asset.Uri, Name: 'renamed' });
    const changed = await emu.ams('MERGE', entityPath('Files', String(file.Id)), { body: { ParentAssetId: (await createAsset(emu, { Name: 'other' })).Id } });
    expect(changed.status).toBe(400);
    expect(changed.body['odata.error'].message.value).toMatch(/'ParentAssetId' of AssetFile cannot be updated/);
  });
});

describe('encryption fields, in the orders clients send them', () => {
  it('the IV sent in the file POST (.NET)', async () => {
    const { asset, key, locator } = await encryptedAssetWithLocator();
    const iv = randomIv();
    const data = fileContent('a.mp4', 5000);
    const file = await createFile(emu, { Name: 'a.mp4', ParentAssetId: asset.Id, IsEncrypted: true, EncryptionScheme: 'StorageEncryption', EncryptionVersion: '1.0', EncryptionKeyId: key.id, InitializationVector: formatIv(iv), MimeType: 'video/mp4' });
    expect(file.InitializationVector).toBe(formatIv(iv));
    await uploadEncrypted(locator, 'a.mp4', key.key, iv, data);
    expect((await emu.ams('MERGE', entityPath('Files', String(file.Id)), { body: { ContentFileSize: String(data.length) } })).status).toBe(204);
    await expectVerified(String(file.Id));
  });

  it('the IV sent in a later MERGE (PHP, amspy)', async () => {
    const { asset, key, locator } = await encryptedAssetWithLocator();
    const iv = randomIv();
    const data = fileContent('b.mp4', 5000);
    const file = await createFile(emu, { Name: 'b.mp4', ParentAssetId: asset.Id, MimeType: 'video/mp4' });
    expect(file.InitializationVector).toBeNull();
    await uploadEncrypted(locator, 'b.mp4', key.key, iv, data);
    const merge = await emu.ams('MERGE', entityPath('Files', String(file.Id)), {
      body: { IsEncrypted: 'true', EncryptionScheme: 'StorageEncryption', EncryptionVersion: '1.0', EncryptionKeyId: key.id, InitializationVector: formatIv(iv), ContentFileSize: String(data.length) },
    });
    expect(merge.status, merge.text).toBe(204);
    await expectVerified(String(file.Id));
  });

  it('keys linked before files exist (the SDKs)', async () => {
    const { asset, key, locator } = await encryptedAssetWithLocator();
    const iv = randomIv();
    const data = fileContent('before.mp4', 3000);
    await uploadEncrypted(locator, 'before.mp4', key.key, iv, data);
    const file = await createFile(emu, { Name: 'before.mp4', ParentAssetId: asset.Id, IsEncrypted: true, EncryptionScheme: 'StorageEncryption', EncryptionVersion: '1.0', InitializationVector: formatIv(iv), ContentFileSize: String(data.length), MimeType: 'video/mp4' });
    await expectVerified(String(file.Id));
  });

  it('keys linked after files exist (the REST docs order: file first, link later)', async () => {
    const key = await createStorageKey(emu, await protectionKey(emu));
    const asset = await createAsset(emu, { Name: 'late link', Options: 1 });
    const locator = await createSasLocator(emu, String(asset.Id), String((await createPolicy(emu, 2)).Id));
    const iv = randomIv();
    const data = fileContent('after.mp4', 3000);
    const file = await createFile(emu, { Name: 'after.mp4', ParentAssetId: asset.Id, IsEncrypted: true, EncryptionScheme: 'StorageEncryption', EncryptionVersion: '1.0', InitializationVector: formatIv(iv), MimeType: 'video/mp4' });
    await uploadEncrypted(locator, 'after.mp4', key.key, iv, data);
    await linkKey(emu, String(asset.Id), key.id);
    expect((await emu.ams('MERGE', entityPath('Files', String(file.Id)), { body: { ContentFileSize: String(data.length) } })).status).toBe(204);
    await expectVerified(String(file.Id));
  });

  it('CreateFileInfos then MERGE of the encryption fields (Java, PHP)', async () => {
    const { asset, key, locator } = await encryptedAssetWithLocator();
    const iv = randomIv();
    const name = `ingest-${randomUUID().slice(0, 8)}.mp4`;
    const data = fileContent(name, 4096);
    await uploadEncrypted(locator, name, key.key, iv, data);
    expect((await raw('GET', `/api/CreateFileInfos?assetid='${encodeURIComponent(String(asset.Id))}'`)).status).toBe(204);
    const [file] = (await emu.ams('GET', `${entityPath('Assets', String(asset.Id))}/Files`)).body.value as JsonBody[];
    expect(file).toMatchObject({ Name: name, ContentFileSize: '4096', IsEncrypted: false, InitializationVector: null, IsPrimary: false });
    const merge = await raw(
      'POST',
      `/api/Files('${encodeURIComponent(String(file!.Id))}')`,
      { 'X-HTTP-Method': 'MERGE', 'Content-Type': 'application/atom+xml' },
      `<entry xmlns="http://www.w3.org/2005/Atom" xmlns:ns3="http://schemas.microsoft.com/ado/2007/08/dataservices/metadata" xmlns:ns4="http://schemas.microsoft.com/ado/2007/08/dataservices"><content type="application/xml"><ns3:properties><ns4:EncryptionVersion>1.0</ns4:EncryptionVersion><ns4:EncryptionScheme>StorageEncryption</ns4:EncryptionScheme><ns4:IsEncrypted>true</ns4:IsEncrypted><ns4:EncryptionKeyId>${key.id}</ns4:EncryptionKeyId><ns4:InitializationVector>${formatIv(iv)}</ns4:InitializationVector><ns4:MimeType>video/mp4</ns4:MimeType></ns3:properties></content></entry>`,
    );
    expect(merge.status, merge.text).toBe(204);
    await expectVerified(String(file!.Id));
  });
});
