/**
 * The storage-encryption entities the reliability tests make, through any AMS caller (an emulator
 * process as well as an in-process one): each helper asserts its requests succeeded.
 */
import { expect } from 'vitest';
import { entityPath, type AmsCaller } from '../../../test/support/emulator.js';
import { storageKeyBody, type ProtectionKey } from './api-fixtures.js';

/** GetProtectionKeyId then GetProtectionKey, as every SDK starts. */
export async function protectionKeyOf(ams: AmsCaller): Promise<ProtectionKey> {
  const id = await ams('GET', 'GetProtectionKeyId?contentKeyType=1');
  expect(id.status, id.text).toBe(200);
  const cert = await ams('GET', `GetProtectionKey?ProtectionKeyId='${String(id.body.value)}'`);
  expect(cert.status, cert.text).toBe(200);
  return { thumbprint: String(id.body.value), certificate: String(cert.body.value) };
}

/** A storage-encrypted asset with its own content key linked; `url` is the API root the link names. */
export async function encryptedAsset(ams: AmsCaller, url: string, protection: ProtectionKey, name: string): Promise<{ assetId: string; keyId: string }> {
  const key = storageKeyBody(protection);
  const created = await ams('POST', 'ContentKeys', { body: key.request });
  expect(created.status, created.text).toBe(201);
  const asset = await ams('POST', 'Assets', { body: { Name: name, Options: 1 } });
  expect(asset.status, asset.text).toBe(201);
  const assetId = String(asset.body.Id);
  const link = await ams('POST', `${entityPath('Assets', assetId)}/$links/ContentKeys`, { body: { uri: `${url}${entityPath('ContentKeys', key.id)}` } });
  expect(link.status, link.text).toBe(204);
  return { assetId, keyId: key.id };
}
