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
export const ATOM_NS = 'http://www.w3.org/2005/Atom';
/** The data services namespace; the metadata namespace, the link relations and the category scheme are under it. */
export const DATA_NS = 'http://schemas.microsoft.com/ado/2007/08/dataservices';
export const METADATA_NS = `${DATA_NS}/metadata`;
export const RELATED_REL = `${DATA_NS}/related/`;
export const SCHEME_URI = `${DATA_NS}/scheme`;

/** The text of an Edm.Guid, either case. */
export const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export type { ComplexTypeDef, EdmPrimitive, EntityActionDef, EntitySetName, EntityTypeDef, NavigationDef, PropertyDef } from './edm-types.js';
import type { EdmPrimitive, EntityActionDef, EntityTypeDef, NavigationDef, PropertyDef } from './edm-types.js';
import { complexTypes, entityType } from './edm-table.js';

/** The complex values of Jobs and Tasks. */
const COMPLEX = complexTypes(`
  ErrorDetail
    Code     String?
    Message  String?
  TaskHistoricalEvent
    Code       String?
    Message    String?
    TimeStamp  DateTime
  JobNotificationSubscription
    NotificationEndPointId  String?
    TargetJobState          Int32
  TaskNotificationSubscription
    IncludeTaskProgress     Boolean
    NotificationEndPointId  String?
    TargetTaskState         Int32
`);

export const Asset: EntityTypeDef = entityType({ name: 'Asset', set: 'Assets', idTag: 'cid' }, `
  Id                  String    server
  State               Int32     server
  Created             DateTime  server
  LastModified        DateTime  server
  AlternateId         String?   max=4000
  Name                String?   max=512
  Options             Int32     create
  FormatOption        Int32     create
  Uri                 String?   server
  StorageAccountName  String?   create
`, `
  Locators          Locators*
  ContentKeys       ContentKeys*
  Files             Files*
  ParentAssets      Assets*
  StorageAccount    StorageAccounts
  DeliveryPolicies  AssetDeliveryPolicies*
`);

export const AssetFile: EntityTypeDef = entityType({ name: 'AssetFile', set: 'Files', idTag: 'cid' }, `
  Id                    String    server
  Name                  String    required max=260
  ContentFileSize       Int64
  ParentAssetId         String    required create
  EncryptionVersion     String?
  EncryptionScheme      String?
  IsEncrypted           Boolean
  EncryptionKeyId       String?
  InitializationVector  String?
  IsPrimary             Boolean
  LastModified          DateTime  server
  Created               DateTime  server
  MimeType              String?
  ContentChecksum       String?
  Options               Int32
`);

export const ContentKey: EntityTypeDef = entityType({ name: 'ContentKey', set: 'ContentKeys', idTag: 'kid' }, `
  Id                     String    create
  Created                DateTime  server
  LastModified           DateTime  server
  ContentKeyType         Int32     create
  EncryptedContentKey    String?   create max=4000
  Name                   String?   max=4000
  ProtectionKeyId        String?   create max=4000
  ProtectionKeyType      Int32     create
  Checksum               String?   create max=4000
  AuthorizationPolicyId  String?
  TrackIdentifiers       String?
`);

export const AccessPolicy: EntityTypeDef = entityType({ name: 'AccessPolicy', set: 'AccessPolicies', idTag: 'pid' }, `
  Id                 String    server
  Created            DateTime  server
  LastModified       DateTime  server
  Name               String    required
  DurationInMinutes  Double    required
  Permissions        Int32
`);

export const Locator: EntityTypeDef = entityType({ name: 'Locator', set: 'Locators', idTag: 'lid' }, `
  Id                      String     create
  Name                    String?
  ExpirationDateTime      DateTime?
  Type                    Int32      required create
  Path                    String?    server
  BaseUri                 String?    server
  ContentAccessComponent  String?    server
  AccessPolicyId          String     create
  AssetId                 String     create
  StartTime               DateTime?
`, `
  AccessPolicy  AccessPolicies
  Asset         Assets
`);

// JobNotificationSubscriptions: the .NET SDK sends it on every job create (an empty collection when nothing subscribes).
export const Job: EntityTypeDef = entityType({ name: 'Job', set: 'Jobs', idTag: 'jid' }, `
  Id                            String     server
  Name                          String?
  Created                       DateTime   server
  LastModified                  DateTime   server
  EndTime                       DateTime?  server
  Priority                      Int32
  RunningDuration               Double     server
  StartTime                     DateTime?  server
  State                         Int32      server
  TemplateId                    String?
  JobNotificationSubscriptions  String?    create collection=JobNotificationSubscription
`, `
  Tasks              Tasks*
  InputMediaAssets   Assets*
  OutputMediaAssets  Assets*
`, COMPLEX);

// TaskNotificationSubscriptions: .NET and REST clients send it inline with the task (ams-v2-surface.md §3.2); a Task read back carries it.
export const Task: EntityTypeDef = entityType({ name: 'Task', set: 'Tasks', idTag: 'tid' }, `
  Id                    String     server
  Name                  String?
  MediaProcessorId      String     required
  State                 Int32      server
  Progress              Double     server
  Priority              Int32
  StartTime             DateTime?  server
  EndTime               DateTime?  server
  RunningDuration       Double     server
  PerfMessage           String?    server
  TaskBody              String?
  Configuration         String?
  Options               Int32
  ErrorDetails          String?    server collection=ErrorDetail
  HistoricalEvents      String?    server collection=TaskHistoricalEvent
  EncryptionKeyId       String?
  EncryptionScheme      String?
  EncryptionVersion     String?
  InitializationVector  String?
  TaskNotificationSubscriptions  String?  create collection=TaskNotificationSubscription
`, `
  InputMediaAssets   Assets*
  OutputMediaAssets  Assets*
`, COMPLEX);

export const MediaProcessor: EntityTypeDef = entityType({ name: 'MediaProcessor', set: 'MediaProcessors', idTag: 'mpid', readOnly: true }, `
  Id           String  server
  Description  String?
  Name         String?
  Sku          String?
  Vendor       String?
  Version      String?
`);

export const StorageAccount: EntityTypeDef = entityType({ name: 'StorageAccount', set: 'StorageAccounts', key: 'Name', readOnly: true }, `
  Name       String
  IsDefault  Boolean
  BytesUsed  Int64?
`);

/**
 * The account's encoding reserved units (ams-v2-surface.md §5): one row, keyed by the account's
 * AccountId (Edm.Guid, addressed as `EncodingReservedUnitTypes(guid'…')`). Clients change
 * ReservedUnitType and CurrentReservedUnits; AccountId and MaxReservableUnits are the service's.
 */
export const EncodingReservedUnitType: EntityTypeDef = entityType({ name: 'EncodingReservedUnitType', set: 'EncodingReservedUnitTypes', key: 'AccountId' }, `
  AccountId             Guid   server
  ReservedUnitType      Int32
  CurrentReservedUnits  Int32
  MaxReservableUnits    Int32  server
`);

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
