import { Asset, Locator, type EntityTypeDef, type NavigationDef } from '../odata/edm.js';
import type { JsonRecord, StoreReader } from '../store/types.js';
import { COLLECTIONS, INDEXES } from '../model/collections.js';
import { linkedKeys } from './common.js';
import type { Services } from '../app/services.js';
import { filesOfAsset } from './files.js';
import { storageAccounts } from './static-sets.js';
import { DELIVERY_AREA } from './delivery-sets.js';

/** Records a navigation property leads to from one entity. */
export type NavigationResolver = (reader: StoreReader, source: JsonRecord, services: Services) => JsonRecord[];

const resolvers = new Map<string, NavigationResolver>();

export function registerNavigation(type: EntityTypeDef, nav: string, resolver: NavigationResolver): void {
  resolvers.set(`${type.set}/${nav}`, resolver);
}

export function resolveNavigation(type: EntityTypeDef, nav: NavigationDef): NavigationResolver | undefined {
  return resolvers.get(`${type.set}/${nav.name}`);
}

registerNavigation(Asset, 'Files', (reader, asset) => filesOfAsset(reader, String(asset['Id'])));
registerNavigation(Asset, 'ContentKeys', (reader, asset) =>
  linkedKeys(reader, String(asset['Id'])).flatMap((k) => {
    const key = reader.get(COLLECTIONS.ContentKeys, k);
    return key ? [key] : [];
  }),
);
registerNavigation(Asset, 'Locators', (reader, asset) => reader.lookup(INDEXES.locatorsByAsset, String(asset['Id'])));
registerNavigation(Asset, 'ParentAssets', () => []);
registerNavigation(Asset, 'StorageAccount', (_reader, _asset, services) => storageAccounts(services));
registerNavigation(Locator, 'Asset', (reader, locator) => one(reader.get(COLLECTIONS.Assets, String(locator['AssetId']))));
registerNavigation(Locator, 'AccessPolicy', (reader, locator) => one(reader.get(COLLECTIONS.AccessPolicies, String(locator['AccessPolicyId']))));
for (const [type, nav, resolver] of DELIVERY_AREA.navigations) registerNavigation(type, nav, resolver);

function one(record: JsonRecord | undefined): JsonRecord[] {
  return record ? [record] : [];
}

