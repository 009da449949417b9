import { ODataError } from '../odata/errors.js';
import type { Transaction } from '../store/types.js';
import { recordFinding, type FindingInput, type RequestInfo } from './findings.js';
import { ruleOf } from './rules.js';

/**
 * What a request did differently from the reference client. Compat mode records each as a finding
 * in the request's transaction; strict mode refuses the request before anything is stored.
 */
export interface Deviation extends FindingInput {
  /** Status strict mode answers with: 400, or 409 for conflicts (a reused IV). */
  strictStatus?: 400 | 409;
}

export function refuseIfStrict(strict: boolean, deviations: readonly Deviation[]): void {
  if (!strict) return;
  const refused = deviations.filter((d) => ruleOf(d.rule).strictRefuses);
  if (refused.length === 0) return;
  const status = refused.some((d) => d.strictStatus === 409) ? 409 : 400;
  throw new ODataError(status, refused.map((d) => `[${d.rule}] ${d.message}`).join(' '), refused[0]!.rule);
}

export function recordDeviations(tx: Transaction, request: RequestInfo, deviations: readonly Deviation[], newId: () => string, now: Date): void {
  for (const d of deviations) {
    const { strictStatus: _ignored, ...input } = d;
    recordFinding(tx, request, input, newId(), now);
  }
}
