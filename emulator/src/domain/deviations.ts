import type { Json, Transaction } from '../store/types.js';
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

/**
 * Strict mode's refusal, a domain error: the HTTP layer maps it to an OData error (`status` is
 * the one strict mode answers with) and records the deviations as findings (findings always: a
 * strict run reports what it refused) after the request's own transaction, which the refusal
 * rolled back, so nothing else the request did is stored.
 */
export class StrictRefusal extends Error {
  constructor(
    readonly status: 400 | 409,
    message: string,
    readonly code: string,
    readonly deviations: readonly Deviation[],
  ) {
    super(message);
    this.name = 'StrictRefusal';
  }
}

export function refuseIfStrict(strict: boolean, deviations: readonly Deviation[]): void {
  if (!strict) return;
  const refused = deviations.filter((d) => ruleOf(d.rule).strictRefuses);
  if (refused.length === 0) return;
  const status = refused.some((d) => d.strictStatus === 409) ? 409 : 400;
  throw new StrictRefusal(status, refused.map((d) => `[${d.rule}] ${d.message}`).join(' '), refused[0]!.rule, refused);
}

export function recordDeviations(tx: Transaction, request: RequestInfo, deviations: readonly Deviation[], newId: () => string, now: Date, extra: Record<string, Json> = {}): void {
  for (const d of deviations) {
    const { strictStatus: _ignored, ...input } = d;
    recordFinding(tx, request, { ...input, details: { ...input.details, ...extra } }, newId(), now);
  }
}
