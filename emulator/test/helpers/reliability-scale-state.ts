/**
 * A data directory holding N storage-encrypted assets, each with its own content key (linked) and
 * one encrypted file, built in seconds: the emulator makes one of each through its API, and the
 * store API clones those records N times with fresh ids. The records are the emulator's own, so
 * the emulator started on the directory reads exactly what its API would have written; only the
 * clones' containers do not exist in storage (nothing here reads their blobs).
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { contentKeyChecksum, formatKeyId, formatNbId, wrapContentKey } from '../../../client/src/crypto/index.js';
import { ContentKey } from '../../src/odata/edm.js';
import { canonicalId } from '../../src/odata/uri.js';
import { openStore } from '../../src/store/index.js';
import type { JsonRecord } from '../../src/store/types.js';
import { startTestEmulator, entityPath, type TestEmulator } from '../../../test/support/emulator.js';

export interface ScaleAsset {
  id: string;
  name: string;
  keyId: string;
  fileId: string;
  /** The file's InitializationVector. */
  iv: string;
}

export interface ScaleState {
  /** In creation order (the order listings return them), the template's asset first. */
  assets: ScaleAsset[];
}

/** `scale-00042`: zero-padded so that names sort and prefix-filter like numbers. */
export function scaleName(index: number): string {
  return `scale-${String(index).padStart(5, '0')}`;
}

/** Fill `directory` (which must not be open) with `count` assets and return what it holds. */
export async function buildScaleState(directory: string, storageConnectionString: string, count: number): Promise<ScaleState> {
  const key = randomBytes(32);
  const template = await makeTemplate(directory, storageConnectionString, key);
  const store = await openStore({ directory, compactionMinBytes: 64 * 1024 * 1024 });
  try {
    const records = (collection: string) => [...store.values<JsonRecord>(collection)];
    const [asset] = records('assets');
    const [file] = records('files');
    const [contentKey] = records('contentKeys');
    const [link] = records('assetContentKeys');
    if (!asset || !file || !contentKey || !link) throw new Error('the template entities were not stored');
    const assets: ScaleAsset[] = [{ ...template }];
    const BATCH = 1000;
    for (let start = 0; start < count - 1; start += BATCH) {
      await store.transaction((tx) => {
        for (let i = start; i < Math.min(count - 1, start + BATCH); i++) {
          const guid = randomUUID();
          const id = formatNbId('cid', guid);
          const container = `asset-${guid}`;
          const name = scaleName(i + 1);
          const keyId = formatKeyId(randomUUID());
          const fileId = formatNbId('cid', randomUUID());
          const iv = String(1_000_000 + i);
          tx.put('contentKeys', canonicalId(ContentKey, keyId), { ...contentKey, Id: keyId, Checksum: contentKeyChecksum(key, keyId) });
          tx.put('assets', id, { ...asset, Id: id, Name: name, _internal: { container }, Uri: String(asset['Uri']).replace(String((asset['_internal'] as { container: string }).container), container) });
          tx.put('assetContentKeys', `${id}|${canonicalId(ContentKey, keyId)}`, { ...link, assetId: id, keyId: canonicalId(ContentKey, keyId) });
          tx.put('files', fileId, { ...file, Id: fileId, ParentAssetId: id, EncryptionKeyId: keyId, InitializationVector: iv });
          assets.push({ id, name, keyId, fileId, iv });
        }
      });
    }
    return { assets };
  } finally {
    await store.close();
  }
}

/** One asset, key, link and file made through the API, as the records to clone. */
async function makeTemplate(directory: string, storageConnectionString: string, key: Buffer): Promise<ScaleAsset> {
  const emu: TestEmulator = await startTestEmulator({ location: directory, storageConnectionString });
  try {
    const call = async (method: string, path: string, body: unknown, status: number) => {
      const res = await emu.ams(method, path, { body });
      if (res.status !== status) throw new Error(`${method} ${path} answered ${res.status}: ${res.text}`);
      return res.body;
    };
    const protectionKeyId = String((await call('GET', 'GetProtectionKeyId?contentKeyType=1', undefined, 200)).value);
    const certificate = String((await call('GET', `GetProtectionKey?ProtectionKeyId='${protectionKeyId}'`, undefined, 200)).value);
    const keyId = formatKeyId(randomUUID());
    await call('POST', 'ContentKeys', {
      Id: keyId,
      ContentKeyType: 1,
      EncryptedContentKey: wrapContentKey(certificate, key).toString('base64'),
      ProtectionKeyId: protectionKeyId,
      ProtectionKeyType: 0,
      Checksum: contentKeyChecksum(key, keyId),
    }, 201);
    const asset = await call('POST', 'Assets', { Name: scaleName(0), Options: 1 }, 201);
    const assetId = String(asset.Id);
    await call('POST', `${entityPath('Assets', assetId)}/$links/ContentKeys`, { uri: `${emu.url}${entityPath('ContentKeys', keyId)}` }, 204);
    const iv = String(999_999);
    const file = await call('POST', 'Files', {
      Name: 'movie.mp4',
      ParentAssetId: assetId,
      IsEncrypted: true,
      EncryptionScheme: 'StorageEncryption',
      EncryptionVersion: '1.0',
      EncryptionKeyId: keyId,
      InitializationVector: iv,
      MimeType: 'video/mp4',
    }, 201);
    return { id: assetId, name: scaleName(0), keyId, fileId: String(file.Id), iv };
  } finally {
    await emu.close();
  }
}
