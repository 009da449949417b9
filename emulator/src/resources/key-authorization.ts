import { ContentKeyAuthorizationPolicy, ContentKeyAuthorizationPolicyOption } from '../odata/edm.js';
import { readTokenRestrictionTemplate } from '../odata/token-restriction-template.js';
import * as authorization from '../model/content-key-authorization.js';
import type { Services } from '../app/services.js';
import { readBody } from './common.js';
import type { ApiRequest, ApiResult } from './context.js';
import { linkHandlers } from './entity-links.js';
import type { LinkHandler } from './router.js';

export async function createAuthorizationPolicy(req: ApiRequest, services: Services): Promise<ApiResult> {
  const record = await authorization.createAuthorizationPolicy(services, readBody(req, services, ContentKeyAuthorizationPolicy).values);
  return { kind: 'entity', type: ContentKeyAuthorizationPolicy, record, status: 201 };
}

export async function updateAuthorizationPolicy(req: ApiRequest, services: Services, key: string): Promise<ApiResult> {
  await authorization.updateAuthorizationPolicy(services, key, readBody(req, services, ContentKeyAuthorizationPolicy).values);
  return { kind: 'noContent' };
}

export async function removeAuthorizationPolicy(_req: ApiRequest, services: Services, key: string): Promise<ApiResult> {
  await services.store.transaction((tx) => authorization.deleteAuthorizationPolicy(tx, key));
  return { kind: 'noContent' };
}

/** A token restriction's template is XML, the wire's to read: parsed and validated here for the model. */
const checkTemplate: authorization.TemplateCheck = (requirements, where) => {
  readTokenRestrictionTemplate(requirements, where);
};

export async function createAuthorizationOption(req: ApiRequest, services: Services): Promise<ApiResult> {
  const record = await authorization.createAuthorizationOption(services, readBody(req, services, ContentKeyAuthorizationPolicyOption).values, checkTemplate);
  return { kind: 'entity', type: ContentKeyAuthorizationPolicyOption, record, status: 201 };
}

export async function updateAuthorizationOption(req: ApiRequest, services: Services, key: string): Promise<ApiResult> {
  await authorization.updateAuthorizationOption(services, key, readBody(req, services, ContentKeyAuthorizationPolicyOption).values, checkTemplate);
  return { kind: 'noContent' };
}

export async function removeAuthorizationOption(_req: ApiRequest, services: Services, key: string): Promise<ApiResult> {
  await services.store.transaction((tx) => authorization.deleteAuthorizationOption(tx, key));
  return { kind: 'noContent' };
}

/** `ContentKeyAuthorizationPolicies('…')/$links/Options`. */
export const optionLinks: LinkHandler = linkHandlers({
  source: ContentKeyAuthorizationPolicy,
  target: ContentKeyAuthorizationPolicyOption,
  sourceId: (reader, key) => authorization.authorizationPolicyKey(authorization.findAuthorizationPolicy(reader, key).Id),
  linked: (reader, policyId) => authorization.optionsOfPolicy(reader, policyId).map((o) => o.Id),
  link: (tx, policyId, optionKey) => authorization.linkOption(tx, policyId, optionKey),
  unlink: (tx, policyId, optionKey) => authorization.unlinkOption(tx, policyId, optionKey),
});
