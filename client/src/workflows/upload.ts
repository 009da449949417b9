import { AnonymousCredential, BlockBlobClient, type StoragePipelineOptions } from '@azure/storage-blob';
import { formatIv, randomIv } from '../crypto/index.js';
import type { AmsClient, CallOptions } from '../rest/client.js';
import {
  AccessPermissions, AssetCreationOptions, STORAGE_ENCRYPTION_SCHEME, STORAGE_ENCRYPTION_VERSION, type Asset, type AssetFile,
} from '../rest/entities.js';
import { checkTransferShape, DEFAULT_BLOCK_SIZE, DEFAULT_PARALLELISM } from './blocks.js';
import { createStorageContentKey, type StorageContentKey } from './content-key.js';
import { startCryptoThread, WORKER_THRESHOLD_BYTES, type CryptoThread } from './block-crypto.js';
import { uploadEncryptedBlob } from './encrypted-upload.js';
import type { Leftover } from './errors.js';
import { resolveInputs, type ResolvedInput, type UploadInput } from './inputs.js';
import { guessMimeType } from './mime.js';
import { withSasAccess } from './sas-locator.js';

export interface UploadProgress {
  fileName: string;
  fileBytes: number;
  fileSize: number;
  totalBytes: number;
  totalSize: number;
}

/** What an encrypted transfer into a new asset takes: upload, and bulk ingest (ingest.ts). */
export interface NewAssetTransferOptions {
  assetName?: string;
  /** Blocks uploaded at once per file. Default 4. At most this many plus 3 blocks are held in memory (see BLOCKS_PREPARED_AHEAD). */
  parallelism?: number;
  /** Bytes per block, a multiple of 16. Default 4 MiB. */
  blockSize?: number;
  signal?: AbortSignal;
  onProgress?: (progress: UploadProgress) => void;
  /** Cleanup failures that happen while the upload is already failing (they never replace its error). */
  onCleanupError?: (error: unknown, leftover: Leftover) => void;
  /**
   * The asset exists: if a later step fails, it stays with what was uploaded so far (see below),
   * and this is how a caller learns its id to report or delete it.
   */
  onAssetCreated?: (assetId: string) => void;
  /** Passed to `@azure/storage-blob` (retry policy, proxy, custom HTTP client). */
  storageOptions?: StoragePipelineOptions;
}

export interface UploadOptions extends NewAssetTransferOptions {
  /** Lifetime of the write access policy. Default 120 minutes. */
  accessMinutes?: number;
}

export interface UploadedFile {
  id: string;
  name: string;
  size: number;
  /** The InitializationVector as stored: a decimal UInt64. */
  iv: string;
  /** MD5 of the clear bytes, hex (the file's ContentChecksum). */
  md5: string;
}

export interface UploadResult {
  assetId: string;
  contentKeyId: string;
  files: UploadedFile[];
}

const DEFAULT_ACCESS_MINUTES = 120;

/**
 * Upload files into a new storage-encrypted asset, the AMS v2 way:
 *
 *  1. content key: GetProtectionKeyId(1), GetProtectionKey, 32 random bytes wrapped to that certificate
 *  2. POST Assets {Options: 1 (StorageEncrypted)}, then link the key to it
 *  3. POST Files per file, with its own random IV and the encryption properties
 *  4. a Write access policy and a SAS locator
 *  5. per file: encrypt with AES-CTR while uploading blocks, then MERGE ContentFileSize and ContentChecksum
 *  6. delete the locator and the policy, whatever happened
 *
 * Inputs are checked before anything is created. If a later step fails, the asset, its key and its
 * files stay as they are (so the asset id in the service can be inspected or deleted); only the
 * temporary write access is removed.
 */
export async function uploadEncrypted(client: AmsClient, inputs: readonly UploadInput[], options: UploadOptions = {}): Promise<UploadResult> {
  const shape = transferShapeOf(options);
  const files = await resolveInputs(inputs);
  return withCryptoThread(files, (cryptoThread) => uploadFiles(client, files, options, { ...shape, progress: progressOf(files, options), signal: options.signal, cryptoThread }));
}

async function uploadFiles(client: AmsClient, files: readonly ResolvedInput[], options: UploadOptions, transfer: FileTransfer): Promise<UploadResult> {
  const { signal } = options;
  const call = signal ? { signal } : {};
  const { storageKey, asset } = await createEncryptedAsset(client, options, call);

  const ivs = uniqueIvs();
  const planned: Array<{ input: ResolvedInput; entity: AssetFile; iv: bigint; mimeType: string }> = [];
  for (const input of files) {
    const iv = ivs.next();
    const mimeType = guessMimeType(input.name);
    const entity = await client.createFile(
      { Name: input.name, ParentAssetId: asset.Id, ...storageEncryptionFields(storageKey.id, iv), MimeType: mimeType, ContentFileSize: BigInt(input.size) },
      call,
    );
    planned.push({ input, entity, iv, mimeType });
  }

  return withSasAccess(
    client,
    {
      assetId: asset.Id,
      permissions: AccessPermissions.Write,
      durationMinutes: options.accessMinutes ?? DEFAULT_ACCESS_MINUTES,
      namePrefix: 'UploadPolicy',
      signal,
      onCleanupError: options.onCleanupError,
    },
    async (access) => {
      const done: UploadedFile[] = [];
      for (const { input, entity, iv, mimeType } of planned) {
        const blob = new BlockBlobClient(access.blobUrl(input.name), new AnonymousCredential(), options.storageOptions);
        const { size, md5 } = await sendEncrypted(blob, input, { key: storageKey.key, iv, mimeType }, transfer);
        await client.updateFile(entity.Id, { ContentFileSize: BigInt(size), ContentChecksum: md5 }, call);
        done.push({ id: entity.Id, name: input.name, size, iv: formatIv(iv), md5 });
      }
      return { assetId: asset.Id, contentKeyId: storageKey.id, files: done };
    },
  );
}

/** The block size and parallelism of a transfer, checked. */
export function transferShapeOf(options: NewAssetTransferOptions): { blockSize: number; parallelism: number } {
  const blockSize = options.blockSize ?? DEFAULT_BLOCK_SIZE;
  const parallelism = options.parallelism ?? DEFAULT_PARALLELISM;
  checkTransferShape(blockSize, parallelism);
  return { blockSize, parallelism };
}

/**
 * Steps 1 and 2: a storage content key (32 random bytes wrapped to the protection certificate), a
 * StorageEncrypted asset, and the key linked to it.
 */
export async function createEncryptedAsset(client: AmsClient, options: NewAssetTransferOptions, call: CallOptions): Promise<{ storageKey: StorageContentKey; asset: Asset }> {
  const storageKey = await createStorageContentKey(client, call);
  const asset = await client.createAsset({ ...(options.assetName !== undefined ? { Name: options.assetName } : {}), Options: AssetCreationOptions.StorageEncrypted }, call);
  options.onAssetCreated?.(asset.Id);
  await client.linkContentKey(asset.Id, storageKey.id, call);
  return { storageKey, asset };
}

/** The encryption fields of a storage-encrypted file (an AssetFile or an IngestManifestFile). */
export function storageEncryptionFields(keyId: string, iv: bigint) {
  return {
    IsEncrypted: true,
    EncryptionScheme: STORAGE_ENCRYPTION_SCHEME,
    EncryptionVersion: STORAGE_ENCRYPTION_VERSION,
    EncryptionKeyId: keyId,
    InitializationVector: formatIv(iv),
  } as const;
}

/** Counts the bytes of all files as their blocks are stored, for `onProgress`. */
export interface TransferProgress {
  stored(fileName: string, fileBytes: number, fileSize: number, bytes: number): void;
}

export function progressOf(files: readonly ResolvedInput[], options: NewAssetTransferOptions): TransferProgress {
  const totalSize = files.reduce((sum, f) => sum + f.size, 0);
  let totalBytes = 0;
  return {
    stored(fileName, fileBytes, fileSize, bytes) {
      totalBytes += bytes;
      options.onProgress?.({ fileName, fileBytes, fileSize, totalBytes, totalSize });
    },
  };
}

/** How one transfer moves its files: their shape, progress, cancellation and crypto thread. */
export interface FileTransfer {
  blockSize: number;
  parallelism: number;
  progress: TransferProgress;
  signal: AbortSignal | undefined;
  cryptoThread: CryptoThread | undefined;
}

/** One input encrypted with AES-CTR while its blocks are uploaded to `blob`; its clear size and MD5. */
export async function sendEncrypted(
  blob: BlockBlobClient,
  input: ResolvedInput,
  encryption: { key: Uint8Array; iv: bigint; mimeType: string },
  transfer: FileTransfer,
): Promise<{ size: number; md5: string }> {
  let fileBytes = 0;
  const source = input.path !== undefined ? { filePath: input.path } : input.open();
  return uploadEncryptedBlob(blob, source, {
    key: encryption.key,
    iv: encryption.iv,
    expectedSize: input.size,
    blockSize: transfer.blockSize,
    parallelism: transfer.parallelism,
    contentType: encryption.mimeType,
    signal: transfer.signal,
    cryptoThread: transfer.cryptoThread,
    onBlockStored: (bytes) => {
      fileBytes += bytes;
      transfer.progress.stored(input.name, fileBytes, input.size, bytes);
    },
  });
}

/**
 * Run a transfer with a crypto thread for its large files (if it has any), started first, so that
 * the thread's start-up runs beside the REST calls before the first block instead of delaying it;
 * stopped when the transfer ends, however it ends.
 */
export async function withCryptoThread<T>(files: readonly ResolvedInput[], transfer: (thread: CryptoThread | undefined) => Promise<T>): Promise<T> {
  const thread = files.some((f) => f.size >= WORKER_THRESHOLD_BYTES) ? startCryptoThread() : undefined;
  try {
    return await transfer(thread);
  } finally {
    thread?.close();
  }
}

/**
 * Fresh random IVs, none repeated within one upload: under one content key, two files with the
 * same IV would share a keystream (the .NET SDK loops on duplicates the same way).
 */
export function uniqueIvs(): { next(): bigint } {
  const used = new Set<bigint>();
  return {
    next() {
      let iv = randomIv();
      while (used.has(iv)) iv = randomIv();
      used.add(iv);
      return iv;
    },
  };
}
