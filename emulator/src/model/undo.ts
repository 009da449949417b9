import {
  AccessPolicy,
  Asset,
  AssetDeliveryPolicy,
  AssetFile,
  ContentKey,
  ContentKeyAuthorizationPolicy,
  ContentKeyAuthorizationPolicyOption,
  EncodingReservedUnitType,
  IngestManifest,
  IngestManifestAsset,
  IngestManifestFile,
  Locator,
  NotificationEndPoint,
  type EntityTypeDef,
} from '../odata/edm.js';
import type { JsonRecord, StoreReader } from '../store/types.js';
import { deliveryLinkMisfit, deliveryLinksOfPolicy } from './asset-delivery-policy.js';
import { fileMisfit } from './asset-file.js';
import { linkMisfit } from './asset-key-link.js';
import { ASSET_DELIVERY_POLICY_LINKS, ASSET_KEY_LINKS, AUTHORIZATION_OPTION_LINKS, COLLECTIONS, collectionOfSet } from './collections.js';
import { optionLinkMisfit, optionLinksOfOption, optionLinksOfPolicy } from './content-key-authorization.js';
import { linksOfKey } from './content-key.js';
import { reservedUnitsKey } from './encoding-reserved-unit-type.js';
import { canonicalId, linkId } from './ids.js';
import { manifestAssetMisfit, type IngestManifestAssetRecord } from './ingest-manifest-assets.js';
import { filesOfIngestManifestAsset, manifestFileMisfit, type IngestManifestFileRecord } from './ingest-manifest-files.js';
import { manifestKey } from './ingest-manifests.js';
import { locatorDeleteReachesStorage, locatorMisfit } from './locator.js';
import type {
  AssetDeliveryPolicyLinkRecord,
  AssetFileRecord,
  AssetKeyLinkRecord,
  AuthorizationOptionLinkRecord,
  LocatorRecord,
} from './records.js';

/**
 * What the model tells a `$batch` undo: which stored records a change may write (so that they can
 * be captured before it and put back after it), which changes reach storage (and so cannot be put
 * back), and whether a record put back still fits the state around it.
 *
 * A change is undone in the store alone when everything it does is in the store: updates, deletes
 * that take only records with them, `$links` removals, a streaming endpoint's changes and their
 * Operations, and the creates whose side effects a delete would not put back (a manifest file's
 * create changes its manifest's Statistics and LastModified). Other creates are undone by deleting
 * what they made (the `$batch` layer does that through the router, storage included). Not undone:
 * an asset's delete and an IngestManifest's (their containers go), a SAS locator's (its stored
 * access policy goes).
 */

/** A stored record's place. */
export interface RecordSlot {
  collection: string;
  id: string;
}

/** A change of a `$batch` operation, as the undo asks about it (keys as the URL spelled them). */
export type BatchChange =
  | { kind: 'create'; type: EntityTypeDef }
  | { kind: 'update'; type: EntityTypeDef; key: string }
  | { kind: 'delete'; type: EntityTypeDef; key: string }
  | { kind: 'unlink'; type: EntityTypeDef; key: string; nav: string; target: EntityTypeDef; targetKey: string }
  | { kind: 'action'; type: EntityTypeDef; key: string; action: string };

/** What a change may write in the store. */
export interface UndoScope {
  /** Records captured before the change and after it (they may not exist at either time). */
  slots: RecordSlot[];
  /**
   * Collections captured whole: the change adds records to them whose ids cannot be known before
   * (a streaming endpoint's Operations). Small collections only.
   */
  collections: string[];
  /** A create: the collection its new record goes to; the record is captured once it is known. */
  createdIn?: string;
}

/** Entity types whose MERGE (and PATCH, PUT) writes the record itself and nothing else. */
const UPDATE_SELF: ReadonlySet<EntityTypeDef> = new Set([
  Asset, AssetFile, ContentKey, AccessPolicy, Locator, AssetDeliveryPolicy, ContentKeyAuthorizationPolicy, ContentKeyAuthorizationPolicyOption,
  NotificationEndPoint, IngestManifest,
]);

/** Collections a streaming endpoint's change writes: endpoints (the default one too) and Operations. */
const STREAMING = [COLLECTIONS.StreamingEndpoints, COLLECTIONS.Operations];

/**
 * The records `change` may write, when it can be undone in the store alone; undefined when it
 * cannot (it reaches storage), when it needs no undo (its target does not exist: it fails), or
 * when it is not the store's to undo (a create undone by deleting what it made).
 */
export function undoScope(reader: StoreReader, change: BatchChange): UndoScope | undefined {
  const type = change.type;
  // Every change of an endpoint (create, MERGE, delete, Start, Stop, Scale) is store-only: it
  // writes endpoints (the default one too, made on first use) and adds an Operation.
  if (collectionOfSet(type.set) === COLLECTIONS.StreamingEndpoints) return { slots: [], collections: STREAMING };
  if (change.kind === 'action') return undefined;
  if (change.kind === 'unlink') return unlinkScope(change);
  if (change.kind === 'create') {
    // Its manifest's Statistics change with it; the manifest id is in the body, so all are captured.
    return type === IngestManifestFile ? { slots: [], collections: [COLLECTIONS.IngestManifests], createdIn: COLLECTIONS.IngestManifestFiles } : undefined;
  }
  if (type === EncodingReservedUnitType) {
    // The row may not be stored yet (defaults): putting it back may mean deleting it.
    const row = change.kind === 'update' ? reservedUnitsKey(change.key) : undefined;
    return row === undefined ? undefined : { slots: [{ collection: COLLECTIONS.ReservedUnits, id: row }], collections: [] };
  }
  const collection = collectionOfSet(type.set);
  const id = keyOf(type, change.key);
  if (collection === undefined || id === undefined) return undefined;
  const record = reader.get(collection, id);
  if (!record) return undefined;
  const self: RecordSlot = { collection, id };
  if (change.kind === 'update') {
    if (UPDATE_SELF.has(type)) return { slots: [self], collections: [] };
    // A manifest file's change refreshes its manifest's Statistics.
    if (type === IngestManifestFile) return { slots: [self, manifestOf(record as IngestManifestFileRecord)], collections: [] };
    return undefined;
  }
  const cascade = deleteCascade(reader, collection, id, record);
  return cascade === undefined ? undefined : { slots: [self, ...cascade], collections: [] };
}

/** The stored id of a created record, to capture it after a create the store undoes. */
export function createdSlot(scope: UndoScope, type: EntityTypeDef, record: JsonRecord): RecordSlot | undefined {
  const key = record[type.key];
  const id = typeof key === 'string' ? keyOf(type, key) : undefined;
  return scope.createdIn === undefined || id === undefined ? undefined : { collection: scope.createdIn, id };
}

/** The stored ids of a collection captured whole (ids the emulator made: canonical as stored). */
export function slotsOfCollection(reader: StoreReader, collection: string): RecordSlot[] {
  const slots: RecordSlot[] = [];
  for (const record of reader.values(collection)) {
    const id = String(record['Id']);
    slots.push({ collection, id: collection === COLLECTIONS.IngestManifests ? manifestKey(id) : id });
  }
  return slots;
}

/**
 * What deleting this record takes with it in the store (a content key's asset links, a manifest
 * asset's files), or undefined when the delete is not put back: it reaches storage (an asset's
 * container, a manifest's upload container, a SAS locator's stored access policy).
 */
function deleteCascade(reader: StoreReader, collection: string, id: string, record: JsonRecord): RecordSlot[] | undefined {
  switch (collection) {
    case COLLECTIONS.Files:
    case COLLECTIONS.AccessPolicies:
    case COLLECTIONS.NotificationEndPoints:
      return [];
    case COLLECTIONS.ContentKeys:
      return linksOfKey(reader, id).map((link) => ({ collection: ASSET_KEY_LINKS, id: linkId(link.assetId, link.keyId) }));
    case COLLECTIONS.Locators:
      return locatorDeleteReachesStorage(record as LocatorRecord) ? undefined : [];
    case COLLECTIONS.AssetDeliveryPolicies:
      return deliveryLinksOfPolicy(reader, id).map((link) => ({ collection: ASSET_DELIVERY_POLICY_LINKS, id: linkId(link.assetId, link.policyId) }));
    case COLLECTIONS.ContentKeyAuthorizationPolicies:
      return optionLinksOfPolicy(reader, id).map(optionLinkSlot);
    case COLLECTIONS.ContentKeyAuthorizationPolicyOptions:
      return optionLinksOfOption(reader, id).map(optionLinkSlot);
    case COLLECTIONS.IngestManifestFiles:
      return [manifestOf(record as IngestManifestFileRecord)];
    case COLLECTIONS.IngestManifestAssets: {
      const manifestAsset = record as IngestManifestAssetRecord;
      const files = filesOfIngestManifestAsset(reader, manifestAsset.Id).map((file) => ({ collection: COLLECTIONS.IngestManifestFiles, id: canonicalId(IngestManifestFile, file.Id) }));
      return [...files, { collection: COLLECTIONS.IngestManifests, id: manifestKey(manifestAsset.ParentIngestManifestId) }];
    }
    default:
      return undefined;
  }
}

/** `DELETE <Set>('…')/$links/<Nav>('…')`: the one link record it removes. */
function unlinkScope(change: Extract<BatchChange, { kind: 'unlink' }>): UndoScope | undefined {
  const source = keyOf(change.type, change.key);
  const target = keyOf(change.target, change.targetKey);
  if (source === undefined || target === undefined) return undefined;
  const collection =
    change.type === Asset && change.nav === 'ContentKeys' ? ASSET_KEY_LINKS
    : change.type === Asset && change.nav === 'DeliveryPolicies' ? ASSET_DELIVERY_POLICY_LINKS
    : change.type === ContentKeyAuthorizationPolicy && change.nav === 'Options' ? AUTHORIZATION_OPTION_LINKS
    : undefined;
  return collection === undefined ? undefined : { slots: [{ collection, id: linkId(source, target) }], collections: [] };
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
    case ASSET_DELIVERY_POLICY_LINKS:
      return deliveryLinkMisfit(reader, record as AssetDeliveryPolicyLinkRecord);
    case AUTHORIZATION_OPTION_LINKS:
      return optionLinkMisfit(reader, record as AuthorizationOptionLinkRecord);
    case COLLECTIONS.IngestManifestFiles:
      return manifestFileMisfit(reader, record as IngestManifestFileRecord);
    case COLLECTIONS.IngestManifestAssets:
      return manifestAssetMisfit(reader, record as IngestManifestAssetRecord);
    default:
      return undefined;
  }
}

function optionLinkSlot(link: AuthorizationOptionLinkRecord): RecordSlot {
  return { collection: AUTHORIZATION_OPTION_LINKS, id: linkId(link.policyId, link.optionId) };
}

function manifestOf(file: IngestManifestFileRecord): RecordSlot {
  return { collection: COLLECTIONS.IngestManifests, id: manifestKey(file.ParentIngestManifestId) };
}

/** The stored id a URL key names, or undefined for a malformed one (the operation answers 400 for it). */
function keyOf(type: EntityTypeDef, key: string): string | undefined {
  try {
    return canonicalId(type, key);
  } catch {
    return undefined;
  }
}
