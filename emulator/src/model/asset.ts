import { Asset, AssetFile, Locator } from '../odata/edm.js';
import type { RequestInfo } from '../domain/findings.js';
import type { Services } from '../app/services.js';
import type { StoreReader, Transaction } from '../store/types.js';
import { removeDeliveryPolicyLinksOfAsset } from './asset-delivery-policy.js';
import { ASSET_KEY_LINKS, COLLECTIONS, INDEXES } from './collections.js';
import { findEntity, mergeStamped, newRecord, numberValue, stringValue, type EntityValues } from './entity.js';
import { AssetCreationOptions, AssetState, ContentKeyType } from './enums.js';
import { canonicalId, containerName, linkId, newId } from './ids.js';
import type { AssetFileRecord, AssetKeyLinkRecord, AssetRecord, ContentKeyRecord } from './records.js';
import { invalid, unknown } from './refusal.js';

export type { AssetRecord } from './records.js';

/**
 * An Asset: a blob container (`asset-<guid>`, the same GUID as its id) and the files, key links
 * and locators that belong to it. What must hold: Options is one AssetCreationOptions value;
 * FormatOption is 0 or 1; its storage account is the emulator's; deleting it takes its files,
 * links, locators and container with it, and the storage keys no other asset uses.
 */

const A = COLLECTIONS.Assets;

/** AssetCreationOptions: one value, not a combination (the docs; .NET only ever sends one). */
const ASSET_OPTIONS: ReadonlySet<number> = new Set(Object.values(AssetCreationOptions));

export function findAsset(reader: StoreReader, key: string): AssetRecord {
  return findEntity<AssetRecord>(reader, Asset, A, key);
}

/** The asset of a stored canonical id, if it is still there. */
export function getAsset(reader: StoreReader, assetId: string): AssetRecord | undefined {
  return reader.get<AssetRecord>(A, assetId);
}

export function containerOf(asset: AssetRecord): string {
  return asset._internal.container;
}

/** Canonical ids of the keys linked to an asset, in link order. */
export function linkedKeys(reader: StoreReader, assetId: string): string[] {
  return reader.lookup<AssetKeyLinkRecord>(INDEXES.linksByAsset, assetId).map((link) => link.keyId);
}

/** The asset's StorageEncryption key (canonical id): the key its files without an EncryptionKeyId are encrypted with. */
export function assetStorageKeyId(reader: StoreReader, assetId: string): string | undefined {
  return linkedKeys(reader, assetId).find((k) => reader.get<ContentKeyRecord>(COLLECTIONS.ContentKeys, k)?.ContentKeyType === ContentKeyType.StorageEncryption);
}

/**
 * A new asset's record, with a fresh id and its container `asset-<guid>`: neither stored nor
 * created yet (POST Assets, and a job's output assets).
 */
export function newAssetRecord(services: Pick<Services, 'ids' | 'now' | 'storage'>, values: EntityValues): { id: string; container: string; record: AssetRecord } {
  const guid = services.ids.guid();
  const id = newId(Asset, guid);
  const container = containerName(guid);
  const now = services.now().toISOString();
  const record = newRecord(Asset, { State: AssetState.Initialized, Created: now, LastModified: now, Options: AssetCreationOptions.None, FormatOption: 0 }, values) as AssetRecord;
  Object.assign(record, { Id: id, Uri: services.storage.containerUrl(container), StorageAccountName: services.storage.accountName, _internal: { container } });
  return { id, container, record };
}

/** POST Assets: the entity and its container; `Uri` is the container URL. */
export async function createAsset(services: Services, values: EntityValues): Promise<AssetRecord> {
  const options = numberValue(values, 'Options') ?? AssetCreationOptions.None;
  if (!ASSET_OPTIONS.has(options)) throw invalid(`Options ${options} is not an AssetCreationOptions value: use 0 (None), 1 (StorageEncrypted), 2 (CommonEncryptionProtected) or 4 (EnvelopeEncryptionProtected)`);
  const formatOption = numberValue(values, 'FormatOption') ?? 0;
  if (formatOption !== 0 && formatOption !== 1) throw invalid(`FormatOption ${formatOption} is not an AssetFormatOption value: use 0 (None) or 1 (AdaptiveStreaming)`);
  const account = stringValue(values, 'StorageAccountName');
  if (account && account !== services.storage.accountName) {
    throw unknown(`The storage account '${account}' is not attached to this Media Services account; the emulator's account is '${services.storage.accountName}'`);
  }
  const { id, container, record } = newAssetRecord(services, values);
  await services.storage.createContainer(container);
  try {
    await services.store.transaction((tx) => tx.put(A, id, record));
  } catch (err) {
    await services.storage.deleteContainer(container).catch(() => undefined);
    throw err;
  }
  return record;
}

export async function updateAsset(services: Services, key: string, values: EntityValues): Promise<void> {
  await services.store.transaction((tx) => mergeStamped(tx, Asset, A, key, values, services.now()));
}

/**
 * DELETE Assets('..'): its files, links, locators and container go with it, and so do the content
 * keys linked to it that no other asset uses (the .NET scenario tests expect a storage-encrypted
 * asset's key to be deleted with it). `keepContainer` keeps the blobs.
 */
export async function deleteAsset(services: Services, key: string, keepContainer: boolean, request: RequestInfo): Promise<void> {
  const asset = findAsset(services.store, key);
  const assetId = asset.Id;
  await services.events.beforeAssetDelete(assetId);
  if (!keepContainer) await services.storage.deleteContainer(containerOf(asset));
  const { files, deletedKeys } = await services.store.transaction((tx) => {
    // A concurrent DELETE got here first (while the container was deleted): this one found nothing.
    if (!tx.has(A, assetId)) throw unknown(`No Asset with Id '${key}' was found`);
    return removeAsset(tx, assetId);
  });
  for (const deleted of deletedKeys) services.keys.forget(deleted.EncryptedContentKey);
  services.events.assetDeleted(assetId, files, request);
}

/**
 * The asset's delete in the store, with everything that depends on it: its files, locators, key
 * links and delivery policy links (the policies stay: they may serve other assets), and the
 * content keys left unused that only an asset gave a purpose to (storage and common-encryption
 * keys). Returns the files and keys deleted.
 */
export function removeAsset(tx: Transaction, assetId: string): { files: AssetFileRecord[]; deletedKeys: ContentKeyRecord[] } {
  const files = tx.lookup<AssetFileRecord>(INDEXES.filesByAsset, assetId);
  const deletedKeys: ContentKeyRecord[] = [];
  for (const file of files) tx.delete(COLLECTIONS.Files, canonicalId(AssetFile, file.Id));
  for (const locator of tx.lookup(INDEXES.locatorsByAsset, assetId)) tx.delete(COLLECTIONS.Locators, canonicalId(Locator, String(locator.Id)));
  removeDeliveryPolicyLinksOfAsset(tx, assetId);
  for (const link of tx.lookup<AssetKeyLinkRecord>(INDEXES.linksByAsset, assetId)) {
    tx.delete(ASSET_KEY_LINKS, linkId(link.assetId, link.keyId));
    const stillUsed = tx.lookup(INDEXES.linksByKey, link.keyId).length > 0;
    const key = tx.get<ContentKeyRecord>(COLLECTIONS.ContentKeys, link.keyId);
    if (!stillUsed && key && (key.ContentKeyType === ContentKeyType.StorageEncryption || key.ContentKeyType === ContentKeyType.CommonEncryption)) {
      tx.delete(COLLECTIONS.ContentKeys, link.keyId);
      deletedKeys.push(key);
    }
  }
  tx.delete(A, assetId);
  return { files, deletedKeys };
}
