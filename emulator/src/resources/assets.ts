import { Asset } from '../odata/edm.js';
import { functionParameters } from '../odata/params.js';
import * as assets from '../model/asset.js';
import type { AssetRecord } from '../model/records.js';
import type { JsonRecord } from '../store/types.js';
import { readBody } from './common.js';
import type { Services } from '../app/services.js';
import type { ApiRequest, ApiResult } from './context.js';

/** POST Assets. */
export async function createAsset(req: ApiRequest, services: Services): Promise<ApiResult> {
  const record = await assets.createAsset(services, readBody(req, services, Asset).values);
  return { kind: 'entity', type: Asset, record, status: 201 };
}

export async function updateAsset(req: ApiRequest, services: Services, key: string): Promise<ApiResult> {
  await assets.updateAsset(services, key, readBody(req, services, Asset).values);
  return { kind: 'noContent' };
}

/** DELETE Assets('..'); `?keepcontainer=true` keeps the blobs. */
export async function deleteAsset(req: ApiRequest, services: Services, key: string): Promise<ApiResult> {
  const keep = (functionParameters(req.rawQuery).get('keepcontainer') ?? '').toLowerCase() === 'true';
  await assets.deleteAsset(services, key, keep, req.info);
  return { kind: 'noContent' };
}
