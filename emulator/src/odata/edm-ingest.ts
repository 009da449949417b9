/**
 * Bulk ingest (ams-v2-surface.md §7): IngestManifests, IngestManifestAssets, IngestManifestFiles.
 * The type names follow the service's pattern (unconfirmed for these three, §10).
 *
 * Built from tables (`edm-table.ts`), which import no value of `edm.ts`: edm.ts lists these types
 * in ENTITY_TYPES, and an import back would be a cycle.
 */
import type { ComplexTypeDef, EntityTypeDef } from './edm-types.js';
import { complexType, entityType } from './edm-table.js';

export const IngestManifestStatistics: ComplexTypeDef = complexType('IngestManifestStatistics', `
  PendingFilesCount   Int32
  FinishedFilesCount  Int32
  ErrorFilesCount     Int32
  ErrorFilesDetails   String?
`);

export const IngestManifest: EntityTypeDef = entityType({ name: 'IngestManifest', set: 'IngestManifests', idTag: 'mid' }, `
  Id                       String    server
  Created                  DateTime  server
  LastModified             DateTime  server
  Name                     String?   max=4000
  State                    Int32     server
  BlobStorageUriForUpload  String?   server
  Statistics               String?   server complex=IngestManifestStatistics
  StorageAccountName       String?   create
`, `
  IngestManifestAssets         IngestManifestAssets*
  PendingIngestManifestAssets  IngestManifestAssets*
  StorageAccount               StorageAccounts
`, { IngestManifestStatistics });

export const IngestManifestAsset: EntityTypeDef = entityType({ name: 'IngestManifestAsset', set: 'IngestManifestAssets', idTag: 'maid' }, `
  Id                      String    server
  Created                 DateTime  server
  LastModified            DateTime  server
  ParentIngestManifestId  String    required create
`, `
  Asset                Assets
  IngestManifestFiles  IngestManifestFiles*
`);

export const IngestManifestFile: EntityTypeDef = entityType({ name: 'IngestManifestFile', set: 'IngestManifestFiles', idTag: 'mfid' }, `
  Id                           String    server
  Created                      DateTime  server
  LastModified                 DateTime  server
  Name                         String    required create max=4000
  State                        Int32     server
  ParentIngestManifestId       String    required create
  ParentIngestManifestAssetId  String    required create
  ErrorDetail                  String?   server
  MimeType                     String?
  IsPrimary                    Boolean
  IsEncrypted                  Boolean   create
  EncryptionScheme             String?   create
  EncryptionVersion            String?   create
  EncryptionKeyId              String?   create
  InitializationVector         String?   create
`);
