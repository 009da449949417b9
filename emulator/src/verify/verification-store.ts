import { recordFinding, FINDINGS } from '../domain/findings.js';
import { getFile } from '../model/asset-file.js';
import { COLLECTIONS } from '../model/collections.js';
import type { Store, StoreReader, Transaction } from '../store/types.js';
import { findingId, outcomeFindings, VERIFICATION_RULE_IDS } from './findings.js';
import type { DeletionInfo, ReasonCode, TriggerInfo, VerificationOutcome, VerificationRecord } from './types.js';

/** Verification results live in the store (keyed by file id), so they survive a restart. */
export const VERIFICATIONS = 'verifications';

export function getVerification(reader: StoreReader, fileId: string): VerificationRecord | undefined {
  return reader.get<VerificationRecord>(VERIFICATIONS, fileId);
}

/** Every record, deleted files' included (they stay until reset), in the store's order. */
export function listVerifications(reader: StoreReader): VerificationRecord[] {
  return [...reader.values<VerificationRecord>(VERIFICATIONS)];
}

function blankRecord(fileId: string, now: Date): VerificationRecord {
  return {
    fileId,
    assetId: null,
    fileName: null,
    status: 'pending',
    reasonCode: 'queued',
    reason: 'queued',
    checks: [],
    diagnosis: null,
    basis: null,
    encrypted: null,
    clear: null,
    declared: null,
    expected: null,
    trigger: null,
    storageRetries: 0,
    refusedRequestId: null,
    deleted: null,
    updated: now.toISOString(),
  };
}

/** The file changed (or a verification was asked for): pending until the run ends. */
export function markPending(tx: Transaction, fileId: string, now: Date, reasonCode: ReasonCode, reason: string, trigger?: TriggerInfo): void {
  const file = getFile(tx, fileId);
  if (!file) return;
  const previous = getVerification(tx, fileId) ?? blankRecord(fileId, now);
  tx.put(VERIFICATIONS, fileId, {
    ...previous,
    assetId: file.ParentAssetId,
    fileName: file.Name,
    status: 'pending',
    reasonCode,
    reason,
    trigger: trigger ?? previous.trigger,
    storageRetries: reasonCode === 'storage-unavailable' ? previous.storageRetries + 1 : previous.storageRetries,
    refusedRequestId: null,
    updated: now.toISOString(),
  });
}

/**
 * Store a run's outcome and the findings it stands for in one transaction. Findings of an earlier
 * run for the same upload that this outcome no longer supports are removed, so verifying again
 * after a fix leaves the report right.
 */
export function saveOutcome(tx: Transaction, outcome: VerificationOutcome, now: Date, options: { refusedRequestId?: string; trigger?: TriggerInfo; deleted?: DeletionInfo } = {}): VerificationRecord {
  const fileId = outcome.file.id;
  const previous = getVerification(tx, fileId) ?? blankRecord(fileId, now);
  const trigger = options.trigger ?? previous.trigger;
  const record: VerificationRecord = {
    ...previous,
    assetId: outcome.file.assetId,
    fileName: outcome.file.name,
    status: outcome.status,
    reasonCode: outcome.reasonCode,
    reason: options.refusedRequestId ? `refused (--strict): ${outcome.reason}` : outcome.reason,
    checks: outcome.checks,
    diagnosis: outcome.diagnosis,
    basis: outcome.basis,
    encrypted: outcome.encrypted,
    clear: outcome.clear,
    declared: outcome.declared ?? null,
    trigger,
    storageRetries: 0,
    refusedRequestId: options.refusedRequestId ?? null,
    deleted: options.deleted ?? previous.deleted ?? null,
    updated: now.toISOString(),
  };
  tx.put(VERIFICATIONS, fileId, record);
  recordOutcomeFindings(tx, outcome, trigger, now);
  return record;
}

/** The file is gone; its verification stays, marked, until reset. */
export function markDeleted(tx: Transaction, fileId: string, deleted: DeletionInfo): void {
  const record = getVerification(tx, fileId);
  if (record) tx.put(VERIFICATIONS, fileId, { ...record, deleted });
}

/** A run on a deleted file that found nothing left to read: not verified, and said so, never dropped. */
export function afterDeletion(outcome: VerificationOutcome): VerificationOutcome {
  if (outcome.status !== 'skipped' || !['no-blob', 'no-asset'].includes(outcome.reasonCode)) return outcome;
  return { ...outcome, reasonCode: 'deleted-before-verification', reason: `not verified: deleted before verification (${outcome.reason})` };
}

/** A pending record whose file is gone with nothing to verify it from (deleted while the emulator was down). */
export function settleUnverified(tx: Transaction, fileId: string, deleted: DeletionInfo | null): void {
  const record = getVerification(tx, fileId);
  if (!record || record.status !== 'pending') return;
  tx.put(VERIFICATIONS, fileId, {
    ...record,
    status: 'skipped',
    reasonCode: 'deleted-before-verification',
    reason: 'not verified: deleted before verification (the file was deleted while its verification was pending)',
    deleted: deleted ?? record.deleted ?? { at: record.updated, with: 'file', requestId: null },
  });
}

export function recordOutcomeFindings(tx: Transaction, outcome: VerificationOutcome, trigger: TriggerInfo | null, now: Date): void {
  const findings = trigger?.internal ? [] : outcomeFindings(outcome, trigger?.requestId ?? null);
  const kept = new Set(findings.map((f) => f.id));
  for (const rule of VERIFICATION_RULE_IDS) {
    const id = findingId(outcome.file.id, rule, trigger?.requestId ?? null);
    if (!kept.has(id)) tx.delete(FINDINGS, id);
  }
  for (const finding of findings) recordFinding(tx, trigger ?? undefined, finding, finding.id, now);
}

/** Register (or, with null, remove) the SHA-256 the clear bytes must have. */
export async function setExpectation(store: Store, fileId: string, sha256: string | null, now: Date): Promise<VerificationRecord> {
  return store.transaction((tx) => {
    const file = getFile(tx, fileId);
    const previous = getVerification(tx, fileId) ?? blankRecord(fileId, now);
    const record: VerificationRecord = {
      ...previous,
      assetId: file ? file.ParentAssetId : previous.assetId,
      fileName: file ? file.Name : previous.fileName,
      expected: sha256 === null ? null : { sha256 },
      updated: now.toISOString(),
    };
    tx.put(VERIFICATIONS, fileId, record);
    return record;
  });
}
