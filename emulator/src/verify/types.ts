import type { RequestInfo } from '../domain/findings.js';
import type { Json, JsonRecord } from '../store/types.js';
import type { MistakeId } from './hypotheses.js';

export type VerificationStatus = 'pending' | 'verified' | 'failed' | 'skipped';
export type CheckStatus = 'passed' | 'failed' | 'inconclusive' | 'skipped';

export type CheckName = 'blob-exists' | 'encryption' | 'content-length' | 'content-checksum' | 'expected-sha256' | 'content-type';

// Type aliases rather than interfaces: stored records must be assignable to Json.
export type Check = {
  name: CheckName;
  status: CheckStatus;
  detail: string;
};

/** Why a verification ended as it did, stable for programs (`reason` is the sentence for people). */
export type ReasonCode =
  | 'verified'
  | 'no-blob'
  | 'no-asset'
  | 'no-content-key'
  | 'unsupported-encryption'
  | 'awaiting-encryption-metadata'
  | 'awaiting-content-file-size'
  | 'content-length-mismatch'
  | 'content-mismatch'
  | 'content-type-mismatch'
  | 'cannot-decrypt'
  | 'storage-unavailable'
  | 'queued'
  | 'timed-out'
  | 'internal-error';

/** What the evidence for a diagnosis was. */
export type Evidence = 'md5' | 'sha256' | 'signature' | 'signature-prefix' | 'none';

export type Diagnosis = {
  /** The mistake that explains the bytes, or `unexplained`. */
  id: MistakeId | 'unexplained';
  /** For the client's author: what went wrong and what to do. */
  message: string;
  evidence: Evidence;
  /** `whole-blob`: the blob decrypted this way matches through its end; `first-bytes`: only its start was tried. */
  scope: 'whole-blob' | 'first-bytes' | 'none';
  details: Record<string, Json>;
  /** Other mistakes that fit the same (signature-only) evidence. */
  alsoConsistent: MistakeId[];
  /** Hypotheses tried, and those left untried because of the work bound. */
  tried: number;
  untried: number;
  note?: string;
};

/** How the request that completed the upload is remembered (for findings made later). */
export type TriggerInfo = { [K in keyof RequestInfo]: RequestInfo[K] };

/** A verification as stored in the `verifications` collection (keyed by file id) and served. */
export interface VerificationRecord extends JsonRecord {
  fileId: string;
  assetId: string | null;
  fileName: string | null;
  status: VerificationStatus;
  reasonCode: ReasonCode;
  reason: string;
  checks: Check[];
  diagnosis: Diagnosis | null;
  /** What a `verified` rests on: a digest, the declared type's signature, or the length alone. */
  basis: 'digest' | 'signature' | 'length' | null;
  /** Whether the file says it is storage-encrypted (null before it was looked at). */
  encrypted: boolean | null;
  /** Digests of the clear bytes as computed, lowercase hex. */
  clear: { md5?: string; sha256?: string; bytes: number } | null;
  /** A SHA-256 of the clear bytes registered through POST /_emulator/files/{id}/expect. */
  expected: { sha256: string } | null;
  /** The request that last changed the file (the upload's completion, usually the MERGE). */
  trigger: TriggerInfo | null;
  /** Tries that ended because storage was unreachable, since the last real result. */
  storageRetries: number;
  /** Set when --strict refused the request that would have completed the upload. */
  refusedRequestId: string | null;
  updated: string;
}

/** What one verification run produced (the record minus bookkeeping). */
export interface VerificationOutcome {
  status: Exclude<VerificationStatus, 'pending'>;
  reasonCode: ReasonCode;
  reason: string;
  checks: Check[];
  diagnosis: Diagnosis | null;
  basis: VerificationRecord['basis'];
  encrypted: boolean;
  clear: VerificationRecord['clear'];
  /** For findings: the length check's numbers when they differ. */
  lengthMismatch?: { blobBytes: number; contentFileSize: number; hint: string };
  /** The file state verified (ids and names for findings). */
  file: { id: string; name: string; assetId: string };
}

export interface VerifyLimits {
  /** Largest blob a diagnosis streams again in full (each pass); above it, first-bytes evidence only. */
  maxRestreamBytes: number;
  /** Total bytes (blob bytes x hypotheses) one diagnosis may decrypt. */
  maxDiagnosisBytes: number;
  /** Hypotheses decrypted side by side in one pass over the blob. */
  lanesPerPass: number;
  /** Other content keys and other files' IVs tried, each. */
  maxAlternatives: number;
}

export const DEFAULT_VERIFY_LIMITS: VerifyLimits = {
  maxRestreamBytes: 256 * 1024 * 1024,
  maxDiagnosisBytes: 4 * 1024 * 1024 * 1024,
  lanesPerPass: 8,
  maxAlternatives: 32,
};
