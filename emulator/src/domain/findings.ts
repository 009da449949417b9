import type { Json, JsonRecord, Store, Transaction } from '../store/types.js';
import { ruleOf, type Severity } from './rules.js';

/** Who made the request a finding is about: how a client author finds their own call. */
export interface RequestInfo {
  requestId: string;
  /** The User-Agent. */
  client: string;
  method: string;
  path: string;
  /**
   * Set on the emulator's own writes (a job's output files): a finding is a claim about a
   * client's code, and the emulator never files one against itself.
   */
  internal?: boolean;
}

export interface Finding extends JsonRecord {
  id: string;
  rule: string;
  severity: Severity;
  message: string;
  entityId: string | null;
  requestId: string | null;
  client: string | null;
  time: string;
}

export interface FindingInput {
  rule: string;
  message: string;
  entityId?: string;
  /** Extra structured details (e.g. `variant`, `diagnosis`, `assetId`). */
  details?: Record<string, Json>;
}

export const FINDINGS = 'findings';

/**
 * Findings are records in the store, written in the same transaction as the change they are
 * about, so a finding never outlives (or misses) its request's effect.
 */
export function recordFinding(tx: Transaction, request: RequestInfo | undefined, input: FindingInput, id: string, now: Date): Finding {
  const rule = ruleOf(input.rule);
  const finding: Finding = {
    ...(input.details ?? {}),
    id,
    rule: rule.id,
    severity: rule.severity,
    message: input.message,
    entityId: input.entityId ?? null,
    requestId: request?.requestId ?? null,
    client: request?.client ?? null,
    method: request?.method ?? null,
    path: request?.path ?? null,
    time: now.toISOString(),
  };
  tx.put(FINDINGS, id, finding);
  return finding;
}

export function listFindings(store: Store): Finding[] {
  return [...store.values<Finding>(FINDINGS)];
}
