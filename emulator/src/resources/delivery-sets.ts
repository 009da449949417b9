import { Asset, ContentKey, type EntityTypeDef } from '../odata/edm.js';
import { AssetDeliveryPolicy, ContentKeyAuthorizationPolicy, ContentKeyAuthorizationPolicyOption } from '../odata/edm-delivery.js';
import { deliveryPoliciesOfAsset, type AssetDeliveryPolicyRecord } from '../model/asset-delivery-policies.js';
import { authorizationPolicyKey, optionsOfPolicy, type AuthorizationPolicyRecord } from '../model/content-key-authorization.js';
import type { AssetRecord } from '../model/records.js';
import type { JsonRecord, StoreReader } from '../store/types.js';
import type { Services } from '../app/services.js';
import type { ApiRequest, ApiResult } from './context.js';
import { createDeliveryPolicy, deliveryPolicyLinks, removeDeliveryPolicy, updateDeliveryPolicy } from './delivery-policies.js';
import type { LinkHandlers } from './entity-links.js';
import {
  createAuthorizationOption,
  createAuthorizationPolicy,
  optionLinks,
  removeAuthorizationOption,
  removeAuthorizationPolicy,
  updateAuthorizationOption,
  updateAuthorizationPolicy,
} from './key-authorization.js';
import { getKeyDeliveryUrl } from './key-delivery-url.js';

type Handler = (req: ApiRequest, services: Services) => ApiResult | Promise<ApiResult>;
type KeyHandler = (req: ApiRequest, services: Services, key: string) => ApiResult | Promise<ApiResult>;
type Resolver = (reader: StoreReader, source: JsonRecord, services: Services) => JsonRecord[];

/**
 * Content protection and delivery, as one area the router composes: asset delivery policies,
 * content key authorization policies and options, their `$links`, navigations and the
 * GetKeyDeliveryUrl action. The key delivery service itself is `keydelivery/`, outside `/api`.
 */
export const DELIVERY_AREA: {
  sets: [EntityTypeDef, { create: Handler; update: KeyHandler; remove: KeyHandler }][];
  actions: [EntityTypeDef, string, KeyHandler][];
  navigations: [EntityTypeDef, string, Resolver][];
  links: [EntityTypeDef, string, LinkHandlers][];
} = {
  sets: [
    [AssetDeliveryPolicy, { create: createDeliveryPolicy, update: updateDeliveryPolicy, remove: removeDeliveryPolicy }],
    [ContentKeyAuthorizationPolicy, { create: createAuthorizationPolicy, update: updateAuthorizationPolicy, remove: removeAuthorizationPolicy }],
    [ContentKeyAuthorizationPolicyOption, { create: createAuthorizationOption, update: updateAuthorizationOption, remove: removeAuthorizationOption }],
  ],
  actions: [[ContentKey, 'GetKeyDeliveryUrl', getKeyDeliveryUrl]],
  navigations: [
    [Asset, 'DeliveryPolicies', (reader, asset): AssetDeliveryPolicyRecord[] => deliveryPoliciesOfAsset(reader, (asset as AssetRecord).Id)],
    [ContentKeyAuthorizationPolicy, 'Options', (reader, policy) => optionsOfPolicy(reader, authorizationPolicyKey((policy as AuthorizationPolicyRecord).Id))],
  ],
  links: [
    [Asset, 'DeliveryPolicies', deliveryPolicyLinks],
    [ContentKeyAuthorizationPolicy, 'Options', optionLinks],
  ],
};
