import { formatNbId, parseNbId } from '../../../client/src/crypto/index.js';
import { AccessPolicy, Asset, Locator } from '../odata/edm.js';
import { badRequest, conflict } from '../odata/errors.js';
import { canonicalId, checkKey, resolveEntityReference } from '../odata/uri.js';
import { DATE_TIME_RANGE, dateTimeInRange } from '../odata/values.js';
import { StorageRequestError } from '../storage/types.js';
import { PERMISSION_DELETE, PERMISSION_LIST, PERMISSION_READ, PERMISSION_WRITE } from './access-policies.js';
import { containerOf } from './assets.js';
import { COLLECTIONS, INDEXES } from '../model/collections.js';
import { boundKeys, findEntity, mergeValues, newRecord, numberValue, readBody, stringValue } from './common.js';
import type { Services } from '../app/services.js';
import type { ApiRequest, ApiResult } from './context.js';

const L = COLLECTIONS.Locators;
export const LOCATOR_SAS = 1;
export const LOCATOR_ORIGIN = 2;
/** Azure allows 5 stored access policies per container; AMS allowed 5 locators per asset. */
export const MAX_LOCATORS_PER_ASSET = 5;

/**
 * POST Locators. A SAS locator (type 1) is a real container SAS bound to a stored access policy
 * whose identifier is the locator's GUID, as the service minted them (with sv >= 2015-04-05,
 * which Azurite can verify). An origin locator (type 2) is served by the emulator itself.
 */
export async function createLocator(req: ApiRequest, services: Services): Promise<ApiResult> {
  const body = readBody(req, services, Locator);
  const values = body.values;
  const type = numberValue(values, 'Type');
  if (type !== LOCATOR_SAS && type !== LOCATOR_ORIGIN) throw badRequest(`Locator Type ${type ?? '(missing)'} is not supported: use 1 (Sas) or 2 (OnDemandOrigin)`);
  const assetKey = single('Asset', stringValue(values, 'AssetId'), boundKeys(body, 'Asset', Asset, resolveEntityReference));
  const policyKey = single('AccessPolicy', stringValue(values, 'AccessPolicyId'), boundKeys(body, 'AccessPolicy', AccessPolicy, resolveEntityReference));
  const asset = findEntity(services.store, Asset, COLLECTIONS.Assets, assetKey);
  const policy = findEntity(services.store, AccessPolicy, COLLECTIONS.AccessPolicies, policyKey);
  const permissions = Number(policy['Permissions']);
  if (type === LOCATOR_ORIGIN && (permissions & (PERMISSION_WRITE | PERMISSION_DELETE)) !== 0) {
    throw badRequest(`An OnDemandOrigin locator needs a read-only AccessPolicy; '${policy['Id']}' grants Write or Delete`);
  }
  const requestedId = stringValue(values, 'Id');
  if (requestedId !== undefined) checkKey(Locator, requestedId);
  const id = requestedId ?? formatNbId('lid', services.ids.guid());
  const guid = parseNbId(id, 'lid').guid.toLowerCase();
  const now = services.now();
  const start = stringValue(values, 'StartTime');
  const startsAt = start ? new Date(start) : undefined;
  const expires = new Date((startsAt ?? now).getTime() + Number(policy['DurationInMinutes']) * 60_000);
  if (!dateTimeInRange(expires.getTime())) {
    throw badRequest(`The locator would expire at ${expires.toISOString()} (StartTime ${(startsAt ?? now).toISOString()} + the AccessPolicy's ${String(policy['DurationInMinutes'])} minutes), outside ${DATE_TIME_RANGE}`);
  }
  const record = newRecord(Locator, {}, values);
  Object.assign(record, {
    Id: id,
    Type: type,
    AssetId: asset['Id'] as string,
    AccessPolicyId: policy['Id'] as string,
    ExpirationDateTime: expires.toISOString(),
    StartTime: startsAt ? startsAt.toISOString() : null,
  });
  const key = canonicalId(Locator, id);
  let storedPolicy = false;
  if (type === LOCATOR_SAS) {
    precheck(services, key, asset['Id'] as string);
    const sas = await createSas(services, containerOf(asset), guid, permissions, startsAt, expires);
    storedPolicy = true;
    const baseUri = services.storage.containerUrl(containerOf(asset));
    Object.assign(record, { BaseUri: baseUri, ContentAccessComponent: sas, Path: baseUri + sas });
  } else {
    const baseUri = `${req.baseUrl}origin`;
    Object.assign(record, { BaseUri: baseUri, ContentAccessComponent: guid, Path: `${baseUri}/${guid}/` });
  }
  try {
    await services.store.transaction((tx) => {
      if (tx.has(L, key)) throw conflict(`A Locator with Id '${id}' already exists`);
      if (!tx.has(COLLECTIONS.Assets, record['AssetId'] as string)) throw badRequest(`The asset '${record['AssetId']}' no longer exists`);
      // Deleting a policy checks for locators using it, and this one is not stored yet: check here.
      if (!tx.has(COLLECTIONS.AccessPolicies, canonicalId(AccessPolicy, String(record['AccessPolicyId'])))) throw badRequest(`The AccessPolicy '${record['AccessPolicyId']}' no longer exists`);
      const count = tx.lookup(INDEXES.locatorsByAsset, record['AssetId'] as string).length;
      if (count >= MAX_LOCATORS_PER_ASSET) throw tooMany(record['AssetId'] as string);
      tx.put(L, key, record);
    });
  } catch (err) {
    if (storedPolicy) await services.storage.removeStoredPolicy(containerOf(asset), guid).catch(() => undefined);
    throw err;
  }
  return { kind: 'entity', type: Locator, record, status: 201 };
}

/** MERGE Locators('..'): SAS locators are immutable (400); origin locators may move their window. */
export async function updateLocator(req: ApiRequest, services: Services, key: string): Promise<ApiResult> {
  const body = readBody(req, services, Locator);
  await services.store.transaction((tx) => {
    const current = findEntity(tx, Locator, L, key);
    if (current['Type'] === LOCATOR_SAS) throw badRequest('A SAS locator cannot be updated: delete it and create a new one');
    const next = mergeValues(Locator, current, body.values);
    tx.put(L, canonicalId(Locator, key), next);
  });
  return { kind: 'noContent' };
}

export async function deleteLocator(_req: ApiRequest, services: Services, key: string): Promise<ApiResult> {
  const locator = findEntity(services.store, Locator, L, key);
  if (locator['Type'] === LOCATOR_SAS) {
    const asset = services.store.get(COLLECTIONS.Assets, locator['AssetId'] as string);
    if (asset) await removePolicy(services, containerOf(asset), parseNbId(locator['Id'] as string, 'lid').guid.toLowerCase());
  }
  await services.store.transaction((tx) => {
    tx.delete(L, canonicalId(Locator, key));
  });
  return { kind: 'noContent' };
}

function single(navigation: string, fromProperty: string | undefined, fromLinks: string[]): string {
  const all = [...(fromProperty ? [fromProperty] : []), ...fromLinks];
  if (all.length === 0) throw badRequest(`A Locator requires ${navigation}Id (or a link binding its ${navigation})`);
  if (new Set(all.map((a) => a.toLowerCase())).size > 1) throw badRequest(`The Locator names more than one ${navigation}`);
  return all[0]!;
}

function precheck(services: Services, key: string, assetId: string): void {
  if (services.store.has(L, key)) throw conflict(`A Locator with Id '${key}' already exists`);
  if (services.store.lookup(INDEXES.locatorsByAsset, assetId).length >= MAX_LOCATORS_PER_ASSET) throw tooMany(assetId);
}

function tooMany(assetId: string) {
  return conflict(`The asset '${assetId}' already has ${MAX_LOCATORS_PER_ASSET} locators, the most an asset can have: delete one first`);
}

async function createSas(services: Services, container: string, identifier: string, permissions: number, startsOn: Date | undefined, expiresOn: Date): Promise<string> {
  try {
    return await services.storage.createContainerSas(container, { identifier, permissions: sasPermissions(permissions), startsOn, expiresOn });
  } catch (err) {
    if (err instanceof StorageRequestError && err.statusCode === 409) throw conflict(`The asset's container already has ${MAX_LOCATORS_PER_ASSET} access policies (one per locator): delete a locator first`);
    // The service answered 409 for a locator on an asset whose container is gone (DOC/ERR).
    if (err instanceof StorageRequestError && err.statusCode === 404) throw conflict(`The asset's container ${container} no longer exists in storage, so no SAS can be made for it: create a new asset`);
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
  if (permissions & PERMISSION_READ) out += 'r';
  if (permissions & PERMISSION_WRITE) out += 'w';
  if (permissions & PERMISSION_DELETE) out += 'd';
  if (permissions & PERMISSION_LIST) out += 'l';
  return out;
}

