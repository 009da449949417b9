import type { JsonRecord } from '../store/types.js';
import type { Services } from '../app/services.js';
import { MEDIA_PROCESSORS } from '../model/media-processor.js';

/** The account's media processors (model/media-processor.ts), read-only. */
export function mediaProcessors(): JsonRecord[] {
  return MEDIA_PROCESSORS.map((p) => p.record);
}

/** The storage account behind the assets, as the .NET SDK's DefaultStorageAccount lookup expects. */
export function storageAccounts(services: Services): JsonRecord[] {
  return [{ Name: services.storage.accountName, IsDefault: true, BytesUsed: null }];
}
