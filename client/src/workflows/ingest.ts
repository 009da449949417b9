import { Writable } from 'node:stream';
import { ContainerClient } from '@azure/storage-blob';
import { formatIv } from '../crypto/index.js';
import type { AmsClient, CallOptions } from '../rest/client.js';
import { IngestManifestFileState, type IngestManifest } from '../rest/ingest-entities.js';
import { download } from './download.js';
import { AmsWorkflowError } from './errors.js';
import { resolveInputs, type ResolvedInput, type UploadInput } from './inputs.js';
import { guessMimeType } from './mime.js';
import {
  createEncryptedAsset, progressOf, sendEncrypted, storageEncryptionFields, transferShapeOf, uniqueIvs, type FileTransfer, type NewAssetTransferOptions, withCryptoThread,
} from './upload.js';

export interface IngestOptions extends NewAssetTransferOptions {
  /**
   * The storage account's connection string: the manifest's upload container
   * (BlobStorageUriForUpload) is written with the account's own credentials, as the .NET SDK's bulk
   * ingest did with the account key; the service hands out no SAS for it.
   */
  storageConnectionString: string;
  manifestName?: string;
  /** How long to wait for the service to move every file into the asset. Default 10 minutes. */
  timeoutMs?: number;
  /** Read every file back through a read locator, decrypt it, and compare size and MD5 with what was sent. Default true. */
  verify?: boolean;
}

/** How one file ended: its manifest file's state, and whether the bytes in the asset are the ones sent. */
export interface IngestedFile {
  name: string;
  size: number;
  /** The InitializationVector it was encrypted with: a decimal UInt64. */
  iv: string;
  /** MD5 of the clear bytes sent, hex. */
  md5: string;
  manifestFileId: string;
  state: 'Pending' | 'Finished' | 'Error';
  /** The service's ErrorDetail for a file in Error. */
  error: string | null;
  /** The AssetFile it became (Finished only). */
  fileId: string | null;
  /** Read back, decrypted and matched (true), did not match (false), or not checked (null: not Finished, or verify off). */
  verified: boolean | null;
  /** Why it did not verify. */
  problem: string | null;
}

export interface IngestResult {
  assetId: string;
  contentKeyId: string;
  manifestId: string;
  files: IngestedFile[];
  /** Every file Finished and, when verified, read back as sent. */
  ok: boolean;
}

const DEFAULT_TIMEOUT_MS = 600_000;

/**
 * Bulk ingest of local files into a new storage-encrypted asset, as the .NET SDK's
 * `IngestManifests` did it:
 *
 *  1. content key (wrapped to the protection certificate), an asset with Options 1 and the key linked
 *  2. POST IngestManifests, POST IngestManifestAssets naming the asset
 *  3. POST IngestManifestFiles per file with the encryption fields and its own random IV
 *  4. each file encrypted with AES-CTR while it is uploaded into the manifest's
 *     BlobStorageUriForUpload, under its name, with the storage account's credentials
 *  5. the manifest polled until Statistics.PendingFilesCount is 0 (the service moves each blob into
 *     the asset and makes it an AssetFile)
 *  6. each manifest file's State and ErrorDetail read; each Finished file read back through a
 *     temporary read locator, decrypted and compared (size and MD5) with what was sent
 *
 * Inputs are checked before anything is created. The manifest is left in place (its Statistics
 * are the service's account of the ingest); delete it when done with it.
 */
export async function ingestEncrypted(client: AmsClient, inputs: readonly UploadInput[], options: IngestOptions): Promise<IngestResult> {
  const shape = transferShapeOf(options);
  const files = await resolveInputs(inputs);
  return withCryptoThread(files, (cryptoThread) => ingestFiles(client, files, options, { ...shape, progress: progressOf(files, options), signal: options.signal, cryptoThread }));
}

async function ingestFiles(client: AmsClient, files: readonly ResolvedInput[], options: IngestOptions, transfer: FileTransfer): Promise<IngestResult> {
  const { signal } = options;
  const call: CallOptions = signal ? { signal } : {};
  const { storageKey, asset } = await createEncryptedAsset(client, options, call);

  const manifest = await client.createIngestManifest(options.manifestName !== undefined ? { Name: options.manifestName } : {}, call);
  const manifestAsset = await client.createIngestManifestAsset(manifest.Id, asset.Id, call);
  const container = uploadContainer(manifest, options);

  const ivs = uniqueIvs();
  const planned = [];
  for (const input of files) {
    const iv = ivs.next();
    const mimeType = guessMimeType(input.name);
    const entity = await client.createIngestManifestFile(
      { Name: input.name, ParentIngestManifestId: manifest.Id, ParentIngestManifestAssetId: manifestAsset.Id, ...storageEncryptionFields(storageKey.id, iv), MimeType: mimeType },
      call,
    );
    planned.push({ input, entity, iv, mimeType });
  }

  const sent = [];
  for (const { input, entity, iv, mimeType } of planned) {
    const { size, md5 } = await sendEncrypted(container.getBlockBlobClient(input.name), input, { key: storageKey.key, iv, mimeType }, transfer);
    sent.push({ name: input.name, size, iv: formatIv(iv), md5, manifestFileId: entity.Id });
  }
  // Everything is sent: no need for the thread while the service moves the files (up to minutes).
  transfer.cryptoThread?.close();

  await untilNothingPending(client, manifest.Id, options.timeoutMs ?? DEFAULT_TIMEOUT_MS, call);

  const assetFiles = await client.listAssetFiles(asset.Id, undefined, call);
  const results: IngestedFile[] = [];
  for (const file of sent) {
    const now = await client.getIngestManifestFile(file.manifestFileId, call);
    const state = now.State === IngestManifestFileState.Finished ? 'Finished' : now.State === IngestManifestFileState.Error ? 'Error' : 'Pending';
    const assetFile = state === 'Finished' ? assetFiles.find((f) => f.Name === file.name) : undefined;
    const result: IngestedFile = { ...file, state, error: now.ErrorDetail, fileId: assetFile?.Id ?? null, verified: null, problem: null };
    if (state === 'Finished' && options.verify !== false) Object.assign(result, await readBack(client, asset.Id, file, { blockSize: transfer.blockSize, parallelism: transfer.parallelism, options }));
    results.push(result);
  }
  return {
    assetId: asset.Id,
    contentKeyId: storageKey.id,
    manifestId: manifest.Id,
    files: results,
    ok: results.every((f) => f.state === 'Finished' && f.verified !== false),
  };
}

/** The manifest's upload container, in the account the connection string names. */
function uploadContainer(manifest: IngestManifest, options: IngestOptions): ContainerClient {
  const uri = manifest.BlobStorageUriForUpload;
  const name = uri ? new URL(uri).pathname.split('/').filter(Boolean).at(-1) : undefined;
  if (name === undefined) throw new AmsWorkflowError('invalid-input', `the IngestManifest ${manifest.Id} has no BlobStorageUriForUpload to upload into`);
  try {
    return new ContainerClient(options.storageConnectionString, name, options.storageOptions);
  } catch (err) {
    throw new AmsWorkflowError('invalid-input', `the storage connection string cannot be used: ${(err as Error).message}`, { cause: err });
  }
}

/** Poll the manifest (backing off from 100 ms to 2 s) until no file waits for its upload. */
async function untilNothingPending(client: AmsClient, manifestId: string, timeoutMs: number, call: CallOptions): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (let delay = 100; ; delay = Math.min(delay * 2, 2000)) {
    const manifest = await client.getIngestManifest(manifestId, call);
    if (manifest.Statistics.PendingFilesCount === 0) return;
    if (Date.now() > deadline) {
      throw new AmsWorkflowError('ingest-timeout', `the IngestManifest ${manifestId} still had ${manifest.Statistics.PendingFilesCount} pending file(s) after ${Math.round(timeoutMs / 1000)} s: the service did not move the uploads into the asset`);
    }
    await pause(delay, call.signal);
  }
}

/** The file as the asset holds it, decrypted with its key and IV, against what was sent. */
async function readBack(
  client: AmsClient,
  assetId: string,
  sent: { name: string; size: number; md5: string },
  shape: { blockSize: number; parallelism: number; options: IngestOptions },
): Promise<Pick<IngestedFile, 'verified' | 'problem'>> {
  const { options } = shape;
  const discard = new Writable({ write: (_chunk, _encoding, done) => done() });
  try {
    const back = await download(client, assetId, sent.name, discard, {
      blockSize: shape.blockSize,
      parallelism: shape.parallelism,
      ...(options.signal ? { signal: options.signal } : {}),
      ...(options.onCleanupError ? { onCleanupError: options.onCleanupError } : {}),
      ...(options.storageOptions ? { storageOptions: options.storageOptions } : {}),
    });
    if (back.size !== sent.size) return { verified: false, problem: `the asset's file holds ${back.size} bytes, ${sent.size} were sent` };
    if (back.md5 !== sent.md5) return { verified: false, problem: `the asset's file decrypts to MD5 ${back.md5}, the bytes sent had ${sent.md5}` };
    return { verified: true, problem: null };
  } catch (err) {
    // What the service did wrong with the file is this file's result; an abort or a failing service is the command's.
    if (err instanceof AmsWorkflowError && (err.reason === 'size-mismatch' || err.reason === 'checksum-mismatch' || err.reason === 'unsupported-encryption')) {
      return { verified: false, problem: err.message };
    }
    throw err;
  }
}

function pause(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    signal?.throwIfAborted();
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(signal!.reason);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
