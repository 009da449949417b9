/**
 * Bulk ingest (ams-v2-surface.md §7): IngestManifests, IngestManifestAssets, IngestManifestFiles.
 * The type names follow the service's pattern (unconfirmed for these three, §10).
 *
 * Written `as const` without importing edm.ts's types, because edm.ts lists these types in
 * ENTITY_TYPES (an import back would be a cycle); that listing checks them against EntityTypeDef.
 */
const id = { name: 'Id', type: 'Edm.String', nullable: false, serverOwned: true } as const;
const created = { name: 'Created', type: 'Edm.DateTime', nullable: false, serverOwned: true } as const;
const lastModified = { name: 'LastModified', type: 'Edm.DateTime', nullable: false, serverOwned: true } as const;
const int32 = (name: string) => ({ name, type: 'Edm.Int32', nullable: false }) as const;

export const IngestManifestStatistics = {
  name: 'IngestManifestStatistics',
  properties: [int32('PendingFilesCount'), int32('FinishedFilesCount'), int32('ErrorFilesCount'), { name: 'ErrorFilesDetails', type: 'Edm.String', nullable: true }],
} as const;

export const IngestManifest = {
  name: 'IngestManifest',
  set: 'IngestManifests',
  idTag: 'mid',
  key: 'Id',
  properties: [
    id,
    created,
    lastModified,
    { name: 'Name', type: 'Edm.String', nullable: true, maxLength: 4000 },
    { name: 'State', type: 'Edm.Int32', nullable: false, serverOwned: true },
    { name: 'BlobStorageUriForUpload', type: 'Edm.String', nullable: true, serverOwned: true },
    { name: 'Statistics', type: 'Edm.String', nullable: true, serverOwned: true, complex: IngestManifestStatistics },
    { name: 'StorageAccountName', type: 'Edm.String', nullable: true, createOnly: true },
  ],
  navigation: [
    { name: 'IngestManifestAssets', target: 'IngestManifestAssets', many: true },
    { name: 'PendingIngestManifestAssets', target: 'IngestManifestAssets', many: true },
    { name: 'StorageAccount', target: 'StorageAccounts', many: false },
  ],
} as const;

export const IngestManifestAsset = {
  name: 'IngestManifestAsset',
  set: 'IngestManifestAssets',
  idTag: 'maid',
  key: 'Id',
  properties: [id, created, lastModified, { name: 'ParentIngestManifestId', type: 'Edm.String', nullable: false, required: true, createOnly: true }],
  navigation: [
    { name: 'Asset', target: 'Assets', many: false },
    { name: 'IngestManifestFiles', target: 'IngestManifestFiles', many: true },
  ],
} as const;

export const IngestManifestFile = {
  name: 'IngestManifestFile',
  set: 'IngestManifestFiles',
  idTag: 'mfid',
  key: 'Id',
  properties: [
    id,
    created,
    lastModified,
    { name: 'Name', type: 'Edm.String', nullable: false, required: true, createOnly: true, maxLength: 4000 },
    { name: 'State', type: 'Edm.Int32', nullable: false, serverOwned: true },
    { name: 'ParentIngestManifestId', type: 'Edm.String', nullable: false, required: true, createOnly: true },
    { name: 'ParentIngestManifestAssetId', type: 'Edm.String', nullable: false, required: true, createOnly: true },
    { name: 'ErrorDetail', type: 'Edm.String', nullable: true, serverOwned: true },
    { name: 'MimeType', type: 'Edm.String', nullable: true },
    { name: 'IsPrimary', type: 'Edm.Boolean', nullable: false },
    { name: 'IsEncrypted', type: 'Edm.Boolean', nullable: false, createOnly: true },
    { name: 'EncryptionScheme', type: 'Edm.String', nullable: true, createOnly: true },
    { name: 'EncryptionVersion', type: 'Edm.String', nullable: true, createOnly: true },
    { name: 'EncryptionKeyId', type: 'Edm.String', nullable: true, createOnly: true },
    { name: 'InitializationVector', type: 'Edm.String', nullable: true, createOnly: true },
  ],
  navigation: [],
} as const;
