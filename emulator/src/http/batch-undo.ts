import type { RequestInfo } from '../domain/findings.js';
import { AssetFile, entityTypeOfSet } from '../odata/edm.js';
import { createdSlot, misfitOfRestored, slotsOfCollection, undoScope, type BatchChange, type RecordSlot } from '../model/undo.js';
import type { Services } from '../app/services.js';
import type { ApiRequest, ApiResult } from '../resources/context.js';
import type { JsonRecord } from '../store/types.js';

/**
 * Putting back, in the store, what an operation of a changeset did, when a later operation of the
 * changeset fails: updates, deletes that take only records with them, `$links` removals, a
 * streaming endpoint's changes with their Operations, and the creates the model says a delete
 * would not put back (model/undo.ts says which records each may write). Captured before the
 * operation runs and again after it succeeds; only what it altered is put back, and only if
 * nothing else changed those records meanwhile (another client's change is not overwritten).
 * Deletes whose effect reaches storage (an asset's container, a manifest's upload container, a
 * SAS locator's stored access policy) cannot be put back and are not planned.
 *
 * A record is put back only if what it refers to is still there (a file's asset, a locator's asset
 * and policy, a link's two ends) and it clashes with nothing made since (a file name in its
 * asset, the 5 locators of an asset): an asset the changeset deleted for good takes its children
 * with it rather than leaving them dangling. All or nothing: one record that cannot come back
 * keeps all of the plan's records as they are.
 */
export interface UndoPlan {
  /** The operation succeeded with `result`: remember the state it left, to undo only that. */
  settle(result: ApiResult): void;
  /** Resolves with why nothing was put back, or undefined when it was (or nothing needed it). */
  undo(): Promise<UndoLeft | undefined>;
}

/** What an undo left as it was: deliberately, to keep the state consistent, or because it failed. */
export interface UndoLeft {
  message: string;
  /** Something that should have worked did not (storage, an error): worth the error log. */
  failed: boolean;
}

interface Slot extends RecordSlot {
  before: JsonRecord | undefined;
  after?: JsonRecord | undefined;
}

export function planUndo(services: Services, request: ApiRequest): UndoPlan | undefined {
  const described = changeOf(request);
  if (!described) return undefined;
  const { change, target } = described;
  const scope = undoScope(services.store, change);
  if (!scope) return undefined;
  const capture = (slot: RecordSlot): Slot => ({ ...slot, before: copyOrUndefined(services.store.get(slot.collection, slot.id)) });
  const slots = new Map<string, Slot>();
  const add = (slot: Slot) => {
    if (!slots.has(slotKey(slot))) slots.set(slotKey(slot), slot);
  };
  for (const slot of scope.slots) add(capture(slot));
  for (const collection of scope.collections) for (const slot of slotsOfCollection(services.store, collection)) add(capture(slot));
  const info: RequestInfo = request.info;
  let changed: Slot[] = [];
  return {
    settle(result) {
      // What the change made: records new in a collection captured whole, the record a create made.
      for (const collection of scope.collections) for (const slot of slotsOfCollection(services.store, collection)) add({ ...slot, before: undefined });
      const made = result.kind === 'entity' && 'type' in request.path ? createdSlot(scope, request.path.type, result.record) : undefined;
      if (made) add({ ...made, before: undefined });
      for (const slot of slots.values()) slot.after = copyOrUndefined(services.store.get(slot.collection, slot.id));
      // Only what the change altered is put back (and must not have been changed again since).
      changed = [...slots.values()].filter((slot) => !same(slot.before, slot.after));
    },
    async undo() {
      let refused: string | undefined;
      await services.store
        .transaction((tx) => {
          const untouched = changed.every((slot) => same(tx.get(slot.collection, slot.id), slot.after));
          if (!untouched) {
            refused = `${target} was changed again after this operation; it is left as it is now`;
            return;
          }
          for (const slot of changed) {
            if (slot.before) tx.put(slot.collection, slot.id, slot.before);
            else tx.delete(slot.collection, slot.id);
          }
          // Checked with the plan's own records back (a key and its links refer to each other);
          // throwing leaves the state untouched.
          for (const slot of changed) {
            const conflict = slot.before && slot.after === undefined ? misfitOfRestored(tx, slot.collection, slot.before) : undefined;
            if (conflict !== undefined) throw new UndoRefused(conflict);
          }
        })
        .catch((err: unknown) => {
          if (!(err instanceof UndoRefused)) throw err;
          refused = err.message;
        });
      // A file's bytes are checked again against what it says now.
      if (refused === undefined && request.path.kind === 'entity' && request.path.type === AssetFile) {
        for (const slot of changed) if (slot.before) services.events.fileChanged(slot.id, info);
      }
      return refused === undefined ? undefined : { message: `${request.method} ${target} not undone: ${refused}`, failed: false };
    },
  };
}

/** The change a request makes, as the model's undo names it, and how a message names its target. */
function changeOf(request: ApiRequest): { change: BatchChange; target: string } | undefined {
  const { path, method } = request;
  const update = method === 'MERGE' || method === 'PATCH' || method === 'PUT';
  switch (path.kind) {
    case 'collection':
      return method === 'POST' && !path.count ? { change: { kind: 'create', type: path.type }, target: path.type.set } : undefined;
    case 'entity': {
      if (path.property !== undefined || (!update && method !== 'DELETE')) return undefined;
      return { change: { kind: update ? 'update' : 'delete', type: path.type, key: path.key }, target: `${path.type.set}('${path.key}')` };
    }
    case 'links': {
      const targetType = entityTypeOfSet(path.nav.target);
      if (method !== 'DELETE' || path.targetKey === undefined || !targetType) return undefined;
      const change: BatchChange = { kind: 'unlink', type: path.type, key: path.key, nav: path.nav.name, target: targetType, targetKey: path.targetKey };
      return { change, target: `${path.type.set}('${path.key}')/$links/${path.nav.name}('${path.targetKey}')` };
    }
    case 'action':
      return method === 'POST' ? { change: { kind: 'action', type: path.type, key: path.key, action: path.action.name }, target: `${path.type.set}('${path.key}')/${path.action.name}` } : undefined;
    default:
      return undefined;
  }
}

function slotKey(slot: RecordSlot): string {
  return `${slot.collection}\u0000${slot.id}`;
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
