import { IndexSet, type IndexDef } from './indexes.js';
import type { StateOp } from './ops.js';
import type { JsonRecord, StoreReader } from './types.js';

/**
 * `seq` is the record's insertion number. Map order already is insertion order; the number is only
 * there so that a rollback, which may re-insert deleted records at the end, can restore the order.
 */
export interface Entry {
  readonly seq: number;
  readonly value: JsonRecord;
  /** Characters the record takes in a snapshot (see `recordChars`). */
  readonly chars: number;
}

/** Quotes, colon and comma around a record's id and value in the snapshot. */
const RECORD_OVERHEAD_CHARS = 8;

/**
 * The characters a record adds to `state.json`: its JSON and its id. V8 cannot build a string past
 * about 2^29 characters, so this (not bytes) is what the store's size bound counts. A put from a
 * transaction carries its JSON already; one replayed at start-up is stringified once more.
 */
function recordChars(op: Extract<StateOp, { kind: 'put' }>): number {
  const json = 'json' in op && typeof op.json === 'string' ? op.json : JSON.stringify(op.value);
  return json.length + op.id.length + RECORD_OVERHEAD_CHARS;
}

type Collections = Map<string, Map<string, Entry>>;

/** How to take back one applied op; kept until the op is durable (see `State.rollback`). */
export type UndoEntry =
  | { readonly kind: 'restore'; readonly collection: string; readonly id: string; readonly previous: Entry | undefined }
  | { readonly kind: 'unclear'; readonly previous: Collections; readonly chars: number };

const NO_RECORDS: ReadonlyMap<string, Entry> = new Map();

/**
 * The committed records, in memory: a Map per collection so that ids keep insertion order (a put
 * of an existing id keeps its place). Values are stored as given (the caller freezes them) and
 * returned as stored: callers must not mutate what they read.
 */
export class State implements StoreReader {
  #collections: Collections = new Map();
  #nextSeq = 0;
  #chars = 0;
  readonly #indexes = new IndexSet();

  /** The snapshot characters of every record: what the store bounds (`maxStateChars`). */
  get chars(): number {
    return this.#chars;
  }

  get<T extends JsonRecord>(collection: string, id: string): T | undefined {
    return this.#collections.get(collection)?.get(id)?.value as T | undefined;
  }

  has(collection: string, id: string): boolean {
    return this.#collections.get(collection)?.has(id) ?? false;
  }

  values<T extends JsonRecord>(collection: string): IterableIterator<T> {
    return valuesOf<T>(this.#collections.get(collection) ?? NO_RECORDS);
  }

  count(collection: string): number {
    return this.#collections.get(collection)?.size ?? 0;
  }

  lookup<T extends JsonRecord>(index: IndexDef, key: string): T[] {
    return this.lookupEntries(index, key).map(([, entry]) => entry.value as T);
  }

  /** The records under `key`, with their ids and insertion numbers, in insertion order. */
  lookupEntries(index: IndexDef, key: string): Array<[id: string, entry: Entry]> {
    const records = this.#collections.get(index.collection) ?? NO_RECORDS;
    const ids = this.#indexes.ids(index, key, () => recordsOf(records));
    if (ids === undefined) return [];
    const found: Array<[string, Entry]> = [];
    for (const id of ids) {
      const entry = records.get(id);
      if (entry !== undefined) found.push([id, entry]);
    }
    // A record whose key changed joined its group at the end; collection order is insertion order.
    // Groups are nearly always in order already: check before sorting (a big group stays O(size)).
    for (let i = 1; i < found.length; i++) {
      if (found[i - 1]![1].seq > found[i]![1].seq) return found.sort((a, b) => a[1].seq - b[1].seq);
    }
    return found;
  }

  /** The insertion number of a record, for ordering a transaction's view like the collection. */
  seqOf(collection: string, id: string): number | undefined {
    return this.#collections.get(collection)?.get(id)?.seq;
  }

  /** One collection's ids and values, in order. */
  collectionEntries(collection: string): IterableIterator<[id: string, value: JsonRecord]> {
    return recordsOf(this.#collections.get(collection) ?? NO_RECORDS);
  }

  /** Non-empty collections with their records, in order (for snapshots). */
  *collections(): IterableIterator<[name: string, records: IterableIterator<[id: string, value: JsonRecord]>]> {
    for (const [name, records] of this.#collections) {
      if (records.size > 0) yield [name, recordsOf(records)];
    }
  }

  /** Apply ops in order; when `undo` is given, push what it takes to revert each of them. */
  apply(ops: readonly StateOp[], undo?: UndoEntry[]): void {
    for (const op of ops) {
      switch (op.kind) {
        case 'put': {
          let records = this.#collections.get(op.collection);
          if (records === undefined) {
            records = new Map();
            this.#collections.set(op.collection, records);
          }
          const previous = records.get(op.id);
          const chars = recordChars(op);
          records.set(op.id, { seq: previous?.seq ?? this.#nextSeq++, value: op.value, chars });
          this.#chars += chars - (previous?.chars ?? 0);
          this.#indexes.changed(op.collection, op.id, previous?.value, op.value);
          undo?.push({ kind: 'restore', collection: op.collection, id: op.id, previous });
          break;
        }
        case 'del': {
          const records = this.#collections.get(op.collection);
          const previous = records?.get(op.id);
          if (records === undefined || previous === undefined) break;
          records.delete(op.id);
          this.#chars -= previous.chars;
          this.#indexes.changed(op.collection, op.id, previous.value, undefined);
          undo?.push({ kind: 'restore', collection: op.collection, id: op.id, previous });
          break;
        }
        case 'clear':
          undo?.push({ kind: 'unclear', previous: this.#collections, chars: this.#chars });
          this.#collections = new Map();
          this.#chars = 0;
          this.#indexes.forget();
          break;
      }
    }
  }

  /**
   * Revert ops applied with `apply(ops, undo)`, given their undo entries in application order.
   * Records deleted and re-inserted land at the end of their Map, so the touched collections are
   * re-sorted by insertion number: O(collection) but only on an I/O failure.
   */
  rollback(undo: readonly UndoEntry[]): void {
    const reordered = new Set<string>();
    for (let i = undo.length - 1; i >= 0; i--) {
      const entry = undo[i];
      if (entry.kind === 'unclear') {
        this.#collections = entry.previous;
        this.#chars = entry.chars;
        this.#indexes.forget();
        continue;
      }
      let records = this.#collections.get(entry.collection);
      this.#chars += (entry.previous?.chars ?? 0) - (records?.get(entry.id)?.chars ?? 0);
      this.#indexes.changed(entry.collection, entry.id, records?.get(entry.id)?.value, entry.previous?.value);
      if (entry.previous === undefined) {
        records?.delete(entry.id);
        continue;
      }
      if (records === undefined) {
        records = new Map();
        this.#collections.set(entry.collection, records);
      }
      if (!records.has(entry.id)) reordered.add(entry.collection);
      records.set(entry.id, entry.previous);
    }
    for (const name of reordered) {
      const records = this.#collections.get(name);
      if (records === undefined) continue;
      const sorted = [...records].sort((a, b) => a[1].seq - b[1].seq);
      this.#collections.set(name, new Map(sorted));
    }
  }
}

function* valuesOf<T extends JsonRecord>(records: ReadonlyMap<string, Entry>): IterableIterator<T> {
  for (const entry of records.values()) yield entry.value as T;
}

function* recordsOf(records: ReadonlyMap<string, Entry>): IterableIterator<[string, JsonRecord]> {
  for (const [id, entry] of records) yield [id, entry.value];
}
