import { randomUUID } from 'node:crypto';
import { mkdir } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { loadAzurite, type AzuriteBlobServer, type AzuriteModules, type AzuriteQueueServer } from './azurite-modules.js';
import { orderAzuriteLookups } from './azurite-lookups.js';
import { DEV_ACCOUNT_KEY, DEV_ACCOUNT_NAME, azuriteConnectionString } from './connection-string.js';
import type { EmbeddedAzurite, EmbeddedAzuriteOptions } from './types.js';

export const DEFAULT_AZURITE_HOST = '127.0.0.1';
export const DEFAULT_AZURITE_PORT = 10000;
/** Azurite's own default for its queue service, next to the blob service's 10000. */
export const DEFAULT_AZURITE_QUEUE_PORT = 10001;

/** File names inside `location`, as the Azurite CLI names them in its workspace. */
export const AZURITE_DISK_LAYOUT = {
  metadataDb: '__azurite_db_blob__.json',
  extentDb: '__azurite_db_blob_extent__.json',
  extentDir: '__blobstorage__',
  queueMetadataDb: '__azurite_db_queue__.json',
  queueExtentDb: '__azurite_db_queue_extent__.json',
  queueExtentDir: '__queuestorage__',
} as const;

/**
 * `host`: an IPv4 address or a name. Azurite listens on an IPv6 literal too, but
 * `@azure/storage-blob` 12.29 cannot reach a bracketed URL host (`getaddrinfo ENOTFOUND [::1]`).
 */
export interface StartEmbeddedAzuriteOptions extends EmbeddedAzuriteOptions {
  /**
   * In memory only: the most blob bytes this server holds (Azurite answers 409
   * `MemoryExtentStoreAtSizeLimit` beyond it). Default: half of the machine's memory, Azurite's own
   * default. `null` = no limit. Deleted bytes are freed by Azurite's GC (every 10 minutes), not at
   * once, so repeated large uploads want disk mode (`location`).
   */
  memoryLimitBytes?: number | null;
  /** Accept any x-ms-version (default true): old clients and SDKs newer than Azurite both work. */
  skipApiVersionCheck?: boolean;
  /** Ignore headers and parameters Azurite does not support instead of refusing them (default false). */
  loose?: boolean;
  /** Azurite's access log (one line per request) to this stream; off when undefined. */
  accessLog?: NodeJS.WritableStream;
  /**
   * Azurite's debug log (headers, SAS string-to-sign) to this file; off when undefined. Azurite has
   * ONE logger per process: while this server runs, every embedded Azurite logs to this file.
   */
  debugLogFile?: string;
}

export interface StartedEmbeddedAzurite extends EmbeddedAzurite {
  /** The address it listens on (the requested one). */
  readonly host: string;
  /** The real port, also when 0 was asked for. */
  readonly port: number;
  /** `url` + `/` + account: what a connection string's BlobEndpoint holds. */
  readonly blobEndpoint: string;
  /** The queue service's real port (job notifications to AzureQueue endpoints). */
  readonly queuePort: number;
  /** What the connection string's QueueEndpoint holds. */
  readonly queueEndpoint: string;
  readonly accountName: string;
  /** The workspace on disk, or undefined in memory. */
  readonly location?: string;
}

/**
 * Starts Azurite's blob service inside this process (no child process, ~10 ms once Azurite's
 * modules are loaded). In memory, each server gets its own chunk store: Azurite's default store is
 * process-wide, and cleaning one server would wipe the bytes of every other. On disk, everything
 * (both LokiJS databases and the extent files) lives under `location`, and a later server on the
 * same `location` sees the same containers and blobs. Nothing is written to the working directory.
 */
export async function startEmbeddedAzurite(options: StartEmbeddedAzuriteOptions = {}): Promise<StartedEmbeddedAzurite> {
  const host = options.host ?? DEFAULT_AZURITE_HOST;
  const requestedPort = options.port ?? DEFAULT_AZURITE_PORT;
  if (!Number.isInteger(requestedPort) || requestedPort < 0 || requestedPort > 65535) {
    throw new RangeError(`Azurite port must be an integer from 0 to 65535, not ${requestedPort}`);
  }
  const azurite = loadAzurite();
  const account = accountFromEnvironment();
  const location = options.location === undefined ? undefined : resolve(options.location);
  if (location !== undefined) await mkdir(location, { recursive: true });
  // In memory, Loki still stats (and `clean()` deletes) its "file": give it a path that cannot exist.
  const paths = location ?? join(tmpdir(), `ams-emulator-azurite-memory-${randomUUID()}`);

  const memoryStore =
    location === undefined
      ? new azurite.MemoryExtentChunkStore(options.memoryLimitBytes === null ? undefined : (options.memoryLimitBytes ?? azurite.defaultExtentMemoryLimit))
      : undefined;
  const config = new azurite.BlobConfiguration(
    host,
    requestedPort,
    5, // keep-alive seconds, Azurite's default
    join(paths, AZURITE_DISK_LAYOUT.metadataDb),
    join(paths, AZURITE_DISK_LAYOUT.extentDb),
    [{ locationId: 'Default', locationPath: join(paths, AZURITE_DISK_LAYOUT.extentDir), maxConcurrency: 50 }],
    options.accessLog !== undefined,
    options.accessLog,
    options.debugLogFile !== undefined,
    options.debugLogFile,
    options.loose ?? false,
    options.skipApiVersionCheck ?? true,
    '', // cert
    '', // key
    '', // pfx password
    undefined, // oauth: shared key and SAS only
    false, // disableProductStyleUrl
    location === undefined,
    memoryStore,
  );

  const server = new azurite.BlobServer(config);
  const closed = new Promise<void>((done) => server.httpServer.once('close', () => done()));
  if (options.debugLogFile !== undefined) claimDebugLog(server, options.debugLogFile);
  try {
    await server.start();
  } catch (err) {
    // start() leaves the stores and the GC loop that beforeStart() opened running.
    await server.afterClose().catch(() => undefined);
    if (location === undefined) await server.clean().catch(() => undefined);
    releaseDebugLog(server);
    throw listenError(err, host, requestedPort);
  }

  orderAzuriteLookups(server);
  const address = server.httpServer.address() as AddressInfo;
  const url = `http://${advertisedHost(address.address)}:${address.port}`;
  const stopBlob = () => stopServer(server, closed, location === undefined);
  let queue: StartedQueue;
  try {
    // Port 0 for blobs means "any free port" for the queue too; otherwise Azurite's neighbouring default.
    const queuePort = options.queuePort ?? (requestedPort === 0 ? 0 : DEFAULT_AZURITE_QUEUE_PORT);
    queue = await startQueueServer(azurite, host, queuePort, paths, location === undefined, options.skipApiVersionCheck ?? true);
  } catch (err) {
    await stopBlob();
    throw err;
  }
  const queueUrl = `http://${advertisedHost(queue.address.address)}:${queue.address.port}`;
  let stopping: Promise<void> | undefined;
  return {
    url,
    host,
    port: address.port,
    blobEndpoint: `${url}/${account.name}`,
    queuePort: queue.address.port,
    queueEndpoint: `${queueUrl}/${account.name}`,
    accountName: account.name,
    connectionString: azuriteConnectionString(url, account.name, account.key, queueUrl),
    location,
    stop() {
      stopping ??= Promise.all([stopBlob(), queue.stop()]).then(() => undefined);
      return stopping;
    },
  };
}

interface StartedQueue {
  address: AddressInfo;
  stop(): Promise<void>;
}

/**
 * Azurite's queue service, for job notifications to AzureQueue endpoints: same host, same account,
 * its data beside the blobs' (in memory, a chunk store of its own, as for blobs).
 */
async function startQueueServer(azurite: AzuriteModules, host: string, port: number, paths: string, inMemory: boolean, skipApiVersionCheck: boolean): Promise<StartedQueue> {
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new RangeError(`Azurite queue port must be an integer from 0 to 65535, not ${port}`);
  const config = new azurite.QueueConfiguration(
    host,
    port,
    5,
    join(paths, AZURITE_DISK_LAYOUT.queueMetadataDb),
    join(paths, AZURITE_DISK_LAYOUT.queueExtentDb),
    [{ locationId: 'Default', locationPath: join(paths, AZURITE_DISK_LAYOUT.queueExtentDir), maxConcurrency: 10 }],
    false,
    undefined,
    false,
    undefined,
    false,
    skipApiVersionCheck,
    '',
    '',
    '',
    undefined,
    false,
    inMemory,
    inMemory ? new azurite.MemoryExtentChunkStore(undefined) : undefined,
  );
  const server = new azurite.QueueServer(config);
  const closed = new Promise<void>((done) => server.httpServer.once('close', () => done()));
  try {
    await server.start();
  } catch (err) {
    await server.afterClose().catch(() => undefined);
    if (inMemory) await server.clean().catch(() => undefined);
    throw listenError(err, host, port, 'queue');
  }
  return { address: server.httpServer.address() as AddressInfo, stop: () => stopServer(server, closed, inMemory) };
}

async function stopServer(server: AzuriteBlobServer | AzuriteQueueServer, closed: Promise<void>, inMemory: boolean): Promise<void> {
  try {
    // Also flushes LokiJS to disk; a GC failure may already have closed the server.
    if (server.getStatus() === 'Running') await server.close();
    // Azurite's close() neither waits for nor ends open sockets (keep-alive clients, a response
    // mid-body), so the port could stay busy and a reader could hang: end them now.
    await new Promise((done) => setImmediate(done));
    server.httpServer.closeAllConnections();
    await Promise.race([closed, new Promise((done) => setTimeout(done, 2_000).unref())]);
    if (inMemory) await server.clean();
  } finally {
    releaseDebugLog(server);
  }
}

/** `AZURITE_ACCOUNTS` (read by Azurite at start) replaces devstoreaccount1: sign with its first account. */
function accountFromEnvironment(): { name: string; key: string } {
  const accounts = process.env.AZURITE_ACCOUNTS?.trim();
  if (!accounts) return { name: DEV_ACCOUNT_NAME, key: DEV_ACCOUNT_KEY };
  const [name, key] = (accounts.split(';')[0] ?? '').split(':');
  if (!name || !key) throw new Error('AZURITE_ACCOUNTS must look like "account1:base64key1[:key2];account2:key..."');
  return { name, key };
}

function advertisedHost(address: string): string {
  // A wildcard bind is reachable on loopback ('::' is dual-stack by default, and the storage SDK
  // cannot reach a bracketed IPv6 host anyway); IPv6 needs brackets in a URL.
  if (address === '0.0.0.0' || address === '::') return '127.0.0.1';
  return address.includes(':') ? `[${address}]` : address;
}

function listenError(err: unknown, host: string, port: number, service: 'blob' | 'queue' = 'blob'): Error {
  const code = (err as { code?: unknown } | null)?.code;
  const reason = err instanceof Error ? err.message : String(err);
  if (code === 'EADDRINUSE') {
    return new Error(`port ${port} is in use: ${host}:${port} already has a listener (another Azurite or emulator?); stop it, pick another port, or use 0 for a free one (${reason})`, { cause: err });
  }
  if (code === 'EACCES') return new Error(`port ${port} on ${host} needs privileges this process lacks; use a port above 1023 (${reason})`, { cause: err });
  if (code === 'EADDRNOTAVAIL') return new Error(`${host} is not an address of this machine, so Azurite cannot listen on it (${reason})`, { cause: err });
  return new Error(`embedded Azurite (${service} service) could not start on ${host}:${port}: ${reason}`, { cause: err });
}

// Azurite's logger is a process singleton: remember which server switched it on, and switch it off
// when that server stops.
let debugLogOwner: AzuriteBlobServer | undefined;

function claimDebugLog(server: AzuriteBlobServer, file: string): void {
  loadAzurite().configLogger(true, file);
  debugLogOwner = server;
}

function releaseDebugLog(server: AzuriteBlobServer | AzuriteQueueServer): void {
  if (debugLogOwner !== server) return;
  debugLogOwner = undefined;
  loadAzurite().configLogger(false);
}
