/**
 * The stored shape of every entity: the properties the service defined (canonical values, see
 * `odata/edm.ts`), and, for entities that need them, the emulator's own bookkeeping under one
 * property, `_internal`, that no wire format ever writes (the writers emit declared properties
 * only) and no request can set (bodies are read against the declared properties).
 *
 * These are `type` aliases, not interfaces, so that they are assignable to the store's JsonRecord.
 * The per-entity modules beside this one say what must hold of each; this file only says what a
 * record holds.
 */
import type { Json } from '../store/types.js';
import type { JobStateValue } from './enums.js';

type DateTime = string;
/** Edm.Int64 values are kept as decimal strings (ContentFileSize can pass 2^53). */
type Int64 = string;

export type AssetRecord = {
  Id: string;
  State: number;
  Created: DateTime;
  LastModified: DateTime;
  AlternateId: string | null;
  Name: string | null;
  Options: number;
  FormatOption: number;
  Uri: string | null;
  StorageAccountName: string | null;
  _internal: AssetInternal;
};
export type AssetInternal = {
  /** The blob container holding the asset's files (`asset-<guid>`). */
  container: string;
};

export type AssetFileRecord = {
  Id: string;
  Name: string;
  ContentFileSize: Int64;
  ParentAssetId: string;
  EncryptionVersion: string | null;
  EncryptionScheme: string | null;
  IsEncrypted: boolean;
  EncryptionKeyId: string | null;
  InitializationVector: string | null;
  IsPrimary: boolean;
  LastModified: DateTime;
  Created: DateTime;
  MimeType: string | null;
  ContentChecksum: string | null;
  Options: number;
};

export type ContentKeyRecord = {
  Id: string;
  Created: DateTime;
  LastModified: DateTime;
  ContentKeyType: number;
  EncryptedContentKey: string | null;
  Name: string | null;
  ProtectionKeyId: string | null;
  ProtectionKeyType: number;
  Checksum: string | null;
  AuthorizationPolicyId: string | null;
  TrackIdentifiers: string | null;
};

export type AccessPolicyRecord = {
  Id: string;
  Created: DateTime;
  LastModified: DateTime;
  Name: string;
  DurationInMinutes: number;
  Permissions: number;
};

export type LocatorRecord = {
  Id: string;
  Name: string | null;
  ExpirationDateTime: DateTime | null;
  Type: number;
  Path: string | null;
  BaseUri: string | null;
  ContentAccessComponent: string | null;
  AccessPolicyId: string;
  AssetId: string;
  StartTime: DateTime | null;
};

/** An Asset <-> ContentKey link (`Assets('…')/$links/ContentKeys`); canonical ids. */
export type AssetKeyLinkRecord = {
  assetId: string;
  keyId: string;
};

export type ErrorDetailValue = { Code: string | null; Message: string | null };
export type HistoricalEventValue = { Code: string | null; Message: string | null; TimeStamp: DateTime };

export type JobRecord = {
  Id: string;
  Name: string | null;
  Created: DateTime;
  LastModified: DateTime;
  EndTime: DateTime | null;
  Priority: number;
  RunningDuration: number;
  StartTime: DateTime | null;
  State: JobStateValue;
  TemplateId: string | null;
  JobNotificationSubscriptions: { NotificationEndPointId: string | null; TargetJobState: number }[] | null;
  _internal: JobInternal;
};
export type JobInternal = {
  /** Asset ids in JobInputAsset order. */
  inputs: string[];
  /** Asset ids in JobOutputAsset order. */
  outputs: string[];
  /** Task keys in order. */
  tasks: string[];
  /** Every task's work has ended and left its outcome. */
  workDone: boolean;
};

export type TaskRecord = {
  Id: string;
  Name: string | null;
  MediaProcessorId: string;
  State: JobStateValue;
  Progress: number;
  Priority: number;
  StartTime: DateTime | null;
  EndTime: DateTime | null;
  RunningDuration: number;
  PerfMessage: string | null;
  TaskBody: string | null;
  Configuration: string | null;
  Options: number;
  ErrorDetails: ErrorDetailValue[] | null;
  HistoricalEvents: HistoricalEventValue[] | null;
  EncryptionKeyId: string | null;
  EncryptionScheme: string | null;
  EncryptionVersion: string | null;
  InitializationVector: string | null;
  /** Absent on tasks stored before the emulator kept them: read as none. */
  TaskNotificationSubscriptions?: { NotificationEndPointId: string | null; TargetTaskState: number; IncludeTaskProgress: boolean }[] | null;
  _internal: TaskInternal;
};
export type TaskOutcomeValue = {
  state: 3 | 4 | 5;
  errors: { Code: string; Message: string }[];
};
export type TaskInternal = {
  jobId: string;
  /** The task's place in its job. */
  index: number;
  inputs: string[];
  outputs: string[];
  /** What the task's work came to, kept until the job shows its final state (survives a restart). */
  outcome: TaskOutcomeValue | null;
};

/** The account's encoding reserved units (model/encoding-reserved-unit-type.ts); AccountId a lower-case GUID. */
export type EncodingReservedUnitTypeRecord = {
  AccountId: string;
  ReservedUnitType: number;
  CurrentReservedUnits: number;
  MaxReservableUnits: number;
};

export type StreamingEndpointState = 'Stopped' | 'Starting' | 'Running' | 'Stopping' | 'Deleting' | 'Scaling';

export type StreamingEndpointRecord = {
  Id: string;
  Name: string;
  Description: string | null;
  Created: string;
  LastModified: string;
  State: StreamingEndpointState;
  HostName: string | null;
  ScaleUnits: number | null;
  CdnEnabled: boolean;
  CdnProvider: string | null;
  CdnProfile: string | null;
  FreeTrialEndTime: string;
  StreamingEndpointVersion: string | null;
  CustomHostNames: Json;
  AccessControl: Json;
  CacheControl: Json;
  CrossSiteAccessPolicies: Json;
  _internal: StreamingEndpointInternal;
};
export type StreamingEndpointInternal = {
  /** The operation changing the endpoint now, if any. */
  operationId: string | null;
  /**
   * On the default endpoint only: true until a client creates, changes, starts, stops, scales or
   * deletes any endpoint. Until then the origin answers without a running endpoint, as the
   * emulator did before it had endpoints, so clients that never manage them keep working.
   */
  compatOrigin: boolean;
};

/** The wire strings (the .NET numbering Succeeded 0, Failed 1, InProgress 2 is client-only). */
export type OperationState = 'InProgress' | 'Succeeded' | 'Failed';

/** The ErrorCodes the service documented for failed operations (§4.3), those the emulator gives. */
export type OperationErrorCode = 'InvalidOperation' | 'OperationInProgress' | 'DeleteNotAllowedOnDefaultOrigin';

/** What a completed operation does to its target. */
export type OperationOutcome =
  /** The endpoint settles in this state (create, Start, Stop). */
  | { kind: 'settle'; state: 'Running' | 'Stopped' }
  /** The endpoint gets these scale units and returns to the state it was in. */
  | { kind: 'scale'; scaleUnits: number; state: 'Running' | 'Stopped' }
  /** The endpoint is removed. */
  | { kind: 'delete' }
  /** Settings already applied to a running endpoint take effect (nothing more to change). */
  | { kind: 'settings' }
  /** The change was refused: nothing changes, the operation fails with this code. */
  | { kind: 'fail'; code: OperationErrorCode; message: string };

export type OperationRecord = {
  Id: string;
  State: OperationState;
  TargetEntityId: string | null;
  ErrorCode: string | null;
  ErrorMessage: string | null;
  _internal: OperationInternal;
};
export type OperationInternal = {
  outcome: OperationOutcome;
  /** Polls of the operation since it began (`--operation-progression polls:N`). */
  polls: number;
};

/** An AssetDeliveryPolicy: how an asset's protocols are delivered and protected. */
/** The Id and optional Name the newer sets (delivery, authorization, templates) all start with. */
type NamedEntity = { Id: string; Name: string | null };
/** Server-owned times, set at create and at every change. */
type Timestamps = { Created: DateTime; LastModified: DateTime };

export type AssetDeliveryPolicyRecord = NamedEntity &
  Timestamps & {
    AssetDeliveryProtocol: number;
    AssetDeliveryPolicyType: number;
    /** JSON text of [{"Key":<int>,"Value":"<string>"}], echoed as sent. */
    AssetDeliveryConfiguration: string | null;
  };

/** An Asset <-> AssetDeliveryPolicy link; canonical ids. */
export type AssetDeliveryPolicyLinkRecord = {
  assetId: string;
  policyId: string;
};

export type RestrictionValue = {
  Name: string | null;
  KeyRestrictionType: number;
  /** A TokenRestrictionTemplate's XML for TokenRestricted, else null. */
  Requirements: string | null;
};

export type AuthorizationPolicyRecord = NamedEntity;

export type AuthorizationOptionRecord = NamedEntity & {
  KeyDeliveryType: number;
  KeyDeliveryConfiguration: string | null;
  Restrictions: RestrictionValue[];
};

/** A ContentKeyAuthorizationPolicy <-> Option link; canonical ids. */
export type AuthorizationOptionLinkRecord = {
  policyId: string;
  optionId: string;
};

/** A JobTemplate; `_internal.taskTemplates` lists its TaskTemplates' keys in JobTemplateBody order. */
export type JobTemplateRecord = NamedEntity &
  Timestamps & {
    JobTemplateBody: string;
    NumberofInputAssets: number;
    TemplateType: number;
    _internal: { taskTemplates: string[] };
  };

/**
 * A TaskTemplate, its Id as the client sent it (the JobTemplateBody names it so); stored under the
 * canonical (lower-case) id. `_internal.taskBody` is its `<taskBody>` of the JobTemplateBody, the
 * TaskBody a job made from the template gives the task.
 */
export type TaskTemplateRecord = {
  Id: string;
  Configuration: string | null;
  Created: DateTime;
  Description: string | null;
  LastModified: DateTime;
  MediaProcessorId: string | null;
  Name: string | null;
  NumberofInputAssets: number;
  NumberofOutputAssets: number;
  Options: number;
  EncryptionKeyId: string | null;
  EncryptionScheme: string | null;
  EncryptionVersion: string | null;
  InitializationVector: string | null;
  _internal: { jobTemplateId: string; taskBody: string };
};

/** Compile-time proof that every record is storable as it is. */
type Storable<T extends import('../store/types.js').JsonRecord> = T;
export type StoredRecords = [
  Storable<AssetRecord>, Storable<AssetFileRecord>, Storable<ContentKeyRecord>, Storable<AccessPolicyRecord>,
  Storable<LocatorRecord>, Storable<AssetKeyLinkRecord>, Storable<JobRecord>, Storable<TaskRecord>,
  Storable<EncodingReservedUnitTypeRecord>,
  Storable<StreamingEndpointRecord>, Storable<OperationRecord>,
  Storable<AssetDeliveryPolicyRecord>, Storable<AssetDeliveryPolicyLinkRecord>, Storable<AuthorizationPolicyRecord>,
  Storable<AuthorizationOptionRecord>, Storable<AuthorizationOptionLinkRecord>,
  Storable<JobTemplateRecord>, Storable<TaskTemplateRecord>,
];

/** A NotificationEndPoint (model/notification-endpoints.ts says what makes one valid). */
export type NotificationEndPointRecord = {
  Id: string;
  Name: string;
  Created: string;
  EndPointType: number;
  EndPointAddress: string;
  CredentialType: number;
  EncryptedEndPointCredential: string | null;
  ProtectionKeyId: string | null;
  ProtectionKeyType: number;
};
