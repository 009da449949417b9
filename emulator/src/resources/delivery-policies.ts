import { formatNbId } from '../../../client/src/crypto/index.js';
import { Asset } from '../odata/edm.js';
import { AssetDeliveryPolicy } from '../odata/edm-delivery.js';
import { COLLECTIONS } from '../model/collections.js';
import {
  checkDeliveryPolicy,
  checkDeliveryPolicyUpdate,
  deleteDeliveryPolicy,
  deliveryPoliciesOfAsset,
  deliveryPolicyKey,
  DELIVERY_POLICY_ID_TAG,
  findDeliveryPolicy,
  linkDeliveryPolicy,
  unlinkDeliveryPolicy,
  type AssetDeliveryPolicyRecord,
} from '../model/asset-delivery-policies.js';
import type { AssetRecord } from '../model/records.js';
import type { Services } from '../app/services.js';
import { findEntity, mergeValues, newRecord, readBody, requireValues } from './common.js';
import type { ApiRequest, ApiResult } from './context.js';
import { linkHandlers, type LinkHandlers } from './entity-links.js';

const P = COLLECTIONS.AssetDeliveryPolicies;

/** POST AssetDeliveryPolicies: protocol and type required, the configuration checked for its type. */
export async function createDeliveryPolicy(req: ApiRequest, services: Services): Promise<ApiResult> {
  const body = readBody(req, services, AssetDeliveryPolicy);
  requireValues(AssetDeliveryPolicy, body.values, ['AssetDeliveryProtocol', 'AssetDeliveryPolicyType']);
  const now = services.now().toISOString();
  const record = newRecord(AssetDeliveryPolicy, { Created: now, LastModified: now }, body.values) as AssetDeliveryPolicyRecord;
  record.Id = formatNbId(DELIVERY_POLICY_ID_TAG, services.ids.guid());
  checkDeliveryPolicy(record);
  await services.store.transaction((tx) => tx.put(P, record.Id, record));
  return { kind: 'entity', type: AssetDeliveryPolicy, record, status: 201 };
}

/** MERGE/PUT: the merged policy must still be valid, and none of its assets may be streaming. */
export async function updateDeliveryPolicy(req: ApiRequest, services: Services, key: string): Promise<ApiResult> {
  const body = readBody(req, services, AssetDeliveryPolicy);
  await services.store.transaction((tx) => {
    const current = findDeliveryPolicy(tx, key);
    const next = mergeValues(AssetDeliveryPolicy, current, body.values) as AssetDeliveryPolicyRecord;
    checkDeliveryPolicy(next);
    const id = deliveryPolicyKey(current.Id);
    checkDeliveryPolicyUpdate(tx, id);
    next.LastModified = services.now().toISOString();
    tx.put(P, id, next);
  });
  return { kind: 'noContent' };
}

export async function removeDeliveryPolicy(_req: ApiRequest, services: Services, key: string): Promise<ApiResult> {
  await services.store.transaction((tx) => deleteDeliveryPolicy(tx, key));
  return { kind: 'noContent' };
}

/** `Assets('…')/$links/DeliveryPolicies`. */
export const deliveryPolicyLinks: LinkHandlers = linkHandlers({
  source: Asset,
  target: AssetDeliveryPolicy,
  sourceId: (reader, key) => findEntity<AssetRecord>(reader, Asset, COLLECTIONS.Assets, key).Id,
  linked: (reader, assetId) => deliveryPoliciesOfAsset(reader, assetId).map((p) => p.Id),
  link: (tx, assetId, policyKey) => linkDeliveryPolicy(tx, assetId, deliveryPolicyKey(findDeliveryPolicy(tx, policyKey).Id)),
  unlink: (tx, assetId, policyKey) => unlinkDeliveryPolicy(tx, assetId, policyKey),
});
