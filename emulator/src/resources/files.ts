import { badRequest, serviceUnavailable } from '../odata/errors.js';
import { functionParameters } from '../odata/params.js';
import * as files from '../model/asset-file.js';
import type { EntityOperations } from './entity-set.js';
import type { Services } from '../app/services.js';
import type { ApiRequest, ApiResult } from './context.js';

// Navigation and jobs/ read this from here until they move to the model.
export { filesOfAsset } from '../model/asset-file.js';

/** A file that kept changing while its update read the blob answers 503 with Retry-After: 1. */
export const fileOperations: EntityOperations = {
  create: ({ services, values, req }) => files.createFile(services, values, req.info),
  update: ({ services, values, req }, key) =>
    files.updateFile(services, key, values, req.info).catch((err: unknown) => {
      throw err instanceof files.FileKeptChanging ? serviceUnavailable(err.message, 1) : err;
    }),
  remove: ({ services, req }, key) => files.deleteFile(services, key, req.info),
};

/** CreateFileInfos?assetid='..'. */
export async function createFileInfos(req: ApiRequest, services: Services): Promise<ApiResult> {
  const assetKey = functionParameters(req.rawQuery).get('assetid');
  if (assetKey === undefined || assetKey === '') throw badRequest("CreateFileInfos requires the parameter assetid, e.g. CreateFileInfos?assetid='nb:cid:UUID:...'");
  await files.createFileInfos(services, assetKey, req.info);
  return { kind: 'noContent' };
}
