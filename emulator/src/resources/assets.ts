import { formatNbId } from '../../../client/src/crypto/index.js';
import { STORAGE_ENCRYPTION } from '../domain/content-keys.js';
import { Asset, AssetFile, Locator } from '../odata/edm.js';
import { canonicalId } from '../odata/uri.js';
import { badRequest, notFound } from '../odata/errors.js';
import { functionParameters } from '../odata/params.js';
import type { CanonicalValue } from '../odata/values.js';

import type { JsonRecord, Transaction } from '../store/types.js';
import { ASSET_KEY_LINKS, COLLECTIONS, INDEXES } from '../model/collections.js';
import { removeDeliveryPolicyLinksOfAsset } from '../model/asset-delivery-policies.js';
import type { AssetKeyLinkRecord } from '../model/records.js';
import { findEntity, mergeValues, newRecord, numberValue, readBody, stringValue } from './common.js';
import type { Services } from '../app/services.js';
import type { ApiRequest, ApiResult } from './context.js';

const A = COLLECTIONS.Assets;

/** AssetCreationOptions: one value, not a combination (the docs; .NET only ever sends one). */
const ASSET_OPTIONS = new Map([
  [0, 'None'],
  [1, 'StorageEncrypted'],
  [2, 'CommonEncryptionProtected'],
  [4, 'EnvelopeEncryptionProtected'],
]);

export function containerOf(asset: JsonRecord): string {
  return String(asset['_container']);
}

/** POST Assets: the entity and its container `asset-<guid>`; `Uri` is the container URL. */
export async function createAsset(req: ApiRequest, services: Services): Promise<ApiResult> {
  const body = readBody(req, services, Asset);
  const options = numberValue(body.values, 'Options') ?? 0;
  if (!ASSET_OPTIONS.has(options)) throw badRequest(`Options ${options} is not an AssetCreationOptions value: use 0 (None), 1 (StorageEncrypted), 2 (CommonEncryptionProtected) or 4 (EnvelopeEncryptionProtected)`);
  const formatOption = numberValue(body.values, 'FormatOption') ?? 0;
  if (formatOption !== 0 && formatOption !== 1) throw badRequest(`FormatOption ${formatOption} is not an AssetFormatOption value: use 0 (None) or 1 (AdaptiveStreaming)`);
  const account = stringValue(body.values, 'StorageAccountName');
  if (account && account !== services.storage.accountName) {
    throw notFound(`The storage account '${account}' is not attached to this Media Services account; the emulator's account is '${services.storage.accountName}'`);
  }
  const { id, container, record } = newAssetRecord(services, body.values);
  await services.storage.createContainer(container);
  try {
    await services.store.transaction((tx) => tx.put(A, id, record));
  } catch (err) {
    await services.storage.deleteContainer(container).catch(() => undefined);
    throw err;
  }
  return { kind: 'entity', type: Asset, record, status: 201 };
}

/**
 * A new asset's record, with a fresh id and its container `asset-<guid>`: neither stored nor
 * created yet (POST Assets, and a job's output assets).
 */
export function newAssetRecord(services: Services, values: Map<string, CanonicalValue>): { id: string; container: string; record: JsonRecord } {
  const guid = services.ids.guid();
  const id = formatNbId('cid', guid);
  const container = `asset-${guid}`;
  const now = services.now().toISOString();
  const record = newRecord(Asset, { State: 0, Created: now, LastModified: now, Options: 0, FormatOption: 0 }, values);
  Object.assign(record, { Id: id, Uri: services.storage.containerUrl(container), StorageAccountName: services.storage.accountName, _container: container });
  return { id, container, record };
}

export async function updateAsset(req: ApiRequest, services: Services, key: string): Promise<ApiResult> {
  const body = readBody(req, services, Asset);
  await services.store.transaction((tx) => {
    const current = findEntity(tx, Asset, A, key);
    const next = mergeValues(Asset, current, body.values);
    next['LastModified'] = services.now().toISOString();
    tx.put(A, current['Id'] as string, next);
  });
  return { kind: 'noContent' };
}

/**
 * DELETE Assets('..'): its files, links, locators and container go with it, and so do the content
 * keys linked to it that no other asset uses (the .NET scenario tests expect a storage-encrypted
 * asset's key to be deleted with it). `?keepcontainer=true` keeps the blobs.
 */
export async function deleteAsset(req: ApiRequest, services: Services, key: string): Promise<ApiResult> {
  const asset = findEntity(services.store, Asset, A, key);
  const assetId = asset['Id'] as string;
  const keep = (functionParameters(req.rawQuery).get('keepcontainer') ?? '').toLowerCase() === 'true';
  await services.events.beforeAssetDelete(assetId);
  if (!keep) await services.storage.deleteContainer(containerOf(asset));
  const { files, deletedKeys } = await services.store.transaction((tx) => {
    // A concurrent DELETE got here first (while the container was deleted): this one found nothing.
    if (!tx.has(A, assetId)) throw notFound(`No Asset with Id '${key}' was found`);
    const removed = tx.lookup(INDEXES.filesByAsset, assetId);
    const keys = removeAssetEntities(tx, assetId);
    tx.delete(A, assetId);
    return { files: removed, deletedKeys: keys };
  });
  for (const deleted of deletedKeys) services.keys.forget(deleted['EncryptedContentKey']);
  services.events.assetDeleted(assetId, files, req.info);
  return { kind: 'noContent' };
}

/** Returns the content keys it deleted with the asset. */
function removeAssetEntities(tx: Transaction, assetId: string): JsonRecord[] {
  const deletedKeys: JsonRecord[] = [];
  for (const file of tx.lookup(INDEXES.filesByAsset, assetId)) tx.delete(COLLECTIONS.Files, canonicalId(AssetFile, String(file['Id'])));
  for (const locator of tx.lookup(INDEXES.locatorsByAsset, assetId)) tx.delete(COLLECTIONS.Locators, canonicalId(Locator, String(locator['Id'])));
  removeDeliveryPolicyLinksOfAsset(tx, assetId);
  for (const link of tx.lookup<AssetKeyLinkRecord>(INDEXES.linksByAsset, assetId)) {
    tx.delete(ASSET_KEY_LINKS, `${link.assetId}|${link.keyId}`);
    const stillUsed = tx.lookup(INDEXES.linksByKey, link.keyId).length > 0;
    const key = tx.get(COLLECTIONS.ContentKeys, link.keyId);
    if (!stillUsed && key && (key['ContentKeyType'] === STORAGE_ENCRYPTION || key['ContentKeyType'] === 0)) {
      tx.delete(COLLECTIONS.ContentKeys, link.keyId);
      deletedKeys.push(key);
    }
  }
  return deletedKeys;
}


