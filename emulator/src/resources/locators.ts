import { AccessPolicy, Asset } from '../odata/edm.js';
import { badRequest } from '../odata/errors.js';
import { resolveEntityReference } from '../odata/uri.js';
import { stringValue } from '../model/entity.js';
import * as locators from '../model/locator.js';
import { boundKeys } from './common.js';
import type { EntityOperations } from './entity-set.js';

/**
 * POST Locators: the asset and policy come from AssetId / AccessPolicyId or from link bindings
 * (`Asset@odata.bind`, `__metadata` links); origin locators are served under this request's host.
 * MERGE: SAS locators are immutable (400); origin locators may move their window.
 */
export const locatorOperations: EntityOperations = {
  create: ({ services, req, body, values }) => {
    locators.locatorTypeOf(values);
    const assetKey = single('Asset', stringValue(values, 'AssetId'), boundKeys(body, 'Asset', Asset, resolveEntityReference));
    const policyKey = single('AccessPolicy', stringValue(values, 'AccessPolicyId'), boundKeys(body, 'AccessPolicy', AccessPolicy, resolveEntityReference));
    return locators.createLocator(services, { values, assetKey, policyKey, originBase: `${req.baseUrl}origin` });
  },
  update: ({ services, values }, key) => locators.updateLocator(services, key, values),
  remove: ({ services }, key) => locators.deleteLocator(services, key),
};

function single(navigation: string, fromProperty: string | undefined, fromLinks: string[]): string {
  const all = [...(fromProperty ? [fromProperty] : []), ...fromLinks];
  if (all.length === 0) throw badRequest(`A Locator requires ${navigation}Id (or a link binding its ${navigation})`);
  if (new Set(all.map((a) => a.toLowerCase())).size > 1) throw badRequest(`The Locator names more than one ${navigation}`);
  return all[0]!;
}
