import { Module, createRequire } from 'node:module';
import { dirname } from 'node:path';
import type { AzuriteBlobServer } from 'azurite/dist/src/blob/BlobServer.js';
import type { AzuriteBlobConfiguration } from 'azurite/dist/src/blob/BlobConfiguration.js';
import type { MemoryExtentChunkStore } from 'azurite/dist/src/common/persistence/MemoryExtentStore.js';
import type { AzuriteQueueServer } from 'azurite/dist/src/queue/QueueServer.js';

/**
 * The one place that knows Azurite's file layout. Azurite has no programmatic API (its `main` is
 * the VS Code extension, azure/azurite#540), so the embedded server deep-imports these CommonJS
 * files of the pinned azurite 3.35.0. If an upgrade moves them, this module and its smoke test
 * (emulator/test/storage/azurite-modules.test.ts) are all that break.
 */
export const AZURITE_MODULE_PATHS = {
  blobServer: 'azurite/dist/src/blob/BlobServer.js',
  blobConfiguration: 'azurite/dist/src/blob/BlobConfiguration.js',
  memoryExtentStore: 'azurite/dist/src/common/persistence/MemoryExtentStore.js',
  logger: 'azurite/dist/src/common/Logger.js',
  blobConstants: 'azurite/dist/src/blob/utils/constants.js',
  queueServer: 'azurite/dist/src/queue/QueueServer.js',
  queueConfiguration: 'azurite/dist/src/queue/QueueConfiguration.js',
  telemetry: 'azurite/dist/src/common/Telemetry.js',
} as const;

export type { AzuriteBlobServer, AzuriteBlobConfiguration, AzuriteQueueServer, MemoryExtentChunkStore };

export interface AzuriteModules {
  BlobServer: typeof import('azurite/dist/src/blob/BlobServer.js').default;
  BlobConfiguration: typeof import('azurite/dist/src/blob/BlobConfiguration.js').default;
  MemoryExtentChunkStore: typeof import('azurite/dist/src/common/persistence/MemoryExtentStore.js').MemoryExtentChunkStore;
  /** The queue service, started beside the blob service for job notifications. */
  QueueServer: typeof import('azurite/dist/src/queue/QueueServer.js').default;
  QueueConfiguration: typeof import('azurite/dist/src/queue/QueueConfiguration.js').default;
  /** Half of the machine's memory: Azurite's own default for `--extentMemoryLimit`. */
  defaultExtentMemoryLimit: number;
  configLogger: typeof import('azurite/dist/src/common/Logger.js').configLogger;
  /** e.g. `3.35.0` */
  version: string;
  /** The newest x-ms-version this Azurite accepts without `skipApiVersionCheck`. */
  blobApiVersion: string;
  accountName: string;
  accountKey: string;
}

let loaded: AzuriteModules | undefined;

/**
 * Loads Azurite on first use (about 0.4 s), so an emulator pointed at external storage never pays
 * for it. `createRequire` rather than `import`: these are CommonJS files with `exports.default`,
 * which Node's ESM loader and vitest's interop unwrap differently.
 */
export function loadAzurite(): AzuriteModules {
  if (loaded) return loaded;
  const require = createRequire(import.meta.url);
  const load = <T>(path: string): T => {
    try {
      return require(path) as T;
    } catch (err) {
      throw new Error(`cannot load Azurite's ${path} (pinned azurite 3.35.0; did an upgrade move it?): ${(err as Error).message}`, { cause: err });
    }
  };
  standInForTelemetryClient(require);
  for (const unused of LOADED_ON_FIRST_USE) loadOnFirstUse(require, unused);
  const server = load<typeof import('azurite/dist/src/blob/BlobServer.js')>(AZURITE_MODULE_PATHS.blobServer);
  const config = load<typeof import('azurite/dist/src/blob/BlobConfiguration.js')>(AZURITE_MODULE_PATHS.blobConfiguration);
  const memory = load<typeof import('azurite/dist/src/common/persistence/MemoryExtentStore.js')>(AZURITE_MODULE_PATHS.memoryExtentStore);
  const logger = load<typeof import('azurite/dist/src/common/Logger.js')>(AZURITE_MODULE_PATHS.logger);
  const queueServer = load<typeof import('azurite/dist/src/queue/QueueServer.js')>(AZURITE_MODULE_PATHS.queueServer);
  const queueConfig = load<typeof import('azurite/dist/src/queue/QueueConfiguration.js')>(AZURITE_MODULE_PATHS.queueConfiguration);
  const constants = load<typeof import('azurite/dist/src/blob/utils/constants.js')>(AZURITE_MODULE_PATHS.blobConstants);

  const modules: AzuriteModules = {
    BlobServer: expectFunction(server.default, 'BlobServer'),
    BlobConfiguration: expectFunction(config.default, 'BlobConfiguration'),
    MemoryExtentChunkStore: expectFunction(memory.MemoryExtentChunkStore, 'MemoryExtentChunkStore'),
    QueueServer: expectFunction(queueServer.default, 'QueueServer'),
    QueueConfiguration: expectFunction(queueConfig.default, 'QueueConfiguration'),
    defaultExtentMemoryLimit: expectNumber(memory.DEFAULT_EXTENT_MEMORY_LIMIT, 'DEFAULT_EXTENT_MEMORY_LIMIT'),
    configLogger: expectFunction(logger.configLogger, 'configLogger'),
    version: expectString(constants.VERSION, 'VERSION'),
    blobApiVersion: expectString(constants.BLOB_API_VERSION, 'BLOB_API_VERSION'),
    accountName: expectString(constants.EMULATOR_ACCOUNT_NAME, 'EMULATOR_ACCOUNT_NAME'),
    accountKey: expectString(constants.EMULATOR_ACCOUNT_KEY_STR, 'EMULATOR_ACCOUNT_KEY_STR'),
  };
  // Azurite's logger is one process-wide singleton; start with it off (it is off by default, but
  // a CLI run of Azurite in the same process would have switched it on).
  modules.configLogger(false);
  loaded = modules;
  return modules;
}

/** What Azurite's telemetry module gets for `applicationinsights` in the emulator: nothing that can send. */
export const TELEMETRY_STAND_IN = Object.freeze({
  setup(): never {
    throw new Error("the emulator's embedded Azurite sends no telemetry");
  },
});

/**
 * Azurite's telemetry module requires `applicationinsights` (with OpenTelemetry and an Azure core
 * pipeline under it) when it loads: about a third of the time Azurite's modules take to load, on
 * every start-up. Only Azurite's own CLI turns telemetry on (`AzuriteTelemetryClient.init`); the
 * embedded Azurite never does, and an offline emulator must not phone home anyway. So that module
 * finds a stand-in in the require cache whose only entry point throws. Nothing else in the
 * emulator loads `applicationinsights`; if something already has, it is left as it is.
 */
function standInForTelemetryClient(require: NodeJS.Require): void {
  let path: string;
  try {
    path = require.resolve('applicationinsights', { paths: [dirname(require.resolve(AZURITE_MODULE_PATHS.telemetry))] });
  } catch {
    return; // An Azurite without it needs no stand-in.
  }
  if (require.cache[path] !== undefined) return;
  const standIn = new Module(path);
  standIn.filename = path;
  standIn.exports = TELEMETRY_STAND_IN;
  standIn.loaded = true;
  require.cache[path] = standIn;
}

/**
 * Packages Azurite's modules require as they load but only paths an embedded Azurite does not take
 * use: together a quarter of the CPU its modules took to load (~120 of ~500 ms, 166 of 658
 * modules), on the Azurite child's side of every start-up. Each gets a stand-in that loads the real
 * package on its first use, so a path that does take them still works, only later.
 * `from`: a module that requires it, as Azurite's package resolves it.
 */
export const LOADED_ON_FIRST_USE = [
  // Azurite's console and file logs (its configLogger(true)); the emulator keeps them off.
  { name: 'winston', from: 'azurite/dist/src/common/WinstonLoggerStrategy.js' },
  // OAuth bearer tokens (Azurite's --oauth) and user delegation keys; the emulator signs with the account key.
  { name: 'jsonwebtoken', from: 'azurite/dist/src/blob/authentication/BlobTokenAuthenticator.js' },
  // The cookie jar of ms-rest-js's HTTP client; Azurite uses ms-rest-js to serialize, never to send.
  { name: 'tough-cookie', from: '@azure/ms-rest-js' },
] as const;

/**
 * Puts a stand-in for `unused.name` in the require cache: an object that, on any use, loads the
 * real package (it takes the stand-in's place in the cache then) and answers as it does. Skipped
 * when the package is already loaded or cannot be resolved (an Azurite without it).
 */
function loadOnFirstUse(require: NodeJS.Require, unused: { name: string; from: string }): void {
  let path: string;
  try {
    const azurite = dirname(require.resolve('azurite/package.json'));
    path = require.resolve(unused.name, { paths: [dirname(require.resolve(unused.from, { paths: [azurite] }))] });
  } catch {
    return;
  }
  if (require.cache[path] !== undefined) return;
  let real: object | undefined;
  const load = (): object => {
    if (real === undefined) {
      if (require.cache[path] === standIn) delete require.cache[path];
      real = require(path) as object;
    }
    return real;
  };
  const standIn = new Module(path);
  standIn.filename = path;
  standIn.exports = new Proxy(
    {},
    {
      get: (_, key) => Reflect.get(load(), key),
      set: (_, key, value) => Reflect.set(load(), key, value),
      has: (_, key) => Reflect.has(load(), key),
      ownKeys: () => Reflect.ownKeys(load()),
      // Configurable, whatever the real one says: a proxy may not report a fixed property its (empty) target lacks.
      getOwnPropertyDescriptor: (_, key) => {
        const descriptor = Reflect.getOwnPropertyDescriptor(load(), key);
        return descriptor && { ...descriptor, configurable: true };
      },
      defineProperty: (_, key, descriptor) => Reflect.defineProperty(load(), key, descriptor),
      deleteProperty: (_, key) => Reflect.deleteProperty(load(), key),
      getPrototypeOf: () => Reflect.getPrototypeOf(load()),
    },
  );
  standIn.loaded = true;
  require.cache[path] = standIn;
}

function expectFunction<T>(value: T, name: string): T {
  if (typeof value !== 'function') throw new Error(`Azurite no longer exports ${name} where the emulator expects it (got ${typeof value})`);
  return value;
}

function expectNumber(value: unknown, name: string): number {
  if (typeof value !== 'number') throw new Error(`Azurite no longer exports the number ${name} (got ${typeof value})`);
  return value;
}

function expectString(value: unknown, name: string): string {
  if (typeof value !== 'string') throw new Error(`Azurite no longer exports the string ${name} (got ${typeof value})`);
  return value;
}
