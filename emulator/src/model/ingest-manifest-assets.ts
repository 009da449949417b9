import type { Services } from '../app/services.js';
import { IngestManifestAsset } from '../odata/edm.js';
import type { StoreReader, Transaction } from '../store/types.js';
import { newId } from './ids.js';
import { entityLookups } from './entity.js';
import { COLLECTIONS, INDEXES } from './collections.js';
import { findIngestManifest } from './ingest-manifests.js';
import { invalid, unknown } from './refusal.js';

/**
 * An IngestManifestAsset (ams-v2-surface.md §7.2): one asset of a manifest, its files'
 * destination. The Asset it names is kept under `_internal` (the wire has only the navigation).
 * Deleting it removes its manifest files (`deleteIngestManifestAsset` in ingest-manifest-files.ts).
 */
export type IngestManifestAssetRecord = {
  Id: string;
  Created: string;
  LastModified: string;
  ParentIngestManifestId: string;
  _internal: { assetId: string };
};

const ASSETS = COLLECTIONS.IngestManifestAssets;

/** `assetId`: the stored Id of an existing asset (the handler resolved the binding). */
export function newIngestManifestAsset(tx: StoreReader, services: Pick<Services, 'ids' | 'now'>, parentKey: string, assetId: string): IngestManifestAssetRecord {
  const manifest = findIngestManifest(tx, parentKey);
  if (!manifest) throw unknown(`No IngestManifest with Id '${parentKey}' was found`);
  if (tx.lookup<IngestManifestAssetRecord>(INDEXES.ingestAssetsByManifest, manifest.Id).some((a) => a._internal.assetId === assetId)) {
    throw invalid(`The asset '${assetId}' is already in the manifest '${manifest.Id}'`);
  }
  const now = services.now().toISOString();
  return { Id: newId(IngestManifestAsset, services.ids.guid()), Created: now, LastModified: now, ParentIngestManifestId: manifest.Id, _internal: { assetId } };
}

const LOOKUPS = entityLookups<IngestManifestAssetRecord>(IngestManifestAsset, ASSETS);
export const { key: manifestAssetKey, lookup: findIngestManifestAsset } = LOOKUPS;

export function putIngestManifestAsset(tx: Transaction, record: IngestManifestAssetRecord): void {
  tx.put(ASSETS, manifestAssetKey(record.Id), record);
}

/**
 * Where a manifest asset's files go: the asset's stored Id and its blob container, or undefined
 * when the asset was deleted. (Reads the container where either store schema keeps it.)
 */
export function destinationOf(reader: StoreReader, record: IngestManifestAssetRecord): { assetId: string; container: string } | undefined {
  const asset = reader.get(COLLECTIONS.Assets, record._internal.assetId);
  if (!asset) return undefined;
  const internal = asset['_internal'];
  const container = typeof internal === 'object' && internal !== null && !Array.isArray(internal) ? internal['container'] : asset['_container'];
  return typeof container === 'string' ? { assetId: String(asset['Id']), container } : undefined;
}

/**
 * Why a manifest asset put back (a `$batch` undo) would not fit: its manifest and its asset must
 * exist, and the manifest must not have taken the asset again since. Undefined when it fits.
 */
export function manifestAssetMisfit(reader: StoreReader, record: IngestManifestAssetRecord): string | undefined {
  if (!findIngestManifest(reader, record.ParentIngestManifestId)) return `its manifest '${record.ParentIngestManifestId}' no longer exists`;
  if (!reader.has(COLLECTIONS.Assets, record._internal.assetId)) return `its asset '${record._internal.assetId}' no longer exists`;
  const again = reader.lookup<IngestManifestAssetRecord>(INDEXES.ingestAssetsByManifest, record.ParentIngestManifestId).some((a) => a.Id !== record.Id && a._internal.assetId === record._internal.assetId);
  return again ? `the asset '${record._internal.assetId}' was added to the manifest again since` : undefined;
}
