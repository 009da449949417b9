import type { ComplexTypeDef, EntityActionDef, EntityTypeDef } from './edm-types.js';
import { complexType, entityType } from './edm-table.js';

/**
 * Dynamic packaging and content protection: asset delivery policies, content key authorization
 * policies and their options (ams-v2-surface.md §1, §2). The type names follow the other v2 types
 * (`…Models.AssetDeliveryPolicy`); no source printed them, the SDKs never read them (§10).
 */

// AssetDeliveryConfiguration: a JSON array of {"Key":<int>,"Value":"<string>"} as text, echoed as sent.
export const AssetDeliveryPolicy: EntityTypeDef = entityType({ name: 'AssetDeliveryPolicy', set: 'AssetDeliveryPolicies', idTag: 'adpid' }, `
  Id                          String    server
  Name                        String?   max=4000
  AssetDeliveryProtocol       Int32     required
  AssetDeliveryPolicyType     Int32     required
  AssetDeliveryConfiguration  String?   max=65536
  Created                     DateTime  server
  LastModified                DateTime  server
`);

export const ContentKeyAuthorizationPolicyRestriction: ComplexTypeDef = complexType('ContentKeyAuthorizationPolicyRestriction', `
  Name                String?
  KeyRestrictionType  Int32
  Requirements        String?
`);

export const ContentKeyAuthorizationPolicyOption: EntityTypeDef = entityType({ name: 'ContentKeyAuthorizationPolicyOption', set: 'ContentKeyAuthorizationPolicyOptions', idTag: 'ckpoid' }, `
  Id                        String   server
  Name                      String?  max=4000
  KeyDeliveryType           Int32    required
  KeyDeliveryConfiguration  String?  max=65536
  Restrictions              String   required collection=ContentKeyAuthorizationPolicyRestriction
`, '', { ContentKeyAuthorizationPolicyRestriction });

export const ContentKeyAuthorizationPolicy: EntityTypeDef = entityType({ name: 'ContentKeyAuthorizationPolicy', set: 'ContentKeyAuthorizationPolicies', idTag: 'ckpid' }, `
  Id    String   server
  Name  String?  max=4000
`, `
  Options  ContentKeyAuthorizationPolicyOptions*
`);

export const DELIVERY_ENTITY_TYPES: readonly EntityTypeDef[] = [AssetDeliveryPolicy, ContentKeyAuthorizationPolicy, ContentKeyAuthorizationPolicyOption];

/** `POST ContentKeys('<id>')/GetKeyDeliveryUrl` with `{"keyDeliveryType":2}`: the key's delivery URL (§2.5). */
export const DELIVERY_ACTIONS: readonly EntityActionDef[] = [
  { set: 'ContentKeys', name: 'GetKeyDeliveryUrl', parameters: [{ name: 'keyDeliveryType', type: 'Edm.Int32' }], returnType: 'Edm.String' },
];
