/**
 * The entity model the emulator serves: one description per entity type, used by every wire format
 * (JSON minimal/verbose/nometadata, Atom), by body parsing (type coercion, server-owned and
 * create-only properties), by `$filter`/`$orderby`/`$select`, and by `$metadata`.
 *
 * Stored records hold property values in one canonical form per type, whatever the wire format:
 * - Edm.String: string | null
 * - Edm.Int32, Edm.Double: number | null
 * - Edm.Int64: decimal string | null (ContentFileSize can exceed 2^53)
 * - Edm.Boolean: boolean | null
 * - Edm.DateTime: ISO 8601 UTC string `YYYY-MM-DDTHH:mm:ss.sssZ` | null
 * - Edm.Guid: lower-case string | null
 * - complex collections (Task.ErrorDetails): arrays of plain objects
 * - single complex values (`PropertyDef.complex`: IngestManifest.Statistics,
 *   StreamingEndpoint.CacheControl): one plain object or null; its fields may be complex
 *   themselves or primitive collections (`primitiveCollection`, Collection(Edm.String)).
 *   `property-types.ts` names them; every format and the query checks use that one description.
 */
import { DELIVERY_ACTIONS, DELIVERY_ENTITY_TYPES } from './edm-delivery.js';
import { Operation, STREAMING_ACTIONS, StreamingEndpoint } from './edm-streaming.js';

/** The delivery area's types, named here too: every entity type is one import away (model/ reads only this file). */
export { AssetDeliveryPolicy, ContentKeyAuthorizationPolicy, ContentKeyAuthorizationPolicyOption } from './edm-delivery.js';

import { NotificationEndPoint } from './edm-notifications.js';
import { IngestManifest, IngestManifestAsset, IngestManifestFile } from './edm-ingest.js';
import { JobTemplate, TaskTemplate } from './edm-templates.js';

/** The areas' entity types, re-exported so model/ (which reads only this file of odata/) can name them. */
export { NotificationEndPoint, IngestManifest, IngestManifestAsset, IngestManifestFile, JobTemplate, TaskTemplate };

export const MODEL_NAMESPACE = 'Microsoft.Cloud.Media.Vod.Rest.Data.Models';
export const CONTAINER_NAMESPACE = 'WindowsAzureMediaServices';
export const DATA_NS = 'http://schemas.microsoft.com/ado/2007/08/dataservices';
export const METADATA_NS = 'http://schemas.microsoft.com/ado/2007/08/dataservices/metadata';
export const ATOM_NS = 'http://www.w3.org/2005/Atom';
export const RELATED_REL = 'http://schemas.microsoft.com/ado/2007/08/dataservices/related/';
export const SCHEME_URI = 'http://schemas.microsoft.com/ado/2007/08/dataservices/scheme';

/** The text of an Edm.Guid, either case. */
export const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export type { ComplexTypeDef, EdmPrimitive, EntityActionDef, EntitySetName, EntityTypeDef, NavigationDef, PropertyDef } from './edm-types.js';
import type { ComplexTypeDef, EdmPrimitive, EntityActionDef, EntityTypeDef, NavigationDef, PropertyDef } from './edm-types.js';

const id: PropertyDef = { name: 'Id', type: 'Edm.String', nullable: false, serverOwned: true };
const created: PropertyDef = { name: 'Created', type: 'Edm.DateTime', nullable: false, serverOwned: true };
const lastModified: PropertyDef = { name: 'LastModified', type: 'Edm.DateTime', nullable: false, serverOwned: true };

export const ErrorDetail: ComplexTypeDef = {
  name: 'ErrorDetail',
  properties: [
    { name: 'Code', type: 'Edm.String', nullable: true },
    { name: 'Message', type: 'Edm.String', nullable: true },
  ],
};

export const TaskHistoricalEvent: ComplexTypeDef = {
  name: 'TaskHistoricalEvent',
  properties: [
    { name: 'Code', type: 'Edm.String', nullable: true },
    { name: 'Message', type: 'Edm.String', nullable: true },
    { name: 'TimeStamp', type: 'Edm.DateTime', nullable: false },
  ],
};

export const JobNotificationSubscription: ComplexTypeDef = {
  name: 'JobNotificationSubscription',
  properties: [
    { name: 'NotificationEndPointId', type: 'Edm.String', nullable: true },
    { name: 'TargetJobState', type: 'Edm.Int32', nullable: false },
  ],
};

export const TaskNotificationSubscription: ComplexTypeDef = {
  name: 'TaskNotificationSubscription',
  properties: [
    { name: 'IncludeTaskProgress', type: 'Edm.Boolean', nullable: false },
    { name: 'NotificationEndPointId', type: 'Edm.String', nullable: true },
    { name: 'TargetTaskState', type: 'Edm.Int32', nullable: false },
  ],
};

export const Asset: EntityTypeDef = {
  name: 'Asset',
  set: 'Assets',
  idTag: 'cid',
  key: 'Id',
  properties: [
    id,
    { name: 'State', type: 'Edm.Int32', nullable: false, serverOwned: true },
    created,
    lastModified,
    { name: 'AlternateId', type: 'Edm.String', nullable: true, maxLength: 4000 },
    { name: 'Name', type: 'Edm.String', nullable: true, maxLength: 512 },
    { name: 'Options', type: 'Edm.Int32', nullable: false, createOnly: true },
    { name: 'FormatOption', type: 'Edm.Int32', nullable: false, createOnly: true },
    { name: 'Uri', type: 'Edm.String', nullable: true, serverOwned: true },
    { name: 'StorageAccountName', type: 'Edm.String', nullable: true, createOnly: true },
  ],
  navigation: [
    { name: 'Locators', target: 'Locators', many: true },
    { name: 'ContentKeys', target: 'ContentKeys', many: true },
    { name: 'Files', target: 'Files', many: true },
    { name: 'ParentAssets', target: 'Assets', many: true },
    { name: 'StorageAccount', target: 'StorageAccounts', many: false },
    { name: 'DeliveryPolicies', target: 'AssetDeliveryPolicies', many: true },
  ],
};

export const AssetFile: EntityTypeDef = {
  name: 'AssetFile',
  set: 'Files',
  idTag: 'cid',
  key: 'Id',
  properties: [
    id,
    { name: 'Name', type: 'Edm.String', nullable: false, required: true, maxLength: 260 },
    { name: 'ContentFileSize', type: 'Edm.Int64', nullable: false },
    { name: 'ParentAssetId', type: 'Edm.String', nullable: false, required: true, createOnly: true },
    { name: 'EncryptionVersion', type: 'Edm.String', nullable: true },
    { name: 'EncryptionScheme', type: 'Edm.String', nullable: true },
    { name: 'IsEncrypted', type: 'Edm.Boolean', nullable: false },
    { name: 'EncryptionKeyId', type: 'Edm.String', nullable: true },
    { name: 'InitializationVector', type: 'Edm.String', nullable: true },
    { name: 'IsPrimary', type: 'Edm.Boolean', nullable: false },
    lastModified,
    created,
    { name: 'MimeType', type: 'Edm.String', nullable: true },
    { name: 'ContentChecksum', type: 'Edm.String', nullable: true },
    { name: 'Options', type: 'Edm.Int32', nullable: false },
  ],
  navigation: [],
};

export const ContentKey: EntityTypeDef = {
  name: 'ContentKey',
  set: 'ContentKeys',
  idTag: 'kid',
  key: 'Id',
  properties: [
    { name: 'Id', type: 'Edm.String', nullable: false, createOnly: true },
    created,
    lastModified,
    { name: 'ContentKeyType', type: 'Edm.Int32', nullable: false, createOnly: true },
    { name: 'EncryptedContentKey', type: 'Edm.String', nullable: true, createOnly: true, maxLength: 4000 },
    { name: 'Name', type: 'Edm.String', nullable: true, maxLength: 4000 },
    { name: 'ProtectionKeyId', type: 'Edm.String', nullable: true, createOnly: true, maxLength: 4000 },
    { name: 'ProtectionKeyType', type: 'Edm.Int32', nullable: false, createOnly: true },
    { name: 'Checksum', type: 'Edm.String', nullable: true, createOnly: true, maxLength: 4000 },
    { name: 'AuthorizationPolicyId', type: 'Edm.String', nullable: true },
    { name: 'TrackIdentifiers', type: 'Edm.String', nullable: true },
  ],
  navigation: [],
};

export const AccessPolicy: EntityTypeDef = {
  name: 'AccessPolicy',
  set: 'AccessPolicies',
  idTag: 'pid',
  key: 'Id',
  properties: [
    id,
    created,
    lastModified,
    { name: 'Name', type: 'Edm.String', nullable: false, required: true },
    { name: 'DurationInMinutes', type: 'Edm.Double', nullable: false, required: true },
    { name: 'Permissions', type: 'Edm.Int32', nullable: false },
  ],
  navigation: [],
};

export const Locator: EntityTypeDef = {
  name: 'Locator',
  set: 'Locators',
  idTag: 'lid',
  key: 'Id',
  properties: [
    { name: 'Id', type: 'Edm.String', nullable: false, createOnly: true },
    { name: 'Name', type: 'Edm.String', nullable: true },
    { name: 'ExpirationDateTime', type: 'Edm.DateTime', nullable: true },
    { name: 'Type', type: 'Edm.Int32', nullable: false, required: true, createOnly: true },
    { name: 'Path', type: 'Edm.String', nullable: true, serverOwned: true },
    { name: 'BaseUri', type: 'Edm.String', nullable: true, serverOwned: true },
    { name: 'ContentAccessComponent', type: 'Edm.String', nullable: true, serverOwned: true },
    { name: 'AccessPolicyId', type: 'Edm.String', nullable: false, createOnly: true },
    { name: 'AssetId', type: 'Edm.String', nullable: false, createOnly: true },
    { name: 'StartTime', type: 'Edm.DateTime', nullable: true },
  ],
  navigation: [
    { name: 'AccessPolicy', target: 'AccessPolicies', many: false },
    { name: 'Asset', target: 'Assets', many: false },
  ],
};

export const Job: EntityTypeDef = {
  name: 'Job',
  set: 'Jobs',
  idTag: 'jid',
  key: 'Id',
  properties: [
    id,
    { name: 'Name', type: 'Edm.String', nullable: true },
    created,
    lastModified,
    { name: 'EndTime', type: 'Edm.DateTime', nullable: true, serverOwned: true },
    { name: 'Priority', type: 'Edm.Int32', nullable: false },
    { name: 'RunningDuration', type: 'Edm.Double', nullable: false, serverOwned: true },
    { name: 'StartTime', type: 'Edm.DateTime', nullable: true, serverOwned: true },
    { name: 'State', type: 'Edm.Int32', nullable: false, serverOwned: true },
    { name: 'TemplateId', type: 'Edm.String', nullable: true },
    // The .NET SDK sends it on every job create (an empty collection when nothing subscribes).
    { name: 'JobNotificationSubscriptions', type: 'Edm.String', nullable: true, createOnly: true, complexCollection: JobNotificationSubscription },
  ],
  navigation: [
    { name: 'Tasks', target: 'Tasks', many: true },
    { name: 'InputMediaAssets', target: 'Assets', many: true },
    { name: 'OutputMediaAssets', target: 'Assets', many: true },
  ],
};

export const Task: EntityTypeDef = {
  name: 'Task',
  set: 'Tasks',
  idTag: 'tid',
  key: 'Id',
  properties: [
    id,
    { name: 'Name', type: 'Edm.String', nullable: true },
    { name: 'MediaProcessorId', type: 'Edm.String', nullable: false, required: true },
    { name: 'State', type: 'Edm.Int32', nullable: false, serverOwned: true },
    { name: 'Progress', type: 'Edm.Double', nullable: false, serverOwned: true },
    { name: 'Priority', type: 'Edm.Int32', nullable: false },
    { name: 'StartTime', type: 'Edm.DateTime', nullable: true, serverOwned: true },
    { name: 'EndTime', type: 'Edm.DateTime', nullable: true, serverOwned: true },
    { name: 'RunningDuration', type: 'Edm.Double', nullable: false, serverOwned: true },
    { name: 'PerfMessage', type: 'Edm.String', nullable: true, serverOwned: true },
    { name: 'TaskBody', type: 'Edm.String', nullable: true },
    { name: 'Configuration', type: 'Edm.String', nullable: true },
    { name: 'Options', type: 'Edm.Int32', nullable: false },
    { name: 'ErrorDetails', type: 'Edm.String', nullable: true, serverOwned: true, complexCollection: ErrorDetail },
    { name: 'HistoricalEvents', type: 'Edm.String', nullable: true, serverOwned: true, complexCollection: TaskHistoricalEvent },
    { name: 'EncryptionKeyId', type: 'Edm.String', nullable: true },
    { name: 'EncryptionScheme', type: 'Edm.String', nullable: true },
    { name: 'EncryptionVersion', type: 'Edm.String', nullable: true },
    { name: 'InitializationVector', type: 'Edm.String', nullable: true },
    // .NET and REST clients send it inline with the task (ams-v2-surface.md §3.2); a real Task read back carries it.
    { name: 'TaskNotificationSubscriptions', type: 'Edm.String', nullable: true, createOnly: true, complexCollection: TaskNotificationSubscription },
  ],
  navigation: [
    { name: 'InputMediaAssets', target: 'Assets', many: true },
    { name: 'OutputMediaAssets', target: 'Assets', many: true },
  ],
};

export const MediaProcessor: EntityTypeDef = {
  name: 'MediaProcessor',
  set: 'MediaProcessors',
  idTag: 'mpid',
  key: 'Id',
  readOnly: true,
  properties: [
    id,
    { name: 'Description', type: 'Edm.String', nullable: true },
    { name: 'Name', type: 'Edm.String', nullable: true },
    { name: 'Sku', type: 'Edm.String', nullable: true },
    { name: 'Vendor', type: 'Edm.String', nullable: true },
    { name: 'Version', type: 'Edm.String', nullable: true },
  ],
  navigation: [],
};

export const StorageAccount: EntityTypeDef = {
  name: 'StorageAccount',
  set: 'StorageAccounts',
  key: 'Name',
  readOnly: true,
  properties: [
    { name: 'Name', type: 'Edm.String', nullable: false },
    { name: 'IsDefault', type: 'Edm.Boolean', nullable: false },
    { name: 'BytesUsed', type: 'Edm.Int64', nullable: true },
  ],
  navigation: [],
};

/**
 * The account's encoding reserved units (ams-v2-surface.md §5): one row, keyed by the account's
 * AccountId (Edm.Guid, addressed as `EncodingReservedUnitTypes(guid'…')`). Clients change
 * ReservedUnitType and CurrentReservedUnits; AccountId and MaxReservableUnits are the service's.
 */
export const EncodingReservedUnitType: EntityTypeDef = {
  name: 'EncodingReservedUnitType',
  set: 'EncodingReservedUnitTypes',
  key: 'AccountId',
  properties: [
    { name: 'AccountId', type: 'Edm.Guid', nullable: false, serverOwned: true },
    { name: 'ReservedUnitType', type: 'Edm.Int32', nullable: false },
    { name: 'CurrentReservedUnits', type: 'Edm.Int32', nullable: false },
    { name: 'MaxReservableUnits', type: 'Edm.Int32', nullable: false, serverOwned: true },
  ],
  navigation: [],
};

export const ENTITY_TYPES: readonly EntityTypeDef[] = [
  Asset,
  AssetFile,
  ContentKey,
  AccessPolicy,
  Locator,
  Job,
  Task,
  MediaProcessor,
  StorageAccount,
  EncodingReservedUnitType,
  NotificationEndPoint,
  IngestManifest,
  IngestManifestAsset,
  IngestManifestFile,
  ...DELIVERY_ENTITY_TYPES,
  StreamingEndpoint, Operation,
  JobTemplate, TaskTemplate,
];

const bySet = new Map<string, EntityTypeDef>(ENTITY_TYPES.map((t) => [t.set, t]));

/** The entity type of a set, matched exactly (OData names are case-sensitive). */
export function entityTypeOfSet(set: string): EntityTypeDef | undefined {
  return bySet.get(set);
}

/** The set whose name matches case-insensitively, to suggest the right spelling in a 404. */
export function entitySetLike(set: string): EntityTypeDef | undefined {
  const lower = set.toLowerCase();
  return ENTITY_TYPES.find((t) => t.set.toLowerCase() === lower);
}

export function propertyOf(type: EntityTypeDef, name: string): PropertyDef | undefined {
  return type.properties.find((p) => p.name === name);
}

export function navigationOf(type: EntityTypeDef, name: string): NavigationDef | undefined {
  return type.navigation.find((n) => n.name === name);
}

export function qualifiedName(type: { name: string }): string {
  return `${MODEL_NAMESPACE}.${type.name}`;
}

/** The functions (service operations) the emulator implements, for the service document and `$metadata`. */
export interface FunctionDef {
  name: string;
  httpMethod: 'GET';
  parameters: readonly { name: string; type: EdmPrimitive }[];
  /** undefined: no result (204). */
  returnType?: EdmPrimitive;
}

export const FUNCTIONS: readonly FunctionDef[] = [
  { name: 'GetProtectionKeyId', httpMethod: 'GET', parameters: [{ name: 'contentKeyType', type: 'Edm.Int32' }], returnType: 'Edm.String' },
  { name: 'GetProtectionKey', httpMethod: 'GET', parameters: [{ name: 'ProtectionKeyId', type: 'Edm.String' }], returnType: 'Edm.String' },
  {
    name: 'RebindContentKey',
    httpMethod: 'GET',
    parameters: [
      { name: 'id', type: 'Edm.String' },
      { name: 'x509Certificate', type: 'Edm.String' },
    ],
    returnType: 'Edm.String',
  },
  { name: 'CreateFileInfos', httpMethod: 'GET', parameters: [{ name: 'assetid', type: 'Edm.String' }] },
  { name: 'CancelJob', httpMethod: 'GET', parameters: [{ name: 'jobid', type: 'Edm.String' }] },
];

/**
 * Actions bound to one entity (`<Set>('<id>')/<Action>`, POST): what the URI parser recognises as
 * an `action` path. Which ones an emulator serves is its composition's `actions` list
 * (`app/compose.ts`); an action declared here and not composed answers 501.
 */
export const ENTITY_ACTIONS: readonly EntityActionDef[] = [...DELIVERY_ACTIONS, ...STREAMING_ACTIONS];

export function entityActionOf(type: EntityTypeDef, name: string): EntityActionDef | undefined {
  return ENTITY_ACTIONS.find((a) => a.set === type.set && a.name === name);
}
