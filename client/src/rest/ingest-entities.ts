import { optionalBoolean, optionalString, requiredDate, requiredNumber, requiredString } from './edm.js';
import { isJsonObject, type JsonObject } from './wire-format.js';

/**
 * Bulk ingest and job-notification entities (ams-v2-surface.md §3, §7), with the service's
 * property names. Bulk ingest as the .NET SDK did it: create a manifest, a manifest asset per
 * asset, a manifest file per blob (with the encryption fields of a storage-encrypted asset),
 * upload each blob, encrypted, into the manifest's BlobStorageUriForUpload with the storage
 * account's credentials, then poll the manifest until Statistics.PendingFilesCount is 0.
 */

export const IngestManifestState = { Inactive: 0, Activating: 1, Active: 2 } as const;
export const IngestManifestFileState = { Pending: 0, Finished: 1, Error: 2 } as const;

export interface IngestManifestStatistics {
  PendingFilesCount: number;
  FinishedFilesCount: number;
  ErrorFilesCount: number;
  ErrorFilesDetails: string | null;
}

export interface IngestManifest {
  Id: string;
  Name: string | null;
  State: number;
  BlobStorageUriForUpload: string | null;
  Statistics: IngestManifestStatistics;
  StorageAccountName: string | null;
  Created: Date;
  LastModified: Date;
}

export interface IngestManifestAsset {
  Id: string;
  ParentIngestManifestId: string;
  Created: Date;
}

export interface IngestManifestFile {
  Id: string;
  Name: string;
  State: number;
  ParentIngestManifestId: string;
  ParentIngestManifestAssetId: string;
  ErrorDetail: string | null;
  IsEncrypted: boolean;
  EncryptionScheme: string | null;
  EncryptionKeyId: string | null;
  InitializationVector: string | null;
}

export interface CreateIngestManifestFileRequest {
  Name: string;
  ParentIngestManifestId: string;
  ParentIngestManifestAssetId: string;
  MimeType?: string;
  IsPrimary?: boolean;
  IsEncrypted?: boolean;
  EncryptionScheme?: string;
  EncryptionVersion?: string;
  EncryptionKeyId?: string;
  /** The storage-encryption IV as the .NET SDK wrote it: a decimal UInt64. */
  InitializationVector?: string;
}

export interface NotificationEndPoint {
  Id: string;
  Name: string;
  EndPointType: number;
  EndPointAddress: string;
  CredentialType: number;
  Created: Date;
}

export interface CreateNotificationEndPointRequest {
  Name: string;
  /** NotificationEndPointType: AzureQueue 1 (a queue name), WebHook 3 (a URL). */
  EndPointType: number;
  EndPointAddress: string;
  /** 1 SigningKey, with EncryptedEndPointCredential (the key wrapped like a content key). */
  CredentialType?: number;
  EncryptedEndPointCredential?: string;
  ProtectionKeyId?: string;
}

export function decodeIngestManifest(raw: JsonObject): IngestManifest {
  const stats = raw['Statistics'];
  const statistics: JsonObject = isJsonObject(stats) ? stats : {};
  return {
    Id: requiredString(raw, 'Id'),
    Name: optionalString(raw, 'Name'),
    State: requiredNumber(raw, 'State'),
    BlobStorageUriForUpload: optionalString(raw, 'BlobStorageUriForUpload'),
    Statistics: {
      PendingFilesCount: requiredNumber(statistics, 'PendingFilesCount'),
      FinishedFilesCount: requiredNumber(statistics, 'FinishedFilesCount'),
      ErrorFilesCount: requiredNumber(statistics, 'ErrorFilesCount'),
      ErrorFilesDetails: optionalString(statistics, 'ErrorFilesDetails'),
    },
    StorageAccountName: optionalString(raw, 'StorageAccountName'),
    Created: requiredDate(raw, 'Created'),
    LastModified: requiredDate(raw, 'LastModified'),
  };
}

export function decodeIngestManifestAsset(raw: JsonObject): IngestManifestAsset {
  return { Id: requiredString(raw, 'Id'), ParentIngestManifestId: requiredString(raw, 'ParentIngestManifestId'), Created: requiredDate(raw, 'Created') };
}

export function decodeIngestManifestFile(raw: JsonObject): IngestManifestFile {
  return {
    Id: requiredString(raw, 'Id'),
    Name: requiredString(raw, 'Name'),
    State: requiredNumber(raw, 'State'),
    ParentIngestManifestId: requiredString(raw, 'ParentIngestManifestId'),
    ParentIngestManifestAssetId: requiredString(raw, 'ParentIngestManifestAssetId'),
    ErrorDetail: optionalString(raw, 'ErrorDetail'),
    IsEncrypted: optionalBoolean(raw, 'IsEncrypted') ?? false,
    EncryptionScheme: optionalString(raw, 'EncryptionScheme'),
    EncryptionKeyId: optionalString(raw, 'EncryptionKeyId'),
    InitializationVector: optionalString(raw, 'InitializationVector'),
  };
}

export function decodeNotificationEndPoint(raw: JsonObject): NotificationEndPoint {
  return {
    Id: requiredString(raw, 'Id'),
    Name: requiredString(raw, 'Name'),
    EndPointType: requiredNumber(raw, 'EndPointType'),
    EndPointAddress: requiredString(raw, 'EndPointAddress'),
    CredentialType: requiredNumber(raw, 'CredentialType'),
    Created: requiredDate(raw, 'Created'),
  };
}
