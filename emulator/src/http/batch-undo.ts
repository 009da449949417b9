import type { RequestInfo } from '../domain/findings.js';
import { AccessPolicy, Asset, AssetFile, ContentKey, Locator, type EntityTypeDef } from '../odata/edm.js';
import { canonicalId } from '../odata/uri.js';
import { ASSET_KEY_LINKS, COLLECTIONS, INDEXES, type AssetKeyLink } from '../resources/common.js';
import { LOCATOR_ORIGIN } from '../resources/locators.js';
import type { ApiRequest, Services } from '../resources/context.js';
import type { JsonRecord } from '../store/types.js';

/**
 * Putting back, in the store, what an update or a delete of a changeset did, when a later
 * operation of the changeset fails. Captured before the operation runs and again after it
 * succeeds; undone only if nothing else changed the records meanwhile (another client's change
 * is not overwritten). Deletes whose effect reaches storage (an asset's container, a SAS
 * locator's stored access policy) cannot be put back and are not planned.
 */
export interface UndoPlan {
  /** The operation succeeded: remember the state it left, to undo only that. */
  settle(): void;
  undo(): Promise<void>;
}

interface Slot {
  collection: string;
  id: string;
  before: JsonRecord | undefined;
  after?: JsonRecord | undefined;
}

const UPDATABLE: ReadonlyMap<EntityTypeDef, string> = new Map([
  [Asset, COLLECTIONS.Assets],
  [AssetFile, COLLECTIONS.Files],
  [ContentKey, COLLECTIONS.ContentKeys],
  [AccessPolicy, COLLECTIONS.AccessPolicies],
  [Locator, COLLECTIONS.Locators],
]);

/** Deletes that touch only the store (a content key's asset links go with it and come back). */
const DELETABLE = new Set<EntityTypeDef>([AssetFile, ContentKey, AccessPolicy, Locator]);

export function planUndo(services: Services, request: ApiRequest): UndoPlan | undefined {
  const { path, method } = request;
  if (path.kind !== 'entity' || path.property !== undefined) return undefined;
  const collection = UPDATABLE.get(path.type);
  if (!collection) return undefined;
  const update = method === 'MERGE' || method === 'PATCH' || method === 'PUT';
  if (!update && !(method === 'DELETE' && DELETABLE.has(path.type))) return undefined;
  let id: string;
  try {
    id = canonicalId(path.type, path.key);
  } catch {
    return undefined; // A malformed key: the operation itself answers 400 for it.
  }
  const record = services.store.get(collection, id);
  if (!record) return undefined;
  // A SAS locator's delete removed its stored access policy from the container too.
  if (!update && path.type === Locator && record['Type'] !== LOCATOR_ORIGIN) return undefined;

  const slots: Slot[] = [{ collection, id, before: copy(record) }];
  if (!update && path.type === ContentKey) {
    for (const link of services.store.lookup<AssetKeyLink>(INDEXES.linksByKey, id)) {
      slots.push({ collection: ASSET_KEY_LINKS, id: `${link.assetId}|${link.keyId}`, before: copy(link) });
    }
  }
  const info: RequestInfo = request.info;
  return {
    settle() {
      for (const slot of slots) slot.after = copyOrUndefined(services.store.get(slot.collection, slot.id));
    },
    async undo() {
      let restored = false;
      await services.store.transaction((tx) => {
        const untouched = slots.every((slot) => same(tx.get(slot.collection, slot.id), slot.after));
        if (!untouched) return;
        for (const slot of slots) {
          if (slot.before) tx.put(slot.collection, slot.id, slot.before);
          else tx.delete(slot.collection, slot.id);
        }
        restored = true;
      });
      // The file's bytes are checked again against what it says now.
      if (restored && path.type === AssetFile) services.events.fileChanged(id, info);
    },
  };
}

function copy<T extends JsonRecord>(record: T): T {
  return JSON.parse(JSON.stringify(record)) as T;
}

function copyOrUndefined(record: JsonRecord | undefined): JsonRecord | undefined {
  return record === undefined ? undefined : copy(record);
}

function same(a: JsonRecord | undefined, b: JsonRecord | undefined): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}
