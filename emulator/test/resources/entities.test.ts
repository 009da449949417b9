import { randomUUID } from 'node:crypto';
import { BlobServiceClient } from '@azure/storage-blob';
import fc from 'fast-check';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { formatKeyId, formatNbId } from '../../../client/src/crypto/index.js';
import { entityPath, quoted, rawRequest, startTestEmulator, type JsonBody, type TestEmulator } from '../../../test/support/emulator.js';
import {
  createAsset,
  createFile,
  createPolicy,
  createSasLocator,
  createStorageKey,
  encryptedAsset,
  encryptedFileBody,
  errorMessage,
  linkKey,
  protectionKey,
  storageKeyBody,
  type ProtectionKey,
} from '../helpers/api-fixtures.js';

/**
 * ContentKeys, Assets, their $links and Files: every route and error case of the storage-encryption
 * entities, over real HTTP against an emulator with its embedded Azurite.
 */

let emu: TestEmulator;
let protection: ProtectionKey;
let blobs: BlobServiceClient;

beforeAll(async () => {
  emu = await startTestEmulator();
  protection = await protectionKey(emu);
  blobs = BlobServiceClient.fromConnectionString(emu.emulator.storage.connectionString);
});
afterAll(() => emu.close());
beforeEach(() => emu.reset());

const unknown = (tag: string) => formatNbId(tag, randomUUID());

async function containerExists(asset: JsonBody): Promise<boolean> {
  const name = String(asset.Uri).split('/').pop()!;
  return blobs.getContainerClient(name).exists();
}

describe('ContentKeys', () => {
  it('creates a key with the client-chosen Id: 201, Location and the entity, with defaults filled in', async () => {
    const made = storageKeyBody(protection);
    const res = await emu.ams('POST', 'ContentKeys', { body: made.request });
    expect(res.status).toBe(201);
    expect(res.headers.get('location')).toBe(`${emu.url}ContentKeys('${encodeURIComponent(made.id)}')`);
    expect(res.body.Id).toBe(made.id);
    expect(res.body.EncryptedContentKey).toBe(made.request.EncryptedContentKey);
    expect(res.body.Checksum).toBe(made.request.Checksum);
    expect(res.body.ContentKeyType).toBe(1);
    expect(res.body.ProtectionKeyType).toBe(0);
    expect(res.body.ProtectionKeyId).toBe(protection.thumbprint);
    expect(res.body.Name).toBeNull();
    expect(res.body.Created).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{7}Z$/);
  });

  it('picks an nb:kid:UUID: Id when the body has none (the REST docs omit it)', async () => {
    const made = storageKeyBody(protection, { omitId: true, checksum: null });
    const res = await emu.ams('POST', 'ContentKeys', { body: made.request });
    expect(res.status).toBe(201);
    expect(res.body.Id).toMatch(/^nb:kid:UUID:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    expect((await emu.ams('GET', entityPath('ContentKeys', res.body.Id))).status).toBe(200);
  });

  it('answers 409 for a duplicate Id, in any case, and keeps the first key', async () => {
    const first = await createStorageKey(emu, protection);
    const again = storageKeyBody(protection);
    again.request.Id = first.id.toUpperCase().replace('NB:KID:UUID:', 'nb:kid:UUID:');
    const res = await emu.ams('POST', 'ContentKeys', { body: again.request });
    expect(res.status).toBe(409);
    expect(errorMessage(res.body)).toMatch(/already exists/);
    const stored = await emu.ams('GET', entityPath('ContentKeys', first.id));
    expect(stored.body.EncryptedContentKey).toBe(first.request.EncryptedContentKey);
  });

  it('accepts quoted numbers (ContentKeyType "1", as the REST docs send) and stores them as numbers', async () => {
    const made = storageKeyBody(protection);
    made.request.ContentKeyType = '1';
    made.request.ProtectionKeyType = '0';
    const res = await emu.ams('POST', 'ContentKeys', { body: made.request });
    expect(res.status).toBe(201);
    expect(res.body.ContentKeyType).toBe(1);
    expect(res.text).toContain('"ContentKeyType":1,');
  });

  it('echoes an empty Checksum when none was sent (the Java SDK reads back "")', async () => {
    const made = storageKeyBody(protection, { checksum: null, contentKeyType: 0, key: Buffer.alloc(16, 7) });
    const res = await emu.ams('POST', 'ContentKeys', { body: made.request });
    expect(res.status).toBe(201);
    expect(res.body.Checksum).toBe('');
  });

  it('refuses a create without EncryptedContentKey, an unknown ContentKeyType, a malformed Id and an unknown property with 400', async () => {
    const bad: [JsonBody, RegExp][] = [
      [{ Id: formatKeyId(randomUUID()), ContentKeyType: 1 }, /EncryptedContentKey/],
      [{ ...storageKeyBody(protection).request, ContentKeyType: 5 }, /ContentKeyType 5/],
      [{ ...storageKeyBody(protection).request, Id: 'my-key' }, /Invalid ContentKey id/],
      [{ ...storageKeyBody(protection).request, Colour: 'red' }, /'Colour' is not a property of ContentKey/],
      [{ ...storageKeyBody(protection).request, ContentKeyType: 'one' }, /ContentKeyType/],
    ];
    for (const [body, message] of bad) {
      const res = await emu.ams('POST', 'ContentKeys', { body });
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(errorMessage(res.body)).toMatch(message);
    }
    expect((await emu.ams('GET', 'ContentKeys')).body.value).toEqual([]);
  });

  it('lists keys and gets one, by an encoded or unencoded id', async () => {
    const a = await createStorageKey(emu, protection);
    const b = await createStorageKey(emu, protection);
    const list = await emu.ams('GET', 'ContentKeys');
    expect(list.status).toBe(200);
    expect(list.body['odata.metadata']).toBe(`${emu.url}$metadata#ContentKeys`);
    expect((list.body.value as JsonBody[]).map((k) => k.Id).sort()).toEqual([a.id, b.id].sort());
    const one = await emu.ams('GET', `ContentKeys('${a.id}')`);
    expect(one.status).toBe(200);
    expect(one.body['odata.metadata']).toBe(`${emu.url}$metadata#ContentKeys/@Element`);
    expect(one.body.Id).toBe(a.id);
  });

  it('MERGEs Name (204) and refuses a change of a create-only property (400) but not an unchanged echo', async () => {
    const key = await createStorageKey(emu, protection);
    const path = entityPath('ContentKeys', key.id);
    expect((await emu.ams('MERGE', path, { body: { Name: 'renamed' } })).status).toBe(204);
    expect((await emu.ams('GET', path)).body.Name).toBe('renamed');
    const change = await emu.ams('MERGE', path, { body: { ContentKeyType: 0 } });
    expect(change.status).toBe(400);
    expect(errorMessage(change.body)).toMatch(/'ContentKeyType' of ContentKey cannot be updated/);
    const checksum = await emu.ams('MERGE', path, { body: { Checksum: 'AAAAAAAAAAA=' } });
    expect(checksum.status).toBe(400);
    // The .NET SDK's MERGE carries every property, unchanged ones included.
    const echo = await emu.ams('MERGE', path, { body: { ...key.request, Name: 'again' } });
    expect(echo.status, echo.text).toBe(204);
    const after = await emu.ams('GET', path);
    expect(after.body.ContentKeyType).toBe(1);
    expect(after.body.Name).toBe('again');
  });

  it('DELETEs a key (204), then answers 404; a malformed id is 400', async () => {
    const key = await createStorageKey(emu, protection);
    const path = entityPath('ContentKeys', key.id);
    expect((await emu.ams('DELETE', path)).status).toBe(204);
    expect((await emu.ams('GET', path)).status).toBe(404);
    expect((await emu.ams('DELETE', path)).status).toBe(404);
    expect((await emu.ams('DELETE', "ContentKeys('notAValidId')")).status).toBe(400);
  });
});

describe('Assets', () => {
  it('creates the container asset-<guid> in storage, and Uri is its URL', async () => {
    const asset = await createAsset(emu, { Name: 'movie', Options: 1 });
    const guid = String(asset.Id).replace('nb:cid:UUID:', '');
    expect(asset.Uri).toBe(`${emu.emulator.storage.blobEndpoint}/asset-${guid}`);
    expect(await blobs.getContainerClient(`asset-${guid}`).exists()).toBe(true);
    expect(asset.State).toBe(0);
    expect(asset.Options).toBe(1);
    expect(asset.StorageAccountName).toBe(emu.emulator.storage.accountName);
  });

  it('defaults Options to 0 and refuses values that are not AssetCreationOptions', async () => {
    const plain = await createAsset(emu, { Name: 'plain' });
    expect(plain.Options).toBe(0);
    const res = await emu.ams('POST', 'Assets', { body: { Name: 'x', Options: 3 } });
    expect(res.status).toBe(400);
    expect(errorMessage(res.body)).toMatch(/Options 3/);
  });

  it('refuses a storage account it does not have (404)', async () => {
    const res = await emu.ams('POST', 'Assets', { body: { Name: 'x', StorageAccountName: 'someotheraccount' } });
    expect(res.status).toBe(404);
    expect(errorMessage(res.body)).toContain(emu.emulator.storage.accountName);
  });

  it('MERGEs Name and AlternateId; Options is not updatable', async () => {
    const asset = await createAsset(emu);
    const path = entityPath('Assets', asset.Id);
    expect((await emu.ams('MERGE', path, { body: { Name: 'new name', AlternateId: 'alt' } })).status).toBe(204);
    const got = await emu.ams('GET', path);
    expect(got.body.Name).toBe('new name');
    expect(got.body.AlternateId).toBe('alt');
    const options = await emu.ams('MERGE', path, { body: { Options: 0 } });
    expect(options.status).toBe(400);
    expect(errorMessage(options.body)).toMatch(/'Options'/);
    // Server-owned values sent back (as the .NET SDK does) are ignored, not applied.
    expect((await emu.ams('MERGE', path, { body: { Uri: 'https://elsewhere/x', State: 2 } })).status).toBe(204);
    const after = await emu.ams('GET', path);
    expect(after.body.Uri).toBe(asset.Uri);
    expect(after.body.State).toBe(0);
    expect(after.body.Options).toBe(1);
  });

  it('DELETE removes its files, links, locators, the container and its linked storage key', async () => {
    const { asset, key } = await encryptedAsset(emu, protection);
    const file = await createFile(emu, encryptedFileBody(asset.Id, key.id, 'a.mp4'));
    const policy = await createPolicy(emu, 2);
    const locator = await createSasLocator(emu, asset.Id, policy.Id);
    const other = await createAsset(emu, { Name: 'bystander', Options: 0 });
    const otherFile = await createFile(emu, { Name: 'b.mp4', ParentAssetId: other.Id });

    expect((await emu.ams('DELETE', entityPath('Assets', asset.Id))).status).toBe(204);
    expect((await emu.ams('GET', entityPath('Assets', asset.Id))).status).toBe(404);
    expect((await emu.ams('GET', entityPath('Files', file.Id))).status).toBe(404);
    expect((await emu.ams('GET', entityPath('Locators', locator.Id))).status).toBe(404);
    expect((await emu.ams('GET', entityPath('ContentKeys', key.id))).status).toBe(404);
    expect(await containerExists(asset)).toBe(false);
    // The policy is not the asset's: it stays. The other asset is untouched.
    expect((await emu.ams('GET', entityPath('AccessPolicies', policy.Id))).status).toBe(200);
    expect((await emu.ams('GET', entityPath('Files', otherFile.Id))).status).toBe(200);
    expect(await containerExists(other)).toBe(true);
    const state = await emu.admin('GET', 'state');
    expect(state.body.state.assetContentKeys).toEqual([]);
  });

  it('keeps a key that another asset still links when one of them is deleted', async () => {
    const key = await createStorageKey(emu, protection);
    const a = await createAsset(emu, { Name: 'a', Options: 0 });
    const b = await createAsset(emu, { Name: 'b', Options: 0 });
    await linkKey(emu, a.Id, key.id);
    await linkKey(emu, b.Id, key.id);
    expect((await emu.ams('DELETE', entityPath('Assets', a.Id))).status).toBe(204);
    expect((await emu.ams('GET', entityPath('ContentKeys', key.id))).status).toBe(200);
    expect((await emu.ams('GET', `${entityPath('Assets', b.Id)}/ContentKeys`)).body.value).toHaveLength(1);
  });

  it('DELETE ?keepcontainer=true keeps the container and its blobs', async () => {
    const asset = await createAsset(emu);
    const name = String(asset.Uri).split('/').pop()!;
    await blobs.getContainerClient(name).uploadBlockBlob('kept.bin', 'abc', 3);
    expect((await emu.ams('DELETE', `${entityPath('Assets', asset.Id)}?keepcontainer=true`)).status).toBe(204);
    expect((await emu.ams('GET', entityPath('Assets', asset.Id))).status).toBe(404);
    expect(await blobs.getContainerClient(name).getBlobClient('kept.bin').exists()).toBe(true);
    const gone = await createAsset(emu);
    expect((await emu.ams('DELETE', `${entityPath('Assets', gone.Id)}?keepcontainer=false`)).status).toBe(204);
    expect(await containerExists(gone)).toBe(false);
  });

  it('navigates to Files, ContentKeys and Locators, and only the asset\'s own', async () => {
    const { asset, key } = await encryptedAsset(emu, protection);
    const file = await createFile(emu, encryptedFileBody(asset.Id, key.id, 'a.mp4'));
    const policy = await createPolicy(emu, 2);
    const locator = await createSasLocator(emu, asset.Id, policy.Id);
    const other = await createAsset(emu, { Name: 'other', Options: 0 });
    await createFile(emu, { Name: 'other.mp4', ParentAssetId: other.Id });

    const files = await emu.ams('GET', `${entityPath('Assets', asset.Id)}/Files`);
    expect(files.status).toBe(200);
    expect(files.body['odata.metadata']).toBe(`${emu.url}$metadata#Files`);
    expect((files.body.value as JsonBody[]).map((f) => f.Id)).toEqual([file.Id]);
    const keys = await emu.ams('GET', `${entityPath('Assets', asset.Id)}/ContentKeys`);
    expect((keys.body.value as JsonBody[]).map((k) => k.Id)).toEqual([key.id]);
    const locators = await emu.ams('GET', `${entityPath('Assets', asset.Id)}/Locators`);
    expect((locators.body.value as JsonBody[]).map((l) => l.Id)).toEqual([locator.Id]);
    // `Files()` with parentheses, as the docs write it, and a $filter on the navigation.
    const parens = await emu.ams('GET', `${entityPath('Assets', asset.Id)}/Files()?$filter=Name eq 'a.mp4'`);
    expect(parens.status).toBe(200);
    expect(parens.body.value).toHaveLength(1);
    expect((await emu.ams('GET', `${entityPath('Assets', unknown('cid'))}/Files`)).status).toBe(404);
    expect((await emu.ams('GET', `${entityPath('Assets', asset.Id)}/Nothing`)).status).toBe(400);
  });
});

describe('Assets(id)/$links/ContentKeys', () => {
  const linksPath = (assetId: string) => `${entityPath('Assets', assetId)}/$links/ContentKeys`;

  it('links a key named by a URI on any host, with the id percent-encoded, and lists the link', async () => {
    const key = await createStorageKey(emu, protection);
    const asset = await createAsset(emu);
    const uri = `https://wamsbayclus001rest-hs.cloudapp.net/api/ContentKeys('${encodeURIComponent(key.id)}')`;
    const res = await emu.ams('POST', linksPath(asset.Id), { body: { uri } });
    expect(res.status, res.text).toBe(204);
    expect(res.text).toBe('');
    const list = await emu.ams('GET', linksPath(asset.Id));
    expect(list.status).toBe(200);
    expect(list.body.value).toEqual([{ url: `${emu.url}ContentKeys('${encodeURIComponent(key.id)}')` }]);
  });

  it('takes the XML body PHP and Java send', async () => {
    const key = await createStorageKey(emu, protection);
    const asset = await createAsset(emu);
    const xml = `<?xml version="1.0" encoding="utf-8"?><uri xmlns="http://schemas.microsoft.com/ado/2007/08/dataservices">http://HOST/api/ContentKeys('${encodeURIComponent(key.id)}')</uri>`;
    const res = await emu.ams('POST', linksPath(asset.Id), { body: xml, headers: { 'Content-Type': 'application/xml' } });
    expect(res.status, res.text).toBe(204);
    expect((await emu.ams('GET', `${entityPath('Assets', asset.Id)}/ContentKeys`)).body.value).toHaveLength(1);
  });

  it('DELETEs a link (204), leaving the key; a second DELETE is 404', async () => {
    const { asset, key } = await encryptedAsset(emu, protection);
    const path = `${linksPath(asset.Id).replace(/ContentKeys$/, '')}ContentKeys(${quoted(key.id)})`;
    expect((await emu.ams('DELETE', path)).status).toBe(204);
    expect((await emu.ams('GET', linksPath(asset.Id))).body.value).toEqual([]);
    expect((await emu.ams('GET', entityPath('ContentKeys', key.id))).status).toBe(200);
    expect((await emu.ams('DELETE', path)).status).toBe(404);
  });

  it('answers 409 for a second storage key on a storage-encrypted asset', async () => {
    const { asset } = await encryptedAsset(emu, protection);
    const second = await createStorageKey(emu, protection);
    const res = await emu.ams('POST', linksPath(asset.Id), { body: { uri: `${emu.url}${entityPath('ContentKeys', second.id)}` } });
    expect(res.status).toBe(409);
    expect(errorMessage(res.body)).toMatch(/already has a StorageEncryption key/);
    expect((await emu.ams('GET', linksPath(asset.Id))).body.value).toHaveLength(1);
  });

  it('answers 409 for the same key linked twice', async () => {
    const { asset, key } = await encryptedAsset(emu, protection);
    const res = await emu.ams('POST', linksPath(asset.Id), { body: { uri: `${emu.url}${entityPath('ContentKeys', key.id)}` } });
    expect(res.status).toBe(409);
    expect(errorMessage(res.body)).toMatch(/already linked/);
  });

  it('lets only one of several storage keys linked at once to a storage-encrypted asset win', async () => {
    const asset = await createAsset(emu, { Name: 'race', Options: 1 });
    const keys = await Promise.all(Array.from({ length: 5 }, () => createStorageKey(emu, protection)));
    const results = await Promise.all(keys.map((k) => emu.ams('POST', linksPath(asset.Id), { body: { uri: `${emu.url}${entityPath('ContentKeys', k.id)}` } })));
    expect(results.map((r) => r.status).sort()).toEqual([204, 409, 409, 409, 409]);
    expect((await emu.ams('GET', linksPath(asset.Id))).body.value).toHaveLength(1);
  });

  it('answers 404 for an unknown key or asset, 400 for a malformed id or a URI to another set', async () => {
    const asset = await createAsset(emu);
    const key = await createStorageKey(emu, protection);
    const post = (assetId: string, uri: string) => emu.ams('POST', linksPath(assetId), { body: { uri } });
    expect((await post(asset.Id, `${emu.url}${entityPath('ContentKeys', unknown('kid'))}`)).status).toBe(404);
    expect((await post(unknown('cid'), `${emu.url}${entityPath('ContentKeys', key.id)}`)).status).toBe(404);
    expect((await post(asset.Id, `${emu.url}ContentKeys('not-a-key')`)).status).toBe(400);
    expect((await post(asset.Id, `${emu.url}${entityPath('Assets', asset.Id)}`)).status).toBe(400);
    expect((await emu.ams('POST', linksPath(asset.Id), { body: { url: 42 } })).status).toBe(400);
  });

  it('a malformed id anywhere in a $links or navigation request is 400 before any lookup, whether or not the asset exists', async () => {
    const asset = await createAsset(emu);
    const key = await createStorageKey(emu, protection);
    await linkKey(emu, asset.Id, key.id);
    const malformed = fc.oneof(
      fc.constant('nb:kid:UUID:invalidContentKeyId'),
      fc.constant('notAValidId'),
      fc.stringMatching(/^[g-z][a-zA-Z0-9._~-]{0,30}$/),
      fc.stringMatching(/^[g-z]{1,20}$/).map((tail) => `nb:kid:UUID:${tail}`),
      fc.stringMatching(/^[g-z]{1,20}$/).map((tail) => `nb:cid:UUID:${tail}`),
      fc.uuid().map((guid) => `nb:cid:UUID:${guid.slice(0, 35)}`),
    );
    const at = (set: string, id: string) => `${set}('${encodeURIComponent(id)}')`;
    await fc.assert(
      fc.asyncProperty(malformed, fc.boolean(), fc.boolean(), async (bad, assetExists, keyExists) => {
        const assetId = assetExists ? asset.Id : unknown('cid');
        const keyId = keyExists ? key.id : unknown('kid');
        const requests: [string, string, JsonBody | undefined][] = [
          ['POST', `${at('Assets', assetId)}/$links/ContentKeys`, { uri: `${emu.url}${at('ContentKeys', bad)}` }],
          ['POST', `${at('Assets', bad)}/$links/ContentKeys`, { uri: `${emu.url}${at('ContentKeys', keyId)}` }],
          ['GET', `${at('Assets', assetId)}/$links/ContentKeys(${quoted(bad)})`, undefined],
          ['GET', `${at('Assets', bad)}/$links/ContentKeys`, undefined],
          ['GET', `${at('Assets', bad)}/$links/ContentKeys(${quoted(keyId)})`, undefined],
          ['DELETE', `${at('Assets', assetId)}/$links/ContentKeys(${quoted(bad)})`, undefined],
          ['DELETE', `${at('Assets', bad)}/$links/ContentKeys(${quoted(keyId)})`, undefined],
          ['GET', `${at('Assets', bad)}/Files`, undefined],
          ['GET', `${at('Assets', bad)}/ContentKeys`, undefined],
          ['GET', `${at('Assets', bad)}/Locators`, undefined],
        ];
        for (const [method, path, body] of requests) {
          const res = await emu.ams(method, path, body ? { body } : {});
          expect(res.status, `${method} ${path} ${JSON.stringify(body)}: ${res.text}`).toBe(400);
        }
      }),
      { numRuns: 25 },
    );
    // Nothing changed: the one link is still there.
    expect((await emu.ams('GET', linksPath(asset.Id))).body.value).toHaveLength(1);
  });

  it('the service\'s answer to a malformed key in the body of a link to an unknown asset: 400, not 404', async () => {
    const res = await emu.ams('POST', linksPath(unknown('cid')), { body: { uri: `${emu.url}ContentKeys('nb%3Akid%3AUUID%3AinvalidContentKeyId')` } });
    expect(res.status).toBe(400);
    expect(errorMessage(res.body)).toMatch(/Invalid ContentKey id "nb:kid:UUID:invalidContentKeyId"/);
  });
});

describe('Files', () => {
  it('creates a file: 201, Location, encryption fields as sent, ContentFileSize "0" as a string', async () => {
    const { asset, key } = await encryptedAsset(emu, protection);
    const body = encryptedFileBody(asset.Id, key.id, 'movie.mp4', '397304628502661816');
    const res = await emu.ams('POST', 'Files', { body: { ...body, IsEncrypted: 'true', IsPrimary: 'false' } });
    expect(res.status, res.text).toBe(201);
    expect(res.headers.get('location')).toBe(`${emu.url}Files('${encodeURIComponent(res.body.Id)}')`);
    expect(res.body.Id).toMatch(/^nb:cid:UUID:/);
    expect(res.body).toMatchObject({ Name: 'movie.mp4', ParentAssetId: asset.Id, IsEncrypted: true, IsPrimary: false, EncryptionScheme: 'StorageEncryption', EncryptionVersion: '1.0', EncryptionKeyId: key.id, InitializationVector: '397304628502661816', MimeType: 'video/mp4', ContentFileSize: '0' });
    expect(res.text).toContain('"ContentFileSize":"0"');
  });

  it('stores the IV verbatim, base64 included (a PHP SDK functional test stored base64 and read it back)', async () => {
    const { asset, key } = await encryptedAsset(emu, protection);
    for (const [name, iv] of [['php.mp4', 'q83vEjRWeJA='], ['zeros.mp4', '0007'], ['max.mp4', '18446744073709551615']] as const) {
      const file = await createFile(emu, encryptedFileBody(asset.Id, key.id, name, iv));
      expect((await emu.ams('GET', entityPath('Files', file.Id))).body.InitializationVector).toBe(iv);
    }
    // A MERGE with a new IV is stored verbatim too.
    const file = await createFile(emu, { Name: 'later.mp4', ParentAssetId: asset.Id });
    expect((await emu.ams('MERGE', entityPath('Files', file.Id), { body: { IsEncrypted: true, EncryptionKeyId: key.id, InitializationVector: '+/+/AAAAAAA=' } })).status).toBe(204);
    expect((await emu.ams('GET', entityPath('Files', file.Id))).body.InitializationVector).toBe('+/+/AAAAAAA=');
  });

  it('GETs, MERGEs (ContentFileSize as a quoted Int64 over 2^53) and DELETEs a file', async () => {
    const asset = await createAsset(emu, { Name: 'a', Options: 0 });
    const file = await createFile(emu, { Name: 'a.bin', ParentAssetId: asset.Id });
    const path = entityPath('Files', file.Id);
    expect((await emu.ams('MERGE', path, { body: { ContentFileSize: '9007199254740993', MimeType: 'application/octet-stream', IsPrimary: true } })).status).toBe(204);
    const got = await emu.ams('GET', path);
    expect(got.body.ContentFileSize).toBe('9007199254740993');
    expect(got.body.IsPrimary).toBe(true);
    expect(got.body.MimeType).toBe('application/octet-stream');
    const list = await emu.ams('GET', 'Files');
    expect((list.body.value as JsonBody[]).map((f) => f.Id)).toEqual([file.Id]);
    expect((await emu.ams('MERGE', path, { body: { ParentAssetId: unknown('cid') } })).status).toBe(400);
    expect((await emu.ams('DELETE', path)).status).toBe(204);
    expect((await emu.ams('GET', path)).status).toBe(404);
    expect((await emu.ams('MERGE', path, { body: { Name: 'x' } })).status).toBe(404);
  });

  it('answers 409 for a duplicate name in one asset, but not across assets', async () => {
    const a = await createAsset(emu, { Name: 'a', Options: 0 });
    const b = await createAsset(emu, { Name: 'b', Options: 0 });
    await createFile(emu, { Name: 'same.mp4', ParentAssetId: a.Id });
    const dup = await emu.ams('POST', 'Files', { body: { Name: 'same.mp4', ParentAssetId: a.Id } });
    expect(dup.status).toBe(409);
    expect(errorMessage(dup.body)).toMatch(/already has a file named 'same.mp4'/);
    await createFile(emu, { Name: 'same.mp4', ParentAssetId: b.Id });
    // A rename onto a sibling's name is the same conflict.
    const other = await createFile(emu, { Name: 'other.mp4', ParentAssetId: a.Id });
    expect((await emu.ams('MERGE', entityPath('Files', other.Id), { body: { Name: 'same.mp4' } })).status).toBe(409);
  });

  it('answers 409 for a second primary file in one asset', async () => {
    const asset = await createAsset(emu, { Name: 'a', Options: 0 });
    await createFile(emu, { Name: 'one.mp4', ParentAssetId: asset.Id, IsPrimary: true });
    const second = await emu.ams('POST', 'Files', { body: { Name: 'two.mp4', ParentAssetId: asset.Id, IsPrimary: true } });
    expect(second.status).toBe(409);
    expect(errorMessage(second.body)).toMatch(/already has a primary file/);
    const plain = await createFile(emu, { Name: 'two.mp4', ParentAssetId: asset.Id });
    expect((await emu.ams('MERGE', entityPath('Files', plain.Id), { body: { IsPrimary: true } })).status).toBe(409);
  });

  it('refuses a file without Name or ParentAssetId (400) and one for an unknown asset (404)', async () => {
    const asset = await createAsset(emu);
    const noName = await emu.ams('POST', 'Files', { body: { ParentAssetId: asset.Id } });
    expect(noName.status).toBe(400);
    expect(errorMessage(noName.body)).toMatch(/'Name'/);
    expect((await emu.ams('POST', 'Files', { body: { Name: 'x' } })).status).toBe(400);
    expect((await emu.ams('POST', 'Files', { body: { Name: 'x', ParentAssetId: unknown('cid') } })).status).toBe(404);
    expect((await emu.ams('POST', 'Files', { body: { Name: 'x', ParentAssetId: 'nope' } })).status).toBe(400);
  });

  it('CreateFileInfos makes a file entity per blob uploaded to the container (204), once', async () => {
    const asset = await createAsset(emu, { Name: 'java', Options: 0 });
    const container = blobs.getContainerClient(String(asset.Uri).split('/').pop()!);
    await container.uploadBlockBlob('first.mp4', 'hello', 5, { blobHTTPHeaders: { blobContentType: 'video/mp4' } });
    await container.uploadBlockBlob('second.bin', Buffer.alloc(1234), 1234);
    // PHP percent-encodes the id inside the quotes.
    const res = await emu.ams('POST', `CreateFileInfos?assetid=${quoted(asset.Id)}`);
    expect(res.status, res.text).toBe(204);
    const files = (await emu.ams('GET', `${entityPath('Assets', asset.Id)}/Files?$orderby=Name`)).body.value as JsonBody[];
    expect(files.map((f) => [f.Name, f.ContentFileSize, f.IsEncrypted, f.IsPrimary])).toEqual([
      ['first.mp4', '5', false, false],
      ['second.bin', '1234', false, false],
    ]);
    expect(files[0]!.MimeType).toBe('video/mp4');
    expect(files[0]!.ParentAssetId).toBe(asset.Id);
    // Again (GET, raw colons, fritzy's double slash): nothing new.
    const again = await rawRequest(emu.baseUrl, 'GET', `/api//CreateFileInfos?assetid='${asset.Id}'`);
    expect(again.status, again.text).toBe(204);
    expect((await emu.ams('GET', `${entityPath('Assets', asset.Id)}/Files`)).body.value).toHaveLength(2);
  });

  it('lets exactly one of several concurrent creates win a name or the primary slot', async () => {
    const asset = await createAsset(emu, { Name: 'race', Options: 0 });
    const sameName = await Promise.all(Array.from({ length: 6 }, () => emu.ams('POST', 'Files', { body: { Name: 'same.mp4', ParentAssetId: asset.Id } })));
    expect(sameName.map((r) => r.status).sort()).toEqual([201, 409, 409, 409, 409, 409]);
    const primaries = await Promise.all(Array.from({ length: 6 }, (_, i) => emu.ams('POST', 'Files', { body: { Name: `p${i}.mp4`, ParentAssetId: asset.Id, IsPrimary: true } })));
    expect(primaries.map((r) => r.status).sort()).toEqual([201, 409, 409, 409, 409, 409]);
    expect((await emu.ams('GET', `${entityPath('Assets', asset.Id)}/Files`)).body.value).toHaveLength(2);
  });

  it('CreateFileInfos answers 404 for an unknown asset and 400 without assetid', async () => {
    expect((await emu.ams('GET', `CreateFileInfos?assetid=${quoted(unknown('cid'))}`)).status).toBe(404);
    expect((await emu.ams('GET', 'CreateFileInfos')).status).toBe(400);
  });
});
