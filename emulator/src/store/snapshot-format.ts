import { isJsonObject } from './json-record.js';
import type { StateOp } from './ops.js';
import type { State } from './state.js';
import type { JsonRecord } from './types.js';

export const SCHEMA_VERSION = 1;

/**
 * `state.json`: everything committed up to the start of journal `generation`. Collections and
 * records are objects keyed by name and id (readable, diff-able). Objects put integer-like keys
 * first whatever the insertion order, so a collection holding such an id also lists its ids in
 * order under `order`; the field is absent otherwise.
 */
export interface SnapshotDocument {
  schemaVersion: typeof SCHEMA_VERSION;
  generation: number;
  collections: Record<string, Record<string, JsonRecord>>;
  order?: Record<string, string[]>;
}

export class SnapshotFormatError extends Error {
  constructor(
    readonly kind: 'corrupt' | 'unknown-version',
    message: string,
  ) {
    super(message);
    this.name = 'SnapshotFormatError';
  }
}

const INTEGER_LIKE = /^(?:0|[1-9][0-9]*)$/;

/** The document for the current state. Records are shared with the state (they are frozen). */
export function snapshotDocument(state: State, generation: number): SnapshotDocument {
  // Null prototypes: an id or collection named `__proto__` must stay an ordinary key.
  const collections: Record<string, Record<string, JsonRecord>> = Object.create(null);
  let order: Record<string, string[]> | undefined;
  for (const [name, records] of state.collections()) {
    const byId: Record<string, JsonRecord> = Object.create(null);
    let ids: string[] | undefined;
    let integerLike = false;
    for (const [id, value] of records) {
      byId[id] = value;
      (ids ??= []).push(id);
      integerLike ||= INTEGER_LIKE.test(id);
    }
    collections[name] = byId;
    if (integerLike && ids !== undefined) (order ??= Object.create(null) as Record<string, string[]>)[name] = ids;
  }
  const document: SnapshotDocument = { schemaVersion: SCHEMA_VERSION, generation, collections };
  if (order !== undefined) document.order = order;
  return document;
}

/** Parse and check `state.json`; throws SnapshotFormatError saying what is wrong. */
export function parseSnapshot(text: string): SnapshotDocument {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new SnapshotFormatError('corrupt', `is not valid JSON (${(error as Error).message})`);
  }
  if (!isJsonObject(parsed)) throw new SnapshotFormatError('corrupt', 'is not a JSON object');
  const { schemaVersion, generation, collections, order } = parsed;
  if (schemaVersion === undefined) throw new SnapshotFormatError('corrupt', 'has no schemaVersion');
  if (schemaVersion !== SCHEMA_VERSION) {
    throw new SnapshotFormatError(
      'unknown-version',
      `has schemaVersion ${JSON.stringify(schemaVersion)}, and this ams-emulator reads only schemaVersion ${SCHEMA_VERSION}`,
    );
  }
  if (typeof generation !== 'number' || !Number.isSafeInteger(generation) || generation < 0) {
    throw new SnapshotFormatError('corrupt', `has a bad generation ${JSON.stringify(generation)}`);
  }
  if (!isJsonObject(collections)) throw new SnapshotFormatError('corrupt', 'has no collections object');
  for (const [name, records] of Object.entries(collections)) {
    if (!isJsonObject(records)) throw new SnapshotFormatError('corrupt', `has a collection ${JSON.stringify(name)} that is not an object`);
    for (const [id, value] of Object.entries(records)) {
      if (!isJsonObject(value)) throw new SnapshotFormatError('corrupt', `has a record ${name}/${id} that is not an object`);
    }
  }
  if (order !== undefined) checkOrder(order, collections as SnapshotDocument['collections']);
  return parsed as unknown as SnapshotDocument;
}

function checkOrder(order: unknown, collections: SnapshotDocument['collections']): void {
  if (!isJsonObject(order)) throw new SnapshotFormatError('corrupt', 'has an order field that is not an object');
  for (const [name, ids] of Object.entries(order)) {
    const records = Object.hasOwn(collections, name) ? collections[name] : undefined;
    const valid =
      records !== undefined &&
      Array.isArray(ids) &&
      ids.length === Object.keys(records).length &&
      new Set(ids).size === ids.length &&
      ids.every((id) => typeof id === 'string' && Object.hasOwn(records, id));
    if (!valid) throw new SnapshotFormatError('corrupt', `has an order for ${JSON.stringify(name)} that does not match its records`);
  }
}

/** The document as puts, in insertion order, for `State.apply`. */
export function* snapshotOps(document: SnapshotDocument): IterableIterator<StateOp> {
  for (const name of Object.keys(document.collections)) {
    const records = document.collections[name];
    const ids = document.order !== undefined && Object.hasOwn(document.order, name) ? document.order[name] : Object.keys(records);
    for (const id of ids) yield { kind: 'put', collection: name, id, value: records[id] };
  }
}
