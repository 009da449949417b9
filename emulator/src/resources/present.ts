import { Asset, Locator, type EntityTypeDef } from '../odata/edm.js';
import type { JsonRecord } from '../store/types.js';
import { containerOf, getAsset, type AssetRecord } from '../model/asset.js';
import { LocatorType } from '../model/enums.js';
import { originAddress, type LocatorRecord } from '../model/locator.js';
import { IngestManifest } from '../odata/edm-ingest.js';
import type { IngestManifestRecord } from '../model/ingest-manifests.js';
import type { Services } from '../app/services.js';
import type { ApiRequest, ApiResult } from './context.js';
import { StreamingEndpoint } from '../odata/edm-streaming.js';
import type { StreamingEndpointRecord } from '../model/streaming-endpoint.js';
import { presentStreamingEndpoint } from './streaming-endpoints.js';

/**
 * URLs that name where something is reachable are worked out when answering, not taken from the
 * store: storage may be reachable at another address than when the entity was created (an
 * embedded Azurite on a new port after a restart, `--public-blob-endpoint`), and origin locators
 * follow the Host the client used.
 */
export function present(result: ApiResult, req: ApiRequest, services: Services): ApiResult {
  if (result.kind === 'entity') return { ...result, record: presentRecord(result.type, result.record, req, services) };
  if (result.kind === 'feed') return { ...result, records: result.records.map((r) => presentRecord(result.type, r, req, services)) };
  return result;
}

export function presentRecord(type: EntityTypeDef, record: JsonRecord, req: ApiRequest, services: Services): JsonRecord {
  if (type === Asset) return presentAsset(record as AssetRecord, services);
  if (type === IngestManifest) return presentIngestManifest(record as IngestManifestRecord, services);
  if (type === StreamingEndpoint) return presentStreamingEndpoint(record as StreamingEndpointRecord, req);
  if (type === Locator) return presentLocator(record as LocatorRecord, req, services);
  return record;
}

function presentAsset(asset: AssetRecord, services: Services): AssetRecord {
  if (asset.Uri === null) return asset;
  return { ...asset, Uri: services.storage.containerUrl(containerOf(asset)) };
}

function presentLocator(locator: LocatorRecord, req: ApiRequest, services: Services): LocatorRecord {
  if (locator.Type === LocatorType.Sas) {
    const asset = getAsset(services.store, locator.AssetId);
    if (!asset) return locator;
    const baseUri = services.storage.containerUrl(containerOf(asset));
    return { ...locator, BaseUri: baseUri, Path: baseUri + (locator.ContentAccessComponent ?? '') };
  }
  if (locator.Type === LocatorType.OnDemandOrigin) return { ...locator, ...originAddress(`${req.baseUrl}origin`, String(locator.ContentAccessComponent)) };
  return locator;
}

/** Where a manifest's files are uploaded: its container, as this emulator's storage names it now. */
function presentIngestManifest(manifest: IngestManifestRecord, services: Services): IngestManifestRecord {
  return { ...manifest, BlobStorageUriForUpload: services.storage.containerUrl(manifest._internal.container) };
}
