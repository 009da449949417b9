/**
 * The storage-encryption workflow's entities, made the way the .NET SDK makes them, for the API
 * tests: each helper asserts the create succeeded and returns the entity the emulator answered.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { expect } from 'vitest';
import {
  contentKeyChecksum,
  formatIv,
  formatKeyId,
  randomIv,
  wrapContentKey,
  type ChecksumVariant,
} from '../../../client/src/crypto/index.js';
import { entityPath, type JsonBody, type TestEmulator } from '../../../test/support/emulator.js';

export interface ProtectionKey {
  thumbprint: string;
  /** base64 DER, as GetProtectionKey returns it. */
  certificate: string;
}

/** GetProtectionKeyId then GetProtectionKey, as every SDK starts. */
export async function protectionKey(emu: TestEmulator): Promise<ProtectionKey> {
  const id = await emu.ams('GET', 'GetProtectionKeyId?contentKeyType=1');
  expect(id.status).toBe(200);
  const thumbprint = String(id.body.value);
  const cert = await emu.ams('GET', `GetProtectionKey?ProtectionKeyId='${thumbprint}'`);
  expect(cert.status).toBe(200);
  return { thumbprint, certificate: String(cert.body.value) };
}

export interface NewKeyOptions {
  /** How the checksum is computed (default dotnet, the reference). */
  variant?: ChecksumVariant;
  /** Send this Checksum instead of a computed one (null: leave it out). */
  checksum?: string | null;
  /** Send this EncryptedContentKey instead of the correct wrap. */
  encryptedContentKey?: string;
  /** The clear key (default: 32 random bytes). */
  key?: Buffer;
  contentKeyType?: number;
  /** Leave the Id out so the server picks one. */
  omitId?: boolean;
}

export interface NewKey {
  id: string;
  key: Buffer;
  /** The body sent. */
  request: JsonBody;
}

/** The ContentKeys POST body of a storage key (not sent). */
export function storageKeyBody(protection: ProtectionKey, options: NewKeyOptions = {}): NewKey {
  const key = options.key ?? randomBytes(32);
  const id = formatKeyId(randomUUID());
  const request: JsonBody = {
    Id: id,
    ContentKeyType: options.contentKeyType ?? 1,
    EncryptedContentKey: options.encryptedContentKey ?? wrapContentKey(protection.certificate, key).toString('base64'),
    ProtectionKeyId: protection.thumbprint,
    ProtectionKeyType: 0,
  };
  const checksum = options.checksum === undefined ? contentKeyChecksum(key, id, options.variant ?? 'dotnet') : options.checksum;
  if (checksum !== null) request['Checksum'] = checksum;
  if (options.omitId) delete request['Id'];
  return { id, key, request };
}

/** POST ContentKeys with a correctly wrapped 32-byte key and the reference checksum. */
export async function createStorageKey(emu: TestEmulator, protection: ProtectionKey, options: NewKeyOptions = {}): Promise<NewKey & { entity: JsonBody }> {
  const made = storageKeyBody(protection, options);
  const res = await emu.ams('POST', 'ContentKeys', { body: made.request });
  expect(res.status, res.text).toBe(201);
  return { ...made, id: String(res.body.Id), entity: res.body };
}

export async function createAsset(emu: TestEmulator, body: JsonBody = { Name: 'asset', Options: 1 }): Promise<JsonBody> {
  const res = await emu.ams('POST', 'Assets', { body });
  expect(res.status, res.text).toBe(201);
  return res.body;
}

export async function linkKey(emu: TestEmulator, assetId: string, keyId: string): Promise<void> {
  const res = await emu.ams('POST', `${entityPath('Assets', assetId)}/$links/ContentKeys`, { body: { uri: `${emu.url}${entityPath('ContentKeys', keyId)}` } });
  expect(res.status, res.text).toBe(204);
}

/** POST Files as the .NET SDK does for a storage-encrypted file (a fresh IV unless one is given). */
export function encryptedFileBody(assetId: string, keyId: string, name: string, iv: string = formatIv(randomIv())): JsonBody {
  return {
    Name: name,
    ParentAssetId: assetId,
    IsEncrypted: true,
    EncryptionScheme: 'StorageEncryption',
    EncryptionVersion: '1.0',
    EncryptionKeyId: keyId,
    InitializationVector: iv,
    MimeType: 'video/mp4',
  };
}

export async function createFile(emu: TestEmulator, body: JsonBody): Promise<JsonBody> {
  const res = await emu.ams('POST', 'Files', { body });
  expect(res.status, res.text).toBe(201);
  return res.body;
}

export async function createPolicy(emu: TestEmulator, permissions: number, minutes: number | string = 60): Promise<JsonBody> {
  const res = await emu.ams('POST', 'AccessPolicies', { body: { Name: `policy-${permissions}`, DurationInMinutes: minutes, Permissions: permissions } });
  expect(res.status, res.text).toBe(201);
  return res.body;
}

export async function createSasLocator(emu: TestEmulator, assetId: string, policyId: string, extra: JsonBody = {}): Promise<JsonBody> {
  const res = await emu.ams('POST', 'Locators', { body: { AssetId: assetId, AccessPolicyId: policyId, Type: 1, ...extra } });
  expect(res.status, res.text).toBe(201);
  return res.body;
}

/**
 * What a publisher did before streaming a storage-encrypted asset (the service refused an
 * OnDemandOrigin locator without a delivery policy): a NoDynamicEncryption policy for Smooth,
 * DASH, HLS and progressive download, linked to the asset.
 */
export async function streamInTheClear(emu: TestEmulator, assetId: string): Promise<JsonBody> {
  const policy = await emu.ams('POST', 'AssetDeliveryPolicies', { body: { Name: 'clear', AssetDeliveryProtocol: 0x17, AssetDeliveryPolicyType: 2, AssetDeliveryConfiguration: null } });
  expect(policy.status, policy.text).toBe(201);
  const link = await emu.ams('POST', `${entityPath('Assets', assetId)}/$links/DeliveryPolicies`, { body: { uri: `${emu.url}${entityPath('AssetDeliveryPolicies', String(policy.body.Id))}` } });
  expect(link.status, link.text).toBe(204);
  return policy.body;
}

/** A storage-encrypted asset with its key linked, as the .NET SDK's Assets.Create(StorageEncrypted) leaves it. */
export async function encryptedAsset(emu: TestEmulator, protection: ProtectionKey): Promise<{ asset: JsonBody; key: NewKey }> {
  const key = await createStorageKey(emu, protection);
  const asset = await createAsset(emu, { Name: 'encrypted', Options: 1 });
  await linkKey(emu, String(asset.Id), key.id);
  return { asset, key };
}

/** The ODataError message of a JSON minimal error body. */
export function errorMessage(body: JsonBody | undefined): string {
  return String(body?.['odata.error']?.message?.value ?? body?.['error']?.message?.value ?? '');
}
