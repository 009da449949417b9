import type { Services } from '../app/services.js';
import { IngestManifest } from '../odata/edm.js';
import type { StoreReader, Transaction } from '../store/types.js';
import { newId } from './ids.js';
import { entityLookups } from './entity.js';
import { COLLECTIONS, INDEXES } from './collections.js';
import { invalid } from './refusal.js';

/**
 * An IngestManifest (ams-v2-surface.md §7.1): a bulk upload. Its BlobStorageUriForUpload is a real
 * container (`ingest-<guid>`) of the emulator's storage account; the files the manifest lists move
 * from there to their assets as they are uploaded (`ingest/`). Statistics and State follow from
 * its files (`refreshIngestManifest` in ingest-manifest-files.ts, in every transaction that changes
 * one): Inactive (0) when nothing is pending, Active (2) while a file waits for its upload. Deleting it removes its manifest
 * assets and files (the assets themselves stay).
 */
export type IngestStatistics = { PendingFilesCount: number; FinishedFilesCount: number; ErrorFilesCount: number; ErrorFilesDetails: string | null };

export type IngestManifestRecord = {
  Id: string;
  Created: string;
  LastModified: string;
  Name: string | null;
  State: number;
  BlobStorageUriForUpload: string | null;
  Statistics: IngestStatistics;
  StorageAccountName: string | null;
  _internal: { container: string; /** Blobs in the container that name no file of the manifest. */ unexpectedBlobs: string[] };
};

export const IngestManifestState = { Inactive: 0, Activating: 1, Active: 2 } as const;

/** The prefix of every manifest's upload container (reset deletes them). */
export const INGEST_CONTAINER_PREFIX = 'ingest-';

const MANIFESTS = COLLECTIONS.IngestManifests;

export function newIngestManifest(services: Pick<Services, 'ids' | 'now' | 'storage'>, input: { Name: string | undefined; StorageAccountName: string | undefined }): IngestManifestRecord {
  const account = input.StorageAccountName;
  if (account !== undefined) {
    if (account.trim() === '') throw invalid('StorageAccountName cannot be empty: leave it out for the default storage account');
    if (account !== services.storage.accountName) throw invalid(`Cannot find the storage account '${account}': the emulator's storage account is '${services.storage.accountName}'`);
  }
  const guid = services.ids.guid();
  const now = services.now().toISOString();
  const container = `${INGEST_CONTAINER_PREFIX}${guid}`;
  return {
    Id: newId(IngestManifest, guid),
    Created: now,
    LastModified: now,
    Name: input.Name ?? null,
    State: IngestManifestState.Inactive,
    BlobStorageUriForUpload: services.storage.containerUrl(container),
    Statistics: { PendingFilesCount: 0, FinishedFilesCount: 0, ErrorFilesCount: 0, ErrorFilesDetails: null },
    StorageAccountName: account ?? services.storage.accountName,
    _internal: { container, unexpectedBlobs: [] },
  };
}

const LOOKUPS = entityLookups<IngestManifestRecord>(IngestManifest, MANIFESTS);
export const { key: manifestKey, lookup: findIngestManifest } = LOOKUPS;

export function listIngestManifests(reader: StoreReader): IngestManifestRecord[] {
  return [...reader.values<IngestManifestRecord>(MANIFESTS)];
}

export function putIngestManifest(tx: Transaction, record: IngestManifestRecord): void {
  tx.put(MANIFESTS, manifestKey(record.Id), record);
}

/** Delete a manifest with its manifest assets and files; returns its upload container (to delete after). */
export function deleteIngestManifest(tx: Transaction, manifest: IngestManifestRecord): string {
  for (const file of tx.lookup<{ Id: string }>(INDEXES.ingestFilesByManifest, manifest.Id)) tx.delete(COLLECTIONS.IngestManifestFiles, file.Id);
  for (const asset of tx.lookup<{ Id: string }>(INDEXES.ingestAssetsByManifest, manifest.Id)) tx.delete(COLLECTIONS.IngestManifestAssets, asset.Id);
  tx.delete(MANIFESTS, manifestKey(manifest.Id));
  return manifest._internal.container;
}
