import { defineIndex, propertyIndex } from '../store/indexes.js';

/**
 * Where each kind of entity lives in the store, and the indexes that answer "the records of X that
 * belong to Y" without a scan. The one place that names store collections: handlers, subsystems
 * and the `$batch` undo log ask the model, never spell a collection themselves.
 */
export const COLLECTIONS = {
  Assets: 'assets',
  Files: 'files',
  ContentKeys: 'contentKeys',
  AccessPolicies: 'accessPolicies',
  Locators: 'locators',
  Jobs: 'jobs',
  Tasks: 'tasks',
  // Not named after its entity set: the row exists (with defaults) before anything is stored.
  ReservedUnits: 'encodingReservedUnits',
  NotificationEndPoints: 'notificationEndPoints',
  IngestManifests: 'ingestManifests',
  IngestManifestAssets: 'ingestManifestAssets',
  IngestManifestFiles: 'ingestManifestFiles',
  StreamingEndpoints: 'streamingEndpoints',
  Operations: 'operations',
  AssetDeliveryPolicies: 'assetDeliveryPolicies',
  ContentKeyAuthorizationPolicies: 'contentKeyAuthorizationPolicies',
  ContentKeyAuthorizationPolicyOptions: 'contentKeyAuthorizationPolicyOptions',
  JobTemplates: 'jobTemplates',
  TaskTemplates: 'taskTemplates',
} as const;

export type EntityCollection = (typeof COLLECTIONS)[keyof typeof COLLECTIONS];

/** Asset <-> ContentKey links, keyed by `linkId(assetId, keyId)` (ids.ts). */
export const ASSET_KEY_LINKS = 'assetContentKeys';

/** The job-notification outbox: one record per message per endpoint, in the order they were raised. */
export const NOTIFICATION_DELIVERIES = 'notificationDeliveries';
/** Asset <-> AssetDeliveryPolicy links (`Assets('…')/$links/DeliveryPolicies`), keyed by `linkId(assetId, policyId)`. */
export const ASSET_DELIVERY_POLICY_LINKS = 'assetDeliveryPolicyLinks';

/** ContentKeyAuthorizationPolicy <-> Option links (`…Policies('…')/$links/Options`), keyed by `linkId(policyId, optionId)`. */
export const AUTHORIZATION_OPTION_LINKS = 'authorizationPolicyOptionLinks';

export const INDEXES = {
  filesByAsset: propertyIndex(COLLECTIONS.Files, 'ParentAssetId'),
  linksByAsset: propertyIndex(ASSET_KEY_LINKS, 'assetId'),
  linksByKey: propertyIndex(ASSET_KEY_LINKS, 'keyId'),
  locatorsByAsset: propertyIndex(COLLECTIONS.Locators, 'AssetId'),
  locatorsByPolicy: propertyIndex(COLLECTIONS.Locators, 'AccessPolicyId'),
  ingestAssetsByManifest: propertyIndex(COLLECTIONS.IngestManifestAssets, 'ParentIngestManifestId'),
  ingestFilesByManifest: propertyIndex(COLLECTIONS.IngestManifestFiles, 'ParentIngestManifestId'),
  ingestFilesByManifestAsset: propertyIndex(COLLECTIONS.IngestManifestFiles, 'ParentIngestManifestAssetId'),
  deliveryLinksByAsset: propertyIndex(ASSET_DELIVERY_POLICY_LINKS, 'assetId'),
  deliveryLinksByPolicy: propertyIndex(ASSET_DELIVERY_POLICY_LINKS, 'policyId'),
  optionLinksByPolicy: propertyIndex(AUTHORIZATION_OPTION_LINKS, 'policyId'),
  optionLinksByOption: propertyIndex(AUTHORIZATION_OPTION_LINKS, 'optionId'),
  /** By the lower-cased AuthorizationPolicyId, as the client may spell the id in any case. */
  keysByAuthorizationPolicy: defineIndex(COLLECTIONS.ContentKeys, 'AuthorizationPolicyId.lower', (key) =>
    typeof key['AuthorizationPolicyId'] === 'string' && key['AuthorizationPolicyId'] !== '' ? key['AuthorizationPolicyId'].toLowerCase() : undefined,
  ),
} as const;

/** The collection of an entity set, or undefined for sets the emulator does not store. */
export function collectionOfSet(set: string): EntityCollection | undefined {
  return (COLLECTIONS as Record<string, EntityCollection | undefined>)[set];
}
