import { AnonymousCredential, BlockBlobClient, type StoragePipelineOptions } from '@azure/storage-blob';
import { formatIv, randomIv } from '../crypto/index.js';
import type { AmsClient } from '../rest/client.js';
import {
  AccessPermissions, AssetCreationOptions, STORAGE_ENCRYPTION_SCHEME, STORAGE_ENCRYPTION_VERSION, type AssetFile,
} from '../rest/entities.js';
import { checkTransferShape, DEFAULT_BLOCK_SIZE, DEFAULT_PARALLELISM } from './blocks.js';
import { createStorageContentKey } from './content-key.js';
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

export interface UploadOptions {
  assetName?: string;
  /** Blocks uploaded at once per file (and so blocks held in memory). Default 4. */
  parallelism?: number;
  /** Bytes per block, a multiple of 16. Default 4 MiB. */
  blockSize?: number;
  /** Lifetime of the write access policy. Default 120 minutes. */
  accessMinutes?: number;
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
  const blockSize = options.blockSize ?? DEFAULT_BLOCK_SIZE;
  const parallelism = options.parallelism ?? DEFAULT_PARALLELISM;
  checkTransferShape(blockSize, parallelism);
  const { signal } = options;
  const call = signal ? { signal } : {};
  const files = await resolveInputs(inputs);

  const storageKey = await createStorageContentKey(client, call);
  const asset = await client.createAsset(
    { ...(options.assetName !== undefined ? { Name: options.assetName } : {}), Options: AssetCreationOptions.StorageEncrypted },
    call,
  );
  options.onAssetCreated?.(asset.Id);
  await client.linkContentKey(asset.Id, storageKey.id, call);

  const ivs = uniqueIvs();
  const planned: Array<{ input: ResolvedInput; entity: AssetFile; iv: bigint; mimeType: string }> = [];
  for (const input of files) {
    const iv = ivs.next();
    const mimeType = guessMimeType(input.name);
    const entity = await client.createFile(
      {
        Name: input.name,
        ParentAssetId: asset.Id,
        IsEncrypted: true,
        EncryptionScheme: STORAGE_ENCRYPTION_SCHEME,
        EncryptionVersion: STORAGE_ENCRYPTION_VERSION,
        EncryptionKeyId: storageKey.id,
        InitializationVector: formatIv(iv),
        MimeType: mimeType,
        ContentFileSize: BigInt(input.size),
      },
      call,
    );
    planned.push({ input, entity, iv, mimeType });
  }

  const totalSize = files.reduce((sum, f) => sum + f.size, 0);
  let totalBytes = 0;
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
        let fileBytes = 0;
        const blob = new BlockBlobClient(access.blobUrl(input.name), new AnonymousCredential(), options.storageOptions);
        const source = input.path !== undefined ? { filePath: input.path } : input.open();
        const { size, md5 } = await uploadEncryptedBlob(blob, source, {
          key: storageKey.key,
          iv,
          expectedSize: input.size,
          blockSize,
          parallelism,
          contentType: mimeType,
          signal,
          onBlockStored: (bytes) => {
            fileBytes += bytes;
            totalBytes += bytes;
            options.onProgress?.({ fileName: input.name, fileBytes, fileSize: input.size, totalBytes, totalSize });
          },
        });
        await client.updateFile(entity.Id, { ContentFileSize: BigInt(size), ContentChecksum: md5 }, call);
        done.push({ id: entity.Id, name: input.name, size, iv: formatIv(iv), md5 });
      }
      return { assetId: asset.Id, contentKeyId: storageKey.id, files: done };
    },
  );
}

/**
 * Fresh random IVs, none repeated within one upload: under one content key, two files with the
 * same IV would share a keystream (the .NET SDK loops on duplicates the same way).
 */
function uniqueIvs(): { next(): bigint } {
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
