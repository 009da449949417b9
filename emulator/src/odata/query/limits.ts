import { badRequest, type ODataError } from '../errors.js';

/** Bounds on what a client may ask for, so that hostile input gets a 400 instead of a hang or a crash. */
export interface QueryLimits {
  /** `$top` above this is served as this many (the service capped pages at 1000, it did not refuse). */
  maxTop?: number;
  /** Characters of decoded `$filter` text. */
  maxFilterLength?: number;
  /** Nesting of parentheses, `not` and function calls. Chains of `and`/`or` do not nest. */
  maxFilterDepth?: number;
  /** Nodes of the parsed tree (properties, literals, operators, calls). */
  maxFilterNodes?: number;
}

export const DEFAULT_LIMITS: Required<QueryLimits> = {
  maxTop: 1000,
  maxFilterLength: 4096,
  maxFilterDepth: 32,
  maxFilterNodes: 1000,
};

/** Entities per response, whatever `$top` says (ams-v2-reference §8.5). */
export const MAX_PAGE = 1000;

export function resolveLimits(limits: QueryLimits | undefined): Required<QueryLimits> {
  return { ...DEFAULT_LIMITS, ...dropUndefined(limits ?? {}) };
}

function dropUndefined(limits: QueryLimits): QueryLimits {
  return Object.fromEntries(Object.entries(limits).filter(([, v]) => v !== undefined)) as QueryLimits;
}

/** Every `$filter` refusal starts the same way, so the client knows which option is wrong. */
export function filterError(message: string): ODataError {
  return badRequest(`Invalid $filter: ${message}`);
}
