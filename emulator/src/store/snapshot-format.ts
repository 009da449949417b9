import { isJsonObject } from './json-record.js';
import type { StateOp } from './ops.js';
import type { State } from './state.js';
import { BASE_SCHEMA, type JsonRecord, type RecordSchema } from './types.js';

/** The oldest schemaVersion there is: a state file says its version from the first one on. */
const FIRST_SCHEMA_VERSION = BASE_SCHEMA.version;

/**
 * `state.json`: everything committed up to the start of journal `generation`. Collections and
 * records are objects keyed by name and id (readable, diff-able). Objects put integer-like keys
 * first whatever the insertion order, so a collection holding such an id also lists its ids in
 * order under `order`; the field is absent otherwise.
 */
export interface SnapshotDocument {
  /** The RecordSchema version of the records (see types.ts). */
  schemaVersion: number;
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
export function snapshotDocument(state: State, generation: number, schemaVersion = BASE_SCHEMA.version): SnapshotDocument {
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
  const document: SnapshotDocument = { schemaVersion, generation, collections };
  if (order !== undefined) document.order = order;
  return document;
}

/** Parse and check `state.json` (of `schemaVersion` or older); throws SnapshotFormatError saying what is wrong. */
export function parseSnapshot(text: string, schemaVersion: number): SnapshotDocument {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new SnapshotFormatError('corrupt', `is not valid JSON (${(error as Error).message})`);
  }
  if (!isJsonObject(parsed)) throw new SnapshotFormatError('corrupt', 'is not a JSON object');
  const { schemaVersion: version, generation, collections, order } = parsed;
  if (version === undefined) throw new SnapshotFormatError('corrupt', 'has no schemaVersion');
  if (!Number.isSafeInteger(version) || (version as number) < FIRST_SCHEMA_VERSION || (version as number) > schemaVersion) {
    const readable = schemaVersion === FIRST_SCHEMA_VERSION ? `${schemaVersion}` : `${FIRST_SCHEMA_VERSION} to ${schemaVersion}`;
    throw new SnapshotFormatError('unknown-version', `has schemaVersion ${JSON.stringify(version)}, and this ams-emulator reads only schemaVersion ${readable}`);
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

/** The document as puts, in insertion order, for `State.apply`; records of an older schema upgraded. */
export function* snapshotOps(document: SnapshotDocument, schema: RecordSchema): IterableIterator<StateOp> {
  for (const name of Object.keys(document.collections)) {
    const records = document.collections[name];
    const ids = document.order !== undefined && Object.hasOwn(document.order, name) ? document.order[name] : Object.keys(records);
    for (const id of ids) yield upgradeOp({ kind: 'put', collection: name, id, value: records[id] }, document.schemaVersion, schema);
  }
}

/** A put of a record written under schema version `from`, in the current shape. */
export function upgradeOp(op: StateOp, from: number, schema: RecordSchema): StateOp {
  if (op.kind !== 'put' || from >= schema.version) return op;
  return { ...op, value: schema.upgrade(from, op.collection, op.value) };
}
