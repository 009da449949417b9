import { Asset, Locator } from '../odata/edm.js';
import type { JsonRecord } from '../store/types.js';
import { COLLECTIONS, INDEXES } from '../model/collections.js';
import { linkedKeys } from './common.js';
import { filesOfAsset } from './files.js';
import type { NavigationRoute } from './router.js';
import { storageAccounts } from './static-sets.js';

/** The navigations of the storage-encryption entity sets: what each leads to from one entity. */
export const ENTITY_NAVIGATIONS: readonly NavigationRoute[] = [
  { type: Asset, nav: 'Files', resolve: (reader, asset) => filesOfAsset(reader, String(asset['Id'])) },
  {
    type: Asset,
    nav: 'ContentKeys',
    resolve: (reader, asset) =>
      linkedKeys(reader, String(asset['Id'])).flatMap((k) => {
        const key = reader.get(COLLECTIONS.ContentKeys, k);
        return key ? [key] : [];
      }),
  },
  { type: Asset, nav: 'Locators', resolve: (reader, asset) => reader.lookup(INDEXES.locatorsByAsset, String(asset['Id'])) },
  { type: Asset, nav: 'ParentAssets', resolve: () => [] },
  { type: Asset, nav: 'StorageAccount', resolve: (_reader, _asset, services) => storageAccounts(services) },
  { type: Locator, nav: 'Asset', resolve: (reader, locator) => one(reader.get(COLLECTIONS.Assets, String(locator['AssetId']))) },
  { type: Locator, nav: 'AccessPolicy', resolve: (reader, locator) => one(reader.get(COLLECTIONS.AccessPolicies, String(locator['AccessPolicyId']))) },
];

function one(record: JsonRecord | undefined): JsonRecord[] {
  return record ? [record] : [];
}
