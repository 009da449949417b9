import { functionParameters } from '../odata/params.js';
import * as assets from '../model/asset.js';
import type { EntityOperations } from './entity-set.js';

/** Assets: POST, MERGE, and DELETE, where `?keepcontainer=true` keeps the blobs. */
export const assetOperations: EntityOperations = {
  create: ({ services, values }) => assets.createAsset(services, values),
  update: ({ services, values }, key) => assets.updateAsset(services, key, values),
  remove: ({ services, req }, key) => assets.deleteAsset(services, key, (functionParameters(req.rawQuery).get('keepcontainer') ?? '').toLowerCase() === 'true', req.info),
};
