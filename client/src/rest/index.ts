export { AmsClient, OperationFailedError, type AwaitOperationOptions, type CallOptions, type CreateAccessPolicyRequest, type CreateAssetRequest, type CreateContentKeyRequest, type CreateFileRequest, type CreateJobRequest, type CreateLocatorRequest, type UpdateFileRequest } from './client.js';
export { AmsConnection, baseAfterRedirect, DEFAULT_API_VERSION, DEFAULT_TIMEOUT_MS, type AmsCall, type AmsClientOptions, type AmsResponse } from './connection.js';
export { createTokenSource, DEFAULT_AAD_RESOURCE, DEFAULT_ACS_SCOPE, isAadV2Endpoint, readTokenResponse, refreshMarginMs, type AmsAuth, type IssuedToken, type TokenRequester, type TokenSource } from './auth.js';
export { AmsNetworkError, AmsRequestError, AmsResponseError, AmsTimeoutError } from './errors.js';
export { sendOnce, type FetchLike, type HttpMethod, type HttpRequest, type HttpResponse } from './http.js';
export { backoffDelayMs, isRetryableStatus, parseRetryAfterMs, resolveRetryOptions, type RetryOptions } from './retry.js';
export {
  AccessPermissions, AssetCreationOptions, AssetState, ContentKeyType, JobState, LocatorType, ProtectionKeyType,
  STORAGE_ENCRYPTION_SCHEME, STORAGE_ENCRYPTION_VERSION,
  decodeAccessPolicy, decodeAsset, decodeAssetFile, decodeContentKey, decodeJob, decodeLocator, decodeMediaProcessor, decodeTask,
  decodeOperation, decodeStreamingEndpoint,
  type AccessPolicy, type Asset, type AssetFile, type ContentKey, type Job, type Locator, type MediaProcessor, type Task, type TaskErrorDetail,
  type Operation, type StreamingEndpoint,
} from './entities.js';
export { EdmValueError } from './edm.js';
export { entityPath, functionQuery, normalizeBaseUri, odataQueryString, odataString, type ODataQuery } from './urls.js';
export { listAll, MAX_PAGE_SIZE, pageThrough, type ListPage, type PagingOptions } from './paging.js';
export { encodeBody, MEDIA_TYPES, readCollection, readEntity, readErrorBody, readFunctionValue, type JsonObject, type JsonValue, type WireFormat } from './wire-format.js';
export {
  decodeIngestManifest, decodeIngestManifestAsset, decodeIngestManifestFile, decodeNotificationEndPoint, IngestManifestFileState, IngestManifestState,
  type CreateIngestManifestFileRequest, type CreateNotificationEndPointRequest, type IngestManifest, type IngestManifestAsset, type IngestManifestFile,
  type IngestManifestStatistics, type NotificationEndPoint,
} from './ingest-entities.js';
export { NotificationEndPointCredentialType, NotificationEndPointType, NotificationJobState } from './enums.js';
