import type { RequestInfo } from '../domain/findings.js';
import { AssetFile } from '../odata/edm.js';
import { canonicalId } from '../odata/uri.js';
import { collectionOfUpdatable, misfitOfRestored, storeOnlyDeleteCascade } from '../model/undo.js';
import type { Services } from '../app/services.js';
import type { ApiRequest } from '../resources/context.js';
import type { JsonRecord } from '../store/types.js';

/**
 * Putting back, in the store, what an update or a delete of a changeset did, when a later
 * operation of the changeset fails. Captured before the operation runs and again after it
 * succeeds; undone only if nothing else changed the records meanwhile (another client's change
 * is not overwritten). Deletes whose effect reaches storage (an asset's container, a SAS
 * locator's stored access policy) cannot be put back and are not planned.
 *
 * A record is put back only if what it refers to is still there (a file's asset, a locator's asset
 * and policy, a link's asset and key) and it clashes with nothing made since (a file name in its
 * asset, the 5 locators of an asset): an asset the changeset deleted for good takes its children
 * with it rather than leaving them dangling. All or nothing: one record that cannot come back
 * keeps all of the plan's records as they are.
 */
export interface UndoPlan {
  /** The operation succeeded: remember the state it left, to undo only that. */
  settle(): void;
  /** Resolves with why nothing was put back, or undefined when it was (or nothing needed it). */
  undo(): Promise<UndoLeft | undefined>;
}

/** What an undo left as it was: deliberately, to keep the state consistent, or because it failed. */
export interface UndoLeft {
  message: string;
  /** Something that should have worked did not (storage, an error): worth the error log. */
  failed: boolean;
}

interface Slot {
  collection: string;
  id: string;
  before: JsonRecord | undefined;
  after?: JsonRecord | undefined;
}

export function planUndo(services: Services, request: ApiRequest): UndoPlan | undefined {
  const { path, method } = request;
  if (path.kind !== 'entity' || path.property !== undefined) return undefined;
  const collection = collectionOfUpdatable(path.type);
  if (!collection) return undefined;
  const update = method === 'MERGE' || method === 'PATCH' || method === 'PUT';
  if (!update && method !== 'DELETE') return undefined;
  let id: string;
  try {
    id = canonicalId(path.type, path.key);
  } catch {
    return undefined; // A malformed key: the operation itself answers 400 for it.
  }
  const record = services.store.get(collection, id);
  if (!record) return undefined;
  // A delete that reached storage too (an asset's container, a SAS locator's stored access policy) cannot be put back.
  const cascade = update ? [] : storeOnlyDeleteCascade(services.store, collection, id, record);
  if (cascade === undefined) return undefined;

  const slots: Slot[] = [{ collection, id, before: copy(record) }];
  for (const slot of cascade) slots.push({ ...slot, before: copyOrUndefined(services.store.get(slot.collection, slot.id)) });
  const info: RequestInfo = request.info;
  return {
    settle() {
      for (const slot of slots) slot.after = copyOrUndefined(services.store.get(slot.collection, slot.id));
    },
    async undo() {
      let refused: string | undefined;
      await services.store
        .transaction((tx) => {
          const untouched = slots.every((slot) => same(tx.get(slot.collection, slot.id), slot.after));
          if (!untouched) {
            refused = `${path.type.name} '${id}' was changed again after this operation; it is left as it is now`;
            return;
          }
          for (const slot of slots) {
            if (slot.before) tx.put(slot.collection, slot.id, slot.before);
            else tx.delete(slot.collection, slot.id);
          }
          // Checked with the plan's own records back (a key and its links refer to each other);
          // throwing leaves the state untouched.
          for (const slot of slots) {
            const conflict = slot.before && slot.after === undefined ? misfitOfRestored(tx, slot.collection, slot.before) : undefined;
            if (conflict !== undefined) throw new UndoRefused(conflict);
          }
        })
        .catch((err: unknown) => {
          if (!(err instanceof UndoRefused)) throw err;
          refused = err.message;
        });
      // The file's bytes are checked again against what it says now.
      if (refused === undefined && path.type === AssetFile) services.events.fileChanged(id, info);
      return refused === undefined ? undefined : { message: `${method} ${path.type.set}('${id}') not undone: ${refused}`, failed: false };
    },
  };
}

class UndoRefused extends Error {}

function copy<T extends JsonRecord>(record: T): T {
  return JSON.parse(JSON.stringify(record)) as T;
}

function copyOrUndefined(record: JsonRecord | undefined): JsonRecord | undefined {
  return record === undefined ? undefined : copy(record);
}

function same(a: JsonRecord | undefined, b: JsonRecord | undefined): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}
