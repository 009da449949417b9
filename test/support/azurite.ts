import { startEmbeddedAzurite } from '../../emulator/src/storage/azurite.js';
import { createBlobStorage } from '../../emulator/src/storage/blob-storage.js';
import type { BlobStorage } from '../../emulator/src/storage/types.js';

export interface TestAzurite {
  /** e.g. `http://127.0.0.1:40091` */
  url: string;
  /** devstoreaccount1 with BlobEndpoint `<url>/devstoreaccount1`. */
  connectionString: string;
  /** A gateway over this Azurite (fast-failing: storage-down tests finish in seconds). */
  storage: BlobStorage;
  /** Closes the server and frees its bytes. Idempotent. */
  stop(): Promise<void>;
}

export interface TestAzuriteOptions {
  /** Bytes this Azurite may hold (default 1 GiB); the store is the test's own. */
  memoryLimitBytes?: number;
  /** Per-request timeout of `storage` (default 5000 ms). */
  requestTimeoutMs?: number;
}

/**
 * An isolated in-memory Azurite on a free loopback port, for any test in the project:
 *
 *   let azurite: TestAzurite;
 *   beforeAll(async () => { azurite = await startTestAzurite(); });
 *   afterAll(() => azurite.stop());
 *
 * Each call is a separate server with its own chunk store; stopping one never touches another.
 */
export async function startTestAzurite(options: TestAzuriteOptions = {}): Promise<TestAzurite> {
  const azurite = await startEmbeddedAzurite({ port: 0, memoryLimitBytes: options.memoryLimitBytes ?? 1024 * 1024 * 1024 });
  return {
    url: azurite.url,
    connectionString: azurite.connectionString,
    storage: createBlobStorage(azurite.connectionString, { requestTimeoutMs: options.requestTimeoutMs }),
    stop: () => azurite.stop(),
  };
}
