import { formatNbId } from '../../../client/src/crypto/index.js';
import { AccessPolicy } from '../odata/edm.js';
import { badRequest, conflict } from '../odata/errors.js';
import { COLLECTIONS, INDEXES } from '../model/collections.js';
import { findEntity, newRecord, numberValue, readBody, requireValues } from './common.js';
import type { Services } from '../app/services.js';
import type { ApiRequest, ApiResult } from './context.js';

const P = COLLECTIONS.AccessPolicies;

/** AccessPermissions flags: None 0, Read 1, Write 2, Delete 4, List 8. */
export const PERMISSION_READ = 1;
export const PERMISSION_WRITE = 2;
export const PERMISSION_DELETE = 4;
export const PERMISSION_LIST = 8;

/**
 * POST AccessPolicies. The service answered a missing DurationInMinutes with a 500; the emulator
 * says what is missing (400) instead, since a client's mistake is never a server error.
 */
export async function createAccessPolicy(req: ApiRequest, services: Services): Promise<ApiResult> {
  const body = readBody(req, services, AccessPolicy);
  requireValues(AccessPolicy, body.values, ['Name', 'DurationInMinutes']);
  const duration = numberValue(body.values, 'DurationInMinutes')!;
  if (!(duration > 0) || duration > 100 * 365 * 24 * 60) throw badRequest(`DurationInMinutes ${duration} must be greater than 0 and at most 100 years`);
  const permissions = numberValue(body.values, 'Permissions') ?? 0;
  if (!Number.isInteger(permissions) || permissions < 0 || permissions > 15) {
    throw badRequest(`Permissions ${permissions} is not an AccessPermissions value: a sum of None 0, Read 1, Write 2, Delete 4, List 8`);
  }
  const now = services.now().toISOString();
  const record = newRecord(AccessPolicy, { Created: now, LastModified: now, Permissions: 0 }, body.values);
  record['Id'] = formatNbId('pid', services.ids.guid());
  await services.store.transaction((tx) => tx.put(P, record['Id'] as string, record));
  return { kind: 'entity', type: AccessPolicy, record, status: 201 };
}

/** MERGE AccessPolicies('..'): a malformed id is 400 and an unknown one 404, like every set; a known one cannot change. */
export function updateAccessPolicy(_req: ApiRequest, services: Services, key: string): ApiResult {
  findEntity(services.store, AccessPolicy, P, key);
  throw badRequest('AccessPolicies cannot be updated: create a new AccessPolicy instead');
}

/** DELETE AccessPolicies('..'): refused while a locator still uses it, so no locator dangles. */
export async function deleteAccessPolicy(_req: ApiRequest, services: Services, key: string): Promise<ApiResult> {
  await services.store.transaction((tx) => {
    const policy = findEntity(tx, AccessPolicy, P, key);
    const id = policy['Id'] as string;
    const [locator] = tx.lookup(INDEXES.locatorsByPolicy, id);
    if (locator) throw conflict(`The AccessPolicy '${id}' is used by the locator '${locator['Id']}': delete the locator first`);
    tx.delete(P, id);
  });
  return { kind: 'noContent' };
}
