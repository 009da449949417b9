import { Asset, ContentKey, type NavigationDef } from '../odata/edm.js';
import { badRequest } from '../odata/errors.js';
import { readLinkBody } from '../odata/body.js';
import { checkKey, resolveEntityReference } from '../odata/uri.js';
import { entityUrl } from '../odata/urls.js';
import { linkedKeyIds, linkKeyToAsset, unlinkKeyFromAsset } from '../model/asset-key-link.js';
import type { Services } from '../app/services.js';
import type { ApiRequest, ApiResult } from './context.js';

/**
 * `Assets('..')/$links/ContentKeys`: the only links the storage-encryption workflow writes. The
 * key is resolved from the URI's path whatever its host (the docs' own example names another host).
 */
export async function addAssetKeyLink(req: ApiRequest, services: Services, assetKey: string, nav: NavigationDef): Promise<ApiResult> {
  onlyContentKeys(nav);
  const uri = readLinkBody(req.body, req.contentType, { maxDepth: services.config.limits.maxBodyDepth });
  const target = resolveEntityReference(uri);
  if (target.type !== ContentKey) throw badRequest(`The $links/ContentKeys body must point to a ContentKey, not ${target.type.set}`);
  // Both ids are checked before either is looked up: a malformed one is 400 whatever exists.
  checkKey(Asset, assetKey);
  await linkKeyToAsset(services, assetKey, target.key, req.info);
  return { kind: 'noContent' };
}

export async function removeAssetKeyLink(_req: ApiRequest, services: Services, assetKey: string, nav: NavigationDef, targetKey: string | undefined): Promise<ApiResult> {
  onlyContentKeys(nav);
  if (targetKey === undefined) throw badRequest("Name the key to unlink: DELETE Assets('<id>')/$links/ContentKeys('<key id>')");
  await unlinkKeyFromAsset(services, assetKey, targetKey);
  return { kind: 'noContent' };
}

export function listAssetKeyLinks(req: ApiRequest, services: Services, assetKey: string, nav: NavigationDef, targetKey: string | undefined): ApiResult {
  onlyContentKeys(nav);
  const uris = linkedKeyIds(services.store, assetKey, targetKey).map((id) => entityUrl(req.serviceRoot, ContentKey, id));
  return { kind: 'links', type: Asset, nav, uris, single: targetKey !== undefined };
}

function onlyContentKeys(nav: NavigationDef): void {
  if (nav.name !== 'ContentKeys') throw badRequest(`$links/${nav.name} is not supported: the emulator links Assets to ContentKeys only`);
}
