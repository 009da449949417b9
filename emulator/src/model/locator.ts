import { AccessPolicy, Locator } from '../odata/edm.js';
import { DATE_TIME_RANGE, dateTimeInRange } from '../odata/values.js';
import { StorageRequestError } from '../storage/types.js';
import type { Services } from '../app/services.js';
import type { StoreReader } from '../store/types.js';
import { findAccessPolicy } from './access-policy.js';
import { containerOf, findAsset, getAsset } from './asset.js';
import { COLLECTIONS, INDEXES } from './collections.js';
import { entityLookups, mergeValues, newRecord, numberValue, stringValue, type EntityValues } from './entity.js';
import { AccessPermissions, LocatorType } from './enums.js';
import { canonicalId, checkKey, locatorGuid, newId } from './ids.js';
import type { LocatorRecord } from './records.js';
import { conflicting, invalid } from './refusal.js';

export type { LocatorRecord } from './records.js';

/**
 * A Locator: a time-bound way in to an asset's files under an access policy. A SAS locator
 * (Type 1) is a real container SAS bound to a stored access policy named by the locator's GUID;
 * an origin locator (Type 2) is served by the emulator itself. What must hold: its asset and policy
 * exist while it does; an asset has at most 5; an origin locator's policy is read-only; it expires
 * within the DateTime range; a SAS locator never changes.
 */

const L = COLLECTIONS.Locators;
/** Azure allows 5 stored access policies per container; AMS allowed 5 locators per asset. */
export const MAX_LOCATORS_PER_ASSET = 5;

/** What a new locator is made of, read from the request (ids from the properties or the bindings). */
export interface LocatorRequest {
  values: EntityValues;
  assetKey: string;
  policyKey: string;
  /** Where origin locators are served (`http://host:port/origin`), following the request's Host. */
  originBase: string;
}

/** findLocator: by a client's key (400/404); getLocator: by a stored canonical id, if it is still there. */
export const { find: findLocator, get: getLocator } = entityLookups<LocatorRecord>(Locator, L);

export function locatorsOfAsset(reader: StoreReader, assetId: string): LocatorRecord[] {
  return reader.lookup<LocatorRecord>(INDEXES.locatorsByAsset, assetId);
}

/** The locator type named in a create, if it is one the emulator makes (Sas or OnDemandOrigin). */
export function locatorTypeOf(values: EntityValues): typeof LocatorType.Sas | typeof LocatorType.OnDemandOrigin {
  const type = numberValue(values, 'Type');
  if (type !== LocatorType.Sas && type !== LocatorType.OnDemandOrigin) throw invalid(`Locator Type ${type ?? '(missing)'} is not supported: use 1 (Sas) or 2 (OnDemandOrigin)`);
  return type;
}

/** POST Locators. */
export async function createLocator(services: Services, request: LocatorRequest): Promise<LocatorRecord> {
  const { values } = request;
  const type = locatorTypeOf(values);
  const asset = findAsset(services.store, request.assetKey);
  const policy = findAccessPolicy(services.store, request.policyKey);
  const permissions = Number(policy.Permissions);
  if (type === LocatorType.OnDemandOrigin && (permissions & (AccessPermissions.Write | AccessPermissions.Delete)) !== 0) {
    throw invalid(`An OnDemandOrigin locator needs a read-only AccessPolicy; '${policy.Id}' grants Write or Delete`);
  }
  const requestedId = stringValue(values, 'Id');
  if (requestedId !== undefined) checkKey(Locator, requestedId);
  const id = requestedId ?? newId(Locator, services.ids.guid());
  const guid = locatorGuid(id);
  const now = services.now();
  const start = stringValue(values, 'StartTime');
  const startsAt = start ? new Date(start) : undefined;
  const expires = new Date((startsAt ?? now).getTime() + Number(policy.DurationInMinutes) * 60_000);
  if (!dateTimeInRange(expires.getTime())) {
    throw invalid(`The locator would expire at ${expires.toISOString()} (StartTime ${(startsAt ?? now).toISOString()} + the AccessPolicy's ${String(policy.DurationInMinutes)} minutes), outside ${DATE_TIME_RANGE}`);
  }
  const record = newRecord(Locator, {}, values) as LocatorRecord;
  Object.assign(record, {
    Id: id,
    Type: type,
    AssetId: asset.Id,
    AccessPolicyId: policy.Id,
    ExpirationDateTime: expires.toISOString(),
    StartTime: startsAt ? startsAt.toISOString() : null,
  });
  const key = canonicalId(Locator, id);
  let storedPolicy = false;
  if (type === LocatorType.Sas) {
    precheck(services.store, key, asset.Id);
    const sas = await createSas(services, containerOf(asset), guid, permissions, startsAt, expires);
    storedPolicy = true;
    const baseUri = services.storage.containerUrl(containerOf(asset));
    Object.assign(record, { BaseUri: baseUri, ContentAccessComponent: sas, Path: baseUri + sas });
  } else {
    Object.assign(record, originAddress(request.originBase, guid));
  }
  try {
    await services.store.transaction((tx) => {
      if (tx.has(L, key)) throw conflicting(`A Locator with Id '${id}' already exists`);
      if (!tx.has(COLLECTIONS.Assets, record.AssetId)) throw invalid(`The asset '${record.AssetId}' no longer exists`);
      // Deleting a policy checks for locators using it, and this one is not stored yet: check here.
      if (!tx.has(COLLECTIONS.AccessPolicies, canonicalId(AccessPolicy, record.AccessPolicyId))) throw invalid(`The AccessPolicy '${record.AccessPolicyId}' no longer exists`);
      if (locatorsOfAsset(tx, record.AssetId).length >= MAX_LOCATORS_PER_ASSET) throw tooMany(record.AssetId);
      tx.put(L, key, record);
    });
  } catch (err) {
    if (storedPolicy) await services.storage.removeStoredPolicy(containerOf(asset), guid).catch(() => undefined);
    throw err;
  }
  return record;
}

/** MERGE Locators('..'): SAS locators are immutable; origin locators may move their window. */
export async function updateLocator(services: Services, key: string, values: EntityValues): Promise<void> {
  await services.store.transaction((tx) => {
    const current = findLocator(tx, key);
    if (current.Type === LocatorType.Sas) throw invalid('A SAS locator cannot be updated: delete it and create a new one');
    const next = mergeValues(Locator, current, values);
    tx.put(L, canonicalId(Locator, key), next);
  });
}

/** DELETE Locators('..'): a SAS locator's stored access policy goes from the container first. */
export async function deleteLocator(services: Services, key: string): Promise<void> {
  const locator = findLocator(services.store, key);
  if (locator.Type === LocatorType.Sas) {
    const asset = getAsset(services.store, locator.AssetId);
    if (asset) await removePolicy(services, containerOf(asset), locatorGuid(locator.Id));
  }
  await services.store.transaction((tx) => {
    tx.delete(L, canonicalId(Locator, key));
  });
}

/** Whether deleting the locator changes storage (a SAS locator's stored access policy), which the store cannot put back. */
export function locatorDeleteReachesStorage(locator: LocatorRecord): boolean {
  return locator.Type !== LocatorType.OnDemandOrigin;
}

/**
 * Where an origin locator is served: BaseUri and Path follow the address the client used, so they
 * are worked out when answering, from the locator's ContentAccessComponent (its GUID).
 */
export function originAddress(originBase: string, contentAccessComponent: string): Pick<LocatorRecord, 'BaseUri' | 'ContentAccessComponent' | 'Path'> {
  return { BaseUri: originBase, ContentAccessComponent: contentAccessComponent, Path: `${originBase}/${contentAccessComponent}/` };
}

/**
 * Why a locator put back (a `$batch` undo) would not fit the state around it, or undefined when it
 * fits: its asset and policy must exist, and the asset must not have its 5 locators already.
 */
export function locatorMisfit(reader: StoreReader, locator: LocatorRecord): string | undefined {
  if (!reader.has(COLLECTIONS.Assets, locator.AssetId)) return `its asset '${locator.AssetId}' no longer exists`;
  if (!reader.has(COLLECTIONS.AccessPolicies, locator.AccessPolicyId)) return `its access policy '${locator.AccessPolicyId}' no longer exists`;
  return locatorsOfAsset(reader, locator.AssetId).length > MAX_LOCATORS_PER_ASSET ? `its asset has ${MAX_LOCATORS_PER_ASSET} locators again` : undefined;
}

function precheck(reader: StoreReader, key: string, assetId: string): void {
  if (reader.has(L, key)) throw conflicting(`A Locator with Id '${key}' already exists`);
  if (locatorsOfAsset(reader, assetId).length >= MAX_LOCATORS_PER_ASSET) throw tooMany(assetId);
}

function tooMany(assetId: string) {
  return conflicting(`The asset '${assetId}' already has ${MAX_LOCATORS_PER_ASSET} locators, the most an asset can have: delete one first`);
}

async function createSas(services: Services, container: string, identifier: string, permissions: number, startsOn: Date | undefined, expiresOn: Date): Promise<string> {
  try {
    return await services.storage.createContainerSas(container, { identifier, permissions: sasPermissions(permissions), startsOn, expiresOn });
  } catch (err) {
    if (err instanceof StorageRequestError && err.statusCode === 409) throw conflicting(`The asset's container already has ${MAX_LOCATORS_PER_ASSET} access policies (one per locator): delete a locator first`);
    // The service answered 409 for a locator on an asset whose container is gone (DOC/ERR).
    if (err instanceof StorageRequestError && err.statusCode === 404) throw conflicting(`The asset's container ${container} no longer exists in storage, so no SAS can be made for it: create a new asset`);
    throw err;
  }
}

async function removePolicy(services: Services, container: string, identifier: string): Promise<void> {
  try {
    await services.storage.removeStoredPolicy(container, identifier);
  } catch (err) {
    if (err instanceof StorageRequestError && err.statusCode === 404) return;
    throw err;
  }
}

/** AccessPermissions to SAS letters, in the canonical order `racwdl`. */
export function sasPermissions(permissions: number): string {
  let out = '';
  if (permissions & AccessPermissions.Read) out += 'r';
  if (permissions & AccessPermissions.Write) out += 'w';
  if (permissions & AccessPermissions.Delete) out += 'd';
  if (permissions & AccessPermissions.List) out += 'l';
  return out;
}
