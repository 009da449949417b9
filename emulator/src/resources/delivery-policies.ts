import { Asset, AssetDeliveryPolicy } from '../odata/edm.js';
import * as policies from '../model/asset-delivery-policy.js';
import { findAsset } from '../model/asset.js';
import type { Services } from '../app/services.js';
import { readBody } from './common.js';
import type { ApiRequest, ApiResult } from './context.js';
import { linkHandlers } from './entity-links.js';
import type { LinkHandler } from './router.js';

export async function createDeliveryPolicy(req: ApiRequest, services: Services): Promise<ApiResult> {
  const record = await policies.createDeliveryPolicy(services, readBody(req, services, AssetDeliveryPolicy).values);
  return { kind: 'entity', type: AssetDeliveryPolicy, record, status: 201 };
}

export async function updateDeliveryPolicy(req: ApiRequest, services: Services, key: string): Promise<ApiResult> {
  await policies.updateDeliveryPolicy(services, key, readBody(req, services, AssetDeliveryPolicy).values);
  return { kind: 'noContent' };
}

export async function removeDeliveryPolicy(_req: ApiRequest, services: Services, key: string): Promise<ApiResult> {
  await services.store.transaction((tx) => policies.deleteDeliveryPolicy(tx, key));
  return { kind: 'noContent' };
}

/** `Assets('…')/$links/DeliveryPolicies`. */
export const deliveryPolicyLinks: LinkHandler = linkHandlers({
  source: Asset,
  target: AssetDeliveryPolicy,
  sourceId: (reader, key) => findAsset(reader, key).Id,
  linked: (reader, assetId) => policies.deliveryPoliciesOfAsset(reader, assetId).map((p) => p.Id),
  link: (tx, assetId, policyKey) => policies.linkDeliveryPolicy(tx, assetId, policies.deliveryPolicyKey(policies.findDeliveryPolicy(tx, policyKey).Id)),
  unlink: (tx, assetId, policyKey) => policies.unlinkDeliveryPolicy(tx, assetId, policyKey),
});
