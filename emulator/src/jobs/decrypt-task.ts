import { createHash } from 'node:crypto';
import { pipeline, Transform } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { ClearContentError, openClearStream, resolveClearSource, type ClearSource } from '../content/clear-stream.js';
import type { RequestInfo } from '../domain/findings.js';
import { formatNbId } from '../../../client/src/crypto/index.js';
import { contentTypeOfFile } from '../origin/content-type.js';
import { getAsset } from '../model/asset.js';
import { filesOfAsset } from '../model/asset-file.js';
import { COLLECTIONS } from '../model/collections.js';
import { JobState } from '../model/enums.js';
import type { AssetFileRecord, AssetRecord } from '../model/records.js';
import type { TaskOutcome, TaskRecord } from '../model/task.js';
import type { Services } from '../app/services.js';
import { StorageRequestError, StorageUnavailableError } from '../storage/types.js';
import { containerOf } from './job-store.js';

/**
 * The Storage Decryption processor's work for one task: every file of the input asset, decrypted
 * (or, when not encrypted, copied as it is) into the output asset under the same name, as a clear
 * file entity. Streams storage -> AES-CTR -> storage, so memory stays flat whatever the size.
 *
 * Nothing is written when a file cannot be decrypted: every file is checked first, and each one
 * that fails becomes an ErrorDetail that says why.
 */
export interface DecryptionRun {
  services: Services;
  /** A change to the running task itself (an event, its PerfMessage); ignored once the job is no longer Processing. */
  updateTask(change: (task: TaskRecord, now: string) => TaskRecord): Promise<void>;
  signal: AbortSignal;
  /** Who the output files' change events are attributed to. */
  origin: RequestInfo;
  /** After each file: how many of how many are done. */
  progress(done: number, total: number): Promise<void>;
  /** Storage could not be reached; the run waits and tries again until it can or is aborted. */
  storageWait(err: StorageUnavailableError): void;
}

export type ErrorDetail = TaskOutcome['errors'][number];

export async function decryptAsset(run: DecryptionRun, inputAssetId: string, outputAssetId: string): Promise<TaskOutcome> {
  const { services } = run;
  const input = services.store.get<AssetRecord>(COLLECTIONS.Assets, inputAssetId);
  if (!input) return failed({ Code: 'NoAsset', Message: `The input asset ${inputAssetId} no longer exists` });
  const output = services.store.get<AssetRecord>(COLLECTIONS.Assets, outputAssetId);
  if (!output) return failed(outputGone(outputAssetId));
  const files = filesOfAsset(services.store, inputAssetId);
  if (files.length === 0) {
    return failed({ Code: 'NoInputFiles', Message: `The input asset ${inputAssetId} has no files: upload them and create their file entities (POST Files or CreateFileInfos) before running the job` });
  }

  const sources: ClearSource[] = [];
  const errors: ErrorDetail[] = [];
  for (const file of files) {
    try {
      sources.push(await untilStorageAnswers(run, () => resolveClearSource(services, file)));
    } catch (err) {
      errors.push(fileError(file.Name, err));
    }
  }
  if (errors.length > 0) return { state: JobState.Error, errors };

  for (const [i, source] of sources.entries()) {
    try {
      const md5 = await copyClear(run, source, containerOf(output), source.blob.name);
      await recordOutputFile(run, outputAssetId, { name: source.blob.name, size: source.blob.size, md5, isPrimary: source.file.IsPrimary === true, mimeType: source.file.MimeType ?? null });
    } catch (err) {
      if (run.signal.aborted) throw err;
      if (err instanceof OutputGone) return failed(outputGone(outputAssetId));
      return failed(fileError(source.file.Name, err));
    }
    await run.progress(i + 1, sources.length);
  }
  return { state: JobState.Finished, errors: [] };
}

/** The blob container of a task's output asset, or undefined when the asset is gone. */
export function outputContainerOf(services: Services, outputAssetId: string): string | undefined {
  const output = getAsset(services.store, outputAssetId);
  return output ? containerOf(output) : undefined;
}

export function failed(error: ErrorDetail): TaskOutcome {
  return { state: JobState.Error, errors: [error] };
}

export function outputGone(assetId: string): ErrorDetail {
  return { Code: 'OutputAssetMissing', Message: `The output asset ${assetId} was deleted while the job ran` };
}

/** ClearContentError codes are stable (NoBlob, NoContentKey, ContentKeyUnwrapFailed, InvalidInitializationVector, ...). */
function fileError(name: string, err: unknown): ErrorDetail {
  if (err instanceof ClearContentError) return { Code: err.code, Message: `File '${name}': ${err.message}` };
  if (err instanceof StorageRequestError) return { Code: 'StorageError', Message: `File '${name}': storage refused the operation: ${err.message}` };
  throw err;
}

export class OutputGone extends Error {}

/**
 * The clear bytes of one file into the block blob `name`; the whole file again after an outage.
 * Returns the MD5 (hex) of what was written: the output file's ContentChecksum, so its
 * verification checks the copy against what the job wrote.
 */
export async function copyClear(run: DecryptionRun, source: ClearSource, container: string, name: string): Promise<string> {
  return untilStorageAnswers(run, async () => {
    const md5 = createHash('md5');
    const stream = new Transform({
      transform(chunk: Buffer, _encoding, done) {
        md5.update(chunk);
        done(null, chunk);
      },
    });
    // pipeline, not pipe: a read that fails half way must fail the upload, not leave it waiting.
    pipeline(await openClearStream(run.services, source), stream, () => undefined);
    const stop = () => stream.destroy(run.signal.reason instanceof Error ? run.signal.reason : new Error('aborted'));
    run.signal.addEventListener('abort', stop, { once: true });
    try {
      await run.services.storage.uploadBlob(container, name, stream, contentTypeOfFile(source.file));
      return md5.digest('hex');
    } catch (err) {
      if (err instanceof StorageRequestError && err.statusCode === 404) throw new OutputGone();
      throw err;
    } finally {
      run.signal.removeEventListener('abort', stop);
      stream.destroy();
    }
  });
}

/** What an output file entity says of the blob a task wrote. */
export interface WrittenFile {
  name: string;
  size: number;
  /** MD5 (hex) of the bytes written. */
  md5: string;
  isPrimary: boolean;
  mimeType: string | null;
}

/** The output file entity: created, or updated when a resumed job wrote it before. */
export async function recordOutputFile(run: DecryptionRun, outputAssetId: string, written: WrittenFile): Promise<void> {
  const { services } = run;
  const now = services.now().toISOString();
  const { name, md5 } = written;
  const fileId = await services.store.transaction((tx) => {
    if (!tx.has(COLLECTIONS.Assets, outputAssetId)) throw new OutputGone();
    const existing = filesOfAsset(tx, outputAssetId).find((f) => f.Name === name);
    const record: AssetFileRecord = {
      Id: existing?.Id ?? formatNbId('cid', services.ids.guid()),
      Name: name,
      ParentAssetId: outputAssetId,
      Created: existing?.Created ?? now,
      LastModified: now,
      ContentFileSize: String(written.size),
      IsEncrypted: false,
      EncryptionScheme: null,
      EncryptionVersion: null,
      EncryptionKeyId: null,
      InitializationVector: null,
      IsPrimary: written.isPrimary,
      MimeType: written.mimeType,
      ContentChecksum: md5,
      Options: 0,
    };
    // File ids are generated lower-case, so the Id is its canonical key.
    tx.put(COLLECTIONS.Files, record.Id, record);
    return record.Id;
  });
  services.events.fileChanged(fileId, run.origin);
}

const FIRST_RETRY_MS = 250;
const LONGEST_RETRY_MS = 5_000;

/** Storage down is not the job's fault: wait for it (backing off) rather than fail the task. */
export async function untilStorageAnswers<T>(run: DecryptionRun, operation: () => Promise<T>): Promise<T> {
  let delay = FIRST_RETRY_MS;
  for (;;) {
    run.signal.throwIfAborted();
    try {
      return await operation();
    } catch (err) {
      if (!(err instanceof StorageUnavailableError) || run.signal.aborted) throw err;
      run.storageWait(err);
      await sleep(delay, undefined, { signal: run.signal });
      delay = Math.min(delay * 2, LONGEST_RETRY_MS);
    }
  }
}
