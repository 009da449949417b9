/**
 * The media processors the account lists (ams-v2-surface.md §6.1), and what the emulator does with
 * each. A MediaProcessor is read-only and fixed: the service listed the processors of its release,
 * and a task names one by Id. Storage Decryption decrypts for real; Media Encoder Standard and
 * Windows Azure Media Encoder run as simulated encoders (jobs/encoders/); the others are listed, as
 * the service listed them, so lookups by name work, but a task on them is refused as not emulated.
 *
 * Names, Ids and Vendor are sourced; where the sources gave no Version (every processor but
 * Storage Decryption and MES), the Version is the emulator's choice, a number that parses as a
 * double (the Java tests' "latest" pick) and as a .NET `Version`. The two older Windows Azure Media
 * Encoder ids are those the REST reference's samples ran with; listing them as earlier versions of
 * that encoder is the emulator's reading (their names were not stated).
 */
export type MediaProcessorRecord = {
  Id: string;
  Description: string;
  Name: string;
  Sku: string;
  Vendor: string;
  Version: string;
};

/** What a task on the processor does in the emulator. */
export type ProcessorKind = 'storage-decryption' | 'media-encoder-standard' | 'azure-media-encoder' | 'listed-only';

export interface MediaProcessor {
  record: MediaProcessorRecord;
  kind: ProcessorKind;
}

function processor(guid: string, name: string, version: string, kind: ProcessorKind, description = name): MediaProcessor {
  return { record: { Id: `nb:mpid:UUID:${guid}`, Description: description, Name: name, Sku: '', Vendor: 'Microsoft', Version: version }, kind };
}

export const STORAGE_DECRYPTION = processor('aec03716-7c5e-4f68-b592-f4850eba9f10', 'Storage Decryption', '1.6', 'storage-decryption');
export const MEDIA_ENCODER_STANDARD = processor('ff4df607-d419-42f0-bc17-a481b1331e56', 'Media Encoder Standard', '1.1', 'media-encoder-standard');
export const WINDOWS_AZURE_MEDIA_ENCODER = processor('2e7aa8f3-4961-4e0c-b4db-0e0439e524f5', 'Windows Azure Media Encoder', '4.7', 'azure-media-encoder', 'Azure Media Encoder');

export const MEDIA_PROCESSORS: readonly MediaProcessor[] = [
  STORAGE_DECRYPTION,
  MEDIA_ENCODER_STANDARD,
  WINDOWS_AZURE_MEDIA_ENCODER,
  processor('70bdc2c3-ebf4-42a9-8542-5afc1e55d217', 'Windows Azure Media Encoder', '2.1', 'azure-media-encoder', 'Azure Media Encoder'),
  processor('2f381738-c504-4e4a-a38e-d199e207fcd5', 'Windows Azure Media Encoder', '3.7', 'azure-media-encoder', 'Azure Media Encoder'),
  processor('77fea72a-107c-439e-b0bb-f88153b93461', 'Media Encoder Premium Workflow', '1.0', 'listed-only'),
  processor('233e57fc-36bb-4f6f-8f18-3b662747a9f8', 'Azure Media Indexer', '1.2', 'listed-only'),
  processor('074c3899-d9fb-448f-9ae1-4ebcbe633056', 'Azure Media OCR', '1.1', 'listed-only'),
  processor('a2f9afe9-7146-4882-a5f7-da4a85e06a93', 'Windows Azure Media Packager', '2.8', 'listed-only'),
  processor('38a620d8-b8dc-4e39-bb2e-7d589587232b', 'Windows Azure Media Encryptor', '2.8', 'listed-only'),
];

/** The processor with this Id (compared without case, as the service compared ids), if listed. */
export function findProcessor(id: string): MediaProcessor | undefined {
  const wanted = id.trim().toLowerCase();
  return MEDIA_PROCESSORS.find((p) => p.record.Id.toLowerCase() === wanted);
}

/** The processors a task can run, named for messages. */
export function runnableProcessors(): string {
  return MEDIA_PROCESSORS.filter((p) => p.kind !== 'listed-only')
    .map((p) => `${p.record.Id} (${p.record.Name} ${p.record.Version})`)
    .join(', ');
}
