import { createRequire } from 'node:module';

export type BlobSdk = typeof import('@azure/storage-blob');
export type QueueSdk = typeof import('@azure/storage-queue');

const load = createRequire(import.meta.url);

/**
 * The Azure storage SDKs, loaded when first used rather than at start-up: with their core
 * packages they are ~300 ES modules, a third of what the emulator's start-up loaded, and neither a
 * start-up nor POST Assets (signed-requests.ts) needs them. `require` loads the CommonJS build
 * synchronously, so the methods that use the SDK without awaiting (directRead's SAS) can too, and
 * caches it: later calls cost a cache lookup.
 */
export function loadBlobSdk(): BlobSdk {
  return load('@azure/storage-blob') as BlobSdk;
}

export function loadQueueSdk(): QueueSdk {
  return load('@azure/storage-queue') as QueueSdk;
}
