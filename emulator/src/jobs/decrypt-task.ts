import { createHash } from 'node:crypto';
import { pipeline, Transform } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { ClearContentError, openClearStream, resolveClearSource, type ClearSource } from '../content/clear-stream.js';
import type { RequestInfo } from '../domain/findings.js';
import { formatNbId } from '../../../client/src/crypto/index.js';
import { contentTypeOfFile } from '../origin/content-type.js';
import { COLLECTIONS, INDEXES } from '../model/collections.js';
import { JobState } from '../model/enums.js';
import type { AssetFileRecord, AssetRecord } from '../model/records.js';
import type { TaskOutcome } from '../model/task.js';
import type { Services } from '../app/services.js';
import { StorageRequestError, StorageUnavailableError } from '../storage/types.js';
import type { StoreReader } from '../store/types.js';
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
  signal: AbortSignal;
  /** Who the output files' change events are attributed to. */
  origin: RequestInfo;
  /** After each file: how many of how many are done. */
  progress(done: number, total: number): Promise<void>;
  /** Storage could not be reached; the run waits and tries again until it can or is aborted. */
  storageWait(err: StorageUnavailableError): void;
}

type ErrorDetail = TaskOutcome['errors'][number];

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
      const md5 = await copyClear(run, source, containerOf(output));
      await recordOutputFile(run, source, outputAssetId, md5);
    } catch (err) {
      if (run.signal.aborted) throw err;
      if (err instanceof OutputGone) return failed(outputGone(outputAssetId));
      return failed(fileError(fileOf(source).Name, err));
    }
    await run.progress(i + 1, sources.length);
  }
  return { state: JobState.Finished, errors: [] };
}

function failed(error: ErrorDetail): TaskOutcome {
  return { state: JobState.Error, errors: [error] };
}

function outputGone(assetId: string): ErrorDetail {
  return { Code: 'OutputAssetMissing', Message: `The output asset ${assetId} was deleted while the job ran` };
}

/** ClearContentError codes are stable (NoBlob, NoContentKey, ContentKeyUnwrapFailed, InvalidInitializationVector, ...). */
function fileError(name: string, err: unknown): ErrorDetail {
  if (err instanceof ClearContentError) return { Code: err.code, Message: `File '${name}': ${err.message}` };
  if (err instanceof StorageRequestError) return { Code: 'StorageError', Message: `File '${name}': storage refused the operation: ${err.message}` };
  throw err;
}

class OutputGone extends Error {}

/**
 * The clear bytes of one file into a block blob of the same name; the whole file again after an
 * outage. Returns the MD5 (hex) of what was written: the output file's ContentChecksum, so its
 * verification checks the copy against what the job wrote.
 */
async function copyClear(run: DecryptionRun, source: ClearSource, container: string): Promise<string> {
  const name = source.blob.name;
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

/** The output file entity: created, or updated when a resumed job wrote it before. */
async function recordOutputFile(run: DecryptionRun, source: ClearSource, outputAssetId: string, md5: string): Promise<void> {
  const { services } = run;
  const now = services.now().toISOString();
  const name = source.blob.name;
  const input = fileOf(source);
  const fileId = await services.store.transaction((tx) => {
    if (!tx.has(COLLECTIONS.Assets, outputAssetId)) throw new OutputGone();
    const existing = filesOfAsset(tx, outputAssetId).find((f) => f.Name === name);
    const record: AssetFileRecord = {
      Id: existing?.Id ?? formatNbId('cid', services.ids.guid()),
      Name: name,
      ParentAssetId: outputAssetId,
      Created: existing?.Created ?? now,
      LastModified: now,
      ContentFileSize: String(source.blob.size),
      IsEncrypted: false,
      EncryptionScheme: null,
      EncryptionVersion: null,
      EncryptionKeyId: null,
      InitializationVector: null,
      IsPrimary: input.IsPrimary === true,
      MimeType: input.MimeType ?? null,
      ContentChecksum: md5,
      Options: 0,
    };
    // File ids are generated lower-case, so the Id is its canonical key.
    tx.put(COLLECTIONS.Files, record.Id, record);
    return record.Id;
  });
  services.events.fileChanged(fileId, run.origin);
}

/** The files of an asset, in creation order. */
function filesOfAsset(reader: StoreReader, assetId: string): AssetFileRecord[] {
  return reader.lookup<AssetFileRecord>(INDEXES.filesByAsset, assetId);
}

/** The source's file entity, as stored. */
function fileOf(source: ClearSource): AssetFileRecord {
  return source.file as AssetFileRecord;
}

const FIRST_RETRY_MS = 250;
const LONGEST_RETRY_MS = 5_000;

/** Storage down is not the job's fault: wait for it (backing off) rather than fail the task. */
async function untilStorageAnswers<T>(run: DecryptionRun, operation: () => Promise<T>): Promise<T> {
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
