import type { IndexDef } from './indexes.js';
import { freezeRecord } from './json-record.js';
import type { StoreOp } from './ops.js';
import type { State } from './state.js';
import type { JsonRecord, Transaction } from './types.js';

/**
 * A collection's changes inside one transaction, over the committed records ("base"). The three
 * parts mirror what a Map would do, so reads and `values()` order match what `State.apply` will
 * produce: `replaced` keeps the base position, `added` goes to the end in order, and a deleted base
 * id that is put again counts as added (Map.delete + Map.set moves it to the end).
 */
interface Overlay {
  readonly replaced: Map<string, JsonRecord>;
  readonly removed: Set<string>;
  readonly added: Map<string, JsonRecord>;
}

/**
 * Copy-on-write view of the state for one `fn`: writes go to overlays and to an op list; the state
 * is untouched until the store applies the ops, so a throwing `fn` leaves no trace. Cost is
 * O(changes), never O(state).
 */
export class BufferedTransaction implements Transaction {
  readonly #state: State;
  #overlays = new Map<string, Overlay>();
  /** After clear(), the committed records are invisible to this transaction. */
  #cleared = false;
  #open = true;
  readonly ops: StoreOp[] = [];

  constructor(state: State) {
    this.#state = state;
  }

  /** Later calls (say, from a callback `fn` left behind) would otherwise be silently lost. */
  end(): void {
    this.#open = false;
  }

  get<T extends JsonRecord>(collection: string, id: string): T | undefined {
    this.#assertOpen();
    const overlay = this.#overlays.get(collection);
    if (overlay !== undefined) {
      const added = overlay.added.get(id);
      if (added !== undefined) return added as T;
      if (overlay.removed.has(id)) return undefined;
      const replaced = overlay.replaced.get(id);
      if (replaced !== undefined) return replaced as T;
    }
    return this.#cleared ? undefined : this.#state.get<T>(collection, id);
  }

  has(collection: string, id: string): boolean {
    return this.get(collection, id) !== undefined;
  }

  values<T extends JsonRecord>(collection: string): IterableIterator<T> {
    this.#assertOpen();
    const overlay = this.#overlays.get(collection);
    const base = this.#cleared ? emptyIterator<T>() : this.#state.values<T>(collection);
    if (overlay === undefined) return base;
    return this.#mergedValues<T>(collection, overlay);
  }

  /**
   * The committed matches with this transaction's changes laid over them, in the order `values()`
   * gives: committed records by insertion number (a replaced one keeps its place), then added ones.
   */
  lookup<T extends JsonRecord>(index: IndexDef, key: string): T[] {
    this.#assertOpen();
    const base = this.#cleared ? [] : this.#state.lookupEntries(index, key);
    const overlay = this.#overlays.get(index.collection);
    if (overlay === undefined) return base.map(([, entry]) => entry.value as T);
    const kept: Array<{ seq: number; value: JsonRecord }> = [];
    for (const [id, entry] of base) {
      if (overlay.removed.has(id) || overlay.replaced.has(id)) continue;
      kept.push(entry);
    }
    // A replaced record matches by its new value, whatever its committed one was.
    for (const [id, value] of overlay.replaced) {
      if (index.key(value) === key) kept.push({ seq: this.#state.seqOf(index.collection, id)!, value });
    }
    kept.sort((a, b) => a.seq - b.seq);
    const out = kept.map((e) => e.value as T);
    for (const value of overlay.added.values()) if (index.key(value) === key) out.push(value as T);
    return out;
  }

  count(collection: string): number {
    this.#assertOpen();
    const base = this.#cleared ? 0 : this.#state.count(collection);
    const overlay = this.#overlays.get(collection);
    return overlay === undefined ? base : base - overlay.removed.size + overlay.added.size;
  }

  put(collection: string, id: string, value: JsonRecord): void {
    this.#assertOpen();
    assertName('collection', collection);
    assertName('id', id);
    const { value: frozen, json } = freezeRecord(value, `the record ${collection}/${id}`);
    const overlay = this.#overlay(collection);
    if (overlay.added.has(id) || !this.#inBase(collection, id) || overlay.removed.has(id)) {
      overlay.added.set(id, frozen);
    } else {
      overlay.replaced.set(id, frozen);
    }
    this.ops.push({ kind: 'put', collection, id, value: frozen, json });
  }

  delete(collection: string, id: string): boolean {
    this.#assertOpen();
    assertName('collection', collection);
    assertName('id', id);
    const overlay = this.#overlays.get(collection);
    let existed: boolean;
    if (overlay?.added.delete(id)) {
      existed = true;
    } else if (this.#inBase(collection, id) && !overlay?.removed.has(id)) {
      const own = overlay ?? this.#overlay(collection);
      own.removed.add(id);
      own.replaced.delete(id);
      existed = true;
    } else {
      existed = false;
    }
    // A delete of nothing changes nothing: no op, so no journal bytes.
    if (existed) this.ops.push({ kind: 'del', collection, id });
    return existed;
  }

  clear(): void {
    this.#assertOpen();
    this.#cleared = true;
    this.#overlays = new Map();
    this.ops.push({ kind: 'clear' });
  }

  #inBase(collection: string, id: string): boolean {
    return !this.#cleared && this.#state.has(collection, id);
  }

  #overlay(collection: string): Overlay {
    let overlay = this.#overlays.get(collection);
    if (overlay === undefined) {
      overlay = { replaced: new Map(), removed: new Set(), added: new Map() };
      this.#overlays.set(collection, overlay);
    }
    return overlay;
  }

  *#mergedValues<T extends JsonRecord>(collection: string, overlay: Overlay): IterableIterator<T> {
    if (!this.#cleared) {
      for (const [id, value] of this.#state.collectionEntries(collection)) {
        if (overlay.removed.has(id)) continue;
        yield (overlay.replaced.get(id) ?? value) as T;
      }
    }
    for (const value of overlay.added.values()) yield value as T;
  }

  #assertOpen(): void {
    if (!this.#open) throw new Error('this transaction is over: use the Transaction only inside the synchronous fn');
  }
}

function assertName(what: string, name: string): void {
  if (typeof name !== 'string') throw new TypeError(`the ${what} must be a string, got ${typeof name}`);
}

function* emptyIterator<T>(): IterableIterator<T> {}
