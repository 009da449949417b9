import { AmsConnection, type AmsClientOptions } from './connection.js';
import {
  decodeAccessPolicy, decodeAsset, decodeAssetFile, decodeContentKey, decodeJob, decodeLocator,
  decodeMediaProcessor, decodeOperation, decodeStreamingEndpoint, decodeTask, ProtectionKeyType,
  type AccessPolicy, type Asset, type AssetFile, type ContentKey, type Job, type Locator,
  type MediaProcessor, type Operation, type StreamingEndpoint, type Task,
} from './entities.js';
import { AmsRequestError } from './errors.js';
import {
  decodeIngestManifest, decodeIngestManifestAsset, decodeIngestManifestFile, decodeNotificationEndPoint,
  type CreateIngestManifestFileRequest, type CreateNotificationEndPointRequest, type IngestManifest, type IngestManifestAsset,
  type IngestManifestFile, type NotificationEndPoint,
} from './ingest-entities.js';
import { entityPath, functionQuery, odataQueryString, type ODataQuery } from './urls.js';

/** Every operation takes an optional signal; an aborted call stops at once, retries included. */
export interface CallOptions {
  signal?: AbortSignal;
}

export interface CreateContentKeyRequest {
  /** Client-chosen: `nb:kid:UUID:<guid>`. Choosing it makes the create safe to retry. */
  Id: string;
  EncryptedContentKey: string;
  ContentKeyType: number;
  ProtectionKeyId: string;
  /** Default 0 (X509CertificateThumbprint), the only defined value. */
  ProtectionKeyType?: number;
  Checksum?: string;
  Name?: string;
}

export interface CreateAssetRequest {
  Name?: string;
  /** AssetCreationOptions; fixed for the asset's life. Default 0 (None). */
  Options?: number;
  AlternateId?: string;
  StorageAccountName?: string;
}

export interface CreateFileRequest {
  Name: string;
  ParentAssetId: string;
  ContentFileSize?: bigint;
  IsEncrypted?: boolean;
  EncryptionScheme?: string;
  EncryptionVersion?: string;
  EncryptionKeyId?: string;
  InitializationVector?: string;
  IsPrimary?: boolean;
  MimeType?: string;
  ContentChecksum?: string;
}

/** The properties a MERGE may change; the rest of the file is left as it is. */
export type UpdateFileRequest = Partial<Omit<CreateFileRequest, 'ParentAssetId'>>;

export interface CreateAccessPolicyRequest {
  Name: string;
  DurationInMinutes: number;
  /** AccessPermissions flags (Read 1, Write 2, Delete 4, List 8). */
  Permissions: number;
}

export interface CreateLocatorRequest {
  AccessPolicyId: string;
  AssetId: string;
  /** LocatorType: Sas 1, OnDemandOrigin 2. */
  Type: number;
  /** The docs advise now - 5 minutes against clock skew. */
  StartTime?: Date;
  Name?: string;
  Id?: string;
}

export interface CreateJobRequest {
  Name?: string;
  InputAssetIds: string[];
  Tasks: Array<{
    Name?: string;
    MediaProcessorId: string;
    /** `<taskBody><inputAsset>JobInputAsset(0)</inputAsset><outputAsset>JobOutputAsset(0)</outputAsset></taskBody>` */
    TaskBody: string;
    Configuration?: string;
    Options?: number;
  }>;
  Priority?: number;
}

export interface AwaitOperationOptions extends CallOptions {
  /** Between polls; Java's SDK waits 2 s. Default 1000 ms. */
  pollMs?: number;
  /** Give up after this long. Default 120 s. */
  timeoutMs?: number;
}

/** An operation that ended Failed: the service's ErrorCode and message. */
export class OperationFailedError extends Error {
  constructor(readonly operation: Operation) {
    super(`Operation ${operation.Id} failed: ${operation.ErrorCode ?? 'no code'}: ${operation.ErrorMessage ?? 'no message'}`);
    this.name = 'OperationFailedError';
  }
}

/**
 * A typed client for the AMS v2 REST API (the OData v3 service), the storage-encryption subset:
 * protection keys, content keys, assets, files, access policies, SAS locators and basic jobs.
 * It works against any AMS v2 endpoint: the retired service, the emulator, or a test fake.
 */
export class AmsClient {
  readonly connection: AmsConnection;

  constructor(options: AmsClientOptions) {
    this.connection = new AmsConnection(options);
  }

  /** Where calls go now (the endpoint, or where the first call's 301 pointed). */
  get baseUri(): string {
    return this.connection.baseUri;
  }

  /**
   * GET the endpoint itself (the service document), as the .NET SDK did once before any other call.
   * A legacy root such as `https://media.windows.net/` answers it with 301, and from then on every
   * call goes where that pointed; such a root may answer other paths with 404 instead, so call this
   * first when the endpoint could be one. Also proves early that the endpoint and token work.
   * Returns the base URI now in use.
   */
  async discoverBaseUri(options: CallOptions = {}): Promise<string> {
    await this.connection.send({ method: 'GET', path: '', signal: options.signal });
    return this.connection.baseUri;
  }

  // --- Protection keys and content keys -------------------------------------------------

  /** Thumbprint of the certificate to wrap keys of this ContentKeyType with. */
  getProtectionKeyId(contentKeyType: number, options: CallOptions = {}): Promise<string> {
    return this.connection.functionString(
      { method: 'GET', path: 'GetProtectionKeyId', query: functionQuery({ contentKeyType }), signal: options.signal },
      'GetProtectionKeyId',
    );
  }

  /** The protection certificate as base64 DER (no PEM armour). */
  getProtectionKey(protectionKeyId: string, options: CallOptions = {}): Promise<string> {
    return this.connection.functionString(
      { method: 'GET', path: 'GetProtectionKey', query: functionQuery({ ProtectionKeyId: protectionKeyId }), signal: options.signal },
      'GetProtectionKey',
    );
  }

  /**
   * The content key, base64: in clear when `x509CertificateBase64` is '' (the default), otherwise
   * wrapped with RSA-OAEP-SHA1 to that certificate (base64 DER).
   */
  rebindContentKey(contentKeyId: string, x509CertificateBase64 = '', options: CallOptions = {}): Promise<string> {
    return this.connection.functionString(
      {
        method: 'GET',
        path: 'RebindContentKey',
        query: functionQuery({ id: contentKeyId, x509Certificate: x509CertificateBase64 }),
        signal: options.signal,
      },
      'RebindContentKey',
    );
  }

  /**
   * POST ContentKeys. The Id is ours, so this create is retried like an idempotent call; when a
   * retry meets 409 after an attempt whose outcome was unknown, the key is read back and accepted
   * if it is the one we sent.
   */
  async createContentKey(request: CreateContentKeyRequest, options: CallOptions = {}): Promise<ContentKey> {
    const body = { ...request, ProtectionKeyType: request.ProtectionKeyType ?? ProtectionKeyType.X509CertificateThumbprint };
    try {
      return await this.connection.entity(
        { method: 'POST', path: 'ContentKeys', body, idempotent: true, signal: options.signal },
        decodeContentKey,
      );
    } catch (err) {
      if (!(err instanceof AmsRequestError && err.status === 409 && err.afterUncertainAttempt)) throw err;
      const existing = await this.getContentKey(request.Id, options);
      if (existing.EncryptedContentKey !== request.EncryptedContentKey) throw err;
      return existing;
    }
  }

  getContentKey(id: string, options: CallOptions = {}): Promise<ContentKey> {
    return this.connection.entity({ method: 'GET', path: entityPath('ContentKeys', id), signal: options.signal }, decodeContentKey);
  }

  listContentKeys(query?: ODataQuery, options: CallOptions = {}): Promise<ContentKey[]> {
    return this.connection.collection({ method: 'GET', path: 'ContentKeys', query: odataQueryString(query), signal: options.signal }, decodeContentKey);
  }

  deleteContentKey(id: string, options: CallOptions = {}): Promise<void> {
    return this.connection.noContent({ method: 'DELETE', path: entityPath('ContentKeys', id), signal: options.signal });
  }

  // --- Assets and their content keys -----------------------------------------------------

  createAsset(request: CreateAssetRequest = {}, options: CallOptions = {}): Promise<Asset> {
    return this.connection.entity({ method: 'POST', path: 'Assets', body: { ...request }, signal: options.signal }, decodeAsset);
  }

  getAsset(id: string, options: CallOptions = {}): Promise<Asset> {
    return this.connection.entity({ method: 'GET', path: entityPath('Assets', id), signal: options.signal }, decodeAsset);
  }

  listAssets(query?: ODataQuery, options: CallOptions = {}): Promise<Asset[]> {
    return this.connection.collection({ method: 'GET', path: 'Assets', query: odataQueryString(query), signal: options.signal }, decodeAsset);
  }

  /** DELETE Assets('..'): the service also deletes its files and its storage-encryption key. */
  deleteAsset(id: string, options: CallOptions & { keepContainer?: boolean } = {}): Promise<void> {
    const query = options.keepContainer === undefined ? undefined : `keepcontainer=${options.keepContainer}`;
    return this.connection.noContent({ method: 'DELETE', path: entityPath('Assets', id), query, signal: options.signal });
  }

  /** POST Assets('..')/$links/ContentKeys with `{"uri": "<base>ContentKeys('<encoded id>')"}`. */
  linkContentKey(assetId: string, contentKeyId: string, options: CallOptions = {}): Promise<void> {
    return this.connection.noContent({
      method: 'POST',
      path: `${entityPath('Assets', assetId)}/$links/ContentKeys`,
      body: { uri: this.connection.resolve(entityPath('ContentKeys', contentKeyId)) },
      signal: options.signal,
    });
  }

  unlinkContentKey(assetId: string, contentKeyId: string, options: CallOptions = {}): Promise<void> {
    return this.connection.noContent({
      method: 'DELETE',
      path: `${entityPath('Assets', assetId)}/$links/${entityPath('ContentKeys', contentKeyId)}`,
      signal: options.signal,
    });
  }

  listAssetContentKeys(assetId: string, options: CallOptions = {}): Promise<ContentKey[]> {
    return this.connection.collection({ method: 'GET', path: `${entityPath('Assets', assetId)}/ContentKeys`, signal: options.signal }, decodeContentKey);
  }

  // --- Files ----------------------------------------------------------------------------

  createFile(request: CreateFileRequest, options: CallOptions = {}): Promise<AssetFile> {
    return this.connection.entity({ method: 'POST', path: 'Files', body: { ...request }, signal: options.signal }, decodeAssetFile);
  }

  getFile(id: string, options: CallOptions = {}): Promise<AssetFile> {
    return this.connection.entity({ method: 'GET', path: entityPath('Files', id), signal: options.signal }, decodeAssetFile);
  }

  /** MERGE Files('..') with only the given properties (204). */
  updateFile(id: string, changes: UpdateFileRequest, options: CallOptions = {}): Promise<void> {
    return this.connection.noContent({ method: 'MERGE', path: entityPath('Files', id), body: { ...changes }, signal: options.signal });
  }

  deleteFile(id: string, options: CallOptions = {}): Promise<void> {
    return this.connection.noContent({ method: 'DELETE', path: entityPath('Files', id), signal: options.signal });
  }

  listFiles(query?: ODataQuery, options: CallOptions = {}): Promise<AssetFile[]> {
    return this.connection.collection({ method: 'GET', path: 'Files', query: odataQueryString(query), signal: options.signal }, decodeAssetFile);
  }

  listAssetFiles(assetId: string, query?: ODataQuery, options: CallOptions = {}): Promise<AssetFile[]> {
    return this.connection.collection(
      { method: 'GET', path: `${entityPath('Assets', assetId)}/Files`, query: odataQueryString(query), signal: options.signal },
      decodeAssetFile,
    );
  }

  /** The service lists the asset's container and makes a file entity per blob (204). */
  createFileInfos(assetId: string, options: CallOptions = {}): Promise<void> {
    return this.connection.noContent({ method: 'GET', path: 'CreateFileInfos', query: functionQuery({ assetid: assetId }), signal: options.signal });
  }

  // --- Bulk ingest (see ingest-entities.ts for the flow) --------------------------------

  createIngestManifest(request: { Name?: string; StorageAccountName?: string } = {}, options: CallOptions = {}): Promise<IngestManifest> {
    return this.connection.entity({ method: 'POST', path: 'IngestManifests', body: { ...request }, signal: options.signal }, decodeIngestManifest);
  }

  /** The manifest with its Statistics now (poll until PendingFilesCount is 0). */
  getIngestManifest(id: string, options: CallOptions = {}): Promise<IngestManifest> {
    return this.connection.entity({ method: 'GET', path: entityPath('IngestManifests', id), signal: options.signal }, decodeIngestManifest);
  }

  deleteIngestManifest(id: string, options: CallOptions = {}): Promise<void> {
    return this.connection.noContent({ method: 'DELETE', path: entityPath('IngestManifests', id), signal: options.signal });
  }

  /** POST IngestManifestAssets naming the asset as the REST reference does (`"Asset":{"Id":..}`). */
  createIngestManifestAsset(manifestId: string, assetId: string, options: CallOptions = {}): Promise<IngestManifestAsset> {
    return this.connection.entity(
      { method: 'POST', path: 'IngestManifestAssets', body: { ParentIngestManifestId: manifestId, 'Asset@odata.bind': this.connection.resolve(entityPath('Assets', assetId)) }, signal: options.signal },
      decodeIngestManifestAsset,
    );
  }

  createIngestManifestFile(request: CreateIngestManifestFileRequest, options: CallOptions = {}): Promise<IngestManifestFile> {
    return this.connection.entity({ method: 'POST', path: 'IngestManifestFiles', body: { ...request }, signal: options.signal }, decodeIngestManifestFile);
  }

  getIngestManifestFile(id: string, options: CallOptions = {}): Promise<IngestManifestFile> {
    return this.connection.entity({ method: 'GET', path: entityPath('IngestManifestFiles', id), signal: options.signal }, decodeIngestManifestFile);
  }

  // --- Job notifications ----------------------------------------------------------------

  createNotificationEndPoint(request: CreateNotificationEndPointRequest, options: CallOptions = {}): Promise<NotificationEndPoint> {
    return this.connection.entity({ method: 'POST', path: 'NotificationEndPoints', body: { ...request }, signal: options.signal }, decodeNotificationEndPoint);
  }

  deleteNotificationEndPoint(id: string, options: CallOptions = {}): Promise<void> {
    return this.connection.noContent({ method: 'DELETE', path: entityPath('NotificationEndPoints', id), signal: options.signal });
  }

  // --- Access policies and locators -----------------------------------------------------

  createAccessPolicy(request: CreateAccessPolicyRequest, options: CallOptions = {}): Promise<AccessPolicy> {
    return this.connection.entity({ method: 'POST', path: 'AccessPolicies', body: { ...request }, signal: options.signal }, decodeAccessPolicy);
  }

  getAccessPolicy(id: string, options: CallOptions = {}): Promise<AccessPolicy> {
    return this.connection.entity({ method: 'GET', path: entityPath('AccessPolicies', id), signal: options.signal }, decodeAccessPolicy);
  }

  deleteAccessPolicy(id: string, options: CallOptions = {}): Promise<void> {
    return this.connection.noContent({ method: 'DELETE', path: entityPath('AccessPolicies', id), signal: options.signal });
  }

  createLocator(request: CreateLocatorRequest, options: CallOptions = {}): Promise<Locator> {
    return this.connection.entity({ method: 'POST', path: 'Locators', body: { ...request }, signal: options.signal }, decodeLocator);
  }

  getLocator(id: string, options: CallOptions = {}): Promise<Locator> {
    return this.connection.entity({ method: 'GET', path: entityPath('Locators', id), signal: options.signal }, decodeLocator);
  }

  deleteLocator(id: string, options: CallOptions = {}): Promise<void> {
    return this.connection.noContent({ method: 'DELETE', path: entityPath('Locators', id), signal: options.signal });
  }

  listLocators(query?: ODataQuery, options: CallOptions = {}): Promise<Locator[]> {
    return this.connection.collection({ method: 'GET', path: 'Locators', query: odataQueryString(query), signal: options.signal }, decodeLocator);
  }

  listAssetLocators(assetId: string, options: CallOptions = {}): Promise<Locator[]> {
    return this.connection.collection({ method: 'GET', path: `${entityPath('Assets', assetId)}/Locators`, signal: options.signal }, decodeLocator);
  }

  // --- Jobs -----------------------------------------------------------------------------

  /**
   * POST Jobs with its tasks inline. Input assets are bound the way each dialect wants it:
   * `__metadata.uri` objects in verbose, `InputMediaAssets@odata.bind` in minimal metadata.
   */
  createJob(request: CreateJobRequest, options: CallOptions = {}): Promise<Job> {
    const inputUris = request.InputAssetIds.map((id) => this.connection.resolve(entityPath('Assets', id)));
    const inputs =
      this.connection.format === 'verbose'
        ? { InputMediaAssets: inputUris.map((uri) => ({ __metadata: { uri } })) }
        : { 'InputMediaAssets@odata.bind': inputUris };
    const body = { Name: request.Name, Priority: request.Priority, ...inputs, Tasks: request.Tasks.map((task) => ({ ...task, Configuration: task.Configuration ?? '' })) };
    return this.connection.entity({ method: 'POST', path: 'Jobs', body, signal: options.signal }, decodeJob);
  }

  getJob(id: string, options: CallOptions = {}): Promise<Job> {
    return this.connection.entity({ method: 'GET', path: entityPath('Jobs', id), signal: options.signal }, decodeJob);
  }

  listJobTasks(jobId: string, options: CallOptions = {}): Promise<Task[]> {
    return this.connection.collection({ method: 'GET', path: `${entityPath('Jobs', jobId)}/Tasks`, signal: options.signal }, decodeTask);
  }

  listJobOutputAssets(jobId: string, options: CallOptions = {}): Promise<Asset[]> {
    return this.connection.collection({ method: 'GET', path: `${entityPath('Jobs', jobId)}/OutputMediaAssets`, signal: options.signal }, decodeAsset);
  }

  /** The assets a job task read to write this one (its job's inputs, on the emulator). */
  listAssetParentAssets(assetId: string, options: CallOptions = {}): Promise<Asset[]> {
    return this.connection.collection({ method: 'GET', path: `${entityPath('Assets', assetId)}/ParentAssets`, signal: options.signal }, decodeAsset);
  }

  // --- Streaming endpoints and operations ---------------------------------------------------

  listStreamingEndpoints(query?: ODataQuery, options: CallOptions = {}): Promise<StreamingEndpoint[]> {
    return this.connection.collection({ method: 'GET', path: 'StreamingEndpoints', query: odataQueryString(query), signal: options.signal }, decodeStreamingEndpoint);
  }

  getStreamingEndpoint(id: string, options: CallOptions = {}): Promise<StreamingEndpoint> {
    return this.connection.entity({ method: 'GET', path: entityPath('StreamingEndpoints', id), signal: options.signal }, decodeStreamingEndpoint);
  }

  /** POST StreamingEndpoints('..')/Start: the operation's id (await it with awaitOperation), or null when done at once. */
  startStreamingEndpoint(id: string, options: CallOptions = {}): Promise<string | null> {
    return this.connection.accepted({ method: 'POST', path: `${entityPath('StreamingEndpoints', id)}/Start`, body: {}, signal: options.signal });
  }

  stopStreamingEndpoint(id: string, options: CallOptions = {}): Promise<string | null> {
    return this.connection.accepted({ method: 'POST', path: `${entityPath('StreamingEndpoints', id)}/Stop`, body: {}, signal: options.signal });
  }

  getOperation(id: string, options: CallOptions = {}): Promise<Operation> {
    return this.connection.entity({ method: 'GET', path: entityPath('Operations', id), signal: options.signal }, decodeOperation);
  }

  /** Poll `Operations('..')` until it leaves InProgress; Failed throws OperationFailedError. */
  async awaitOperation(id: string, options: AwaitOperationOptions = {}): Promise<Operation> {
    const deadline = Date.now() + (options.timeoutMs ?? 120_000);
    for (;;) {
      const operation = await this.getOperation(id, options);
      if (operation.State === 'Failed') throw new OperationFailedError(operation);
      if (operation.State !== 'InProgress') return operation;
      if (Date.now() >= deadline) throw new Error(`Operation ${id} was still InProgress after ${options.timeoutMs ?? 120_000} ms`);
      await new Promise((resolve) => setTimeout(resolve, options.pollMs ?? 1000));
      options.signal?.throwIfAborted();
    }
  }

  listMediaProcessors(query?: ODataQuery, options: CallOptions = {}): Promise<MediaProcessor[]> {
    return this.connection.collection(
      { method: 'GET', path: 'MediaProcessors', query: odataQueryString(query), signal: options.signal },
      decodeMediaProcessor,
    );
  }
}
