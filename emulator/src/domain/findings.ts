import type { Json, JsonRecord, Store, StoreReader, Transaction } from '../store/types.js';
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
 * Findings kept: a ring. A client that keeps making the same mistake (say, an unknown x-ms-version
 * on every request, about 1.1 KB each) would otherwise grow the state without end; past this many
 * the oldest finding goes, and its rule's count in FINDING_EVICTIONS goes up, so per-rule totals
 * stay exact.
 */
export const MAX_FINDINGS = 10_000;

/** Findings dropped from the ring, per rule: `{ rule, count }` keyed by rule id. */
export const FINDING_EVICTIONS = 'findingEvictions';

interface Eviction extends JsonRecord {
  rule: string;
  count: number;
}

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
  evictOldest(tx);
  return finding;
}

function evictOldest(tx: Transaction): void {
  while (tx.count(FINDINGS) > MAX_FINDINGS) {
    const oldest = tx.values<Finding>(FINDINGS).next();
    if (oldest.done === true) return;
    tx.delete(FINDINGS, oldest.value.id);
    const rule = oldest.value.rule;
    const evicted = tx.get<Eviction>(FINDING_EVICTIONS, rule);
    tx.put(FINDING_EVICTIONS, rule, { rule, count: (evicted?.count ?? 0) + 1 });
  }
}

/** Findings recorded per rule since the last clear: those kept plus those the ring dropped. */
export function findingCounts(store: StoreReader): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const evicted of store.values<Eviction>(FINDING_EVICTIONS)) counts[evicted.rule] = evicted.count;
  for (const finding of store.values<Finding>(FINDINGS)) counts[finding.rule] = (counts[finding.rule] ?? 0) + 1;
  return counts;
}

/** Forget every finding and every count (DELETE /_emulator/findings). */
export function clearFindings(tx: Transaction): void {
  for (const f of [...tx.values<Finding>(FINDINGS)]) tx.delete(FINDINGS, f.id);
  for (const e of [...tx.values<Eviction>(FINDING_EVICTIONS)]) tx.delete(FINDING_EVICTIONS, e.rule);
}

export function listFindings(store: Store): Finding[] {
  return [...store.values<Finding>(FINDINGS)];
}
