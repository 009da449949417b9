import type { IndexDef, JsonRecord } from './types.js';

export type { IndexDef } from './types.js';

export function defineIndex(collection: string, name: string, key: (record: JsonRecord) => string | undefined): IndexDef {
  return Object.freeze({ collection, name, key });
}

/** An index of a string property, exact match: the records whose `property` is that string. */
export function propertyIndex(collection: string, property: string): IndexDef {
  const id = `${collection}.${property}`;
  let index = propertyIndexes.get(id);
  if (index === undefined) {
    index = defineIndex(collection, property, (record) => {
      const value = record[property];
      return typeof value === 'string' ? value : undefined;
    });
    propertyIndexes.set(id, index);
  }
  return index;
}

const propertyIndexes = new Map<string, IndexDef>();

/**
 * The built indexes of one state: key -> ids. An index is built on its first lookup (one scan) and
 * kept up to date by every change after that; `forget` drops them all (they rebuild on demand).
 */
export class IndexSet {
  readonly #built = new Map<IndexDef, Map<string, Set<string>>>();

  /** The ids under `key`, building the index from `records` first if needed. */
  ids(index: IndexDef, key: string, records: () => Iterable<[string, JsonRecord]>): ReadonlySet<string> | undefined {
    let groups = this.#built.get(index);
    if (groups === undefined) {
      groups = new Map();
      for (const [id, record] of records()) add(groups, index.key(record), id);
      this.#built.set(index, groups);
    }
    return groups.get(key);
  }

  /** A record of `collection` changed from `before` to `after` (undefined: absent). */
  changed(collection: string, id: string, before: JsonRecord | undefined, after: JsonRecord | undefined): void {
    for (const [index, groups] of this.#built) {
      if (index.collection !== collection) continue;
      const from = before === undefined ? undefined : index.key(before);
      const to = after === undefined ? undefined : index.key(after);
      if (from === to) continue;
      remove(groups, from, id);
      add(groups, to, id);
    }
  }

  /** Every collection was replaced wholesale (a clear, or its rollback). */
  forget(): void {
    this.#built.clear();
  }
}

function add(groups: Map<string, Set<string>>, key: string | undefined, id: string): void {
  if (key === undefined) return;
  let ids = groups.get(key);
  if (ids === undefined) groups.set(key, (ids = new Set()));
  ids.add(id);
}

function remove(groups: Map<string, Set<string>>, key: string | undefined, id: string): void {
  if (key === undefined) return;
  const ids = groups.get(key);
  if (ids === undefined) return;
  ids.delete(id);
  if (ids.size === 0) groups.delete(key);
}
