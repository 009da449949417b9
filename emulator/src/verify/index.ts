import { filesOfAsset, getFile, type AssetFileRecord } from '../model/asset-file.js';
import { COLLECTIONS } from '../model/collections.js';
import type { FileEvents, Services } from '../app/services.js';
import { StorageUnavailableError } from '../storage/types.js';
import type { JsonRecord, Transaction } from '../store/types.js';
import { VerificationScheduler, type RunResult } from './scheduler.js';
import { fingerprint, verifyBeforeCommit, type StrictPass } from './strict.js';
import type { DeletionInfo, VerificationOutcome, VerifyLimits } from './types.js';
import { afterDeletion, getVerification, listVerifications, markDeleted, markPending, saveOutcome, settleUnverified } from './verification-store.js';
import { BlobChangedError, verifyFile } from './verify-file.js';

export { VERIFICATION_RULES as VERIFY_RULES } from '../domain/verification-rules.js';
export type { VerificationRecord, VerificationStatus, Check, Diagnosis, VerifyLimits } from './types.js';
export type { MistakeId } from './hypotheses.js';

export interface VerificationOptions {
  /** Quiet time after a file changed before it is verified (ms). Default 150. */
  debounceMs?: number;
  /** Verifications at once. Default 2. */
  concurrency?: number;
  /** First retry after storage was unreachable (ms), doubling up to retryMaxMs. Defaults 500 and 15000. */
  retryInitialMs?: number;
  retryMaxMs?: number;
  limits?: Partial<VerifyLimits>;
  /** How long one run may take before it is recorded as timed out. Default: the config's `limits.verifyTimeoutMs`. */
  timeoutMs?: number;
  /** Where a result that could not be stored is told (the store refusing writes); default stderr. */
  log?: (message: string, err: unknown) => void;
}

/** What the `/_emulator` verification routes (control/verification.ts) need from the service. */
export interface VerificationControl {
  /** Verify now, complete or not (on demand). */
  verifyNow(fileId: string): void;
  /** Verify after the debounce, if the upload is complete. */
  verifySoon(fileId: string): void;
  settled(fileId: string, timeoutMs: number): Promise<boolean>;
  idle(timeoutMs: number): Promise<boolean>;
  pendingCount(): number;
  isPending(fileId: string): boolean;
  /** Verification results and states the store refused (it was failing or closing), since start. */
  unsavedResults(): number;
}

export interface VerificationService {
  /** The hooks the file resources call. */
  events: FileEvents;
  /** For the `/_emulator` verification routes. */
  control: VerificationControl;
  /** Resolves once no verification is pending (false after `timeoutMs`). */
  idle(timeoutMs: number): Promise<boolean>;
  close(): Promise<void>;
}

/**
 * How long an asset's delete waits for its files' pending verifications before the container
 * goes: long enough for the uploads a test suite makes, short enough not to stall a client.
 */
const DELETE_FLUSH_MS = 10_000;

/** How long a passed strict verification stands in for the background run after its commit. */
const STRICT_PASS_TTL_MS = 60_000;

/**
 * Server-side decrypt verification: after an upload completes, read the blob back, decrypt it,
 * check it, and, if it is wrong, name the client mistake. Triggered by file changes (debounced),
 * on demand through /_emulator, and, with --strict, before the request that completes an upload
 * is committed. Results persist in the store's `verifications` collection; pending ones are
 * verified again after a restart.
 */
export function createVerification(services: Services, options: VerificationOptions = {}): VerificationService {
  const limits: VerifyLimits = { ...services.config.limits, ...options.limits };
  const timeoutMs = options.timeoutMs ?? services.config.limits.verifyTimeoutMs;
  const forced = new Set<string>();
  /** Files deleted before their verification ran, as they were, until it has. */
  const deletedFiles = new Map<string, { file: AssetFileRecord; deleted: DeletionInfo }>();
  const strictPasses = new Map<string, StrictPass>();
  const scheduler = new VerificationScheduler(run, {
    debounceMs: options.debounceMs ?? 150,
    concurrency: options.concurrency ?? 2,
    retryInitialMs: options.retryInitialMs ?? 500,
    retryMaxMs: options.retryMaxMs ?? 15_000,
  });
  const log = options.log ?? ((message: string, err: unknown) => process.stderr.write(`ams-emulator: ${message}: ${String(err)}\n`));
  // A result the store refused (it is failing, or closing) is lost: logged and counted (health
  // shows the count), never thrown into the request or the run that produced it.
  let unsaved = 0;
  const write = (fn: (tx: Transaction) => void): Promise<void> =>
    services.store.transaction(fn).catch((err: unknown) => {
      unsaved++;
      log('a verification result could not be stored', err);
    });

  async function run(fileId: string, signal: AbortSignal): Promise<RunResult> {
    const gone = deletedFiles.get(fileId);
    const file = getFile(services.store, fileId) ?? gone?.file;
    if (!file) {
      // Deleted while the emulator was down: what was pending then can no longer be verified.
      await write((tx) => settleUnverified(tx, fileId, null));
      return 'done';
    }
    const force = forced.has(fileId);
    const outcome = (gone ? undefined : reuseStrictPass(fileId, file)) ?? (await verifyCatching(file, force, signal));
    if (signal.aborted) return 'done';
    if (outcome === 'retry') return 'retry';
    forced.delete(fileId);
    deletedFiles.delete(fileId);
    await write((tx) => {
      if (gone) saveOutcome(tx, afterDeletion(outcome), services.now(), { deleted: gone.deleted });
      else if (tx.has(COLLECTIONS.Files, fileId)) saveOutcome(tx, outcome, services.now());
    });
    return 'done';
  }

  /**
   * A deleted file's verification stays until reset. One that had not run yet runs now on the file
   * as it was, while its blob can still be read; one that had is only marked deleted.
   */
  function settleDeletion(file: AssetFileRecord, deleted: DeletionInfo): void {
    const fileId = file.Id;
    forced.delete(fileId);
    strictPasses.delete(fileId);
    const record = getVerification(services.store, fileId);
    if (record && record.status !== 'pending') {
      scheduler.forget(fileId);
      void write((tx) => markDeleted(tx, fileId, deleted));
      return;
    }
    scheduler.forget(fileId);
    deletedFiles.set(fileId, { file, deleted });
    scheduler.touch(fileId, 0);
  }

  async function verifyCatching(file: AssetFileRecord, force: boolean, signal: AbortSignal): Promise<VerificationOutcome | 'retry'> {
    const fileId = file.Id;
    // A run past its deadline is abandoned (its reads aborted) and recorded as such: a storage
    // read that never ends, or a diagnosis that takes too long, must not leave the file pending.
    const deadline = new AbortController();
    let timer: NodeJS.Timeout | undefined;
    const expired = new Promise<'timed-out'>((resolve) => {
      timer = setTimeout(() => {
        deadline.abort();
        resolve('timed-out');
      }, timeoutMs);
    });
    try {
      const work = verifyFile(services, file, { force, expectedSha256: getVerification(services.store, fileId)?.expected?.sha256, limits, signal: AbortSignal.any([signal, deadline.signal]) });
      // Once abandoned, nothing awaits the run: its failure must not become an unhandled rejection.
      work.catch(() => undefined);
      const outcome = await Promise.race([work, expired]);
      return outcome === 'timed-out' ? timedOut(file, timeoutMs) : outcome;
    } catch (err) {
      if (signal.aborted) return 'retry';
      if (err instanceof StorageUnavailableError) {
        await write((tx) => markPending(tx, fileId, services.now(), 'storage-unavailable', `storage is unreachable (${err.message}): verifying again when it is back; this is not the client's fault`));
        return 'retry';
      }
      if (err instanceof BlobChangedError) {
        await write((tx) => markPending(tx, fileId, services.now(), 'queued', `${err.message}; verifying again`));
        return 'retry';
      }
      return internalError(file, err);
    } finally {
      clearTimeout(timer);
    }
  }

  function reuseStrictPass(fileId: string, file: AssetFileRecord): VerificationOutcome | undefined {
    const pass = strictPasses.get(fileId);
    strictPasses.delete(fileId);
    if (!pass || Date.now() - pass.at > STRICT_PASS_TTL_MS || pass.fingerprint !== fingerprint(file)) return undefined;
    return pass.outcome;
  }

  const events: FileEvents = {
    beforeFileCommit: (candidate, request) =>
      verifyBeforeCommit(services, candidate, request, limits, {
        passed: (fileId, pass) => strictPasses.set(fileId, pass),
        refused: (fileId) => scheduler.forget(fileId),
      }),
    fileChanged(fileId, request) {
      try {
        forced.delete(fileId);
        void write((tx) => markPending(tx, fileId, services.now(), 'queued', 'waiting for the upload to settle', { ...request }));
        scheduler.touch(fileId);
      } catch (err) {
        // Must not throw into the request that changed the file; said, not swallowed.
        log(`the verification of file ${fileId} could not be queued`, err);
      }
    },
    fileDeleted(file, request) {
      try {
        settleDeletion(file, { at: services.now().toISOString(), with: 'file', requestId: request.requestId });
      } catch (err) {
        // Must not throw into the delete; said, not swallowed.
        log(`the verification of deleted file ${String(file.Id)} could not be settled`, err);
      }
    },
    async beforeAssetDelete(assetId) {
      try {
        const pending = filesOfAsset(services.store, assetId)
          .map((f) => f.Id)
          .filter((id) => scheduler.isPending(id));
        for (const fileId of pending) scheduler.touch(fileId, 0);
        await Promise.all(pending.map((fileId) => scheduler.settled(fileId, DELETE_FLUSH_MS)));
      } catch (err) {
        // Must not throw into the delete: what did not run is recorded as not verified.
        log(`the pending verifications of asset ${assetId} could not be run before its delete`, err);
      }
    },
    assetDeleted(assetId, files, request) {
      try {
        const deleted: DeletionInfo = { at: services.now().toISOString(), with: 'asset', requestId: request.requestId };
        for (const file of files) settleDeletion(file, deleted);
      } catch (err) {
        // Must not throw into the delete; said, not swallowed.
        log(`the verifications of deleted asset ${assetId} could not be settled`, err);
      }
    },
  };

  // Verifications a previous run of the emulator left pending are done now.
  for (const record of listVerifications(services.store)) if (record.status === 'pending') scheduler.touch(record.fileId);

  return {
    events,
    control: {
      verifyNow(fileId) {
        forced.add(fileId);
        scheduler.touch(fileId, 0);
      },
      verifySoon: (fileId) => scheduler.touch(fileId),
      settled: (fileId, timeoutMs) => scheduler.settled(fileId, timeoutMs),
      idle: (timeoutMs) => scheduler.idle(timeoutMs),
      pendingCount: () => scheduler.pendingCount,
      isPending: (fileId) => scheduler.isPending(fileId),
      unsavedResults: () => unsaved,
    },
    idle: (timeoutMs) => scheduler.idle(timeoutMs),
    close: () => scheduler.close(),
  };
}

/** A run that went past the verification timeout: not the client's fault, and not a result either. */
function timedOut(file: AssetFileRecord, timeoutMs: number): VerificationOutcome {
  const retry = `POST /_emulator/files/${encodeURIComponent(file.Id)}/verify to try again`;
  return skippedByEmulator(file, 'timed-out', `the verification did not finish within ${timeoutMs} ms (limits.verifyTimeoutMs) and was abandoned; storage may be slow: ${retry}`);
}

/** A fault of the emulator's own: recorded in the result (never a client failure, never a crash). */
function internalError(file: AssetFileRecord, err: unknown): VerificationOutcome {
  const message = err instanceof Error ? err.message : String(err);
  return skippedByEmulator(file, 'internal-error', `the emulator failed to verify the file (a bug in the emulator, not the client's fault): ${message}`);
}

/** `skipped` for a reason of the emulator's, with no check run. */
function skippedByEmulator(file: AssetFileRecord, reasonCode: 'timed-out' | 'internal-error', reason: string): VerificationOutcome {
  return {
    status: 'skipped',
    reasonCode,
    reason,
    checks: [],
    diagnosis: null,
    basis: null,
    encrypted: file.IsEncrypted === true,
    clear: null,
    file: { id: file.Id, name: file.Name, assetId: file.ParentAssetId },
  };
}
