import * as policies from '../model/access-policy.js';
import type { EntityOperations } from './entity-set.js';
import type { KeyHandler } from './router.js';

export const accessPolicyOperations: EntityOperations = {
  create: ({ services, values }) => policies.createAccessPolicy(services, values),
  remove: ({ services }, key) => policies.deleteAccessPolicy(services, key),
};

/** MERGE AccessPolicies('..'): refused by the model whatever the body says, so the body is not read. */
export const updateAccessPolicy: KeyHandler = (_req, services, key) => policies.updateAccessPolicy(services, key);
