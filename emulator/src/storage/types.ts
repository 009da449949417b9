import type { Readable } from 'node:stream';

/**
 * The blob side of the emulator: asset containers, their stored access policies and SAS, streaming
 * reads. Backed by Azurite (embedded or external) or a real Azure storage account, through
 * `@azure/storage-blob`. Every method that reaches storage throws `StorageUnavailableError` when
 * storage cannot be reached, so the HTTP layer can answer 503 rather than 500.
 */
export interface BlobStorage {
  readonly accountName: string;
  /** e.g. `http://127.0.0.1:10000/devstoreaccount1` (path style for Azurite). */
  readonly blobEndpoint: string;
  readonly connectionString: string;

  containerUrl(container: string): string;
  /** Idempotent: an existing container is fine. */
  createContainer(container: string): Promise<void>;
  /** Idempotent: a missing container is fine. */
  deleteContainer(container: string): Promise<void>;
  /** Deletes every container whose name starts with `prefix` (reset). Returns how many. */
  deleteContainersWithPrefix(prefix: string): Promise<number>;
  containerExists(container: string): Promise<boolean>;

  listBlobs(container: string): Promise<BlobInfo[]>;
  /** undefined when the blob (or its container) does not exist. */
  getBlob(container: string, blob: string): Promise<BlobInfo | undefined>;
  /**
   * The committed blocks of a block blob in order, with their sizes: where each Put Block landed,
   * which is how verification tells a block encrypted at the wrong offset. Empty for a blob stored
   * in one Put Blob; undefined when the blob does not exist.
   */
  getBlockList(container: string, blob: string): Promise<BlockInfo[] | undefined>;
  /** A range read as a stream (`count` undefined = to the end). Flat memory for any blob size. */
  readBlob(container: string, blob: string, offset?: number, count?: number): Promise<Readable>;
  /**
   * What another thread needs to read a blob without this object (whose SDK client lives on this
   * thread): a read-only SAS URL valid for `validForMs`, and the timeouts and tries `readBlob`
   * keeps. Verification reads large blobs this way, off the event loop. undefined when the SDK
   * reaches storage through a proxy from the environment (HTTPS_PROXY...): read with `readBlob`.
   */
  directRead(container: string, blob: string, validForMs: number): DirectRead | undefined;
  /** Upload as a block blob from a stream (the job runner's clear output). */
  uploadBlob(container: string, blob: string, data: Readable | Buffer, contentType?: string): Promise<void>;
  deleteBlob(container: string, blob: string): Promise<void>;

  /**
   * Add (or replace) a stored access policy on the container (Azure allows 5 per container) and
   * return a container SAS bound to it: `?sv=...&sr=c&si=<identifier>&sig=...` with the leading '?'.
   * `permissions` uses the SAS letters in canonical order (`racwdl` subset).
   */
  createContainerSas(container: string, policy: StoredPolicy): Promise<string>;
  removeStoredPolicy(container: string, identifier: string): Promise<void>;

  /** Throws StorageUnavailableError unless storage answers. */
  ping(): Promise<void>;
}

export interface BlobInfo {
  name: string;
  size: number;
  contentType?: string;
  /** base64 Content-MD5 when storage has one. */
  contentMd5?: string;
  lastModified?: Date;
  /** Storage's ETag, quotes included: it changes whenever the blob's bytes do. */
  etag?: string;
}

export interface BlockInfo {
  /** The block id as the client sent it (base64). */
  id: string;
  size: number;
}

export interface DirectRead {
  /** The blob's URL with a read-only SAS: never handed to clients. */
  url: string;
  /** The `x-ms-version` the SAS was signed for. */
  version: string;
  /** Longest a try may wait for response headers (the body is not limited, as in `readBlob`). */
  requestTimeoutMs: number;
  /** Tries per request while storage is unreachable or answers 5xx, including the first. */
  maxTries: number;
  /** Requests for the rest of the blob after its body was cut off mid-stream (If-Match its ETag). */
  resumeTries: number;
  /** What the reading thread met, as the errors `readBlob` throws (StorageUnavailableError, StorageRequestError). */
  toError(failure: ReadFailure): unknown;
}

/** A failed read as plain data, so it can cross a thread boundary. */
export interface ReadFailure {
  message: string;
  /** Storage's HTTP status, when it answered. */
  statusCode?: number;
  /** Storage's `x-ms-error-code`, or Node's error code (ECONNREFUSED, ETIMEDOUT...). */
  code?: string;
}

export interface StoredPolicy {
  identifier: string;
  permissions: string;
  startsOn?: Date;
  expiresOn: Date;
}

export class StorageUnavailableError extends Error {
  constructor(message: string, override readonly cause?: unknown) {
    super(message);
    this.name = 'StorageUnavailableError';
  }
}

/** A storage request storage itself refused (not a connectivity problem): bad name, 403, 409. */
export class StorageRequestError extends Error {
  constructor(message: string, readonly statusCode: number, readonly code?: string) {
    super(message);
    this.name = 'StorageRequestError';
  }
}

/** The Azurite the emulator embeds when no connection string is given. */
export interface EmbeddedAzurite {
  /** e.g. `http://127.0.0.1:10000` */
  readonly url: string;
  readonly connectionString: string;
  stop(): Promise<void>;
}

export interface EmbeddedAzuriteOptions {
  host?: string;
  /** 0 = any free port. */
  port?: number;
  /** The queue service's port; default 10001, or any free port when `port` is 0. */
  queuePort?: number;
  /** Persist blobs under this directory; undefined = in memory (isolated per server). */
  location?: string;
}
