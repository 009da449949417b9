import type { Readable } from 'node:stream';
import { CryptoInputError, createAmsCtrStream, parseIv } from '../../../client/src/crypto/index.js';
import { openStorageKey } from '../domain/content-keys.js';
import { assetStorageKeyId, containerOf, getAsset, type AssetRecord } from '../model/asset.js';
import { fileKeyId, type AssetFileRecord } from '../model/asset-file.js';
import { getContentKey } from '../model/content-key.js';
import { STORAGE_ENCRYPTION_SCHEME } from '../model/enums.js';
import type { Services } from '../app/services.js';
import type { BlobInfo } from '../storage/types.js';

/**
 * The clear bytes of an asset file, whatever its encryption: what verification, the Storage
 * Decryption job and origin delivery all read. Streams with flat memory: a range read from
 * storage piped through AES-CTR at the range's file offset.
 */
export interface ClearSource {
  file: AssetFileRecord;
  asset: AssetRecord;
  container: string;
  blob: BlobInfo;
  /** undefined: the file is not storage-encrypted and its blob is already clear. */
  encryption?: { key: Buffer; keyId: string; iv: bigint };
}

/** Why a file's clear bytes cannot be produced; `code` is stable (job ErrorDetails, verification `skipped`). */
export class ClearContentError extends Error {
  constructor(
    readonly code: 'NoBlob' | 'NoAsset' | 'NoContentKey' | 'ContentKeyUnwrapFailed' | 'InvalidInitializationVector' | 'UnsupportedEncryption',
    message: string,
  ) {
    super(message);
    this.name = 'ClearContentError';
  }
}

export function isStorageEncrypted(file: AssetFileRecord): boolean {
  return file.IsEncrypted === true && (file.EncryptionScheme === null || file.EncryptionScheme === STORAGE_ENCRYPTION_SCHEME);
}

/**
 * Everything needed to produce a file's clear bytes, checked: blob present, key linked and
 * unwrappable, IV a decimal UInt64. The key is the file's EncryptionKeyId when it names one, else
 * the asset's StorageEncryption key (what the .NET SDK's download uses).
 */
export async function resolveClearSource(services: Services, file: AssetFileRecord): Promise<ClearSource> {
  const located = await locateBlob(services, file);
  if (file.IsEncrypted !== true) return located;
  if (!isStorageEncrypted(file)) {
    throw new ClearContentError('UnsupportedEncryption', `EncryptionScheme ${JSON.stringify(file.EncryptionScheme)} is not StorageEncryption; only storage encryption is decrypted here`);
  }
  const { key, keyId } = resolveContentKey(services, file, located.asset);
  return { ...located, encryption: { key, keyId, iv: resolveIv(file) } };
}

/** The file's asset, container and blob (NoAsset, NoBlob): the first half of resolveClearSource. */
export async function locateBlob(services: Services, file: AssetFileRecord): Promise<ClearSource> {
  const asset = getAsset(services.store, String(file.ParentAssetId));
  if (!asset) throw new ClearContentError('NoAsset', `the file's asset ${String(file.ParentAssetId)} does not exist`);
  const container = containerOf(asset);
  const name = String(file.Name);
  const blob = await services.storage.getBlob(container, name);
  if (!blob) throw new ClearContentError('NoBlob', `no blob named '${name}' in the asset's container ${container}: the upload has not happened (or used another name)`);
  return { file, asset, container, blob };
}

/** The opened 32-byte content key of a storage-encrypted file (NoContentKey, ContentKeyUnwrapFailed). */
export function resolveContentKey(services: Services, file: AssetFileRecord, asset: AssetRecord): { key: Buffer; keyId: string } {
  const keyId = fileKeyId(services.store, file) ?? assetStorageKeyId(services.store, asset.Id);
  const keyRecord = keyId ? getContentKey(services.store, keyId) : undefined;
  if (!keyId || !keyRecord) {
    throw new ClearContentError('NoContentKey', `no content key: the file names ${JSON.stringify(file.EncryptionKeyId)} and the asset has no StorageEncryption key linked`);
  }
  const opened = openStorageKey(services.keys, keyRecord.EncryptedContentKey);
  if (!opened.ok) throw new ClearContentError('ContentKeyUnwrapFailed', `the content key ${String(keyRecord.Id)} ${opened.problem}`);
  return { key: opened.key, keyId: String(keyRecord.Id) };
}

/** The file's InitializationVector as a number (InvalidInitializationVector). */
export function resolveIv(file: AssetFileRecord): bigint {
  try {
    return parseIv(String(file.InitializationVector ?? ''));
  } catch (err) {
    if (err instanceof CryptoInputError) throw new ClearContentError('InvalidInitializationVector', `InitializationVector: ${err.message}`);
    throw err;
  }
}

/** A stream of clear bytes `[offset, offset + count)` of the file (count undefined: to the end). */
export async function openClearStream(services: Services, source: ClearSource, offset = 0, count?: number): Promise<Readable> {
  const raw = await services.storage.readBlob(source.container, source.blob.name, offset, count);
  if (!source.encryption) return raw;
  const decrypt = createAmsCtrStream(source.encryption.key, source.encryption.iv, BigInt(offset));
  raw.on('error', (err) => decrypt.destroy(err));
  return raw.pipe(decrypt);
}
