import type { JsonRecord } from '../store/types.js';
import type { Services } from '../app/services.js';
import { STORAGE_DECRYPTION_PROCESSOR } from '../model/media-processor.js';

export { STORAGE_DECRYPTION_PROCESSOR };

export function mediaProcessors(): JsonRecord[] {
  return [STORAGE_DECRYPTION_PROCESSOR];
}

/** The storage account behind the assets, as the .NET SDK's DefaultStorageAccount lookup expects. */
export function storageAccounts(services: Services): JsonRecord[] {
  return [{ Name: services.storage.accountName, IsDefault: true, BytesUsed: null }];
}
