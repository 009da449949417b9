import { open, unlink } from 'node:fs/promises';
import type { Writable } from 'node:stream';
import { AnonymousCredential, BlobClient, type StoragePipelineOptions } from '@azure/storage-blob';
import { parseIv } from '../crypto/index.js';
import type { AmsClient, CallOptions } from '../rest/client.js';
import { AccessPermissions, ContentKeyType, STORAGE_ENCRYPTION_SCHEME, type AssetFile, type ContentKey } from '../rest/entities.js';
import { odataString } from '../rest/urls.js';
import { startCryptoThread, WORKER_THRESHOLD_BYTES, type CryptoThread } from './block-crypto.js';
import { checkTransferShape, DEFAULT_BLOCK_SIZE, DEFAULT_PARALLELISM } from './blocks.js';
import { retrieveContentKey, type KeyRetrieval } from './content-key.js';
import { downloadDecryptedBlob, fileHandleSink, writableSink, type ByteSink } from './encrypted-download.js';
import { AmsWorkflowError, type Leftover } from './errors.js';
import { withSasAccess } from './sas-locator.js';

export interface DownloadOptions {
  /** Ranges read at once. Default 4; up to twice as many are held in memory while they are decrypted and written. */
  parallelism?: number;
  /** Bytes per range. Default 4 MiB. */
  blockSize?: number;
  /** How to get the storage key: in clear (default) or re-wrapped to your certificate. */
  key?: KeyRetrieval;
  /** Lifetime of the read access policy. Default 120 minutes. */
  accessMinutes?: number;
  /** End a Writable destination when done. Default true. */
  end?: boolean;
  signal?: AbortSignal;
  onProgress?: (progress: { fileName: string; bytes: number; size: number }) => void;
  onCleanupError?: (error: unknown, leftover: Leftover) => void;
  storageOptions?: StoragePipelineOptions;
}

export interface DownloadResult {
  fileId: string;
  name: string;
  size: number;
  /** MD5 of the clear bytes, hex. */
  md5: string;
  /** Whether the file had a ContentChecksum to compare with (and it matched). */
  checksumVerified: boolean;
}

const DEFAULT_ACCESS_MINUTES = 120;

/**
 * Download one file of an asset and decrypt it:
 *
 *  1. find the file entity by name
 *  2. if it is storage-encrypted: the asset's storage key by RebindContentKey, the IV from the file
 *  3. a Read access policy and a SAS locator
 *  4. read ranges in parallel, decrypt each with AES-CTR at its offset, write it at its position
 *     (a path) or in order (a Writable); check the MD5 against ContentChecksum when there is one
 *  5. delete the locator and the policy, whatever happened
 *
 * A path destination is removed again if the download fails, so no partial file is left.
 */
export async function download(
  client: AmsClient,
  assetId: string,
  fileName: string,
  dest: string | Writable,
  options: DownloadOptions = {},
): Promise<DownloadResult> {
  const blockSize = options.blockSize ?? DEFAULT_BLOCK_SIZE;
  const parallelism = options.parallelism ?? DEFAULT_PARALLELISM;
  checkTransferShape(blockSize, parallelism);
  const file = await findAssetFile(client, assetId, fileName, options.signal ? { signal: options.signal } : {});
  // Started before the key and the locator are fetched, so that its start-up runs beside them.
  const cryptoThread = file.ContentFileSize >= BigInt(WORKER_THRESHOLD_BYTES) ? startCryptoThread() : undefined;
  try {
    return await downloadFile(client, assetId, file, dest, { ...options, blockSize, parallelism }, cryptoThread);
  } finally {
    cryptoThread?.close();
  }
}

async function downloadFile(
  client: AmsClient,
  assetId: string,
  file: AssetFile,
  dest: string | Writable,
  options: DownloadOptions & { blockSize: number; parallelism: number },
  cryptoThread: CryptoThread | undefined,
): Promise<DownloadResult> {
  const { signal, blockSize, parallelism } = options;
  const call = signal ? { signal } : {};
  const decryption = await fileDecryption(client, file, options.key ?? { kind: 'clear' }, call);

  return withSasAccess(
    client,
    {
      assetId,
      permissions: AccessPermissions.Read,
      durationMinutes: options.accessMinutes ?? DEFAULT_ACCESS_MINUTES,
      namePrefix: 'DownloadPolicy',
      signal,
      onCleanupError: options.onCleanupError,
    },
    async (access) => {
      const blob = new BlobClient(access.blobUrl(file.Name), new AnonymousCredential(), options.storageOptions);
      const size = (await blob.getProperties({ abortSignal: signal })).contentLength ?? 0;
      if (BigInt(size) !== file.ContentFileSize) {
        throw new AmsWorkflowError('size-mismatch', `file ${file.Name} has ContentFileSize ${file.ContentFileSize} but its blob holds ${size} bytes: the upload did not finish, or the file entity was not updated`);
      }
      let bytes = 0;
      const onRangeDone = (n: number): void => {
        bytes += n;
        options.onProgress?.({ fileName: file.Name, bytes, size });
      };
      const transfer = (sink: ByteSink) => downloadDecryptedBlob(blob, size, sink, { decryption, blockSize, parallelism, signal, onRangeDone, cryptoThread });
      const { md5 } = typeof dest === 'string' ? await toPath(dest, transfer, file) : await toWritable(dest, transfer, file, options.end ?? true);
      return { fileId: file.Id, name: file.Name, size, md5, checksumVerified: file.ContentChecksum !== null && file.ContentChecksum !== '' };
    },
  );
}

/** The file entity named `fileName` in the asset (names are unique within an asset). */
export async function findAssetFile(client: AmsClient, assetId: string, fileName: string, options: CallOptions = {}): Promise<AssetFile> {
  const matches = await client.listAssetFiles(assetId, { $filter: `Name eq ${odataString(fileName)}` }, options);
  // Filter again here: a server that ignored $filter must not hand us another file.
  const file = matches.find((f) => f.Name === fileName);
  if (!file) throw new AmsWorkflowError('file-not-found', `asset ${assetId} has no file named ${JSON.stringify(fileName)}`);
  return file;
}

/**
 * The key and IV to decrypt a file with, or undefined when it is stored in clear. The key is the
 * asset's StorageEncryption key (as in the .NET SDK), preferring the one the file names.
 */
async function fileDecryption(
  client: AmsClient,
  file: AssetFile,
  retrieval: KeyRetrieval,
  options: CallOptions,
): Promise<{ key: Buffer; iv: bigint } | undefined> {
  if (!file.IsEncrypted) return undefined;
  if (file.EncryptionScheme !== STORAGE_ENCRYPTION_SCHEME) {
    throw new AmsWorkflowError('unsupported-encryption', `file ${file.Name} is encrypted with ${JSON.stringify(file.EncryptionScheme)}; only ${STORAGE_ENCRYPTION_SCHEME} can be decrypted by the client`);
  }
  let iv: bigint;
  try {
    iv = parseIv(file.InitializationVector ?? '');
  } catch (err) {
    throw new AmsWorkflowError('unsupported-encryption', `file ${file.Name} has an unusable InitializationVector: ${(err as Error).message}`, { cause: err });
  }
  const keyEntity = chooseStorageKey(await client.listAssetContentKeys(file.ParentAssetId, options), file);
  const key = await retrieveContentKey(client, keyEntity.Id, retrieval, options);
  if (key.length !== 32) {
    throw new AmsWorkflowError('bad-content-key', `the storage key ${keyEntity.Id} is ${key.length} bytes; storage encryption uses 32`);
  }
  return { key, iv };
}

function chooseStorageKey(keys: ContentKey[], file: AssetFile): ContentKey {
  const storageKeys = keys.filter((k) => k.ContentKeyType === ContentKeyType.StorageEncryption);
  const named = storageKeys.find((k) => k.Id === file.EncryptionKeyId);
  if (named) return named;
  if (storageKeys.length === 1) return storageKeys[0]!;
  throw new AmsWorkflowError(
    'no-storage-key',
    storageKeys.length === 0
      ? `asset ${file.ParentAssetId} has no StorageEncryption content key linked, so ${file.Name} cannot be decrypted`
      : `asset ${file.ParentAssetId} has ${storageKeys.length} StorageEncryption keys and none is the file's EncryptionKeyId ${JSON.stringify(file.EncryptionKeyId)}`,
  );
}

async function toPath(path: string, transfer: (sink: ByteSink) => Promise<{ md5: string }>, file: AssetFile): Promise<{ md5: string }> {
  const handle = await open(path, 'w');
  try {
    const result = await transfer(fileHandleSink(handle));
    verifyChecksum(file, result.md5);
    await handle.close();
    return result;
  } catch (error) {
    await handle.close().catch(() => undefined);
    await unlink(path).catch(() => undefined);
    throw error;
  }
}

async function toWritable(stream: Writable, transfer: (sink: ByteSink) => Promise<{ md5: string }>, file: AssetFile, end: boolean): Promise<{ md5: string }> {
  const result = await transfer(writableSink(stream));
  verifyChecksum(file, result.md5);
  if (end) await new Promise<void>((resolve, reject) => stream.end((err?: Error | null) => (err ? reject(err) : resolve())));
  return result;
}

/** ContentChecksum is MD5 hex by convention; base64 MD5 (as blob Content-MD5 is written) is read too. */
function verifyChecksum(file: AssetFile, md5Hex: string): void {
  const stored = file.ContentChecksum?.trim();
  if (!stored) return;
  const expected = /^[0-9a-fA-F]{32}$/.test(stored) ? stored.toLowerCase() : Buffer.from(stored, 'base64').toString('hex');
  if (expected !== md5Hex) {
    throw new AmsWorkflowError('checksum-mismatch', `file ${file.Name}: the MD5 of the decrypted bytes is ${md5Hex} but ContentChecksum says ${stored}; wrong key or IV, or the blob was changed`);
  }
}
