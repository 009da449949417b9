import { PassThrough, Readable } from 'node:stream';
import type {
  BlobItem,
  BlobClient,
  BlobGetPropertiesResponse,
  BlobServiceClient,
  BlockBlobClient,
  ContainerClient,
  SignedIdentifier,
  StorageSharedKeyCredential,
} from '@azure/storage-blob';
import { blobNameEscape } from './blob-names.js';
import { parseConnectionString } from './connection-string.js';
import { KeyedLock } from './keyed-lock.js';
import { sdkUsesProxyFor } from './proxy-env.js';
import { isStorageRequestError, toStorageError, type StorageErrorContext } from './storage-errors.js';
import { DEFAULT_STORAGE_PIPELINE_OPTIONS, createStoragePipeline } from './storage-pipeline.js';
import { SignedRequests } from './signed-requests.js';
import { loadBlobSdk, type BlobSdk } from './sdk.js';
import { StorageRequestError, type BlobInfo, type BlobStorage, type BlockInfo, type DirectRead, type StoredPolicy } from './types.js';

/**
 * The `sv` of every SAS the emulator mints. Azurite signs pre-2018 versions with the 2015-04-05
 * string-to-sign (a genuine `sv=2012-02-12` SAS is refused), and this is the version the probes
 * verified end to end: uploads (blocks and single shot, with any client x-ms-version) and reads.
 */
export const SAS_VERSION = '2021-08-06';

/** Azure's limit on stored access policies per container. */
export const MAX_STORED_POLICIES = 5;
/** Azure's limit on a signed identifier's length. */
export const MAX_POLICY_IDENTIFIER_LENGTH = 64;

/** Block size and parallel blocks for stream uploads: bounds memory to about 5 blocks in flight. */
const UPLOAD_BLOCK_BYTES = 4 * 1024 * 1024;
const UPLOAD_CONCURRENCY = 4;
/** Containers deleted at once by `deleteContainersWithPrefix`. */
const DELETE_CONCURRENCY = 8;
/** Re-requests of the rest of a range after its body was cut off mid-stream. */
const READ_RESUME_TRIES = 2;
/** A direct-read SAS starts this far in the past: storage on another clock must accept it at once. */
const DIRECT_READ_CLOCK_SKEW_MS = 5 * 60_000;

const SAS_PERMISSION_LETTERS = 'racwdl';

export interface BlobStorageOptions {
  /** Longest a single storage request may wait for response headers. Default 5000. */
  requestTimeoutMs?: number;
  /** Tries per storage operation, including the first. Default 3 (all within ~0.2 s when refused). */
  maxTries?: number;
}

/**
 * `BlobStorage` over `@azure/storage-blob` for any account-key connection string: the embedded
 * Azurite, an external one, or a real storage account.
 */
export function createBlobStorage(connectionString: string, options: BlobStorageOptions = {}): BlobStorage {
  return new SdkBlobStorage(connectionString, options);
}

class SdkBlobStorage implements BlobStorage {
  readonly accountName: string;
  readonly blobEndpoint: string;
  readonly connectionString: string;

  /** Built on first use, with the SDK (see sdk.ts): a start-up and POST Assets need neither. */
  private sdkClients: { sdk: BlobSdk; credential: StorageSharedKeyCredential; service: BlobServiceClient } | undefined;
  private readonly accountKey: string;
  private readonly requestTimeoutMs: number;
  private readonly errorContext: StorageErrorContext;
  private readonly maxTries: number;
  private readonly aclLock = new KeyedLock();
  /** Container creation without the SDK's pipeline, unless the SDK would go through a proxy. */
  private readonly direct: SignedRequests | undefined;

  constructor(connectionString: string, options: BlobStorageOptions) {
    const connection = parseConnectionString(connectionString);
    const requestTimeoutMs = options.requestTimeoutMs ?? DEFAULT_STORAGE_PIPELINE_OPTIONS.requestTimeoutMs;
    const maxTries = options.maxTries ?? DEFAULT_STORAGE_PIPELINE_OPTIONS.maxTries;
    if (!(requestTimeoutMs > 0)) throw new RangeError(`requestTimeoutMs must be positive, not ${requestTimeoutMs}`);
    if (!Number.isInteger(maxTries) || maxTries < 1) throw new RangeError(`maxTries must be a positive integer, not ${maxTries}`);

    this.accountName = connection.accountName;
    this.blobEndpoint = connection.blobEndpoint;
    this.connectionString = connectionString;
    this.accountKey = connection.accountKey;
    this.requestTimeoutMs = requestTimeoutMs;
    this.errorContext = { endpoint: connection.blobEndpoint, requestTimeoutMs };
    this.maxTries = maxTries;
    this.direct = sdkUsesProxyFor(connection.blobEndpoint) ? undefined : new SignedRequests({ ...connection, requestTimeoutMs, maxTries });
  }

  /** As the SDK builds it (`getContainerClient(name).url`), without building a client per call. */
  containerUrl(container: string): string {
    return `${this.blobEndpoint}/${encodeURIComponent(container)}`;
  }

  /** Idempotent, as `createIfNotExists`: an existing container is fine, one being deleted is not. */
  createContainer(container: string): Promise<void> {
    if (this.direct) {
      return this.direct.send('PUT', encodeURIComponent(container), { restype: 'container' }, (answer) => answer.status === 409 && answer.errorCode === 'ContainerAlreadyExists').then(() => undefined);
    }
    return this.call(async () => {
      await this.container(container).createIfNotExists();
    });
  }

  deleteContainer(container: string): Promise<void> {
    return this.call(async () => {
      await this.container(container).deleteIfExists();
    });
  }

  /** Refuses an empty prefix: on a real account that would delete every container. */
  deleteContainersWithPrefix(prefix: string): Promise<number> {
    if (prefix === '') return Promise.reject(new RangeError('deleteContainersWithPrefix needs a non-empty prefix'));
    return this.call(async () => {
      const names: string[] = [];
      for await (const item of this.clients().service.listContainers({ prefix })) names.push(item.name);
      const deleted = await mapBounded(names, DELETE_CONCURRENCY, async (name) => (await this.container(name).deleteIfExists()).succeeded);
      return deleted.filter(Boolean).length;
    });
  }

  containerExists(container: string): Promise<boolean> {
    return this.call(() => this.container(container).exists());
  }

  /** A missing container lists as empty. */
  listBlobs(container: string): Promise<BlobInfo[]> {
    return this.call(async () => {
      const blobs: BlobInfo[] = [];
      try {
        for await (const item of this.container(container).listBlobsFlat()) blobs.push(blobInfoFromItem(item));
      } catch (err) {
        if (isStorageRequestError(this.mapError(err), 404)) return [];
        throw err;
      }
      return blobs;
    });
  }

  getBlob(container: string, blob: string): Promise<BlobInfo | undefined> {
    return this.call(async () => {
      try {
        return blobInfoFromProperties(blob, await this.blob(container, blob).getProperties());
      } catch (err) {
        if (isStorageRequestError(this.mapError(err), 404)) return undefined;
        throw err;
      }
    });
  }

  getBlockList(container: string, blob: string): Promise<BlockInfo[] | undefined> {
    return this.call(async () => {
      try {
        const list = await this.blob(container, blob).getBlockBlobClient().getBlockList('committed');
        return (list.committedBlocks ?? []).map((block) => ({ id: block.name, size: block.size }));
      } catch (err) {
        if (isStorageRequestError(this.mapError(err), 404)) return undefined;
        throw err;
      }
    });
  }

  /**
   * Rejects (404, 416 past the end, 503) before any byte is read; a failure after that, such as
   * storage going away mid-body, is an 'error' event on the returned stream, mapped the same way.
   * `offset + count` past the end of the blob reads to the end, as Azure does.
   */
  readBlob(container: string, blob: string, offset = 0, count?: number): Promise<Readable> {
    let client: BlobClient;
    try {
      assertByteCount(offset, 'offset');
      if (count !== undefined) assertByteCount(count, 'count');
      client = this.blob(container, blob);
    } catch (err) {
      return Promise.reject(err);
    }
    return this.call(async () => {
      if (count === 0) {
        // The SDK reads a count of 0 as "to the end"; still answer 404 for a missing blob.
        await client.getProperties();
        return Readable.from([]);
      }
      const response = await client.download(offset, count, { maxRetryRequests: READ_RESUME_TRIES });
      const body = response.readableStreamBody;
      if (!body) throw new Error('@azure/storage-blob returned a download without a Node body stream');
      return this.mappedStream(body);
    });
  }

  directRead(container: string, blob: string, validForMs: number): DirectRead | undefined {
    if (sdkUsesProxyFor(this.blobEndpoint)) return undefined;
    const client = this.blob(container, blob);
    const now = Date.now();
    const { sdk, credential } = this.clients();
    const sas = sdk.generateBlobSASQueryParameters(
      {
        containerName: container,
        blobName: blob,
        permissions: sdk.BlobSASPermissions.parse('r'),
        startsOn: new Date(now - DIRECT_READ_CLOCK_SKEW_MS),
        expiresOn: new Date(now + validForMs),
        version: SAS_VERSION,
      },
      credential,
    );
    const context = this.errorContext;
    return {
      url: `${client.url}?${sas.toString()}`,
      version: SAS_VERSION,
      requestTimeoutMs: context.requestTimeoutMs,
      maxTries: this.maxTries,
      resumeTries: READ_RESUME_TRIES,
      toError: (failure) => toStorageError(failure, context),
    };
  }

  /** A Buffer goes up in one Put Blob (up to 256 MiB); a stream in 4 MiB blocks, 4 at a time. */
  uploadBlob(container: string, blob: string, data: Readable | Buffer, contentType?: string): Promise<void> {
    let client: BlockBlobClient;
    try {
      client = this.blob(container, blob).getBlockBlobClient();
    } catch (err) {
      return Promise.reject(err);
    }
    const blobHTTPHeaders = contentType === undefined ? undefined : { blobContentType: contentType };
    if (Buffer.isBuffer(data)) {
      return this.call(async () => {
        await client.uploadData(data, { blobHTTPHeaders });
      });
    }
    // The caller's stream failing is the caller's error, even if its code is ECONNRESET.
    let sourceError: unknown;
    const remember = (err: unknown) => {
      sourceError ??= err;
    };
    data.once('error', remember);
    return this.call(async () => {
      await client.uploadStream(data, UPLOAD_BLOCK_BYTES, UPLOAD_CONCURRENCY, { blobHTTPHeaders });
    }).then(
      () => {
        data.off('error', remember);
      },
      (err: unknown) => {
        data.off('error', remember);
        throw sourceError ?? err;
      },
    );
  }

  /** Idempotent: a missing blob or container is fine. Snapshots go with the blob. */
  deleteBlob(container: string, blob: string): Promise<void> {
    return this.call(async () => {
      try {
        await this.blob(container, blob).deleteIfExists({ deleteSnapshots: 'include' });
      } catch (err) {
        if (isStorageRequestError(this.mapError(err), 404)) return;
        throw err;
      }
    });
  }

  createContainerSas(container: string, policy: StoredPolicy): Promise<string> {
    let permissions: string;
    try {
      assertPolicyIdentifier(policy.identifier);
      permissions = canonicalPermissions(this.clients().sdk, policy.permissions);
    } catch (err) {
      return Promise.reject(err);
    }
    const client = this.container(container);
    return this.aclLock.run(container, () =>
      this.call(async () => {
        const acl = await client.getAccessPolicy();
        const others = acl.signedIdentifiers.filter((existing) => existing.id !== policy.identifier);
        if (others.length >= MAX_STORED_POLICIES) {
          throw new StorageRequestError(
            `container ${container} already has ${MAX_STORED_POLICIES} stored access policies (${others.map((o) => o.id).join(', ')}), Azure's limit; ` +
              `remove one (delete a locator) before adding ${policy.identifier}`,
            409,
            'TooManyStoredAccessPolicies',
          );
        }
        const identifiers: SignedIdentifier[] = [
          ...others,
          { id: policy.identifier, accessPolicy: { permissions, startsOn: policy.startsOn, expiresOn: policy.expiresOn } },
        ];
        await client.setAccessPolicy(acl.blobPublicAccess, identifiers);
        const { sdk, credential } = this.clients();
        const sas = sdk.generateBlobSASQueryParameters({ containerName: container, identifier: policy.identifier, version: SAS_VERSION }, credential);
        return `?${sas.toString()}`;
      }),
    );
  }

  /** Idempotent: a missing policy or container is fine. */
  removeStoredPolicy(container: string, identifier: string): Promise<void> {
    const client = this.container(container);
    return this.aclLock.run(container, () =>
      this.call(async () => {
        let acl;
        try {
          acl = await client.getAccessPolicy();
        } catch (err) {
          if (isStorageRequestError(this.mapError(err), 404)) return;
          throw err;
        }
        const kept = acl.signedIdentifiers.filter((existing) => existing.id !== identifier);
        if (kept.length === acl.signedIdentifiers.length) return;
        await client.setAccessPolicy(acl.blobPublicAccess, kept);
      }),
    );
  }

  /**
   * Get Account Information. Signed directly when it can be: the health check pings, and its first
   * answer ends every start-up, which would otherwise load the SDK (~300 modules) just for this.
   */
  ping(): Promise<void> {
    if (this.direct) return this.direct.send('GET', '', { restype: 'account', comp: 'properties' }).then(() => undefined);
    return this.call(async () => {
      await this.clients().service.getAccountInfo();
    });
  }

  private container(name: string): ContainerClient {
    return this.clients().service.getContainerClient(name);
  }

  private clients(): NonNullable<SdkBlobStorage['sdkClients']> {
    if (this.sdkClients === undefined) {
      const sdk = loadBlobSdk();
      const credential = new sdk.StorageSharedKeyCredential(this.accountName, this.accountKey);
      const service = new sdk.BlobServiceClient(this.blobEndpoint, createStoragePipeline(sdk, credential, { requestTimeoutMs: this.requestTimeoutMs, maxTries: this.maxTries }));
      this.sdkClients = { sdk, credential, service };
    }
    return this.sdkClients;
  }

  /**
   * The one way to a blob: every blob operation goes through here. Refuses (400) a name that is
   * not plainly inside `container`: one `blobNameEscape` refuses, or one whose URL, once built and
   * normalised by the SDK, names another container or another blob (`a/../../b`, `..`, `\`).
   */
  private blob(container: string, blob: string): BlobClient {
    const escape = blobNameEscape(blob);
    if (escape !== undefined) throw blobOutsideContainer(container, blob, escape);
    let client: BlobClient;
    try {
      client = this.container(container).getBlobClient(blob);
    } catch {
      throw blobOutsideContainer(container, blob, 'it does not make a blob URL');
    }
    if (client.containerName !== container || client.name !== blob) {
      throw blobOutsideContainer(container, blob, `its URL addresses ${JSON.stringify(`${client.containerName}/${client.name}`.slice(0, 200))}`);
    }
    return client;
  }

  private mapError(err: unknown): unknown {
    return toStorageError(err, this.errorContext);
  }

  private async call<T>(operation: () => Promise<T>): Promise<T> {
    try {
      return await operation();
    } catch (err) {
      throw this.mapError(err);
    }
  }

  /**
   * Re-emits the SDK body through a PassThrough whose 'error' is a mapped storage error, and
   * releases the HTTP response if the consumer gives up early.
   */
  private mappedStream(body: NodeJS.ReadableStream): Readable {
    const source = body as Readable;
    const out = new PassThrough();
    source.on('error', (err) => out.destroy(this.mapError(err) as Error));
    out.on('close', () => {
      if (!source.destroyed) source.destroy();
    });
    source.pipe(out);
    return out;
  }
}

function blobInfoFromItem(item: BlobItem): BlobInfo {
  return {
    name: item.name,
    size: item.properties.contentLength ?? 0,
    contentType: item.properties.contentType || undefined,
    contentMd5: md5Base64(item.properties.contentMD5),
    lastModified: item.properties.lastModified,
    etag: item.properties.etag,
  };
}

function blobInfoFromProperties(name: string, properties: BlobGetPropertiesResponse): BlobInfo {
  return {
    name,
    size: properties.contentLength ?? 0,
    contentType: properties.contentType || undefined,
    contentMd5: md5Base64(properties.contentMD5),
    lastModified: properties.lastModified,
    etag: properties.etag,
  };
}

function md5Base64(md5: Uint8Array | undefined): string | undefined {
  return md5 && md5.length > 0 ? Buffer.from(md5).toString('base64') : undefined;
}

function blobOutsideContainer(container: string, blob: string, why: string): StorageRequestError {
  return new StorageRequestError(`the blob name ${JSON.stringify(blob.slice(0, 200))} cannot be used in container ${container}: ${why}`, 400, 'BlobOutsideContainer');
}

function assertByteCount(value: number, name: string): void {
  if (!Number.isSafeInteger(value) || value < 0) throw new RangeError(`${name} must be a non-negative integer, not ${value}`);
}

function assertPolicyIdentifier(identifier: string): void {
  if (identifier.length === 0 || identifier.length > MAX_POLICY_IDENTIFIER_LENGTH) {
    throw new StorageRequestError(`a stored access policy identifier must have 1 to ${MAX_POLICY_IDENTIFIER_LENGTH} characters, not ${identifier.length}`, 400, 'InvalidStoredPolicyIdentifier');
  }
}

/** Validates the letters and puts them in the order Azure expects (`racwdl`). */
function canonicalPermissions(sdk: BlobSdk, permissions: string): string {
  for (const letter of permissions) {
    if (!SAS_PERMISSION_LETTERS.includes(letter)) {
      throw new StorageRequestError(`SAS permission "${letter}" in "${permissions}" is not one of ${SAS_PERMISSION_LETTERS}`, 400, 'InvalidPermission');
    }
  }
  return sdk.ContainerSASPermissions.parse(permissions).toString();
}

async function mapBounded<T, R>(items: readonly T[], concurrency: number, task: (item: T) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const index = next++;
      results[index] = await task(items[index] as T);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, worker));
  return results;
}
