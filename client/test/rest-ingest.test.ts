import { ContainerClient } from '@azure/storage-blob';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestEmulator, type TestEmulator } from '../../test/support/emulator.js';
import { amsCtr, formatIv, randomIv } from '../src/crypto/index.js';
import { AmsClient, IngestManifestFileState, NotificationEndPointType } from '../src/rest/index.js';
import { createStorageContentKey } from '../src/workflows/content-key.js';

/**
 * The reference client's bulk ingest calls, as a library user strings them together: a storage-
 * encrypted asset and its key, a manifest with one file, the encrypted blob uploaded into the
 * manifest's container, and the manifest polled until nothing is pending.
 */

let emu: TestEmulator;
let client: AmsClient;
beforeAll(async () => {
  emu = await startTestEmulator();
  client = new AmsClient({ endpoint: emu.url, auth: { kind: 'static', token: 'test' } });
});
afterAll(() => emu.close());

describe('bulk ingest through AmsClient', () => {
  it('manifest, manifest asset, encrypted file, upload, poll: the file reaches its asset with its IV', async () => {
    const asset = await client.createAsset({ Name: 'bulk', Options: 1 });
    const key = await createStorageContentKey(client);
    await client.linkContentKey(asset.Id, key.id);
    const manifest = await client.createIngestManifest({ Name: 'library' });
    const manifestAsset = await client.createIngestManifestAsset(manifest.Id, asset.Id);
    const iv = randomIv();
    const file = await client.createIngestManifestFile({
      Name: 'movie.bin',
      ParentIngestManifestId: manifest.Id,
      ParentIngestManifestAssetId: manifestAsset.Id,
      IsEncrypted: true,
      EncryptionScheme: 'StorageEncryption',
      EncryptionVersion: '1.0',
      EncryptionKeyId: key.id,
      InitializationVector: formatIv(iv),
    });
    expect((await client.getIngestManifest(manifest.Id)).Statistics.PendingFilesCount).toBe(1);
    const container = new URL(manifest.BlobStorageUriForUpload!).pathname.split('/').at(-1)!;
    await new ContainerClient(emu.emulator.storage.connectionString, container).getBlockBlobClient('movie.bin').uploadData(amsCtr(key.key, iv, Buffer.alloc(4096, 7)));
    let now = await client.getIngestManifest(manifest.Id);
    for (let i = 0; i < 50 && now.Statistics.PendingFilesCount > 0; i++) {
      await new Promise((r) => setTimeout(r, 100));
      now = await client.getIngestManifest(manifest.Id);
    }
    expect(now.Statistics).toMatchObject({ PendingFilesCount: 0, FinishedFilesCount: 1 });
    expect((await client.getIngestManifestFile(file.Id)).State).toBe(IngestManifestFileState.Finished);
    const [assetFile] = await client.listAssetFiles(asset.Id);
    expect(assetFile).toMatchObject({ Name: 'movie.bin', IsEncrypted: true, InitializationVector: formatIv(iv) });
    await client.deleteIngestManifest(manifest.Id);
  });

  it('creates and deletes a notification endpoint', async () => {
    const endpoint = await client.createNotificationEndPoint({ Name: 'q', EndPointType: NotificationEndPointType.AzureQueue, EndPointAddress: 'library-queue' });
    expect(endpoint).toMatchObject({ EndPointType: 1, EndPointAddress: 'library-queue', CredentialType: 0 });
    await client.deleteNotificationEndPoint(endpoint.Id);
  });
});
