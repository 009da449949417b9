import { Asset, AssetDeliveryPolicy } from '../odata/edm.js';
import * as policies from '../model/asset-delivery-policy.js';
import { findAsset } from '../model/asset.js';
import type { EntityOperations } from './entity-set.js';
import { linkHandlers } from './entity-links.js';
import type { LinkHandler } from './router.js';

export const deliveryPolicyOperations: EntityOperations = {
  create: ({ services, values }) => policies.createDeliveryPolicy(services, values),
  update: ({ services, values }, key) => policies.updateDeliveryPolicy(services, key, values),
  remove: ({ services }, key) => services.store.transaction((tx) => policies.deleteDeliveryPolicy(tx, key)),
};

/** `Assets('…')/$links/DeliveryPolicies`. */
export const deliveryPolicyLinks: LinkHandler = linkHandlers({
  source: Asset,
  target: AssetDeliveryPolicy,
  sourceId: (reader, key) => findAsset(reader, key).Id,
  linked: (reader, assetId) => policies.deliveryPoliciesOfAsset(reader, assetId).map((p) => p.Id),
  link: (tx, assetId, policyKey) => policies.linkDeliveryPolicy(tx, assetId, policies.deliveryPolicyKey(policies.findDeliveryPolicy(tx, policyKey).Id)),
  unlink: (tx, assetId, policyKey) => policies.unlinkDeliveryPolicy(tx, assetId, policyKey),
});
