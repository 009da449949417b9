import { IngestManifest, IngestManifestAsset, IngestManifestFile } from '../odata/edm-ingest.js';
import type { ApiRoutes, EntitySetHandlers } from './router.js';
import {
  assetOfManifestAsset, beforeIngestRead, createIngestManifestAsset, filesOfManifestAsset, ingestManifestAssetOperations, ingestManifestFileOperations,
  ingestManifestOperations, manifestAssetsOf, updateIngestManifestAsset, type IngestPoller,
} from './ingest.js';
import { entitySet } from './entity-set.js';
import { storageAccounts } from './static-sets.js';

/**
 * Bulk ingest's part of the API, for `app/compose.ts`: the three sets and their navigations. A
 * read of any of them first lets `poller` (this emulator's upload watcher) move what arrived.
 */
export function ingestRoutes(poller: IngestPoller): ApiRoutes {
  const beforeRead: NonNullable<EntitySetHandlers['beforeRead']> = (req, _services, key) => beforeIngestRead(poller, req, key);
  return {
    sets: [
      entitySet(IngestManifest, ingestManifestOperations, { beforeRead }),
      entitySet(IngestManifestAsset, ingestManifestAssetOperations, { create: createIngestManifestAsset, update: updateIngestManifestAsset, beforeRead }),
      entitySet(IngestManifestFile, ingestManifestFileOperations, { beforeRead }),
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
