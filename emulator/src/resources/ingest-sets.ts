import { IngestManifest, IngestManifestAsset, IngestManifestFile } from '../odata/edm-ingest.js';
import type { ApiRoutes, EntitySetHandlers } from './router.js';
import {
  assetOfManifestAsset, beforeIngestRead, createIngestManifest, createIngestManifestAsset, createIngestManifestFile, filesOfManifestAsset, manifestAssetsOf,
  removeIngestManifest, removeIngestManifestAsset, removeIngestManifestFile, updateIngestManifest, updateIngestManifestAsset, updateIngestManifestFile,
  type IngestPoller,
} from './ingest.js';
import { storageAccounts } from './static-sets.js';

/**
 * Bulk ingest's part of the API, for `app/compose.ts`: the three sets and their navigations. A
 * read of any of them first lets `poller` (this emulator's upload watcher) move what arrived.
 */
export function ingestRoutes(poller: IngestPoller): ApiRoutes {
  const beforeRead: NonNullable<EntitySetHandlers['beforeRead']> = (req, _services, key) => beforeIngestRead(poller, req, key);
  return {
    sets: [
      { type: IngestManifest, handlers: { create: createIngestManifest, update: updateIngestManifest, remove: removeIngestManifest, beforeRead } },
      { type: IngestManifestAsset, handlers: { create: createIngestManifestAsset, update: updateIngestManifestAsset, remove: removeIngestManifestAsset, beforeRead } },
      { type: IngestManifestFile, handlers: { create: createIngestManifestFile, update: updateIngestManifestFile, remove: removeIngestManifestFile, beforeRead } },
    ],
    functions: [],
    navigations: [
      { type: IngestManifest, nav: 'IngestManifestAssets', resolve: (reader, manifest) => manifestAssetsOf(reader, manifest, false) },
      { type: IngestManifest, nav: 'PendingIngestManifestAssets', resolve: (reader, manifest) => manifestAssetsOf(reader, manifest, true) },
      { type: IngestManifest, nav: 'StorageAccount', resolve: (_reader, _manifest, services) => storageAccounts(services) },
      { type: IngestManifestAsset, nav: 'Asset', resolve: assetOfManifestAsset },
      { type: IngestManifestAsset, nav: 'IngestManifestFiles', resolve: filesOfManifestAsset },
    ],
  };
}
