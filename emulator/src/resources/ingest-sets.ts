import { IngestManifest, IngestManifestAsset, IngestManifestFile } from '../odata/edm-ingest.js';
import type { Services } from '../app/services.js';
import type { JsonRecord, StoreReader } from '../store/types.js';
import type { ApiRequest, ApiResult } from './context.js';
import {
  assetOfManifestAsset, beforeIngestRead, createIngestManifest, createIngestManifestAsset, createIngestManifestFile, filesOfManifestAsset, manifestAssetsOf,
  removeIngestManifest, removeIngestManifestAsset, removeIngestManifestFile, updateIngestManifest, updateIngestManifestAsset, updateIngestManifestFile,
} from './ingest.js';
import { storageAccounts } from './static-sets.js';

type Handler = (req: ApiRequest, services: Services) => Promise<ApiResult>;
type KeyHandler = (req: ApiRequest, services: Services, key: string) => ApiResult | Promise<ApiResult>;
type Handlers = { create: Handler; update: KeyHandler; remove: KeyHandler; beforeRead: (req: ApiRequest, services: Services, key: string | undefined) => Promise<void> };
type Resolver = (reader: StoreReader, source: JsonRecord, services: Services) => JsonRecord[];
type IngestType = typeof IngestManifest | typeof IngestManifestAsset | typeof IngestManifestFile;

/**
 * Bulk ingest's part of the API, for the router and navigation table to compose. The handler
 * types are spelled here rather than imported from router.ts, which imports this file.
 */
export const INGEST_SETS: { sets: [IngestType, Handlers][]; navigations: [IngestType, string, Resolver][] } = {
  sets: [
    [IngestManifest, { create: createIngestManifest, update: updateIngestManifest, remove: removeIngestManifest, beforeRead: beforeIngestRead }],
    [IngestManifestAsset, { create: createIngestManifestAsset, update: updateIngestManifestAsset, remove: removeIngestManifestAsset, beforeRead: beforeIngestRead }],
    [IngestManifestFile, { create: createIngestManifestFile, update: updateIngestManifestFile, remove: removeIngestManifestFile, beforeRead: beforeIngestRead }],
  ],
  navigations: [
    [IngestManifest, 'IngestManifestAssets', (reader, manifest) => manifestAssetsOf(reader, manifest, false)],
    [IngestManifest, 'PendingIngestManifestAssets', (reader, manifest) => manifestAssetsOf(reader, manifest, true)],
    [IngestManifest, 'StorageAccount', (_reader, _manifest, services) => storageAccounts(services)],
    [IngestManifestAsset, 'Asset', assetOfManifestAsset],
    [IngestManifestAsset, 'IngestManifestFiles', filesOfManifestAsset],
  ],
};
