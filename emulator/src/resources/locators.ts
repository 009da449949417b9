import { AccessPolicy, Asset, Locator } from '../odata/edm.js';
import { badRequest } from '../odata/errors.js';
import { resolveEntityReference } from '../odata/uri.js';
import { stringValue } from '../model/entity.js';
import * as locators from '../model/locator.js';
import { boundKeys, readBody } from './common.js';
import type { Services } from '../app/services.js';
import type { ApiRequest, ApiResult } from './context.js';

/**
 * POST Locators. The asset and policy come from AssetId / AccessPolicyId or from link bindings
 * (`Asset@odata.bind`, `__metadata` links); origin locators are served under this request's host.
 */
export async function createLocator(req: ApiRequest, services: Services): Promise<ApiResult> {
  const body = readBody(req, services, Locator);
  const values = body.values;
  locators.locatorTypeOf(values);
  const assetKey = single('Asset', stringValue(values, 'AssetId'), boundKeys(body, 'Asset', Asset, resolveEntityReference));
  const policyKey = single('AccessPolicy', stringValue(values, 'AccessPolicyId'), boundKeys(body, 'AccessPolicy', AccessPolicy, resolveEntityReference));
  const record = await locators.createLocator(services, { values, assetKey, policyKey, originBase: `${req.baseUrl}origin` });
  return { kind: 'entity', type: Locator, record, status: 201 };
}

/** MERGE Locators('..'): SAS locators are immutable (400); origin locators may move their window. */
export async function updateLocator(req: ApiRequest, services: Services, key: string): Promise<ApiResult> {
  await locators.updateLocator(services, key, readBody(req, services, Locator).values);
  return { kind: 'noContent' };
}

export async function deleteLocator(_req: ApiRequest, services: Services, key: string): Promise<ApiResult> {
  await locators.deleteLocator(services, key);
  return { kind: 'noContent' };
}

function single(navigation: string, fromProperty: string | undefined, fromLinks: string[]): string {
  const all = [...(fromProperty ? [fromProperty] : []), ...fromLinks];
  if (all.length === 0) throw badRequest(`A Locator requires ${navigation}Id (or a link binding its ${navigation})`);
  if (new Set(all.map((a) => a.toLowerCase())).size > 1) throw badRequest(`The Locator names more than one ${navigation}`);
  return all[0]!;
}
