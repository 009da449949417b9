import { recordDeviations, refuseIfStrict } from '../domain/deviations.js';
import type { RequestInfo } from '../domain/findings.js';
import { ContentKey } from '../odata/edm.js';
import type { Services } from '../app/services.js';
import type { StoreReader } from '../store/types.js';
import { assetStorageKeyId, findAsset, linkedKeys } from './asset.js';
import { ivReuseOfUnkeyedFiles } from './asset-file.js';
import { ASSET_KEY_LINKS, COLLECTIONS } from './collections.js';
import { findContentKey, getContentKey } from './content-key.js';
import { AssetCreationOptions, ContentKeyType } from './enums.js';
import { canonicalId, checkKey, linkId } from './ids.js';
import type { AssetKeyLinkRecord, ContentKeyRecord } from './records.js';
import { conflicting, unknown } from './refusal.js';

export type { AssetKeyLinkRecord } from './records.js';

/**
 * An Asset <-> ContentKey link (`Assets('..')/$links/ContentKeys`), stored under both canonical
 * ids. What must hold: both ends exist (an asset's delete and a key's delete take their links);
 * a pair is linked once; a storage-encrypted asset has exactly one StorageEncryption key; linking
 * a storage key gives the asset's files without an EncryptionKeyId that key, which must not make
 * two files share an IV under it (a finding; strict: refused).
 */

/** Link the key to the asset; both keys are checked for form before either is looked up. */
export async function linkKeyToAsset(services: Services, assetKey: string, contentKey: string, request: RequestInfo): Promise<void> {
  checkKey(ContentKey, contentKey);
  await services.store.transaction((tx) => {
    const asset = findAsset(tx, assetKey);
    const key = findContentKey(tx, contentKey);
    const assetId = asset.Id;
    const keyId = canonicalId(ContentKey, key.Id);
    if (tx.has(ASSET_KEY_LINKS, linkId(assetId, keyId))) throw conflicting(`The ContentKey '${key.Id}' is already linked to the asset '${assetId}'`);
    if (asset.Options === AssetCreationOptions.StorageEncrypted && key.ContentKeyType === ContentKeyType.StorageEncryption) {
      const existing = assetStorageKeyId(tx, assetId);
      if (existing) throw conflicting(`The storage-encrypted asset '${assetId}' already has a StorageEncryption key ('${getContentKey(tx, existing)?.Id}'); an asset has exactly one`);
    }
    const link: AssetKeyLinkRecord = { assetId, keyId };
    tx.put(ASSET_KEY_LINKS, linkId(assetId, keyId), link);
    // The asset's files without an EncryptionKeyId are encrypted with this key from now on.
    const deviations = ivReuseOfUnkeyedFiles(tx, assetId);
    refuseIfStrict(services.config.strict, deviations);
    recordDeviations(tx, request, deviations, () => services.ids.guid(), services.now());
  });
}

export async function unlinkKeyFromAsset(services: Services, assetKey: string, contentKey: string): Promise<void> {
  checkKey(ContentKey, contentKey);
  await services.store.transaction((tx) => {
    const asset = findAsset(tx, assetKey);
    const id = linkId(asset.Id, canonicalId(ContentKey, contentKey));
    if (!tx.delete(ASSET_KEY_LINKS, id)) throw unknown(`The ContentKey '${contentKey}' is not linked to the asset '${asset.Id}'`);
  });
}

/**
 * The keys linked to an asset (all of them, or the one `contentKey` names: not-found if it is not
 * linked), as stored ids for the link URIs (a key's own spelling; its canonical id if it is gone).
 */
export function linkedKeyIds(reader: StoreReader, assetKey: string, contentKey: string | undefined): string[] {
  const asset = findAsset(reader, assetKey);
  let keys = linkedKeys(reader, asset.Id);
  if (contentKey !== undefined) {
    checkKey(ContentKey, contentKey);
    keys = keys.filter((k) => k === canonicalId(ContentKey, contentKey));
    if (keys.length === 0) throw unknown(`The ContentKey '${contentKey}' is not linked to the asset '${asset.Id}'`);
  }
  return keys.map((k) => getContentKey(reader, k)?.Id ?? k);
}

/** The content keys linked to an asset, in link order. */
export function keysOfAsset(reader: StoreReader, assetId: string): ContentKeyRecord[] {
  return linkedKeys(reader, assetId).flatMap((k) => {
    const key = getContentKey(reader, k);
    return key ? [key] : [];
  });
}

/** Why a link put back (a `$batch` undo) would not fit: both ends must exist. Undefined when it fits. */
export function linkMisfit(reader: StoreReader, link: AssetKeyLinkRecord): string | undefined {
  if (!reader.has(COLLECTIONS.Assets, link.assetId)) return `its asset '${link.assetId}' no longer exists`;
  if (!reader.has(COLLECTIONS.ContentKeys, link.keyId)) return `its content key '${link.keyId}' no longer exists`;
  return undefined;
}
