import type { JsonRecord } from './types.js';

/** A record as the store keeps it: the frozen value and the exact JSON text it was parsed from. */
export interface FrozenRecord {
  readonly value: JsonRecord;
  readonly json: string;
}

/**
 * Deep-copy a caller's record the way it will come back after a restart: a JSON round trip, so
 * `undefined` properties vanish and Dates become strings now rather than on the next start-up.
 * The JSON text is kept because the journal line needs it anyway (one stringify per put).
 * The copy is deep-frozen: reads hand out the stored object without copying, and a caller that
 * mutates it gets a TypeError instead of silently diverging from what is on disk.
 */
export function freezeRecord(value: JsonRecord, what: string): FrozenRecord {
  let json: string | undefined;
  try {
    json = JSON.stringify(value);
  } catch (cause) {
    throw new TypeError(`${what} is not JSON-serialisable: ${(cause as Error).message}`, { cause });
  }
  if (json === undefined || json[0] !== '{') {
    throw new TypeError(`${what} must be a JSON object, got ${json === undefined ? typeof value : json.slice(0, 40)}`);
  }
  return { value: deepFreeze(JSON.parse(json) as JsonRecord), json };
}

/** Freeze a value fresh from JSON.parse (nobody else holds a reference to it). */
export function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const key of Object.keys(value)) deepFreeze((value as Record<string, unknown>)[key]);
  }
  return value;
}

export function isJsonObject(value: unknown): value is JsonRecord {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
