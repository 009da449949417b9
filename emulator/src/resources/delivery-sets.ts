import { Asset, AssetDeliveryPolicy, ContentKey, ContentKeyAuthorizationPolicy, ContentKeyAuthorizationPolicyOption } from '../odata/edm.js';
import { deliveryPoliciesOfAsset } from '../model/asset-delivery-policy.js';
import { authorizationPolicyKey, optionsOfPolicy } from '../model/content-key-authorization.js';
import type { AssetRecord, AuthorizationPolicyRecord } from '../model/records.js';
import { deliveryPolicyLinks, deliveryPolicyOperations } from './delivery-policies.js';
import { entitySet } from './entity-set.js';
import { authorizationOptionOperations, authorizationPolicyOperations, optionLinks } from './key-authorization.js';
import { getKeyDeliveryUrl } from './key-delivery-url.js';
import type { ApiRoutes } from './router.js';

/**
 * Content protection and delivery, as one area `app/compose.ts` adds to the core lists: asset
 * delivery policies, content key authorization policies and options, their `$links`, navigations
 * and the GetKeyDeliveryUrl action. The key delivery service itself is `keydelivery/`, outside `/api`.
 */
export const DELIVERY_AREA: Required<ApiRoutes> = {
  sets: [
    entitySet(AssetDeliveryPolicy, deliveryPolicyOperations),
    entitySet(ContentKeyAuthorizationPolicy, authorizationPolicyOperations),
    entitySet(ContentKeyAuthorizationPolicyOption, authorizationOptionOperations),
  ],
  functions: [],
  actions: [{ type: ContentKey, name: 'GetKeyDeliveryUrl', handler: getKeyDeliveryUrl }],
  navigations: [
    { type: Asset, nav: 'DeliveryPolicies', resolve: (reader, asset) => deliveryPoliciesOfAsset(reader, (asset as AssetRecord).Id) },
    { type: ContentKeyAuthorizationPolicy, nav: 'Options', resolve: (reader, policy) => optionsOfPolicy(reader, authorizationPolicyKey((policy as AuthorizationPolicyRecord).Id)) },
  ],
  links: [
    { type: Asset, nav: 'DeliveryPolicies', handler: deliveryPolicyLinks },
    { type: ContentKeyAuthorizationPolicy, nav: 'Options', handler: optionLinks },
  ],
};
