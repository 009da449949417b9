import type { ComplexTypeDef, EntityActionDef, EntityTypeDef, PropertyDef } from './edm-types.js';

/**
 * Dynamic packaging and content protection: asset delivery policies, content key authorization
 * policies and their options (ams-v2-surface.md §1, §2). The type names follow the other v2 types
 * (`…Models.AssetDeliveryPolicy`); no source printed them, the SDKs never read them (§10).
 */

const id: PropertyDef = { name: 'Id', type: 'Edm.String', nullable: false, serverOwned: true };
const created: PropertyDef = { name: 'Created', type: 'Edm.DateTime', nullable: false, serverOwned: true };
const lastModified: PropertyDef = { name: 'LastModified', type: 'Edm.DateTime', nullable: false, serverOwned: true };

export const AssetDeliveryPolicy: EntityTypeDef = {
  name: 'AssetDeliveryPolicy',
  set: 'AssetDeliveryPolicies',
  idTag: 'adpid',
  key: 'Id',
  properties: [
    id,
    { name: 'Name', type: 'Edm.String', nullable: true, maxLength: 4000 },
    { name: 'AssetDeliveryProtocol', type: 'Edm.Int32', nullable: false, required: true },
    { name: 'AssetDeliveryPolicyType', type: 'Edm.Int32', nullable: false, required: true },
    // A JSON array of {"Key":<int>,"Value":"<string>"} as text, echoed as sent.
    { name: 'AssetDeliveryConfiguration', type: 'Edm.String', nullable: true, maxLength: 64 * 1024 },
    created,
    lastModified,
  ],
  navigation: [],
};

export const ContentKeyAuthorizationPolicyRestriction: ComplexTypeDef = {
  name: 'ContentKeyAuthorizationPolicyRestriction',
  properties: [
    { name: 'Name', type: 'Edm.String', nullable: true },
    { name: 'KeyRestrictionType', type: 'Edm.Int32', nullable: false },
    { name: 'Requirements', type: 'Edm.String', nullable: true },
  ],
};

export const ContentKeyAuthorizationPolicyOption: EntityTypeDef = {
  name: 'ContentKeyAuthorizationPolicyOption',
  set: 'ContentKeyAuthorizationPolicyOptions',
  idTag: 'ckpoid',
  key: 'Id',
  properties: [
    id,
    { name: 'Name', type: 'Edm.String', nullable: true, maxLength: 4000 },
    { name: 'KeyDeliveryType', type: 'Edm.Int32', nullable: false, required: true },
    { name: 'KeyDeliveryConfiguration', type: 'Edm.String', nullable: true, maxLength: 64 * 1024 },
    { name: 'Restrictions', type: 'Edm.String', nullable: false, required: true, complexCollection: ContentKeyAuthorizationPolicyRestriction },
  ],
  navigation: [],
};

export const ContentKeyAuthorizationPolicy: EntityTypeDef = {
  name: 'ContentKeyAuthorizationPolicy',
  set: 'ContentKeyAuthorizationPolicies',
  idTag: 'ckpid',
  key: 'Id',
  properties: [id, { name: 'Name', type: 'Edm.String', nullable: true, maxLength: 4000 }],
  navigation: [{ name: 'Options', target: 'ContentKeyAuthorizationPolicyOptions', many: true }],
};

export const DELIVERY_ENTITY_TYPES: readonly EntityTypeDef[] = [AssetDeliveryPolicy, ContentKeyAuthorizationPolicy, ContentKeyAuthorizationPolicyOption];

/** `POST ContentKeys('<id>')/GetKeyDeliveryUrl` with `{"keyDeliveryType":2}`: the key's delivery URL (§2.5). */
export const DELIVERY_ACTIONS: readonly EntityActionDef[] = [
  { set: 'ContentKeys', name: 'GetKeyDeliveryUrl', parameters: [{ name: 'keyDeliveryType', type: 'Edm.Int32' }], returnType: 'Edm.String' },
];
