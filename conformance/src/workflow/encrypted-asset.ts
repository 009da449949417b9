import { createHash } from 'node:crypto';
import {
  AccessPermissions, AssetCreationOptions, LocatorType, newGuid,
  STORAGE_ENCRYPTION_SCHEME, STORAGE_ENCRYPTION_VERSION,
  type Asset, type AssetFile,
} from '../../../client/src/index.js';
import { SasBlockBlob } from './blob.js';
import type { Target } from '../target/target.js';
import { outcomeOf, type Outcome } from './outcome.js';
import type { Resources } from './resources.js';

/** A storage-encrypted asset with `keyId` linked as its storage key. */
export async function createEncryptedAsset(target: Target, resources: Resources, keyId: string, name = 'ams-conformance'): Promise<Asset> {
  const client = target.client();
  const asset = await client.createAsset({ Name: name, Options: AssetCreationOptions.StorageEncrypted });
  resources.track('Assets', asset.Id);
  await client.linkContentKey(asset.Id, keyId);
  return asset;
}

export interface EncryptedFilePlan {
  assetId: string;
  name: string;
  keyId: string;
  /** The InitializationVector text to send. */
  iv: string;
  size: number;
  mimeType?: string;
}

/** POST Files with the storage-encryption properties; a refusal is a value (strict mode refuses some). */
export function createEncryptedFile(target: Target, plan: EncryptedFilePlan): Promise<Outcome<AssetFile>> {
  return outcomeOf(() =>
    target.client().createFile({
      Name: plan.name,
      ParentAssetId: plan.assetId,
      IsEncrypted: true,
      EncryptionScheme: STORAGE_ENCRYPTION_SCHEME,
      EncryptionVersion: STORAGE_ENCRYPTION_VERSION,
      EncryptionKeyId: plan.keyId,
      InitializationVector: plan.iv,
      MimeType: plan.mimeType ?? 'application/octet-stream',
      ContentFileSize: BigInt(plan.size),
    }),
  );
}

/** A Write SAS locator on the asset's container (tracked with its policy). */
export async function writeAccess(target: Target, resources: Resources, assetId: string): Promise<(name: string) => string> {
  const client = target.client();
  const policy = await client.createAccessPolicy({ Name: `ams-conformance-${newGuid()}`, DurationInMinutes: 60, Permissions: AccessPermissions.Write });
  resources.track('AccessPolicies', policy.Id);
  const locator = await client.createLocator({ AccessPolicyId: policy.Id, AssetId: assetId, Type: LocatorType.Sas, StartTime: new Date(Date.now() - 5 * 60_000) });
  resources.track('Locators', locator.Id);
  if (!locator.BaseUri || !locator.ContentAccessComponent) throw new Error(`the SAS locator ${locator.Id} has no BaseUri or ContentAccessComponent`);
  const base = locator.BaseUri.replace(/\/+$/, '');
  const sas = locator.ContentAccessComponent.startsWith('?') ? locator.ContentAccessComponent : `?${locator.ContentAccessComponent}`;
  return (name) => `${base}/${encodeURIComponent(name)}${sas}`;
}

/**
 * Upload `data` as a block blob cut at `cuts` (ascending offsets inside it): every block is staged
 * at once (parallel Put Block, finishing in any order), then committed in file order.
 */
export async function uploadInBlocks(blobUrl: string, data: Buffer, cuts: readonly number[]): Promise<void> {
  const blob = new SasBlockBlob(blobUrl);
  const bounds = [0, ...cuts.filter((c) => c > 0 && c < data.length), data.length];
  const ids: string[] = [];
  const staged: Array<Promise<unknown>> = [];
  for (let i = 0; i + 1 < bounds.length; i++) {
    const id = Buffer.from(`ams-conformance-${String(i).padStart(6, '0')}`).toString('base64');
    ids.push(id);
    const block = data.subarray(bounds[i]!, bounds[i + 1]!);
    staged.push(blob.stageBlock(id, block));
  }
  await Promise.all(staged);
  await blob.commit(ids);
}

/** MERGE the size and the MD5 of the clear bytes: what completes an upload for the service. */
export async function completeUpload(target: Target, fileId: string, clear: Buffer): Promise<Outcome<void>> {
  const md5 = createHash('md5').update(clear).digest('hex');
  return outcomeOf(() => target.client().updateFile(fileId, { ContentFileSize: BigInt(clear.length), ContentChecksum: md5 }));
}
