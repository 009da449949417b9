import { Asset, Locator, type EntityTypeDef } from '../odata/edm.js';
import type { JsonRecord } from '../store/types.js';
import { COLLECTIONS } from '../model/collections.js';
import type { Services } from '../app/services.js';
import type { ApiRequest, ApiResult } from './context.js';
import { LOCATOR_ORIGIN, LOCATOR_SAS } from './locators.js';
import { StreamingEndpoint } from '../odata/edm-streaming.js';
import type { StreamingEndpointRecord } from '../model/streaming-endpoints.js';
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
  if (type === Asset && typeof record['_container'] === 'string' && record['Uri'] !== null) {
    return { ...record, Uri: services.storage.containerUrl(record['_container']) };
  }
  if (type === StreamingEndpoint) return presentStreamingEndpoint(record as StreamingEndpointRecord, req);
  if (type === Locator) {
    if (record['Type'] === LOCATOR_SAS) {
      const asset = services.store.get(COLLECTIONS.Assets, String(record['AssetId']));
      if (!asset || typeof asset['_container'] !== 'string') return record;
      const baseUri = services.storage.containerUrl(asset['_container']);
      return { ...record, BaseUri: baseUri, Path: baseUri + String(record['ContentAccessComponent'] ?? '') };
    }
    if (record['Type'] === LOCATOR_ORIGIN) {
      const baseUri = `${req.baseUrl}origin`;
      return { ...record, BaseUri: baseUri, Path: `${baseUri}/${String(record['ContentAccessComponent'])}/` };
    }
  }
  return record;
}
