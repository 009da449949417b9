import { AccessPolicy } from '../odata/edm.js';
import type { Services } from '../app/services.js';
import type { StoreReader } from '../store/types.js';
import { COLLECTIONS, INDEXES } from './collections.js';
import { findEntity, newRecord, numberValue, requireValues, type EntityValues } from './entity.js';
import { AccessPermissions } from './enums.js';
import { newId } from './ids.js';
import type { AccessPolicyRecord, LocatorRecord } from './records.js';
import { conflicting, invalid } from './refusal.js';

export type { AccessPolicyRecord } from './records.js';

/**
 * An AccessPolicy: a duration and AccessPermissions that locators are made from. What must hold:
 * it has a Name and a duration of more than 0 minutes and at most 100 years; Permissions is a sum
 * of AccessPermissions flags; it never changes after creation; it cannot be deleted while a locator
 * uses it.
 */

const P = COLLECTIONS.AccessPolicies;

/** The longest duration the service accepted: 100 years. */
const MAX_DURATION_MINUTES = 100 * 365 * 24 * 60;
const ALL_PERMISSIONS = Object.values(AccessPermissions).reduce<number>((all, flag) => all | flag, 0);

export function findAccessPolicy(reader: StoreReader, key: string): AccessPolicyRecord {
  return findEntity<AccessPolicyRecord>(reader, AccessPolicy, P, key);
}

/** The policy of a stored canonical id, if it is still there. */
export function getAccessPolicy(reader: StoreReader, policyId: string): AccessPolicyRecord | undefined {
  return reader.get<AccessPolicyRecord>(P, policyId);
}

/**
 * POST AccessPolicies. The service answered a missing DurationInMinutes with a 500; the emulator
 * says what is missing (400) instead, since a client's mistake is never a server error.
 */
export async function createAccessPolicy(services: Services, values: EntityValues): Promise<AccessPolicyRecord> {
  requireValues(AccessPolicy, values, ['Name', 'DurationInMinutes']);
  const duration = numberValue(values, 'DurationInMinutes')!;
  if (!(duration > 0) || duration > MAX_DURATION_MINUTES) throw invalid(`DurationInMinutes ${duration} must be greater than 0 and at most 100 years`);
  const permissions = numberValue(values, 'Permissions') ?? AccessPermissions.None;
  if (!Number.isInteger(permissions) || permissions < 0 || permissions > ALL_PERMISSIONS) {
    throw invalid(`Permissions ${permissions} is not an AccessPermissions value: a sum of None 0, Read 1, Write 2, Delete 4, List 8`);
  }
  const now = services.now().toISOString();
  const record = newRecord(AccessPolicy, { Created: now, LastModified: now, Permissions: AccessPermissions.None }, values) as AccessPolicyRecord;
  record.Id = newId(AccessPolicy, services.ids.guid());
  await services.store.transaction((tx) => tx.put(P, record.Id, record));
  return record;
}

/** MERGE AccessPolicies('..'): a malformed id is 400 and an unknown one 404, like every set; a known one cannot change. */
export function updateAccessPolicy(services: Services, key: string): never {
  findAccessPolicy(services.store, key);
  throw invalid('AccessPolicies cannot be updated: create a new AccessPolicy instead');
}

/** DELETE AccessPolicies('..'): refused while a locator still uses it, so no locator dangles. */
export async function deleteAccessPolicy(services: Services, key: string): Promise<void> {
  await services.store.transaction((tx) => {
    const id = findAccessPolicy(tx, key).Id;
    const [locator] = tx.lookup<LocatorRecord>(INDEXES.locatorsByPolicy, id);
    if (locator) throw conflicting(`The AccessPolicy '${id}' is used by the locator '${locator.Id}': delete the locator first`);
    tx.delete(P, id);
  });
}
