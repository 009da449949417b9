import { Asset, Locator } from '../odata/edm.js';
import type { JsonRecord } from '../store/types.js';
import { getAccessPolicy } from '../model/access-policy.js';
import { getAsset } from '../model/asset.js';
import { keysOfAsset } from '../model/asset-key-link.js';
import { filesOfAsset } from '../model/asset-file.js';
import { locatorsOfAsset } from '../model/locator.js';
import type { AssetRecord, LocatorRecord } from '../model/records.js';
import type { NavigationRoute } from './router.js';
import { storageAccounts } from './static-sets.js';

/**
 * The navigations of the storage-encryption entity sets: what each leads to from one entity. The
 * router hands each resolver a record of the navigation's own entity type.
 */
export const ENTITY_NAVIGATIONS: readonly NavigationRoute[] = [
  { type: Asset, nav: 'Files', resolve: (reader, asset) => filesOfAsset(reader, (asset as AssetRecord).Id) },
  { type: Asset, nav: 'ContentKeys', resolve: (reader, asset) => keysOfAsset(reader, (asset as AssetRecord).Id) },
  { type: Asset, nav: 'Locators', resolve: (reader, asset) => locatorsOfAsset(reader, (asset as AssetRecord).Id) },
  { type: Asset, nav: 'ParentAssets', resolve: () => [] },
  { type: Asset, nav: 'StorageAccount', resolve: (_reader, _asset, services) => storageAccounts(services) },
  { type: Locator, nav: 'Asset', resolve: (reader, locator) => one(getAsset(reader, (locator as LocatorRecord).AssetId)) },
  { type: Locator, nav: 'AccessPolicy', resolve: (reader, locator) => one(getAccessPolicy(reader, (locator as LocatorRecord).AccessPolicyId)) },
];

function one(record: JsonRecord | undefined): JsonRecord[] {
  return record ? [record] : [];
}
