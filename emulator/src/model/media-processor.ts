/**
 * The media processors the emulator runs. A MediaProcessor is read-only and fixed: the service
 * listed the processors of its release, and a task names one by Id.
 */
export type MediaProcessorRecord = {
  Id: string;
  Description: string;
  Name: string;
  Sku: string;
  Vendor: string;
  Version: string;
};

/** The one processor the emulator runs (ams-v2-reference.md §7, KAT-4). */
export const STORAGE_DECRYPTION_PROCESSOR: MediaProcessorRecord = {
  Id: 'nb:mpid:UUID:aec03716-7c5e-4f68-b592-f4850eba9f10',
  Description: 'Storage Decryption',
  Name: 'Storage Decryption',
  Sku: '',
  Vendor: 'Microsoft',
  Version: '1.6',
};
