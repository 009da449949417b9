import { createHash } from 'node:crypto';
import type { FindingInput } from '../domain/findings.js';
import type { Json } from '../store/types.js';
import type { Diagnosis, VerificationOutcome } from './types.js';

/** The findings one verification outcome stands for, each with a stable id (see findingId). */
export interface VerificationFinding extends FindingInput {
  id: string;
}

export const VERIFICATION_RULE_IDS = ['decrypt-verification-failed', 'content-verification-failed', 'content-length-mismatch', 'content-type-mismatch', 'upload-unverifiable', 'content-checksum-of-ciphertext'] as const;

/**
 * A finding's id is derived from the file, the rule and the request that completed the upload:
 * verifying the same upload again (on demand, after a restart) replaces its finding rather than
 * adding another, while a new upload (a new MERGE) gets its own.
 */
export function findingId(fileId: string, rule: string, triggerRequestId: string | null): string {
  const hex = createHash('sha1').update(`${fileId}\n${rule}\n${triggerRequestId ?? ''}`).digest('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-5${hex.slice(13, 16)}-a${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

export function outcomeFindings(outcome: VerificationOutcome, triggerRequestId: string | null): VerificationFinding[] {
  const { file } = outcome;
  const where = `File '${file.name}' (${file.id}) of asset ${file.assetId}`;
  const common: Record<string, Json> = { fileId: file.id, assetId: file.assetId, fileName: file.name };
  const out: VerificationFinding[] = [];
  const add = (rule: string, message: string, details: Record<string, Json>) =>
    out.push({ id: findingId(file.id, rule, triggerRequestId), rule, entityId: file.id, message, details: { ...common, ...details } });

  if (outcome.lengthMismatch) {
    const { blobBytes, contentFileSize, hint } = outcome.lengthMismatch;
    add('content-length-mismatch', `${where}: the blob has ${blobBytes} bytes but ContentFileSize is ${contentFileSize}${hint ? `: ${hint}` : ''}`, { blobBytes, contentFileSize });
  }
  if (outcome.status === 'failed' && (outcome.reasonCode === 'content-mismatch' || outcome.reasonCode === 'cannot-decrypt')) {
    const diagnosis = outcome.diagnosis;
    const rule = outcome.encrypted ? 'decrypt-verification-failed' : 'content-verification-failed';
    const failedChecks = outcome.checks.filter((c) => c.status === 'failed' && c.name !== 'content-length').map((c) => `${c.name}: ${c.detail}`);
    const what = failedChecks.length > 0 ? failedChecks.join('; ') : outcome.reason;
    const told = diagnosis ? ` Diagnosis: ${diagnosisSentence(diagnosis)}` : '';
    add(rule, `${where}: ${what}.${told}`, {
      diagnosis: diagnosis?.id ?? 'unexplained',
      evidence: diagnosis?.evidence ?? 'none',
      scope: diagnosis?.scope ?? 'none',
      alsoConsistent: diagnosis?.alsoConsistent ?? [],
      ...(diagnosis?.details ?? {}),
    });
  }
  if (outcome.warning) add(outcome.warning.rule, `${where}: ${outcome.warning.message}`, {});
  return out;
}

/** The diagnosis and how sure it is, in one sentence. */
export function diagnosisSentence(diagnosis: Diagnosis): string {
  const note = diagnosis.note ? ` (${diagnosis.note})` : '';
  if (diagnosis.id === 'unexplained') return `${diagnosis.message}${note}`;
  const also = diagnosis.alsoConsistent.length > 0 ? `; also consistent: ${diagnosis.alsoConsistent.join(', ')}` : '';
  return `[${diagnosis.id}] ${diagnosis.message} (${evidenceSentence(diagnosis)}${also})${note}`;
}

function evidenceSentence(diagnosis: Diagnosis): string {
  switch (diagnosis.evidence) {
    case 'md5':
      return 'confirmed: decrypted this way, the whole blob has the MD5 in ContentChecksum';
    case 'sha256':
      return 'confirmed: decrypted this way, the whole blob has the expected SHA-256';
    case 'signature':
      return diagnosis.scope === 'whole-blob'
        ? 'decrypted this way, the bytes look like the declared type throughout; there was no digest to confirm it'
        : 'decrypted this way, the bytes look like the declared type';
    case 'signature-prefix':
      return 'decrypted this way, the first bytes look like the declared type; the rest was not tried';
    case 'none':
      return 'no evidence';
  }
}
