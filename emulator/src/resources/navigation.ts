import { Asset, Locator } from '../odata/edm.js';
import type { JsonRecord } from '../store/types.js';
import { COLLECTIONS, INDEXES } from '../model/collections.js';
import type { AssetRecord, LocatorRecord } from '../model/records.js';
import { linkedKeys } from './common.js';
import { filesOfAsset } from './files.js';
import type { NavigationRoute } from './router.js';
import { storageAccounts } from './static-sets.js';

/**
 * The navigations of the storage-encryption entity sets: what each leads to from one entity. The
 * router hands each resolver a record of the navigation's own entity type.
 */
export const ENTITY_NAVIGATIONS: readonly NavigationRoute[] = [
  { type: Asset, nav: 'Files', resolve: (reader, asset) => filesOfAsset(reader, (asset as AssetRecord).Id) },
  {
    type: Asset,
    nav: 'ContentKeys',
    resolve: (reader, asset) =>
      linkedKeys(reader, (asset as AssetRecord).Id).flatMap((k) => {
        const key = reader.get(COLLECTIONS.ContentKeys, k);
        return key ? [key] : [];
      }),
  },
  { type: Asset, nav: 'Locators', resolve: (reader, asset) => reader.lookup(INDEXES.locatorsByAsset, (asset as AssetRecord).Id) },
  { type: Asset, nav: 'ParentAssets', resolve: () => [] },
  { type: Asset, nav: 'StorageAccount', resolve: (_reader, _asset, services) => storageAccounts(services) },
  { type: Locator, nav: 'Asset', resolve: (reader, locator) => one(reader.get(COLLECTIONS.Assets, (locator as LocatorRecord).AssetId)) },
  { type: Locator, nav: 'AccessPolicy', resolve: (reader, locator) => one(reader.get(COLLECTIONS.AccessPolicies, (locator as LocatorRecord).AccessPolicyId)) },
];

function one(record: JsonRecord | undefined): JsonRecord[] {
  return record ? [record] : [];
}
