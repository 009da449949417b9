import { ContainerClient } from '@azure/storage-blob';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { amsCtr, formatIv, randomIv } from '../../../client/src/crypto/index.js';
import { startTestAzurite, type TestAzurite } from '../../../test/support/azurite.js';
import { entityPath, startTestEmulator, type AmsResponse, type JsonBody, type TestEmulator } from '../../../test/support/emulator.js';
import { createAsset, createStorageKey, encryptedFileBody, errorMessage, linkKey, protectionKey, type NewKey } from '../helpers/api-fixtures.js';
import { mp4Like } from '../helpers/upload-workflow.js';

/**
 * A bulk ingest whose storage-encrypted files reuse an IV under one content key is judged as direct
 * uploads are (iv-reused: a finding in compat, 409 in strict, when the IV is sent), whichever way
 * each file came in: two files of a manifest, a manifest file and a direct file, a direct file and
 * a manifest file still waiting for its upload. Distinct IVs, or one IV under two keys, give none.
 * Two emulators (compat, strict) share one Azurite.
 */

let azurite: TestAzurite;
let compat: TestEmulator;
let strict: TestEmulator;
beforeAll(async () => {
  azurite = await startTestAzurite();
  [compat, strict] = await Promise.all([
    startTestEmulator({ storageConnectionString: azurite.connectionString }),
    startTestEmulator({ storageConnectionString: azurite.connectionString, strict: true }),
  ]);
}, 60_000);
afterAll(async () => {
  await Promise.all([compat?.close(), strict?.close()]);
  await azurite?.stop();
});
beforeEach(async () => {
  await Promise.all([compat.reset(), strict.reset()]);
});

/** A storage-encrypted asset with its key, in a manifest of its own. */
interface Setup {
  emu: TestEmulator;
  key: NewKey;
  assetId: string;
  manifest: JsonBody;
  manifestAssetId: string;
}

async function setup(emu: TestEmulator): Promise<Setup> {
  const key = await createStorageKey(emu, await protectionKey(emu));
  const asset = await createAsset(emu, { Name: 'bulk', Options: 1 });
  await linkKey(emu, String(asset.Id), key.id);
  const manifest = await emu.ams('POST', 'IngestManifests', { body: { Name: 'bulk' } });
  expect(manifest.status, manifest.text).toBe(201);
  const manifestAsset = await emu.ams('POST', 'IngestManifestAssets', { body: { ParentIngestManifestId: manifest.body.Id, Asset: { Id: asset.Id } } });
  expect(manifestAsset.status, manifestAsset.text).toBe(201);
  return { emu, key, assetId: String(asset.Id), manifest: manifest.body, manifestAssetId: String(manifestAsset.body.Id) };
}

/** POST IngestManifestFiles with the encryption fields the .NET SDK's bulk ingest sent. */
function ingestFile(s: Setup, name: string, iv: string, keyId = s.key.id): Promise<AmsResponse> {
  return s.emu.ams('POST', 'IngestManifestFiles', {
    body: {
      Name: name,
      ParentIngestManifestId: s.manifest.Id,
      ParentIngestManifestAssetId: s.manifestAssetId,
      IsEncrypted: 'true',
      EncryptionScheme: 'StorageEncryption',
      EncryptionVersion: '1.0',
      EncryptionKeyId: keyId,
      InitializationVector: iv,
      MimeType: 'video/mp4',
    },
  });
}

/** POST Files of a storage-encrypted file, as the .NET SDK's direct upload does. */
function directFile(s: Setup, assetId: string, name: string, iv: string): Promise<AmsResponse> {
  return s.emu.ams('POST', 'Files', { body: encryptedFileBody(assetId, s.key.id, name, iv) });
}

async function findings(emu: TestEmulator): Promise<JsonBody[]> {
  const res = await emu.admin('GET', 'findings');
  expect(res.status).toBe(200);
  return res.body.findings as JsonBody[];
}

/** What a finding says, without the ids and names that differ between two runs. */
function shape(finding: JsonBody): JsonBody {
  return {
    rule: finding.rule,
    severity: finding.severity,
    message: String(finding.message).replace(/'[^']*'/g, "'…'").replace(/\([^)]*\)/g, '(…)').replace(/InitializationVector \d+/, 'InitializationVector N').replace(/key \S+,/, 'key K,'),
  };
}

describe('one IV twice under one key', () => {
  it('two files of one manifest: the second gets the finding a direct upload of the same two files gets; both still arrive and verify', async () => {
    // The direct upload's finding, for comparison.
    const direct = await setup(compat);
    const iv = formatIv(randomIv());
    expect((await directFile(direct, direct.assetId, 'a.mp4', iv)).status).toBe(201);
    const secondDirect = await directFile(direct, direct.assetId, 'b.mp4', iv);
    expect(secondDirect.status).toBe(201);
    const [directFinding] = await findings(compat);
    expect(directFinding?.rule).toBe('iv-reused');
    await compat.admin('DELETE', 'findings');

    const s = await setup(compat);
    const sharedIv = randomIv();
    const first = await ingestFile(s, 'one.mp4', formatIv(sharedIv));
    expect(first.status, first.text).toBe(201);
    expect(await findings(compat)).toEqual([]);
    const second = await ingestFile(s, 'two.mp4', formatIv(sharedIv));
    expect(second.status, second.text).toBe(201);
    const [found, ...more] = await findings(compat);
    expect(more).toEqual([]);
    expect(found).toMatchObject({ rule: 'iv-reused', entityId: second.body.Id, otherFileId: first.body.Id, requestId: second.headers.get('x-ms-request-id') });
    expect(String(found!.keyId).toLowerCase()).toBe(s.key.id.toLowerCase());
    expect(shape(found!)).toEqual(shape(directFinding!));

    // The uploads themselves are right (each encrypted with the IV it names): both move and verify,
    // and moving them raises nothing more (their IVs were judged when sent).
    const container = new ContainerClient(compat.emulator.storage.connectionString, new URL(String(s.manifest.BlobStorageUriForUpload)).pathname.split('/').filter(Boolean).at(-1)!);
    for (const name of ['one.mp4', 'two.mp4']) await container.getBlockBlobClient(name).uploadData(amsCtr(s.key.key, sharedIv, mp4Like(70_000)));
    let manifest: JsonBody = {};
    for (let i = 0; i < 100; i++) {
      manifest = (await compat.ams('GET', entityPath('IngestManifests', String(s.manifest.Id)))).body;
      if (manifest.Statistics.PendingFilesCount === 0) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(manifest.Statistics).toMatchObject({ PendingFilesCount: 0, FinishedFilesCount: 2, ErrorFilesCount: 0 });
    expect((await compat.admin('GET', 'verifications?wait=30')).body.idle).toBe(true);
    const files = (await compat.ams('GET', `${entityPath('Assets', s.assetId)}/Files`)).body.value as JsonBody[];
    for (const file of files) expect((await compat.admin('GET', `files/${encodeURIComponent(String(file.Id))}/verification`)).body.status, String(file.Name)).toBe('verified');
    expect((await findings(compat)).map((f) => f.rule)).toEqual(['iv-reused']);
  });

  it('strict refuses the second file of a manifest with 409, as it refuses a direct upload, and keeps nothing of it', async () => {
    const s = await setup(strict);
    const iv = formatIv(randomIv());
    expect((await ingestFile(s, 'one.mp4', iv)).status).toBe(201);
    const refused = await ingestFile(s, 'two.mp4', iv);
    expect(refused.status).toBe(409);
    expect(errorMessage(refused.body)).toMatch(/iv-reused/);
    expect((await strict.ams('GET', `${entityPath('IngestManifests', String(s.manifest.Id))}`)).body.Statistics.PendingFilesCount).toBe(1);
    const directRefused = await directFile(s, s.assetId, 'direct.mp4', iv);
    expect(directRefused.status).toBe(409);
    expect(errorMessage(directRefused.body)).toMatch(/iv-reused/);
  });

  it('across the two ways in: a manifest file reusing a direct file\'s IV, a direct file reusing a waiting manifest file\'s', async () => {
    const s = await setup(compat);
    const other = String((await createAsset(compat, { Name: 'other', Options: 1 })).Id);
    await linkKey(compat, other, s.key.id);

    const directFirst = formatIv(randomIv());
    const direct = await directFile(s, other, 'direct.mp4', directFirst);
    expect(direct.status).toBe(201);
    const ingestAfter = await ingestFile(s, 'after.mp4', directFirst);
    expect(ingestAfter.status).toBe(201);
    expect(await findings(compat)).toMatchObject([{ rule: 'iv-reused', entityId: ingestAfter.body.Id, otherFileId: direct.body.Id }]);
    await compat.admin('DELETE', 'findings');

    const ingestFirst = formatIv(randomIv());
    const waiting = await ingestFile(s, 'waiting.mp4', ingestFirst);
    expect(waiting.status).toBe(201);
    const directAfter = await directFile(s, other, 'late.mp4', ingestFirst);
    expect(directAfter.status).toBe(201);
    expect(await findings(compat)).toMatchObject([{ rule: 'iv-reused', entityId: directAfter.body.Id, otherFileId: waiting.body.Id }]);

    // Strict refuses both directions.
    const t = await setup(strict);
    const iv = formatIv(randomIv());
    expect((await directFile(t, t.assetId, 'direct.mp4', iv)).status).toBe(201);
    expect((await ingestFile(t, 'after.mp4', iv)).status).toBe(409);
    const ivWaiting = formatIv(randomIv());
    expect((await ingestFile(t, 'waiting.mp4', ivWaiting)).status).toBe(201);
    expect((await directFile(t, t.assetId, 'late.mp4', ivWaiting)).status).toBe(409);
  });
});

describe('no reuse, no finding', () => {
  it('distinct IVs in a manifest and beside direct files, and one IV under two keys', async () => {
    const s = await setup(compat);
    for (const name of ['one.mp4', 'two.mp4', 'three.mp4']) expect((await ingestFile(s, name, formatIv(randomIv()))).status).toBe(201);
    expect((await directFile(s, s.assetId, 'direct.mp4', formatIv(randomIv()))).status).toBe(201);

    // One IV under another key is another keystream.
    const shared = formatIv(randomIv());
    expect((await ingestFile(s, 'four.mp4', shared)).status).toBe(201);
    const other = await setup(compat);
    expect((await ingestFile(other, 'four.mp4', shared)).status).toBe(201);
    expect((await directFile(other, other.assetId, 'five.mp4', formatIv(randomIv()))).status).toBe(201);
    expect(await findings(compat)).toEqual([]);

    // A manifest file deleted before its upload will never become a file: its IV is free again.
    const t = await setup(strict);
    const freed = formatIv(randomIv());
    const dropped = await ingestFile(t, 'dropped.mp4', freed);
    expect(dropped.status).toBe(201);
    expect((await strict.ams('DELETE', entityPath('IngestManifestFiles', String(dropped.body.Id)))).status).toBe(204);
    expect((await directFile(t, t.assetId, 'reused.mp4', freed)).status).toBe(201);
    expect(await findings(strict)).toEqual([]);
  });
});
