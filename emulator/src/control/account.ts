import type { Request, Response } from 'express';
import type { Services } from '../app/services.js';
import { assetsOfKey } from '../model/asset-key-link.js';
import { findContentKey } from '../model/content-key.js';
import { routeParam, unquote } from './route-param.js';

/**
 * Relations the v2 API cannot answer cheaply, for tools (the dashboard's account browser): a
 * content key's assets would otherwise take a `$links` read of every asset.
 */
export function accountHandlers(services: Services) {
  return {
    keyAssets(req: Request, res: Response): void {
      const key = findContentKey(services.store, unquote(routeParam(req, 'keyId')));
      res.status(200).json({ keyId: key.Id, assets: assetsOfKey(services.store, key.Id).map((asset) => ({ Id: asset.Id, Name: asset.Name })) });
    },
  };
}
