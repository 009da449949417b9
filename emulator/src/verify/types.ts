import type { EmulatorLimits } from '../config.js';
import type { RequestInfo } from '../domain/findings.js';
import type { Json, JsonRecord } from '../store/types.js';
import type { ProbeStatus } from './content-probe.js';
import type { ByteRange, MistakeId } from './hypotheses.js';

/**
 * `verified`: a digest matched, or the declared type's signature held (see `basis`);
 * `unverifiable`: nothing could confirm or refute the bytes (no digest, and a type that says
 * nothing or that no known mistake explains): never a failure, see the evidence rule;
 * `failed`: positive evidence that the upload is wrong; `skipped`: not looked at, and why.
 */
export type VerificationStatus = 'pending' | 'verified' | 'unverifiable' | 'failed' | 'skipped';
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
  | 'content-checksum-of-ciphertext'
  | 'no-evidence'
  | 'deleted-before-verification'
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
  /** Every mistake tried, once each, with how the first bytes it decrypts look against the declared type. */
  hypotheses?: HypothesisTried[];
  /** The first clear bytes (up to EVIDENCE_HEAD_BYTES) decrypted the way the named mistake says, hex. */
  head?: string;
  /**
   * Where the stored blob decrypts right and wrong with the file's own key and IV, when the named
   * mistake says so exactly (blocks encrypted from offset 0, blocks committed out of order).
   */
  byteRanges?: ByteRange[];
};

export type HypothesisTried = { mistake: MistakeId; firstBytes: ProbeStatus };

/** How many clear bytes a verification keeps as evidence (shown beside the declared type's signature). */
export const EVIDENCE_HEAD_BYTES = 64;

/** What the file declares it is, and the signature its bytes must carry (null: none to check). */
export type DeclaredEvidence = { label: string; signature: string | null };

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
  /**
   * What a `verified` rests on: a digest, the declared type's signature through the file, or the
   * signature of its first bytes only (the keystream is right where it starts).
   */
  basis: VerificationBasis;
  /** Whether the file says it is storage-encrypted (null before it was looked at). */
  encrypted: boolean | null;
  /** Digests of the clear bytes as computed, lowercase hex; `head`: the first of them (EVIDENCE_HEAD_BYTES), hex. */
  clear: { md5?: string; sha256?: string; bytes: number; head?: string } | null;
  /** The type the file declares (MimeType, else its name) and the signature that goes with it. */
  declared: DeclaredEvidence | null;
  /** A SHA-256 of the clear bytes registered through POST /_emulator/files/{id}/expect. */
  expected: { sha256: string } | null;
  /** The request that last changed the file (the upload's completion, usually the MERGE). */
  trigger: TriggerInfo | null;
  /** Tries that ended because storage was unreachable, since the last real result. */
  storageRetries: number;
  /** Set when --strict refused the request that would have completed the upload. */
  refusedRequestId: string | null;
  /** Set once the file (or its asset) was deleted: the record stays until reset. */
  deleted: DeletionInfo | null;
  updated: string;
}

/** `length`: only for an empty blob, where the length is the whole content. */
export type VerificationBasis = 'digest' | 'signature' | 'signature-prefix' | 'length' | null;

export type DeletionInfo = {
  at: string;
  /** The file on its own, or its whole asset. */
  with: 'file' | 'asset';
  requestId: string | null;
};

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
  declared?: DeclaredEvidence;
  /** For findings: the length check's numbers when they differ. */
  lengthMismatch?: { blobBytes: number; contentFileSize: number; hint: string };
  /** For findings: the warning a verification without evidence either way stands for. */
  warning?: { rule: 'upload-unverifiable' | 'content-checksum-of-ciphertext' | 'content-type-mismatch'; message: string };
  /** The file state verified (ids and names for findings). */
  file: { id: string; name: string; assetId: string };
}

/** What one diagnosis may spend: the config's verify limits (one definition, with their defaults, in `config.ts`). */
export type VerifyLimits = Pick<EmulatorLimits, 'verifyMaxRestreamBytes' | 'verifyMaxDiagnosisBytes' | 'verifyLanesPerPass' | 'verifyMaxAlternatives'>;
