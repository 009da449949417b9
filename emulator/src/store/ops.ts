import { isJsonObject } from './json-record.js';
import type { JsonRecord } from './types.js';

/** One change to the state, as the state applies it and the journal replays it. */
export type StateOp =
  | { readonly kind: 'put'; readonly collection: string; readonly id: string; readonly value: JsonRecord }
  | { readonly kind: 'del'; readonly collection: string; readonly id: string }
  | { readonly kind: 'clear' };

/**
 * One change a transaction made. A put also carries the record's JSON text so that the journal
 * line is built by concatenation, without stringifying the value a second time.
 */
export type StoreOp = Exclude<StateOp, { kind: 'put' }> | (Extract<StateOp, { kind: 'put' }> & { readonly json: string });

/** `{"ops":[["put",coll,id,value],["del",coll,id],["clear"]]}`: one committed transaction. */
export function encodeJournalLine(ops: readonly StoreOp[]): string {
  const parts: string[] = [];
  for (const op of ops) {
    switch (op.kind) {
      case 'put':
        parts.push(`["put",${JSON.stringify(op.collection)},${JSON.stringify(op.id)},${op.json}]`);
        break;
      case 'del':
        parts.push(`["del",${JSON.stringify(op.collection)},${JSON.stringify(op.id)}]`);
        break;
      case 'clear':
        parts.push('["clear"]');
        break;
    }
  }
  return `{"ops":[${parts.join(',')}]}`;
}

/**
 * Parse one journal line back into ops; undefined when the line is not one we could have written
 * (the caller decides whether that is a torn tail or corruption). Put values come straight from
 * JSON.parse, unfrozen: the caller freezes what the state keeps.
 */
export function decodeJournalLine(line: string): StateOp[] | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(line);
  } catch {
    return undefined;
  }
  if (!isJsonObject(parsed) || !Array.isArray(parsed.ops)) return undefined;
  const ops: StateOp[] = [];
  for (const raw of parsed.ops) {
    if (!Array.isArray(raw)) return undefined;
    const [kind, collection, id, value] = raw;
    if (kind === 'put' && raw.length === 4 && typeof collection === 'string' && typeof id === 'string' && isJsonObject(value)) {
      ops.push({ kind, collection, id, value });
    } else if (kind === 'del' && raw.length === 3 && typeof collection === 'string' && typeof id === 'string') {
      ops.push({ kind, collection, id });
    } else if (kind === 'clear' && raw.length === 1) {
      ops.push({ kind });
    } else {
      return undefined;
    }
  }
  return ops;
}
