import { ContentKeyAuthorizationPolicy, ContentKeyAuthorizationPolicyOption } from '../odata/edm.js';
import { readTokenRestrictionTemplate } from '../odata/token-restriction-template.js';
import * as authorization from '../model/content-key-authorization.js';
import type { EntityOperations } from './entity-set.js';
import { linkHandlers } from './entity-links.js';
import type { LinkHandler } from './router.js';

export const authorizationPolicyOperations: EntityOperations = {
  create: ({ services, values }) => authorization.createAuthorizationPolicy(services, values),
  update: ({ services, values }, key) => authorization.updateAuthorizationPolicy(services, key, values),
  remove: ({ services }, key) => services.store.transaction((tx) => authorization.deleteAuthorizationPolicy(tx, key)),
};

/** A token restriction's template is XML, the wire's to read: parsed and validated here for the model. */
const checkTemplate: authorization.TemplateCheck = (requirements, where) => {
  readTokenRestrictionTemplate(requirements, where);
};

export const authorizationOptionOperations: EntityOperations = {
  create: ({ services, values }) => authorization.createAuthorizationOption(services, values, checkTemplate),
  update: ({ services, values }, key) => authorization.updateAuthorizationOption(services, key, values, checkTemplate),
  remove: ({ services }, key) => services.store.transaction((tx) => authorization.deleteAuthorizationOption(tx, key)),
};

/** `ContentKeyAuthorizationPolicies('…')/$links/Options`. */
export const optionLinks: LinkHandler = linkHandlers({
  source: ContentKeyAuthorizationPolicy,
  target: ContentKeyAuthorizationPolicyOption,
  sourceId: (reader, key) => authorization.authorizationPolicyKey(authorization.findAuthorizationPolicy(reader, key).Id),
  linked: (reader, policyId) => authorization.optionsOfPolicy(reader, policyId).map((o) => o.Id),
  link: (tx, policyId, optionKey) => authorization.linkOption(tx, policyId, optionKey),
  unlink: (tx, policyId, optionKey) => authorization.unlinkOption(tx, policyId, optionKey),
});
