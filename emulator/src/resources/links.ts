import { STORAGE_ENCRYPTION } from '../domain/content-keys.js';
import { Asset, ContentKey, type NavigationDef } from '../odata/edm.js';
import { badRequest, conflict, notFound } from '../odata/errors.js';
import { readLinkBody } from '../odata/body.js';
import { canonicalId, checkKey, resolveEntityReference } from '../odata/uri.js';
import { entityUrl } from '../odata/urls.js';
import { recordDeviations, refuseIfStrict } from '../domain/deviations.js';
import { ASSET_KEY_LINKS, COLLECTIONS, linkId } from '../model/collections.js';
import type { AssetKeyLinkRecord } from '../model/records.js';
import { findEntity, linkedKeys } from './common.js';
import type { Services } from '../app/services.js';
import type { ApiRequest, ApiResult } from './context.js';
import { ivReuseOfUnkeyedFiles } from './files.js';

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
  checkKey(ContentKey, target.key);
  await services.store.transaction((tx) => {
    const asset = findEntity(tx, Asset, COLLECTIONS.Assets, assetKey);
    const key = findEntity(tx, ContentKey, COLLECTIONS.ContentKeys, target.key);
    const assetId = asset['Id'] as string;
    const keyId = canonicalId(ContentKey, key['Id'] as string);
    if (tx.has(ASSET_KEY_LINKS, linkId(assetId, keyId))) throw conflict(`The ContentKey '${key['Id']}' is already linked to the asset '${assetId}'`);
    if (asset['Options'] === 1 && key['ContentKeyType'] === STORAGE_ENCRYPTION) {
      const existing = linkedKeys(tx, assetId).find((k) => tx.get(COLLECTIONS.ContentKeys, k)?.['ContentKeyType'] === STORAGE_ENCRYPTION);
      if (existing) throw conflict(`The storage-encrypted asset '${assetId}' already has a StorageEncryption key ('${tx.get(COLLECTIONS.ContentKeys, existing)?.['Id']}'); an asset has exactly one`);
    }
    const link: AssetKeyLinkRecord = { assetId, keyId };
    tx.put(ASSET_KEY_LINKS, linkId(assetId, keyId), link);
    // The asset's files without an EncryptionKeyId are encrypted with this key from now on.
    const deviations = ivReuseOfUnkeyedFiles(tx, assetId);
    refuseIfStrict(services.config.strict, deviations);
    recordDeviations(tx, req.info, deviations, () => services.ids.guid(), services.now());
  });
  return { kind: 'noContent' };
}

export async function removeAssetKeyLink(_req: ApiRequest, services: Services, assetKey: string, nav: NavigationDef, targetKey: string | undefined): Promise<ApiResult> {
  onlyContentKeys(nav);
  if (targetKey === undefined) throw badRequest("Name the key to unlink: DELETE Assets('<id>')/$links/ContentKeys('<key id>')");
  checkKey(ContentKey, targetKey);
  await services.store.transaction((tx) => {
    const asset = findEntity(tx, Asset, COLLECTIONS.Assets, assetKey);
    const id = linkId(asset['Id'] as string, canonicalId(ContentKey, targetKey));
    if (!tx.delete(ASSET_KEY_LINKS, id)) throw notFound(`The ContentKey '${targetKey}' is not linked to the asset '${asset['Id']}'`);
  });
  return { kind: 'noContent' };
}

export function listAssetKeyLinks(req: ApiRequest, services: Services, assetKey: string, nav: NavigationDef, targetKey: string | undefined): ApiResult {
  onlyContentKeys(nav);
  const asset = findEntity(services.store, Asset, COLLECTIONS.Assets, assetKey);
  let keys = linkedKeys(services.store, asset['Id'] as string);
  if (targetKey !== undefined) {
    checkKey(ContentKey, targetKey);
    keys = keys.filter((k) => k === canonicalId(ContentKey, targetKey));
    if (keys.length === 0) throw notFound(`The ContentKey '${targetKey}' is not linked to the asset '${asset['Id']}'`);
  }
  const uris = keys.map((k) => entityUrl(req.serviceRoot, ContentKey, String(services.store.get(COLLECTIONS.ContentKeys, k)?.['Id'] ?? k)));
  return { kind: 'links', type: Asset, nav, uris, single: targetKey !== undefined };
}

function onlyContentKeys(nav: NavigationDef): void {
  if (nav.name !== 'ContentKeys') throw badRequest(`$links/${nav.name} is not supported: the emulator links Assets to ContentKeys only`);
}
