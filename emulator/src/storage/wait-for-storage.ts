import type { BlobStorage } from './types.js';

/** Pause between two pings while waiting for storage to come up. */
const WAIT_POLL_MS = 1_000;

export interface StorageWait {
  /** Longest wait; 0 = one ping, no waiting. */
  waitMs: number;
  /** Told once, when the first ping fails and the wait begins. */
  log(message: string): void;
}

/**
 * Ping storage until it answers or `waitMs` has passed. A storage account started alongside the
 * emulator (compose, CI services) may not listen yet when the emulator starts, and not every
 * orchestrator honours "start after healthy" (podman-compose 1.0 ignores it): wait a bounded time
 * rather than exit. Rethrows the last ping's error once the time is up.
 */
export async function waitForStorage(storage: BlobStorage, wait: StorageWait): Promise<void> {
  const deadline = Date.now() + wait.waitMs;
  let told = false;
  for (;;) {
    try {
      await storage.ping();
      return;
    } catch (err) {
      // Announced whenever there is a wait at all, even if the first ping alone used it up (a slow
      // machine, or a start-up busy creating its keys meanwhile): what happened must not depend on timing.
      if (!told && wait.waitMs > 0) {
        told = true;
        wait.log(`waiting up to ${Math.round(wait.waitMs / 1000)} s for the storage account at ${storage.blobEndpoint}: ${(err as Error).message}`);
      }
      if (Date.now() + WAIT_POLL_MS > deadline) throw err;
    }
    await new Promise((resolve) => setTimeout(resolve, WAIT_POLL_MS));
  }
}
