import type { RequestInfo } from '../domain/findings.js';
import { ruleOf } from '../domain/rules.js';
import { ODataError, serviceUnavailable } from '../odata/errors.js';
import { COLLECTIONS } from '../model/collections.js';
import type { Services } from '../app/services.js';
import { StorageUnavailableError } from '../storage/types.js';
import type { AssetFileRecord } from '../model/asset-file.js';
import { outcomeFindings } from './findings.js';
import type { VerificationOutcome, VerifyLimits } from './types.js';
import { getVerification, recordOutcomeFindings, saveOutcome } from './verification-store.js';
import { BlobChangedError, verifyFile } from './verify-file.js';

/** A strict verification that passed, kept so the background run after the commit need not repeat it. */
export interface StrictPass {
  fingerprint: string;
  outcome: VerificationOutcome;
  at: number;
}

/**
 * `--strict`: the request that completes an upload (its candidate state has the blob, the
 * encryption fields and ContentFileSize) is verified before it is committed; a failure refuses it
 * with 400 and the diagnosis. Storage being down is a 503 (retry), never the client's fault; a
 * candidate that does not complete an upload yet passes untouched.
 */
export async function verifyBeforeCommit(
  services: Services,
  candidate: AssetFileRecord,
  request: RequestInfo,
  limits: VerifyLimits,
  hooks: {
    /** A pass, for the background run after the commit to reuse. */
    passed(fileId: string, pass: StrictPass): void;
    /** A refusal: a queued verification of the file's older state must not overwrite its record. */
    refused(fileId: string): void;
  },
): Promise<void> {
  const fileId = candidate.Id;
  const expectedSha256 = getVerification(services.store, fileId)?.expected?.sha256;
  let outcome: VerificationOutcome;
  try {
    outcome = await verifyFile(services, candidate, { force: false, expectedSha256, limits });
  } catch (err) {
    if (err instanceof StorageUnavailableError) {
      throw serviceUnavailable(`Storage is unavailable, so the upload cannot be verified (--strict): ${err.message}. Retry when it is back.`);
    }
    if (err instanceof BlobChangedError) throw serviceUnavailable(`The upload cannot be verified: ${err.message}. Retry the request.`);
    // A fault of the emulator's is not the client's: commit, and let the background run report it.
    return;
  }
  if (outcome.status === 'skipped') return;
  const refusing = outcomeFindings(outcome, request.requestId).filter((f) => ruleOf(f.rule).strictRefuses);
  if (refusing.length === 0) {
    hooks.passed(fileId, { fingerprint: fingerprint(candidate), outcome, at: Date.now() });
    return;
  }
  hooks.refused(fileId);
  const now = services.now();
  await services.store.transaction((tx) => {
    if (tx.has(COLLECTIONS.Files, fileId)) saveOutcome(tx, outcome, now, { refusedRequestId: request.requestId, trigger: request });
    else recordOutcomeFindings(tx, outcome, request, now);
  });
  throw new ODataError(400, refusing.map((f) => `[${f.rule}] ${f.message}`).join(' '), refusing[0]!.rule);
}

/** The committed record is the candidate itself, so equal JSON means the same state. */
export function fingerprint(file: AssetFileRecord): string {
  return JSON.stringify(file);
}
