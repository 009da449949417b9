import {
  optionalBoolean, optionalCollection, optionalDate, optionalNumber, optionalString,
  requiredDate, requiredInt64, requiredNumber, requiredString,
} from './edm.js';
import { ProtectionKeyType } from './enums.js';
import { isJsonObject, type JsonObject } from './wire-format.js';

/**
 * The AMS v2 entities this client reads and writes, with the service's own property names so the
 * code reads like the REST reference. Enum values are those of the .NET SDK.
 */

export {
  AccessPermissions, AssetCreationOptions, AssetState, ContentKeyType, JobState, LocatorType, ProtectionKeyType,
  STORAGE_ENCRYPTION_SCHEME, STORAGE_ENCRYPTION_VERSION,
} from './enums.js';

export interface Asset {
  Id: string;
  Name: string | null;
  AlternateId: string | null;
  /** AssetState; always Initialized until deleted. */
  State: number;
  /** AssetCreationOptions, fixed at creation. */
  Options: number;
  /** AssetFormatOption (newer API versions only). */
  FormatOption: number | null;
  /** The asset's blob container URL. */
  Uri: string | null;
  StorageAccountName: string | null;
  Created: Date;
  LastModified: Date;
}

export interface AssetFile {
  Id: string;
  /** The blob name inside the asset container. */
  Name: string;
  ParentAssetId: string;
  /** Edm.Int64: the clear length (CTR keeps the length). */
  ContentFileSize: bigint;
  IsEncrypted: boolean;
  EncryptionScheme: string | null;
  EncryptionVersion: string | null;
  EncryptionKeyId: string | null;
  /** The IV as the service stores it: a decimal UInt64 string by convention, opaque to the service. */
  InitializationVector: string | null;
  IsPrimary: boolean;
  MimeType: string | null;
  /** MD5 of the clear bytes in hex (optional, "obsolete" in the reference). */
  ContentChecksum: string | null;
  Options: number | null;
  Created: Date;
  LastModified: Date;
}

export interface ContentKey {
  Id: string;
  Name: string | null;
  ContentKeyType: number;
  /** base64 of the key wrapped with RSA-OAEP-SHA1 to the protection certificate. */
  EncryptedContentKey: string | null;
  /** Thumbprint of the protection certificate. */
  ProtectionKeyId: string | null;
  ProtectionKeyType: number;
  Checksum: string | null;
  AuthorizationPolicyId: string | null;
  Created: Date;
  LastModified: Date;
}

export interface AccessPolicy {
  Id: string;
  Name: string;
  /** Edm.Double. */
  DurationInMinutes: number;
  /** AccessPermissions flags. */
  Permissions: number;
  Created: Date;
  LastModified: Date;
}

export interface Locator {
  Id: string;
  Name: string | null;
  AssetId: string;
  AccessPolicyId: string;
  /** LocatorType. */
  Type: number;
  StartTime: Date | null;
  ExpirationDateTime: Date | null;
  /** SAS: the container URL with the SAS query. */
  Path: string | null;
  /** SAS: the container URL; blob URL = BaseUri + "/" + name + ContentAccessComponent. */
  BaseUri: string | null;
  /** SAS: the query string, leading "?" included. */
  ContentAccessComponent: string | null;
}

export interface Job {
  Id: string;
  Name: string | null;
  /** JobState. */
  State: number;
  Priority: number | null;
  StartTime: Date | null;
  EndTime: Date | null;
  /** Edm.Double, seconds. */
  RunningDuration: number | null;
  TemplateId: string | null;
  Created: Date;
  LastModified: Date;
}

export interface TaskErrorDetail {
  Code: string | null;
  Message: string | null;
}

export interface Task {
  Id: string;
  Name: string | null;
  MediaProcessorId: string;
  State: number;
  Progress: number | null;
  Priority: number | null;
  StartTime: Date | null;
  EndTime: Date | null;
  RunningDuration: number | null;
  PerfMessage: string | null;
  TaskBody: string | null;
  Configuration: string | null;
  Options: number | null;
  ErrorDetails: TaskErrorDetail[];
}

export interface MediaProcessor {
  Id: string;
  Name: string;
  Description: string | null;
  Sku: string | null;
  Vendor: string | null;
  /** A version string such as "1.6"; pick the highest client-side. */
  Version: string;
}

export function decodeAsset(raw: JsonObject): Asset {
  return {
    Id: requiredString(raw, 'Id'),
    Name: optionalString(raw, 'Name'),
    AlternateId: optionalString(raw, 'AlternateId'),
    State: requiredNumber(raw, 'State'),
    Options: requiredNumber(raw, 'Options'),
    FormatOption: optionalNumber(raw, 'FormatOption'),
    Uri: optionalString(raw, 'Uri'),
    StorageAccountName: optionalString(raw, 'StorageAccountName'),
    Created: requiredDate(raw, 'Created'),
    LastModified: requiredDate(raw, 'LastModified'),
  };
}

export function decodeAssetFile(raw: JsonObject): AssetFile {
  return {
    Id: requiredString(raw, 'Id'),
    Name: requiredString(raw, 'Name'),
    ParentAssetId: requiredString(raw, 'ParentAssetId'),
    ContentFileSize: requiredInt64(raw, 'ContentFileSize'),
    IsEncrypted: optionalBoolean(raw, 'IsEncrypted') ?? false,
    EncryptionScheme: optionalString(raw, 'EncryptionScheme'),
    EncryptionVersion: optionalString(raw, 'EncryptionVersion'),
    EncryptionKeyId: optionalString(raw, 'EncryptionKeyId'),
    InitializationVector: optionalString(raw, 'InitializationVector'),
    IsPrimary: optionalBoolean(raw, 'IsPrimary') ?? false,
    MimeType: optionalString(raw, 'MimeType'),
    ContentChecksum: optionalString(raw, 'ContentChecksum'),
    Options: optionalNumber(raw, 'Options'),
    Created: requiredDate(raw, 'Created'),
    LastModified: requiredDate(raw, 'LastModified'),
  };
}

export function decodeContentKey(raw: JsonObject): ContentKey {
  return {
    Id: requiredString(raw, 'Id'),
    Name: optionalString(raw, 'Name'),
    ContentKeyType: requiredNumber(raw, 'ContentKeyType'),
    EncryptedContentKey: optionalString(raw, 'EncryptedContentKey'),
    ProtectionKeyId: optionalString(raw, 'ProtectionKeyId'),
    ProtectionKeyType: optionalNumber(raw, 'ProtectionKeyType') ?? ProtectionKeyType.X509CertificateThumbprint,
    Checksum: optionalString(raw, 'Checksum'),
    AuthorizationPolicyId: optionalString(raw, 'AuthorizationPolicyId'),
    Created: requiredDate(raw, 'Created'),
    LastModified: requiredDate(raw, 'LastModified'),
  };
}

export function decodeAccessPolicy(raw: JsonObject): AccessPolicy {
  return {
    Id: requiredString(raw, 'Id'),
    Name: requiredString(raw, 'Name'),
    DurationInMinutes: requiredNumber(raw, 'DurationInMinutes'),
    Permissions: requiredNumber(raw, 'Permissions'),
    Created: requiredDate(raw, 'Created'),
    LastModified: requiredDate(raw, 'LastModified'),
  };
}

export function decodeLocator(raw: JsonObject): Locator {
  return {
    Id: requiredString(raw, 'Id'),
    Name: optionalString(raw, 'Name'),
    AssetId: requiredString(raw, 'AssetId'),
    AccessPolicyId: requiredString(raw, 'AccessPolicyId'),
    Type: requiredNumber(raw, 'Type'),
    StartTime: optionalDate(raw, 'StartTime'),
    ExpirationDateTime: optionalDate(raw, 'ExpirationDateTime'),
    Path: optionalString(raw, 'Path'),
    BaseUri: optionalString(raw, 'BaseUri'),
    ContentAccessComponent: optionalString(raw, 'ContentAccessComponent'),
  };
}

export function decodeJob(raw: JsonObject): Job {
  return {
    Id: requiredString(raw, 'Id'),
    Name: optionalString(raw, 'Name'),
    State: requiredNumber(raw, 'State'),
    Priority: optionalNumber(raw, 'Priority'),
    StartTime: optionalDate(raw, 'StartTime'),
    EndTime: optionalDate(raw, 'EndTime'),
    RunningDuration: optionalNumber(raw, 'RunningDuration'),
    TemplateId: optionalString(raw, 'TemplateId'),
    Created: requiredDate(raw, 'Created'),
    LastModified: requiredDate(raw, 'LastModified'),
  };
}

export function decodeTask(raw: JsonObject): Task {
  return {
    Id: requiredString(raw, 'Id'),
    Name: optionalString(raw, 'Name'),
    MediaProcessorId: requiredString(raw, 'MediaProcessorId'),
    State: requiredNumber(raw, 'State'),
    Progress: optionalNumber(raw, 'Progress'),
    Priority: optionalNumber(raw, 'Priority'),
    StartTime: optionalDate(raw, 'StartTime'),
    EndTime: optionalDate(raw, 'EndTime'),
    RunningDuration: optionalNumber(raw, 'RunningDuration'),
    PerfMessage: optionalString(raw, 'PerfMessage'),
    TaskBody: optionalString(raw, 'TaskBody'),
    Configuration: optionalString(raw, 'Configuration'),
    Options: optionalNumber(raw, 'Options'),
    ErrorDetails: optionalCollection(raw, 'ErrorDetails')
      .filter(isJsonObject)
      .map((detail) => ({ Code: optionalString(detail, 'Code'), Message: optionalString(detail, 'Message') })),
  };
}

export function decodeMediaProcessor(raw: JsonObject): MediaProcessor {
  return {
    Id: requiredString(raw, 'Id'),
    Name: requiredString(raw, 'Name'),
    Description: optionalString(raw, 'Description'),
    Sku: optionalString(raw, 'Sku'),
    Vendor: optionalString(raw, 'Vendor'),
    Version: requiredString(raw, 'Version'),
  };
}

/** A StreamingEndpoint: what serves OnDemandOrigin locators. State is a string on the wire. */
export interface StreamingEndpoint {
  Id: string;
  Name: string;
  /** Stopped, Starting, Running, Stopping, Deleting or Scaling. */
  State: string;
  /** Where its origin answers: `http://<HostName>/<locator guid>/<file>`. */
  HostName: string | null;
  ScaleUnits: number | null;
}

export function decodeStreamingEndpoint(raw: JsonObject): StreamingEndpoint {
  return {
    Id: requiredString(raw, 'Id'),
    Name: requiredString(raw, 'Name'),
    State: requiredString(raw, 'State'),
    HostName: optionalString(raw, 'HostName'),
    ScaleUnits: optionalNumber(raw, 'ScaleUnits'),
  };
}

/** An asynchronous change the service answered 202 for. State: InProgress, Succeeded or Failed. */
export interface Operation {
  Id: string;
  State: string;
  TargetEntityId: string | null;
  ErrorCode: string | null;
  ErrorMessage: string | null;
}

export function decodeOperation(raw: JsonObject): Operation {
  return {
    Id: requiredString(raw, 'Id'),
    State: requiredString(raw, 'State'),
    TargetEntityId: optionalString(raw, 'TargetEntityId'),
    ErrorCode: optionalString(raw, 'ErrorCode'),
    ErrorMessage: optionalString(raw, 'ErrorMessage'),
  };
}
