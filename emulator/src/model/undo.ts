import {
  AccessPolicy,
  Asset,
  AssetDeliveryPolicy,
  AssetFile,
  ContentKey,
  ContentKeyAuthorizationPolicy,
  ContentKeyAuthorizationPolicyOption,
  Locator,
  type EntityTypeDef,
} from '../odata/edm.js';
import type { JsonRecord, StoreReader } from '../store/types.js';
import { fileMisfit } from './asset-file.js';
import { linkMisfit } from './asset-key-link.js';
import { ASSET_KEY_LINKS, COLLECTIONS } from './collections.js';
import { linksOfKey } from './content-key.js';
import { linkId } from './ids.js';
import { locatorDeleteReachesStorage, locatorMisfit } from './locator.js';
import type { AssetFileRecord, AssetKeyLinkRecord, LocatorRecord } from './records.js';

/**
 * What the model tells a `$batch` undo: where an entity type's records live, what else a delete
 * takes with it in the store, which deletes reach storage (and so cannot be put back), and whether
 * a record put back still fits the state around it.
 */

/** A stored record's place. */
export interface RecordSlot {
  collection: string;
  id: string;
}

const UPDATABLE: ReadonlyMap<EntityTypeDef, string> = new Map([
  [Asset, COLLECTIONS.Assets],
  [AssetFile, COLLECTIONS.Files],
  [ContentKey, COLLECTIONS.ContentKeys],
  [AccessPolicy, COLLECTIONS.AccessPolicies],
  [Locator, COLLECTIONS.Locators],
  // Their MERGE changes one record; their DELETE takes links too, which storeOnlyDeleteCascade
  // does not list, so it is not undone.
  [AssetDeliveryPolicy, COLLECTIONS.AssetDeliveryPolicies],
  [ContentKeyAuthorizationPolicy, COLLECTIONS.ContentKeyAuthorizationPolicies],
  [ContentKeyAuthorizationPolicyOption, COLLECTIONS.ContentKeyAuthorizationPolicyOptions],
]);

/** The collection of an entity type whose updates and deletes touch only stored records; undefined for others. */
export function collectionOfUpdatable(type: EntityTypeDef): string | undefined {
  return UPDATABLE.get(type);
}

/**
 * The records deleting this one takes with it in the store (a content key's asset links), or
 * undefined when the delete is not put back: it reaches storage too (an asset's container, a SAS
 * locator's stored access policy), so putting the store back would not put everything back, or
 * it takes records this plan does not list (the delivery sets' links).
 */
export function storeOnlyDeleteCascade(reader: StoreReader, collection: string, id: string, record: JsonRecord): RecordSlot[] | undefined {
  switch (collection) {
    case COLLECTIONS.Files:
    case COLLECTIONS.AccessPolicies:
      return [];
    case COLLECTIONS.ContentKeys:
      return linksOfKey(reader, id).map((link) => ({ collection: ASSET_KEY_LINKS, id: linkId(link.assetId, link.keyId) }));
    case COLLECTIONS.Locators:
      return locatorDeleteReachesStorage(record as LocatorRecord) ? undefined : [];
    default:
      return undefined;
  }
}

/** Why a deleted record, put back, does not fit the state around it; undefined when it does. */
export function misfitOfRestored(reader: StoreReader, collection: string, record: JsonRecord): string | undefined {
  switch (collection) {
    case COLLECTIONS.Files:
      return fileMisfit(reader, record as AssetFileRecord);
    case COLLECTIONS.Locators:
      return locatorMisfit(reader, record as LocatorRecord);
    case ASSET_KEY_LINKS:
      return linkMisfit(reader, record as AssetKeyLinkRecord);
    default:
      return undefined;
  }
}
