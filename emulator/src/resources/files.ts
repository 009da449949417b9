import { AssetFile } from '../odata/edm.js';
import { badRequest, serviceUnavailable } from '../odata/errors.js';
import { functionParameters } from '../odata/params.js';
import * as files from '../model/asset-file.js';
import { readBody } from './common.js';
import type { Services } from '../app/services.js';
import type { ApiRequest, ApiResult } from './context.js';

// Navigation and jobs/ read this from here until they move to the model.
export { filesOfAsset } from '../model/asset-file.js';

export async function createFile(req: ApiRequest, services: Services): Promise<ApiResult> {
  const record = await files.createFile(services, readBody(req, services, AssetFile).values, req.info);
  return { kind: 'entity', type: AssetFile, record, status: 201 };
}

export async function updateFile(req: ApiRequest, services: Services, key: string): Promise<ApiResult> {
  const body = readBody(req, services, AssetFile);
  try {
    await files.updateFile(services, key, body.values, req.info);
  } catch (err) {
    if (err instanceof files.FileKeptChanging) throw serviceUnavailable(err.message, 1);
    throw err;
  }
  return { kind: 'noContent' };
}

export async function deleteFile(req: ApiRequest, services: Services, key: string): Promise<ApiResult> {
  await files.deleteFile(services, key, req.info);
  return { kind: 'noContent' };
}

/** CreateFileInfos?assetid='..'. */
export async function createFileInfos(req: ApiRequest, services: Services): Promise<ApiResult> {
  const assetKey = functionParameters(req.rawQuery).get('assetid');
  if (assetKey === undefined || assetKey === '') throw badRequest("CreateFileInfos requires the parameter assetid, e.g. CreateFileInfos?assetid='nb:cid:UUID:...'");
  await files.createFileInfos(services, assetKey, req.info);
  return { kind: 'noContent' };
}
