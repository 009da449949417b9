import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BlockBlobClient, ContainerClient } from '@azure/storage-blob';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { amsCtr, formatIv, randomIv } from '../../../client/src/crypto/index.js';
import { entityPath, startTestEmulator, type JsonBody, type TestEmulator } from '../../../test/support/emulator.js';
import { createAsset, createFile, createPolicy, createSasLocator, createStorageKey, errorMessage, linkKey, protectionKey } from '../helpers/api-fixtures.js';
import { listOf } from '../helpers/jobs-fixtures.js';
import { mp4Like } from '../helpers/upload-workflow.js';

/**
 * Bulk ingest as the .NET SDK did it, over real HTTP and a real Azurite container: a manifest, its
 * asset and files with the encryption fields, blobs encrypted with the asset's storage key and a
 * per-file IV uploaded into BlobStorageUriForUpload; the files move to the asset, are verified like
 * any upload, and Statistics count them.
 */

let emu: TestEmulator;
beforeAll(async () => {
  emu = await startTestEmulator();
});
afterAll(() => emu.close());
beforeEach(() => emu.reset());

async function post(set: string, body: JsonBody, status = 201, headers: Record<string, string> = {}): Promise<JsonBody> {
  const res = await emu.ams('POST', set, { body, headers });
  expect(res.status, res.text).toBe(status);
  return res.body;
}

/** The upload container of a manifest, written with the storage account's key (as the SDK used the account's). */
function uploadContainer(manifest: JsonBody): ContainerClient {
  const name = new URL(String(manifest.BlobStorageUriForUpload)).pathname.split('/').filter(Boolean).at(-1)!;
  return new ContainerClient(emu.emulator.storage.connectionString, name);
}

async function manifestNow(id: string): Promise<JsonBody> {
  const res = await emu.ams('GET', entityPath('IngestManifests', id));
  expect(res.status, res.text).toBe(200);
  return res.body;
}

/** The IV with its 8 bytes in the other order. */
function byteSwapped(iv: bigint): bigint {
  const bytes = Buffer.alloc(8);
  bytes.writeBigUInt64BE(iv);
  return bytes.readBigUInt64LE(0);
}

/** A direct upload as the .NET SDK does it, but encrypted with the byte-swapped IV. */
async function directUploadWithSwappedIv(protection: Awaited<ReturnType<typeof protectionKey>>): Promise<string> {
  const key = await createStorageKey(emu, protection);
  const asset = await createAsset(emu, { Name: 'direct', Options: 1 });
  await linkKey(emu, String(asset.Id), key.id);
  const iv = randomIv();
  const data = mp4Like(70_000);
  const file = await createFile(emu, { Name: 'direct.mp4', ParentAssetId: asset.Id, IsEncrypted: true, EncryptionScheme: 'StorageEncryption', EncryptionVersion: '1.0', EncryptionKeyId: key.id, InitializationVector: formatIv(iv), MimeType: 'video/mp4' });
  const policy = await createPolicy(emu, 2);
  const locator = await createSasLocator(emu, String(asset.Id), String(policy.Id));
  await new BlockBlobClient(`${locator.BaseUri}/direct.mp4${locator.ContentAccessComponent}`).uploadData(amsCtr(key.key, byteSwapped(iv), data));
  expect((await emu.ams('MERGE', entityPath('Files', String(file.Id)), { body: { ContentFileSize: String(data.length) } })).status).toBe(204);
  return String(file.Id);
}

async function verificationOf(fileId: string): Promise<JsonBody> {
  expect((await emu.admin('GET', 'verifications?wait=30')).body.idle).toBe(true);
  return (await emu.admin('GET', `files/${encodeURIComponent(fileId)}/verification`)).body;
}

/** Poll Statistics (as the .NET sample polls PendingFilesCount) until nothing is pending. */
async function untilSettled(id: string, check: (m: JsonBody) => boolean): Promise<JsonBody> {
  for (let i = 0; i < 100; i++) {
    const manifest = await manifestNow(id);
    if (check(manifest)) return manifest;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`manifest ${id} did not settle: ${JSON.stringify(await manifestNow(id))}`);
}

describe('bulk ingest of storage-encrypted files', () => {
  it('files move to their asset, carry the encryption fields, verify, and Statistics count them; a wrong IV is diagnosed as in a direct upload', async () => {
    const protection = await protectionKey(emu);
    const key = await createStorageKey(emu, protection);
    const asset = await createAsset(emu, { Name: 'bulk', Options: 1 });
    await linkKey(emu, String(asset.Id), key.id);

    const manifest = await post('IngestManifests', { Name: 'bulk manifest' });
    expect(manifest.Id).toMatch(/^nb:mid:UUID:/);
    expect(manifest).toMatchObject({ State: 0, Statistics: { PendingFilesCount: 0, FinishedFilesCount: 0, ErrorFilesCount: 0 } });
    expect(String(manifest.BlobStorageUriForUpload)).toContain(emu.emulator.storage.blobEndpoint);
    const manifestAsset = await post('IngestManifestAssets', { ParentIngestManifestId: manifest.Id, Asset: { Id: asset.Id } });
    expect(manifestAsset.Id).toMatch(/^nb:maid:UUID:/);

    const good = { name: 'good.mp4', data: mp4Like(70_000), iv: randomIv() };
    const bad = { name: 'bad.mp4', data: mp4Like(70_000), iv: randomIv() };
    const files: Record<string, JsonBody> = {};
    for (const f of [good, bad]) {
      files[f.name] = await post('IngestManifestFiles', {
        Name: f.name,
        ParentIngestManifestId: manifest.Id,
        ParentIngestManifestAssetId: manifestAsset.Id,
        IsEncrypted: 'true',
        EncryptionScheme: 'StorageEncryption',
        EncryptionVersion: '1.0',
        EncryptionKeyId: key.id,
        InitializationVector: formatIv(f.iv),
        MimeType: 'video/mp4',
      }, 201, { 'User-Agent': `ingest-client/${f.name}` });
      expect(files[f.name]!.State).toBe(0);
    }
    expect((await manifestNow(String(manifest.Id))).Statistics.PendingFilesCount).toBe(2);
    expect((await manifestNow(String(manifest.Id))).State).toBe(2);

    // The bad file is encrypted with its IV's bytes in little-endian order (a known client bug).
    const container = uploadContainer(manifest);
    await container.getBlockBlobClient(good.name).uploadData(amsCtr(key.key, good.iv, good.data));
    await container.getBlockBlobClient(bad.name).uploadData(amsCtr(key.key, byteSwapped(bad.iv), bad.data));

    const settled = await untilSettled(String(manifest.Id), (m) => m.Statistics.PendingFilesCount === 0);
    expect(settled.State).toBe(0);
    const assetFiles = await listOf(emu, `${entityPath('Assets', String(asset.Id))}/Files`);
    expect(assetFiles.map((f) => f.Name).sort()).toEqual(['bad.mp4', 'good.mp4']);
    const goodFile = assetFiles.find((f) => f.Name === good.name)!;
    expect(goodFile).toMatchObject({ IsEncrypted: true, EncryptionScheme: 'StorageEncryption', EncryptionVersion: '1.0', EncryptionKeyId: key.id, InitializationVector: formatIv(good.iv), ContentFileSize: String(good.data.length) });
    // The blobs left the upload container.
    const left: string[] = [];
    for await (const blob of container.listBlobsFlat()) left.push(blob.name);
    expect(left).toEqual([]);

    expect((await verificationOf(String(goodFile.Id))).status).toBe('verified');
    const badFile = assetFiles.find((f) => f.Name === bad.name)!;
    const badVerification = await verificationOf(String(badFile.Id));
    expect(badVerification.status).toBe('failed');

    // The same mistake in a direct upload (file entity, SAS locator, blob, MERGE) gets the same diagnosis.
    const directFileId = await directUploadWithSwappedIv(protection);
    const directVerification = await verificationOf(directFileId);
    expect(directVerification.status).toBe('failed');
    expect(badVerification.diagnosis.id).toBe('iv-little-endian');
    expect(badVerification.diagnosis.id).toBe(directVerification.diagnosis.id);

    // The bytes were the client's, the emulator only moved them: the finding names the client that
    // registered the file (its User-Agent and request), and the correct file gets none.
    const findings = (await emu.admin('GET', 'findings')).body.findings as Array<{ rule: string; severity: string; client: string | null; requestId: string | null; entityId: string | null; diagnosis?: { id?: string } }>;
    const errors = findings.filter((f) => f.severity === 'error');
    expect(errors.filter((f) => f.client === 'ingest-client/good.mp4')).toEqual([]);
    const against = errors.filter((f) => f.client === 'ingest-client/bad.mp4');
    expect(against.map((f) => f.rule)).toEqual(['decrypt-verification-failed']);
    expect(JSON.stringify(against[0])).toContain('iv-little-endian');
    expect(against[0]!.entityId).toBe(badFile.Id);
    expect(against[0]!.requestId).not.toBeNull();

    const final = await untilSettled(String(manifest.Id), (m) => m.Statistics.ErrorFilesCount === 1);
    expect(final.Statistics).toMatchObject({ PendingFilesCount: 0, FinishedFilesCount: 1, ErrorFilesCount: 1 });
    expect(final.Statistics.ErrorFilesDetails).toContain('bad.mp4');
    const badManifestFile = (await emu.ams('GET', entityPath('IngestManifestFiles', String(files[bad.name]!.Id)))).body;
    expect(badManifestFile.State).toBe(2);
    expect(badManifestFile.ErrorDetail).toContain(String(badVerification.diagnosis.message).slice(0, 40));
  });

  it('a blob that names no file is reported and left alone', async () => {
    const manifest = await post('IngestManifests', { Name: 'stray' });
    await uploadContainer(manifest).getBlockBlobClient('stray.bin').uploadData(Buffer.from('x'));
    const seen = (await manifestNow(String(manifest.Id))).Statistics;
    expect(seen.ErrorFilesDetails).toContain('stray.bin');
    expect(seen.PendingFilesCount).toBe(0);
  });
});

describe('IngestManifests, IngestManifestAssets, IngestManifestFiles', () => {
  it('400 for malformed ids, 404 for unknown ones, in each set', async () => {
    for (const [set, tag] of [['IngestManifests', 'mid'], ['IngestManifestAssets', 'maid'], ['IngestManifestFiles', 'mfid']] as const) {
      expect((await emu.ams('GET', `${set}('not-an-id')`)).status, set).toBe(400);
      expect((await emu.ams('DELETE', `${set}('not-an-id')`)).status, set).toBe(400);
      expect((await emu.ams('GET', entityPath(set, `nb:${tag}:UUID:00000000-0000-0000-0000-000000000001`))).status, set).toBe(404);
      expect((await emu.ams('DELETE', entityPath(set, `nb:${tag}:UUID:00000000-0000-0000-0000-000000000001`))).status, set).toBe(404);
    }
  });

  it('refuses an unknown storage account, a duplicate file name, a file of another manifest', async () => {
    const bad = await emu.ams('POST', 'IngestManifests', { body: { Name: 'm', StorageAccountName: 'nosuchaccount' } });
    expect(bad.status).toBe(400);
    expect(errorMessage(bad.body)).toContain('Cannot find the storage account');
    const asset = await createAsset(emu, { Name: 'a', Options: 0 });
    const m1 = await post('IngestManifests', { Name: 'm1' });
    const m2 = await post('IngestManifests', { Name: 'm2' });
    const a1 = await post('IngestManifestAssets', { ParentIngestManifestId: m1.Id, Asset: { Id: asset.Id } });
    const file = { Name: 'x.mp4', ParentIngestManifestId: m1.Id, ParentIngestManifestAssetId: a1.Id };
    await post('IngestManifestFiles', file);
    const dup = await emu.ams('POST', 'IngestManifestFiles', { body: file });
    expect(dup.status).toBe(409);
    const cross = await emu.ams('POST', 'IngestManifestFiles', { body: { ...file, Name: 'y.mp4', ParentIngestManifestId: m2.Id } });
    expect(cross.status).toBe(400);
    // The name becomes a blob name in the asset's container: the same rule as a direct AssetFile's.
    for (const name of ['../asset-other/secret.bin', 'a/../../asset-other/x', 'dir/']) {
      const escaping = await emu.ams('POST', 'IngestManifestFiles', { body: { ...file, Name: name } });
      expect(escaping.status, name).toBe(400);
      expect(errorMessage(escaping.body), name).toContain('cannot be a blob name');
    }
    const unknownParent = await emu.ams('POST', 'IngestManifestAssets', { body: { ParentIngestManifestId: 'nb:mid:UUID:00000000-0000-0000-0000-000000000001', Asset: { Id: asset.Id } } });
    expect(unknownParent.status).toBe(404);
  });

  it('deleting a manifest removes its assets and files (the assets themselves stay); deleting a manifest asset removes its files', async () => {
    const asset = await createAsset(emu, { Name: 'a', Options: 0 });
    const m = await post('IngestManifests', { Name: 'm' });
    const ma = await post('IngestManifestAssets', { ParentIngestManifestId: m.Id, 'Asset@odata.bind': `${emu.url}${entityPath('Assets', String(asset.Id))}` });
    const f = await post('IngestManifestFiles', { Name: 'x.mp4', ParentIngestManifestId: m.Id, ParentIngestManifestAssetId: ma.Id });
    expect(await listOf(emu, `${entityPath('IngestManifests', String(m.Id))}/IngestManifestAssets`)).toHaveLength(1);
    expect(await listOf(emu, `${entityPath('IngestManifests', String(m.Id))}/PendingIngestManifestAssets`)).toHaveLength(1);
    expect((await emu.ams('GET', `${entityPath('IngestManifestAssets', String(ma.Id))}/Asset`)).body.Id).toBe(asset.Id);
    expect(await listOf(emu, `IngestManifestAssets?$filter=ParentIngestManifestId eq '${String(m.Id)}'`)).toHaveLength(1);
    expect((await emu.ams('DELETE', entityPath('IngestManifestAssets', String(ma.Id)))).status).toBe(204);
    expect((await emu.ams('GET', entityPath('IngestManifestFiles', String(f.Id)))).status).toBe(404);
    const ma2 = await post('IngestManifestAssets', { ParentIngestManifestId: m.Id, Asset: { Id: asset.Id } });
    const f2 = await post('IngestManifestFiles', { Name: 'y.mp4', ParentIngestManifestId: m.Id, ParentIngestManifestAssetId: ma2.Id });
    expect((await emu.ams('DELETE', entityPath('IngestManifests', String(m.Id)))).status).toBe(204);
    for (const [set, id] of [['IngestManifestAssets', ma2.Id], ['IngestManifestFiles', f2.Id]] as const) expect((await emu.ams('GET', entityPath(set, String(id)))).status).toBe(404);
    expect((await emu.ams('GET', entityPath('Assets', String(asset.Id)))).status).toBe(200);
  });

  it('answers in Atom and verbose JSON, Statistics as its complex type', async () => {
    const m = await post('IngestManifests', { Name: 'formats' });
    const atom = await emu.ams('GET', entityPath('IngestManifests', String(m.Id)), { headers: { Accept: 'application/atom+xml' } });
    expect(atom.status).toBe(200);
    expect(atom.text).toContain('<d:Statistics m:type="Microsoft.Cloud.Media.Vod.Rest.Data.Models.IngestManifestStatistics">');
    expect(atom.text).toContain('<d:PendingFilesCount m:type="Edm.Int32">0</d:PendingFilesCount>');
    const verbose = await emu.ams('GET', entityPath('IngestManifests', String(m.Id)), { headers: { Accept: 'application/json;odata=verbose' } });
    expect(verbose.body.d.Statistics).toMatchObject({ __metadata: { type: 'Microsoft.Cloud.Media.Vod.Rest.Data.Models.IngestManifestStatistics' }, PendingFilesCount: 0 });
    const metadata = await emu.ams('GET', '$metadata');
    expect(metadata.text).toContain('<ComplexType Name="IngestManifestStatistics">');
    expect(metadata.text).toContain('<Property Name="Statistics" Type="Microsoft.Cloud.Media.Vod.Rest.Data.Models.IngestManifestStatistics"');
  });
});

describe('the IV a manifest file names', () => {
  async function manifestFileWithIv(target: TestEmulator, iv: string) {
    const asset = await target.ams('POST', 'Assets', { body: { Name: 'iv', Options: 1 } });
    const manifest = await target.ams('POST', 'IngestManifests', { body: { Name: 'iv' } });
    const manifestAsset = await target.ams('POST', 'IngestManifestAssets', { body: { ParentIngestManifestId: manifest.body.Id, Asset: { Id: asset.body.Id } } });
    return target.ams('POST', 'IngestManifestFiles', {
      body: {
        Name: 'iv.mp4',
        ParentIngestManifestId: manifest.body.Id,
        ParentIngestManifestAssetId: manifestAsset.body.Id,
        IsEncrypted: true,
        EncryptionScheme: 'StorageEncryption',
        EncryptionVersion: '1.0',
        EncryptionKeyId: 'nb:kid:UUID:00000000-0000-0000-0000-000000000001',
        InitializationVector: iv,
      },
    });
  }

  it('is checked as a direct upload\'s is: a base64 IV is a finding in compat mode, a 400 in strict mode', async () => {
    const made = await manifestFileWithIv(emu, 'AAAAAAAAAAE=');
    expect(made.status, made.text).toBe(201);
    const findings = (await emu.admin('GET', `findings?rule=iv-not-decimal-uint64&entityId=${encodeURIComponent(String(made.body.Id))}`)).body.findings as JsonBody[];
    expect(findings).toHaveLength(1);
    const strict = await startTestEmulator({ strict: true });
    try {
      const refused = await manifestFileWithIv(strict, 'AAAAAAAAAAE=');
      expect(refused.status).toBe(400);
      expect(errorMessage(refused.body)).toContain('InitializationVector');
      expect(await listOf(strict, 'IngestManifestFiles')).toEqual([]);
    } finally {
      await strict.close();
    }
  });
});

describe('without a client asking', () => {
  it('an upload moves to its asset on the periodic scan, with no read of the ingest sets', async () => {
    const asset = await createAsset(emu, { Name: 'scanned', Options: 0 });
    const manifest = await post('IngestManifests', { Name: 'scanned' });
    const manifestAsset = await post('IngestManifestAssets', { ParentIngestManifestId: manifest.Id, Asset: { Id: asset.Id } });
    await post('IngestManifestFiles', { Name: 'clear.bin', ParentIngestManifestId: manifest.Id, ParentIngestManifestAssetId: manifestAsset.Id });
    await uploadContainer(manifest).getBlockBlobClient('clear.bin').uploadData(Buffer.from('clear bytes'));
    // Reading the asset's files does not look at the upload container: only the scan moves it.
    let files: JsonBody[] = [];
    for (let i = 0; i < 100 && files.length === 0; i++) {
      await new Promise((r) => setTimeout(r, 100));
      files = await listOf(emu, `${entityPath('Assets', String(asset.Id))}/Files`);
    }
    expect(files.map((f) => [f.Name, f.ContentFileSize])).toEqual([['clear.bin', '11']]);
  });
});

describe('BlobStorageUriForUpload', () => {
  it('follows where storage is reachable now (a restart with another --public-blob-endpoint)', async () => {
    const location = await mkdtemp(join(tmpdir(), 'ams-ingest-uri-'));
    try {
      const first = await startTestEmulator({ location, publicBlobEndpoint: 'http://storage-a.example:10000/devstoreaccount1' });
      let id: string;
      try {
        const created = await first.ams('POST', 'IngestManifests', { body: { Name: 'moved' } });
        expect(String(created.body.BlobStorageUriForUpload)).toMatch(/^http:\/\/storage-a\.example:10000\/devstoreaccount1\/ingest-/);
        id = String(created.body.Id);
      } finally {
        await first.close();
      }
      const second = await startTestEmulator({ location, publicBlobEndpoint: 'http://storage-b.example:10000/devstoreaccount1' });
      try {
        const read = await second.ams('GET', entityPath('IngestManifests', id));
        expect(String(read.body.BlobStorageUriForUpload)).toMatch(/^http:\/\/storage-b\.example:10000\/devstoreaccount1\/ingest-/);
      } finally {
        await second.close();
      }
    } finally {
      await rm(location, { recursive: true, force: true });
    }
  });
});
