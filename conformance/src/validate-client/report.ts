import type { KitVerification } from '../target/extras.js';
import type { ReportedFinding, ValidationReport } from './index.js';

/** Finding details worth a line of their own, in this order. */
const DETAIL_FIELDS = ['variant', 'diagnosis', 'evidence', 'otherFileId', 'keyId', 'iv', 'reason', 'expected'] as const;

/**
 * The findings report for a client's author: what was uploaded and whether it decrypts, then
 * each finding with its rule, the file or key it is about, what went wrong and how to fix it.
 */
export function validationText(report: ValidationReport): string {
  const lines: string[] = ['', `Client:    ${report.command.join(' ')}`, `Emulator:  ${report.api} (${report.mode} mode, auth ${report.auth}, fresh, embedded Azurite)`];
  const exit = report.client.startError ?? (report.client.signal ? `ended by signal ${report.client.signal}` : `exited with code ${report.client.code}`);
  lines.push(`Exit:      the client ${exit}`);

  const counts = countBy(report.verifications.map((v) => v.status));
  lines.push('', `Uploads:   ${report.verifications.length} file${report.verifications.length === 1 ? '' : 's'}${report.verifications.length > 0 ? `: ${Object.entries(counts).map(([s, n]) => `${n} ${s}`).join(', ')}` : ' (the client completed no upload, so nothing was decrypted)'}`);
  if (report.verifications.length > 0) lines.push(coverageLine(report.coverage));
  for (const v of report.verifications) lines.push(verificationLine(v));

  const errors = report.findings.filter((f) => f.severity === 'error').length;
  const warnings = report.findings.filter((f) => f.severity === 'warning').length;
  lines.push('', `Findings:  ${report.findings.length === 0 ? 'none: every request matched the reference client' : `${errors} error${errors === 1 ? '' : 's'}, ${warnings} warning${warnings === 1 ? '' : 's'}, ${report.findings.length - errors - warnings} other`}`);
  for (const finding of report.findings) lines.push(...findingLines(finding, report));

  if (report.refused.length > 0) {
    lines.push('', `Refused:   ${report.refused.length} API request${report.refused.length === 1 ? '' : 's'} with a token the emulator did not issue, or one that had expired (401)`);
    for (const r of report.refused.slice(0, 10)) lines.push(`  ${r.method} ${r.path}`);
    if (report.refused.length > 10) lines.push(`  ... and ${report.refused.length - 10} more`);
    lines.push('    how to fix it: get a token from AMS_TOKEN_ENDPOINT with AMS_CLIENT_ID and AMS_CLIENT_SECRET (or use AMS_TOKEN as given), and get a new one before it expires');
  }

  lines.push('', verdict(report));
  return `${lines.join('\n')}\n`;
}

/** PASS or FAIL, and what a PASS rests on: only what the client's uploads let the emulator check. */
export function verdict(report: Pick<ValidationReport, 'ok' | 'problems' | 'coverage'>): string {
  if (!report.ok) return `FAIL: ${report.problems.join('; ')}`;
  const c = report.coverage;
  if (c.encrypted === 0) {
    return 'PASS, but no storage-encrypted upload was observed: nothing about encryption was validated (no request raised an error finding)';
  }
  const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;
  if (c.encryptedChecked === 0) {
    return `PASS, but none of the ${plural(c.encrypted, 'storage-encrypted upload')} could be verified (no ContentChecksum, and no signature of the declared type to check): send ContentChecksum to have the encryption validated`;
  }
  const parts = [`${c.verified} verified by digest`, `${c.typeChecked} type-checked only`, `${c.unverifiable} unverifiable`];
  return `PASS: the client implements storage encryption as the reference client does, as far as its uploads show (${plural(c.encrypted, 'storage-encrypted upload')}${c.clear > 0 ? `, ${c.clear} clear` : ''}: ${parts.join(', ')}${c.notVerified > 0 ? `, ${c.notVerified} not verified` : ''})`;
}

function coverageLine(c: ValidationReport['coverage']): string {
  return `           ${c.encrypted} storage-encrypted, ${c.clear} clear; ${c.verified} verified by digest, ${c.typeChecked} type-checked only, ${c.unverifiable} unverifiable, ${c.failed} failed, ${c.notVerified} not verified`;
}

function verificationLine(v: KitVerification): string {
  const name = `${v.fileName ?? '?'} (${v.fileId})${v.deleted ? ' [deleted]' : ''}`;
  if (v.status === 'verified') return `  verified  ${name}${v.basis === 'signature' || v.basis === 'signature-prefix' ? ' (by its type only)' : ''}`;
  const diagnosis = v.diagnosis && v.diagnosis.id !== 'unexplained' ? `; diagnosis ${v.diagnosis.id}` : '';
  return `  ${v.status.toUpperCase().padEnd(8)}  ${name}: ${v.reason}${diagnosis}`;
}

function findingLines(finding: ReportedFinding, report: ValidationReport): string[] {
  const rule = finding.ruleInfo;
  const lines = ['', `  [${finding.severity.toUpperCase()}] ${finding.rule}${rule ? `: ${rule.title}` : ''}`];
  lines.push(`    ${subjectOf(finding, report)}`);
  lines.push(`    what went wrong: ${finding.message}`);
  for (const field of DETAIL_FIELDS) {
    const value = finding.details[field];
    if (typeof value === 'string' || typeof value === 'number') lines.push(`    ${field}: ${value}`);
  }
  if (rule) lines.push(`    how to fix it: ${rule.fix}`);
  return lines;
}

/** The file or content key a finding is about, as the client's author knows it. */
function subjectOf(finding: ReportedFinding, report: ValidationReport): string {
  const fileName = finding.details['fileName'];
  const assetId = finding.details['assetId'];
  const id = finding.entityId ?? '(no entity)';
  if (typeof fileName === 'string') return `file:   ${fileName} (${id})${typeof assetId === 'string' ? ` of asset ${assetId}` : ''}`;
  if (id.toLowerCase().startsWith('nb:kid:')) return `content key: ${id}`;
  const verification = report.verifications.find((v) => v.fileId.toLowerCase() === id.toLowerCase());
  if (verification) return `file:   ${verification.fileName ?? '?'} (${id})`;
  if (id.toLowerCase().startsWith('nb:cid:')) return `file or asset: ${id}`;
  return `entity: ${id}`;
}

function countBy(values: readonly string[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const v of values) out[v] = (out[v] ?? 0) + 1;
  return out;
}
