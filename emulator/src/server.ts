import { appendFileSync } from 'node:fs';
import { createServer as createHttpServer, type Server } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { createTokenIssuer } from './auth/tokens.js';
import { defaultConfig, type EmulatorConfig } from './config.js';
import { ContentKeyOpener } from './domain/content-keys.js';
import { composeApiRouter } from './app/compose.js';
import { controlRoutes } from './control/table.js';
import { createApp } from './http/app.js';
import { handleParserErrors, type ParserRejection } from './http/parser-errors.js';
import { RequestLog } from './http/request-log.js';
import { FaultInjector } from './faults/injector.js';
import { createIdGenerator } from './ids.js';
import { startJobs } from './jobs/index.js';
import { startNotifications } from './notifications/index.js';
import { IngestWatcher } from './ingest/index.js';
import { INGEST_CONTAINER_PREFIX } from './model/ingest-manifests.js';
import { originRouter } from './origin/index.js';
import { keyDeliveryRouter } from './keydelivery/index.js';
import { NO_EVENTS, type Services } from './app/services.js';
import { checkFfmpeg } from './jobs/encoders/ffmpeg.js';
import { loadOrCreateSecrets } from './secrets/index.js';
import type { RsaKeyPair } from '../../client/src/crypto/index.js';
import { startEmbeddedAzurite } from './storage/azurite.js';
import { startSupervisedAzurite, type AzuriteChildStatus } from './storage/azurite-supervisor.js';
import type { ForkedAzurite } from './storage/azurite-process.js';
import { createBlobStorage } from './storage/blob-storage.js';
import { waitForStorage } from './storage/wait-for-storage.js';
import { createVerification } from './verify/index.js';
import type { BlobStorage, EmbeddedAzurite } from './storage/types.js';
import { openStore } from './store/index.js';
import { MODEL_SCHEMA } from './model/schema.js';

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

/** What a caller started ahead of `startEmulator` for it to use. */
export interface StartAhead {
  /**
   * The embedded Azurite's child, forked before the caller loaded this module (the CLI does), so
   * Azurite's modules load while the emulator's do. Used when the config embeds Azurite in a child
   * process, ended otherwise.
   */
  azuriteChild?: ForkedAzurite;
  /**
   * A key pair for the protection key a start-up in an empty data directory (or in memory)
   * creates, being made on the thread pool while this module loads (secrets/key-pair.ts).
   */
  protectionKeyPair?: Promise<RsaKeyPair>;
}

/**
 * Start an emulator in this process: state store, protection key, storage (an embedded Azurite
 * unless a connection string is given), and the HTTP server. Everything started is stopped again
 * if a later step fails.
 */
export async function startEmulator(overrides: Partial<EmulatorConfig> = {}, ahead: StartAhead = {}): Promise<RunningEmulator> {
  const config = defaultConfig(overrides);
  // Asked to transcode with an ffmpeg that does not run: refuse now, not at the first job (nothing is started yet).
  if (config.ffmpegPath !== undefined) {
    try {
      await checkFfmpeg(config.ffmpegPath);
    } catch (err) {
      throw new StartupError((err as Error).message, err);
    }
  }
  const cleanup: (() => Promise<void>)[] = [];
  // Whatever path the start-up takes, a child forked ahead is used by openStorage or ended here.
  cleanup.push(async () => ahead.azuriteChild?.discard());
  /** Set when the store's close (its final snapshot) failed: close() reports it. */
  let storeCloseFailure: unknown;
  const undo = async () => {
    for (const step of cleanup.reverse()) await step().catch(() => undefined);
  };
  try {
    // Storage starts as soon as the store holds the data directory's lock (so no second Azurite
    // opens a locked directory's blobs), and runs while the store reads its state and the secrets
    // load: with thousands of assets both the state and Azurite's own metadata take a while.
    let opening: ReturnType<typeof openStorage> | undefined;
    const stopStorage = async () => (await opening)?.azurite?.stop();
    const onLocked = () => {
      opening = openStorage(config, ahead.azuriteChild);
      // Awaited below, or by stopStorage if the store's open fails first: never left unhandled.
      opening.catch(() => undefined);
      return { stop: stopStorage };
    };
    const store = await openStore({ directory: config.location, schema: MODEL_SCHEMA, moveCorruptStateAside: config.moveCorruptStateAside, writeRetryMs: config.limits.storeRetryMs, maxStateChars: config.limits.maxStateChars, onLocked });
    cleanup.push(() =>
      store.close().catch((err: unknown) => {
        storeCloseFailure = err;
      }),
    );
    // After the store's close in this list, so undo() stops Azurite before the lock is let go.
    cleanup.push(stopStorage);
    if (opening === undefined) throw new Error('the store opened without reporting its lock: storage was not started');
    // Both settle before either failure is thrown: nothing may still be writing once undo() runs.
    const [secretsOutcome, storageOutcome] = await Promise.allSettled([loadOrCreateSecrets(config.location, ahead.protectionKeyPair), opening]);
    if (secretsOutcome.status === 'rejected') throw secretsOutcome.reason;
    if (storageOutcome.status === 'rejected') throw storageOutcome.reason;
    const [secrets, opened] = [secretsOutcome.value, storageOutcome.value];
    const logError = (message: string, err: unknown) => process.stderr.write(`ams-emulator: ${message}: ${(err as Error)?.stack ?? String(err)}\n`);
    const azurite = opened.azurite;
    const storage = config.publicBlobEndpoint ? withPublicEndpoint(opened.storage, config.publicBlobEndpoint) : opened.storage;

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
    const verification = createVerification(services, { log: logError });
    const notifications = startNotifications(services, { log: logError });
    services.events = { ...verification.events, ...notifications.events };
    cleanup.push(() => notifications.stop());
    cleanup.push(() => verification.close());
    const ingest = new IngestWatcher(services, { log: logError });
    ingest.start();
    cleanup.push(() => ingest.stop());
    const jobs = await startJobs(services, { log: logError });
    cleanup.push(() => jobs.stop());
    const requests = new RequestLog(config.requestLogSize);
    const faults = new FaultInjector();
    const reset = async () => {
      faults.clear();
      await jobs.abortAll();
      return resetState(services, requests);
    };
    const debugLog = config.debugFile ? debugWriter(config.debugFile) : undefined;
    const accessLog = config.silent ? undefined : (line: string) => process.stdout.write(`${line}\n`);
    const app = createApp({
      services,
      router: composeApiRouter({ jobs: jobs.runner, ingest }),
      tokens: createTokenIssuer(secrets.tokenSigningKey, config.auth),
      requests,
      faults,
      control: controlRoutes({
        services,
        requests,
        faults,
        verification: verification.control,
        notifications: notifications.control,
        reset,
        azuriteVersion: azurite ? AZURITE_VERSION : undefined,
        ...(opened.azuriteStatus ? { azuriteStatus: opened.azuriteStatus } : {}),
      }),
      accessLog,
      debugLog,
      logError,
      extraRoutes: (express) => {
        express.use('/origin', originRouter(services, { log: logError }));
        express.use('/keydelivery', keyDeliveryRouter(services, { log: logError }));
      },
    });
    const server = await listen(config, app, (rejection) => {
      const { time, method, target, status, requestId, client, code, reason } = rejection;
      requests.add({ time, method, path: target.slice(0, 500), status, latencyMs: 0, requestId, client, rejectedByParser: `${code}: ${reason}` });
      accessLog?.(`- "${method} ${target.slice(0, 300)}" ${status} refused by the HTTP parser: ${reason} ${requestId}`);
      debugLog?.({ ...rejection, rejectedByParser: true });
    });
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

async function openStorage(config: EmulatorConfig, forked: ForkedAzurite | undefined): Promise<{ storage: BlobStorage; azurite?: EmbeddedAzurite; azuriteStatus?: () => AzuriteChildStatus }> {
  if (config.storageConnectionString || config.embeddedAzurite !== 'child-process') forked?.discard();
  if (config.storageConnectionString) {
    const storage = createBlobStorage(config.storageConnectionString);
    try {
      await waitForStorage(storage, { waitMs: config.storageWaitMs, log: (line) => process.stderr.write(`ams-emulator: ${line}\n`) });
    } catch (err) {
      const waited = config.storageWaitMs >= 1000 ? ` after waiting ${Math.round(config.storageWaitMs / 1000)} s` : '';
      throw new StartupError(`the storage account is unreachable${waited}: ${(err as Error).message}`, err);
    }
    return { storage };
  }
  const options = { host: config.host, port: config.azuritePort, location: config.location ? join(config.location, 'azurite') : undefined };
  try {
    if (config.embeddedAzurite === 'child-process') {
      // A child can die on its own (kill -9, OOM): the supervisor starts another in its place.
      const azurite = await startSupervisedAzurite(options, { log: (line) => process.stderr.write(`ams-emulator: ${line}\n`), ...(forked ? { forked } : {}) });
      return { storage: warmed(createBlobStorage(azurite.connectionString)), azurite, azuriteStatus: () => azurite.status() };
    }
    const azurite = await startEmbeddedAzurite(options);
    return { storage: warmed(createBlobStorage(azurite.connectionString)), azurite };
  } catch (err) {
    throw new StartupError(`the embedded Azurite could not start: ${(err as Error).message}`, err);
  }
}

/**
 * Pings a just-started embedded Azurite without waiting for it. A start-up ends at the first healthy
 * answer, whose ping is the first request either side has made: its first run through Azurite's
 * handlers and the emulator's signing and connection cost 40-50 ms. Sent now, that runs while the
 * start-up finishes and its banner is read, and leaves a kept-alive connection for the health check.
 * Its outcome does not matter: health pings again and reports what it finds.
 */
function warmed(storage: BlobStorage): BlobStorage {
  storage.ping().catch(() => undefined);
  return storage;
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

async function listen(config: EmulatorConfig, app: ReturnType<typeof createApp>, onRejected: (rejection: ParserRejection) => void): Promise<Server> {
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
  // HTTP Node's parser refuses never reaches the app: an obs-fold is unfolded and re-read, anything
  // else is answered with what could not be parsed, and recorded.
  handleParserErrors(server, { connectionEvent: config.tls ? 'secureConnection' : 'connection', onRejected });
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
  const containersDeleted = (await services.storage.deleteContainersWithPrefix('asset-')) + (await services.storage.deleteContainersWithPrefix(INGEST_CONTAINER_PREFIX));
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

