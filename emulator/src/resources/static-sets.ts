import type { JsonRecord } from '../store/types.js';
import type { Services } from '../app/services.js';

/** The one media processor the emulator runs (ams-v2-reference.md §7, KAT-4). */
export const STORAGE_DECRYPTION_PROCESSOR: JsonRecord = {
  Id: 'nb:mpid:UUID:aec03716-7c5e-4f68-b592-f4850eba9f10',
  Description: 'Storage Decryption',
  Name: 'Storage Decryption',
  Sku: '',
  Vendor: 'Microsoft',
  Version: '1.6',
};

export function mediaProcessors(): JsonRecord[] {
  return [STORAGE_DECRYPTION_PROCESSOR];
}

/** The storage account behind the assets, as the .NET SDK's DefaultStorageAccount lookup expects. */
export function storageAccounts(services: Services): JsonRecord[] {
  return [{ Name: services.storage.accountName, IsDefault: true, BytesUsed: null }];
}
