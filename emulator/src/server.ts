import { appendFileSync } from 'node:fs';
import { createServer as createHttpServer, type Server } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { createTokenIssuer } from './auth/tokens.js';
import { defaultConfig, type EmulatorConfig } from './config.js';
import { ContentKeyOpener } from './domain/content-keys.js';
import { createApp } from './http/app.js';
import { RequestLog } from './http/request-log.js';
import { FaultInjector } from './faults/injector.js';
import { createIdGenerator } from './ids.js';
import { startJobs } from './jobs/index.js';
import { originRouter } from './origin/index.js';
import { NO_EVENTS, type Services } from './resources/context.js';
import { loadOrCreateSecrets } from './secrets/index.js';
import { startEmbeddedAzurite } from './storage/azurite.js';
import { startAzuriteProcess } from './storage/azurite-process.js';
import { createBlobStorage } from './storage/blob-storage.js';
import { createVerification } from './verify/index.js';
import type { BlobStorage, EmbeddedAzurite } from './storage/types.js';
import { openStore } from './store/index.js';

export interface RunningEmulator {
  /** The API root, e.g. `http://127.0.0.1:10010/api/`. */
  url: string;
  /** The emulator's own root, e.g. `http://127.0.0.1:10010/`. */
  baseUrl: string;
  storage: {
    connectionString: string;
    blobEndpoint: string;
    accountName: string;
    /** Set when the emulator started its own Azurite. */
    embeddedAzuriteUrl?: string;
  };
  config: EmulatorConfig;
  /** The protection certificate's thumbprint (GetProtectionKeyId). */
  protectionKeyId: string;
  /** All state and the asset containers gone; the protection key and tokens stay valid. */
  reset(): Promise<void>;
  close(): Promise<void>;
}

/** A start-up failure with one line for the user (port in use, locked data dir, storage down). */
export class StartupError extends Error {
  constructor(message: string, override readonly cause?: unknown) {
    super(message);
    this.name = 'StartupError';
  }
}

/**
 * Start an emulator in this process: state store, protection key, storage (an embedded Azurite
 * unless a connection string is given), and the HTTP server. Everything started is stopped again
 * if a later step fails.
 */
export async function startEmulator(overrides: Partial<EmulatorConfig> = {}): Promise<RunningEmulator> {
  const config = defaultConfig(overrides);
  const cleanup: (() => Promise<void>)[] = [];
  /** Set when the store's close (its final snapshot) failed: close() reports it. */
  let storeCloseFailure: unknown;
  const undo = async () => {
    for (const step of cleanup.reverse()) await step().catch(() => undefined);
  };
  try {
    const store = await openStore({ directory: config.location, moveCorruptStateAside: config.moveCorruptStateAside, writeRetryMs: config.limits.storeRetryMs, maxStateChars: config.limits.maxStateChars });
    cleanup.push(() =>
      store.close().catch((err: unknown) => {
        storeCloseFailure = err;
      }),
    );
    const secrets = await loadOrCreateSecrets(config.location);
    const opened = await openStorage(config);
    const azurite = opened.azurite;
    const storage = config.publicBlobEndpoint ? withPublicEndpoint(opened.storage, config.publicBlobEndpoint) : opened.storage;
    if (azurite) cleanup.push(() => azurite.stop());

    const services: Services = {
      config,
      store,
      storage,
      secrets,
      keys: new ContentKeyOpener(secrets.protectionPrivateKey),
      ids: createIdGenerator(config.idSeed),
      now: () => new Date(),
      events: NO_EVENTS,
    };
    const verification = createVerification(services);
    services.events = verification.events;
    cleanup.push(() => verification.close());
    const logError = (message: string, err: unknown) => process.stderr.write(`ams-emulator: ${message}: ${(err as Error)?.stack ?? String(err)}\n`);
    const jobs = await startJobs(services, { log: logError });
    cleanup.push(() => jobs.stop());
    const requests = new RequestLog(config.requestLogSize);
    const faults = new FaultInjector();
    const reset = async () => {
      faults.clear();
      await jobs.abortAll();
      return resetState(services, requests);
    };
    const app = createApp({
      services,
      tokens: createTokenIssuer(secrets.tokenSigningKey),
      requests,
      faults,
      reset,
      azuriteVersion: azurite ? AZURITE_VERSION : undefined,
      accessLog: config.silent ? undefined : (line) => process.stdout.write(`${line}\n`),
      debugLog: config.debugFile ? debugWriter(config.debugFile) : undefined,
      logError,
      extraRoutes: (express) => {
        verification.mount(express);
        express.use('/origin', originRouter(services, { log: logError }));
      },
    });
    const server = await listen(config, app);
    cleanup.push(() => closeServer(server));
    const port = (server.address() as AddressInfo).port;
    const scheme = config.tls ? 'https' : 'http';
    const host = config.host.includes(':') ? `[${config.host}]` : config.host === '0.0.0.0' ? '127.0.0.1' : config.host;
    const baseUrl = `${scheme}://${host}:${port}/`;
    let closed = false;
    return {
      url: `${baseUrl}api/`,
      baseUrl,
      storage: { connectionString: storage.connectionString, blobEndpoint: storage.blobEndpoint, accountName: storage.accountName, embeddedAzuriteUrl: azurite?.url },
      config,
      protectionKeyId: secrets.protection.thumbprint,
      reset: async () => {
        await reset();
      },
      close: async () => {
        if (closed) return;
        closed = true;
        await undo();
        // A final snapshot that could not be written must not end in a silent exit 0.
        if (storeCloseFailure !== undefined) throw storeCloseFailure;
      },
    };
  } catch (err) {
    await undo();
    throw err;
  }
}

export const AZURITE_VERSION = '3.35.0';

async function openStorage(config: EmulatorConfig): Promise<{ storage: BlobStorage; azurite?: EmbeddedAzurite }> {
  if (config.storageConnectionString) {
    const storage = createBlobStorage(config.storageConnectionString);
    try {
      await storage.ping();
    } catch (err) {
      throw new StartupError(`the storage account is unreachable: ${(err as Error).message}`, err);
    }
    return { storage };
  }
  let azurite: EmbeddedAzurite;
  try {
    const options = { host: config.host, port: config.azuritePort, location: config.location ? join(config.location, 'azurite') : undefined };
    azurite = config.embeddedAzurite === 'child-process' ? await startAzuriteProcess(options) : await startEmbeddedAzurite(options);
  } catch (err) {
    throw new StartupError(`the embedded Azurite could not start: ${(err as Error).message}`, err);
  }
  return { storage: createBlobStorage(azurite.connectionString), azurite };
}

/** The same storage, handing clients URLs under `endpoint` (signatures do not depend on the host). */
function withPublicEndpoint(storage: BlobStorage, endpoint: string): BlobStorage {
  const base = endpoint.replace(/\/+$/, '');
  return new Proxy(storage, {
    get(target, property) {
      if (property === 'containerUrl') return (container: string) => `${base}/${container}`;
      if (property === 'blobEndpoint') return base;
      const value: unknown = Reflect.get(target, property, target);
      return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
    },
  });
}

async function listen(config: EmulatorConfig, app: ReturnType<typeof createApp>): Promise<Server> {
  const server = config.tls
    ? createHttpsServer({ cert: await readFile(config.tls.certFile), key: await readFile(config.tls.keyFile) }, app)
    : createHttpServer(app);
  // Bound header size and slow clients, so a hostile client cannot pin the process.
  server.headersTimeout = 20_000;
  server.requestTimeout = Math.max(config.limits.requestTimeoutMs * 2, 60_000);
  server.keepAliveTimeout = 5_000;
  await new Promise<void>((resolve, reject) => {
    const onError = (err: NodeJS.ErrnoException) => {
      server.off('listening', onListening);
      if (err.code === 'EADDRINUSE') reject(new StartupError(`port ${config.port} on ${config.host} is in use: stop what is using it or pass --port 0 for any free port`, err));
      else if (err.code === 'EACCES') reject(new StartupError(`not allowed to listen on ${config.host}:${config.port}: choose a port above 1023`, err));
      else if (err.code === 'EADDRNOTAVAIL') reject(new StartupError(`${config.host} is not an address of this machine`, err));
      else reject(err);
    };
    const onListening = () => {
      server.off('error', onError);
      resolve();
    };
    server.once('error', onError);
    server.once('listening', onListening);
    server.listen(config.port, config.host);
  });
  // HTTP Node's parser refuses never reaches the app: answer with the status that says why, and close.
  server.on('clientError', (err: NodeJS.ErrnoException, socket) => {
    if (!socket.writable || err.code === 'ECONNRESET') {
      socket.destroy();
      return;
    }
    const status = err.code === 'HPE_HEADER_OVERFLOW' ? '431 Request Header Fields Too Large' : err.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? '408 Request Timeout' : '400 Bad Request';
    socket.end(`HTTP/1.1 ${status}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
  });
  return server;
}

function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
}

async function resetState(services: Services, requests: RequestLog): Promise<{ containersDeleted: number }> {
  await services.store.transaction((tx) => tx.clear());
  services.keys.clear();
  requests.clear();
  const containersDeleted = await services.storage.deleteContainersWithPrefix('asset-');
  return { containersDeleted };
}

function debugWriter(file: string): (entry: Record<string, unknown>) => void {
  return (entry) => {
    try {
      appendFileSync(file, `${JSON.stringify(entry)}\n`);
    } catch {
      // A debug log that cannot be written must not take requests down.
    }
  };
}

