import { badRequest } from '../odata/errors.js';

/**
 * Fault injection for users testing their retry code (LocalStack's chaos API, for AMS): rules
 * that match requests by method, path and entity set, and answer them with a status and an OData
 * error, or only delay them, with a probability, a count and a seed so a test run is repeatable.
 */
export interface FaultRule {
  id: string;
  /** HTTP method to match (case-insensitive); undefined = any. */
  method?: string;
  /** Substring of the decoded request path to match; undefined = any. */
  path?: string;
  /** Entity set (or function) name the path addresses, e.g. `Assets`, `GetProtectionKeyId`. */
  entity?: string;
  /** Status to answer with; undefined = let the request through after the latency. */
  status?: number;
  /** OData error code and message of the answer. */
  code: string;
  message: string;
  /** Chance a matching request is affected, 0..1. */
  probability: number;
  /** How many more requests it affects; undefined = unlimited. */
  remaining?: number;
  /** Delay before answering (or before letting through), ms. */
  latencyMs: number;
  /** Seed of this rule's random choices. */
  seed: number;
  /** Matching requests seen and affected so far. */
  matched: number;
  applied: number;
}

/** Validate a rule as POSTed (JSON object); 400 naming the field that is wrong. */
export function parseFaultRule(body: unknown, id: string, defaultSeed: number): FaultRule {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw badRequest('A fault rule is a JSON object, e.g. {"entity":"Assets","method":"POST","status":503,"count":2}');
  const b = body as Record<string, unknown>;
  const known = new Set(['method', 'path', 'entity', 'status', 'code', 'message', 'probability', 'count', 'latencyMs', 'seed']);
  for (const key of Object.keys(b)) if (!known.has(key)) throw badRequest(`Unknown fault rule field '${key}'; known: ${[...known].join(', ')}`);
  const str = (name: string, max = 500): string | undefined => {
    const v = b[name];
    if (v === undefined || v === null) return undefined;
    if (typeof v !== 'string' || v.length > max) throw badRequest(`Fault rule field '${name}' must be a string of at most ${max} characters`);
    return v;
  };
  const num = (name: string, min: number, max: number, integer: boolean): number | undefined => {
    const v = b[name];
    if (v === undefined || v === null) return undefined;
    if (typeof v !== 'number' || !Number.isFinite(v) || v < min || v > max || (integer && !Number.isInteger(v))) {
      throw badRequest(`Fault rule field '${name}' must be ${integer ? 'an integer' : 'a number'} from ${min} to ${max}`);
    }
    return v;
  };
  // 1xx is not a final answer: Node sends it as an interim response and the client hangs up waiting.
  const status = num('status', 200, 599, true);
  const latencyMs = num('latencyMs', 0, 120_000, true) ?? 0;
  if (status === undefined && latencyMs === 0) throw badRequest('A fault rule needs a status to answer with, a latencyMs to delay by, or both');
  return {
    id,
    method: str('method', 16)?.toUpperCase(),
    path: str('path'),
    entity: str('entity', 100),
    status,
    code: str('code', 100) ?? (status === 503 ? 'ServiceUnavailable' : status === 429 ? 'TooManyRequests' : 'InjectedFault'),
    message: str('message', 2000) ?? `Injected fault (rule ${id}): the emulator was told to answer ${status ?? 'late'}`,
    probability: num('probability', 0, 1, false) ?? 1,
    remaining: num('count', 1, 1_000_000, true),
    latencyMs,
    seed: num('seed', 0, 2 ** 32 - 1, true) ?? defaultSeed,
    matched: 0,
    applied: 0,
  };
}

export interface RequestShape {
  method: string;
  /** Decoded path. */
  path: string;
  /** Entity set or function the path addresses under /api/, if any. */
  entity?: string;
}

export function matches(rule: FaultRule, request: RequestShape): boolean {
  if (rule.method !== undefined && rule.method !== request.method.toUpperCase()) return false;
  if (rule.path !== undefined && !request.path.includes(rule.path)) return false;
  if (rule.entity !== undefined && rule.entity !== request.entity) return false;
  return true;
}
