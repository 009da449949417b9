import { formatNbId } from '../../../client/src/crypto/index.js';
import { ContentKeyAuthorizationPolicy, ContentKeyAuthorizationPolicyOption } from '../odata/edm-delivery.js';
import { readTokenRestrictionTemplate } from '../odata/token-restriction-template.js';
import { COLLECTIONS } from '../model/collections.js';
import {
  authorizationOptionKey,
  authorizationPolicyKey,
  AUTHORIZATION_OPTION_ID_TAG,
  AUTHORIZATION_POLICY_ID_TAG,
  checkOption,
  ContentKeyRestrictionType,
  deleteAuthorizationOption,
  deleteAuthorizationPolicy,
  findAuthorizationOption,
  findAuthorizationPolicy,
  linkOption,
  optionsOfPolicy,
  unlinkOption,
  type AuthorizationOptionRecord,
  type AuthorizationPolicyRecord,
} from '../model/content-key-authorization.js';
import type { Services } from '../app/services.js';
import { mergeValues, newRecord, readBody, requireValues } from './common.js';
import type { ApiRequest, ApiResult } from './context.js';
import { linkHandlers, type LinkHandlers } from './entity-links.js';

const POLICIES = COLLECTIONS.ContentKeyAuthorizationPolicies;
const OPTIONS = COLLECTIONS.ContentKeyAuthorizationPolicyOptions;

/** POST ContentKeyAuthorizationPolicies: `{"Name":"…"}` is the whole body. */
export async function createAuthorizationPolicy(req: ApiRequest, services: Services): Promise<ApiResult> {
  const body = readBody(req, services, ContentKeyAuthorizationPolicy);
  const record = newRecord(ContentKeyAuthorizationPolicy, {}, body.values) as AuthorizationPolicyRecord;
  record.Id = formatNbId(AUTHORIZATION_POLICY_ID_TAG, services.ids.guid());
  await services.store.transaction((tx) => tx.put(POLICIES, record.Id, record));
  return { kind: 'entity', type: ContentKeyAuthorizationPolicy, record, status: 201 };
}

export async function updateAuthorizationPolicy(req: ApiRequest, services: Services, key: string): Promise<ApiResult> {
  const body = readBody(req, services, ContentKeyAuthorizationPolicy);
  await services.store.transaction((tx) => {
    const current = findAuthorizationPolicy(tx, key);
    tx.put(POLICIES, authorizationPolicyKey(current.Id), mergeValues(ContentKeyAuthorizationPolicy, current, body.values));
  });
  return { kind: 'noContent' };
}

export async function removeAuthorizationPolicy(_req: ApiRequest, services: Services, key: string): Promise<ApiResult> {
  await services.store.transaction((tx) => deleteAuthorizationPolicy(tx, key));
  return { kind: 'noContent' };
}

/** POST ContentKeyAuthorizationPolicyOptions: created alone, then linked to a policy. */
export async function createAuthorizationOption(req: ApiRequest, services: Services): Promise<ApiResult> {
  const body = readBody(req, services, ContentKeyAuthorizationPolicyOption);
  requireValues(ContentKeyAuthorizationPolicyOption, body.values, ['KeyDeliveryType']);
  const record = newRecord(ContentKeyAuthorizationPolicyOption, { Restrictions: [] }, body.values) as AuthorizationOptionRecord;
  record.Id = formatNbId(AUTHORIZATION_OPTION_ID_TAG, services.ids.guid());
  checkOptionRecord(record);
  await services.store.transaction((tx) => tx.put(OPTIONS, record.Id, record));
  return { kind: 'entity', type: ContentKeyAuthorizationPolicyOption, record, status: 201 };
}

/** MERGE/PUT: Name, KeyDeliveryConfiguration and Restrictions may change; the result is checked again. */
export async function updateAuthorizationOption(req: ApiRequest, services: Services, key: string): Promise<ApiResult> {
  const body = readBody(req, services, ContentKeyAuthorizationPolicyOption);
  await services.store.transaction((tx) => {
    const current = findAuthorizationOption(tx, key);
    const next = mergeValues(ContentKeyAuthorizationPolicyOption, current, body.values) as AuthorizationOptionRecord;
    checkOptionRecord(next);
    tx.put(OPTIONS, authorizationOptionKey(current.Id), next);
  });
  return { kind: 'noContent' };
}

export async function removeAuthorizationOption(_req: ApiRequest, services: Services, key: string): Promise<ApiResult> {
  await services.store.transaction((tx) => deleteAuthorizationOption(tx, key));
  return { kind: 'noContent' };
}

/** The model's invariants, then every token template parsed (the XML is the wire's to read). */
function checkOptionRecord(record: AuthorizationOptionRecord): void {
  record.Restrictions ??= [];
  checkOption(record);
  for (const [i, restriction] of record.Restrictions.entries()) {
    if (restriction.KeyRestrictionType === ContentKeyRestrictionType.TokenRestricted) readTokenRestrictionTemplate(restriction.Requirements!, `Restrictions[${i}].Requirements`);
  }
}

/** `ContentKeyAuthorizationPolicies('…')/$links/Options`. */
export const optionLinks: LinkHandlers = linkHandlers({
  source: ContentKeyAuthorizationPolicy,
  target: ContentKeyAuthorizationPolicyOption,
  sourceId: (reader, key) => authorizationPolicyKey(findAuthorizationPolicy(reader, key).Id),
  linked: (reader, policyId) => optionsOfPolicy(reader, policyId).map((o) => o.Id),
  link: (tx, policyId, optionKey) => linkOption(tx, policyId, optionKey),
  unlink: (tx, policyId, optionKey) => unlinkOption(tx, policyId, optionKey),
});
