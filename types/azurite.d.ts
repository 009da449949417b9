/**
 * Azurite ships no type declarations, and its package `main` is the VS Code extension, so the
 * emulator deep-imports the CommonJS files below (see emulator/src/storage/azurite-modules.ts, the
 * only module that loads them). Each declaration covers exactly what the emulator uses, checked
 * against azurite 3.35.0; `internal` members are not Azurite API and the smoke test
 * emulator/test/storage/azurite-modules.test.ts fails if they move.
 *
 * These modules are CommonJS with `exports.default = ...`; load them with `createRequire` so the
 * shape is the same under Node and under vitest (whose ESM interop would unwrap `default`).
 */

declare module 'azurite/dist/src/blob/BlobServer.js' {
  import type { Server } from 'node:http';
  import type { AzuriteBlobConfiguration } from 'azurite/dist/src/blob/BlobConfiguration.js';

  export type AzuriteServerStatus = 'Closed' | 'Starting' | 'Running' | 'Closing';

  export class AzuriteBlobServer {
    constructor(configuration?: AzuriteBlobConfiguration);
    readonly config: AzuriteBlobConfiguration;
    start(): Promise<void>;
    /** Removes the request listener and stops listening; does not wait for open sockets. */
    close(): Promise<void>;
    /** Only when Closed: deletes the metadata DBs and extents (disk) or the memory category. */
    clean(): Promise<void>;
    /** `http://<address>:<port>`; IPv6 addresses come back without brackets. */
    getHttpServerAddress(): string;
    getStatus(): AzuriteServerStatus;
    /** internal: the `stoppable`-wrapped listener. */
    readonly httpServer: Server;
    /** internal: closes GC, extent and metadata stores; `start()` does not undo `beforeStart()` on failure. */
    afterClose(): Promise<void>;
  }

  const _default: typeof AzuriteBlobServer;
  export default _default;
}

declare module 'azurite/dist/src/blob/BlobConfiguration.js' {
  import type { MemoryExtentChunkStore } from 'azurite/dist/src/common/persistence/MemoryExtentStore.js';

  export interface PersistenceLocation {
    locationId: string;
    locationPath: string;
    maxConcurrency: number;
  }

  export class AzuriteBlobConfiguration {
    constructor(
      host?: string,
      port?: number,
      keepAliveTimeout?: number,
      metadataDBPath?: string,
      extentDBPath?: string,
      persistencePathArray?: PersistenceLocation[],
      enableAccessLog?: boolean,
      accessLogWriteStream?: NodeJS.WritableStream,
      enableDebugLog?: boolean,
      debugLogFilePath?: string,
      loose?: boolean,
      skipApiVersionCheck?: boolean,
      cert?: string,
      key?: string,
      pwd?: string,
      oauth?: string,
      disableProductStyleUrl?: boolean,
      isMemoryPersistence?: boolean,
      memoryStore?: MemoryExtentChunkStore,
    );
    readonly host: string;
    readonly port: number;
    readonly keepAliveTimeout: number;
    readonly metadataDBPath: string;
    readonly extentDBPath: string;
    readonly persistencePathArray: PersistenceLocation[];
    readonly enableAccessLog: boolean;
    readonly enableDebugLog: boolean;
    readonly debugLogFilePath?: string;
    readonly loose: boolean;
    readonly skipApiVersionCheck: boolean;
    readonly disableProductStyleUrl: boolean;
    readonly isMemoryPersistence: boolean;
    readonly memoryStore?: MemoryExtentChunkStore;
  }

  const _default: typeof AzuriteBlobConfiguration;
  export default _default;
}

declare module 'azurite/dist/src/common/persistence/MemoryExtentStore.js' {
  export class MemoryExtentChunkStore {
    /** `undefined` = no limit. */
    constructor(sizeLimit?: number);
    totalSize(): number;
    sizeLimit(): number | undefined;
  }
  /** The process-wide store every in-memory server shares unless given its own. */
  export const SharedChunkStore: MemoryExtentChunkStore;
  /** Half of `os.totalmem()`. */
  export const DEFAULT_EXTENT_MEMORY_LIMIT: number;
}

declare module 'azurite/dist/src/common/Logger.js' {
  /** Process-global: switches Azurite's single debug logger on (to a file, or stdout) or off. */
  export function configLogger(enable: boolean, logFile?: string): void;
}

declare module 'azurite/dist/src/blob/utils/constants.js' {
  export const VERSION: string;
  export const BLOB_API_VERSION: string;
  export const EMULATOR_ACCOUNT_NAME: string;
  export const EMULATOR_ACCOUNT_KEY_STR: string;
}
