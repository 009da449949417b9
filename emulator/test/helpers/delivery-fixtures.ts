/**
 * Content protection as a publishing client sets it up: an envelope key, a token-restricted (or
 * open) authorization policy with one BaselineHttp option, a delivery policy on the asset; and the
 * tokens a token service would issue for it (JWT with jose, SWT as the .NET SDK's generator writes).
 */
import { randomBytes } from 'node:crypto';
import { expect } from 'vitest';
import { entityPath, type JsonBody, type TestEmulator } from '../../../test/support/emulator.js';
import { createAsset, linkKey, storageKeyBody, type NewKey, type ProtectionKey } from './api-fixtures.js';

import { KEY_ID_CLAIM, signSwt, tokenTemplateXml, type TokenTemplate } from '../../../client/src/workflows/key-tokens.js';

// One maker of templates and tokens, the reference client's, for the emulator's tests and the conformance kit alike.
export { KEY_ID_CLAIM, nowSeconds, TEMPLATE_NS, tokenTemplateXml as templateXml, signJwt as jwt, type TokenTemplate as TemplateSpec, type LooseTokenFields as JwtSpec } from '../../../client/src/workflows/key-tokens.js';

export const defaultTemplate = (): TokenTemplate => ({
  tokenType: 'JWT',
  issuer: 'https://sts.example.test/',
  audience: 'urn:test-audience',
  key: randomBytes(64),
  claims: { [KEY_ID_CLAIM]: null },
});

/** The SWT of the .NET SDK's TokenRestrictionTemplateSerializer.GenerateTestToken. */
export function swt(spec: { key: Buffer; issuer: string; audience: string; expiresOn: number; claims?: Record<string, string> }): string {
  return signSwt({ key: spec.key, issuer: spec.issuer, audience: spec.audience, exp: spec.expiresOn, claims: spec.claims });
}

/** A 16-byte EnvelopeEncryption key, wrapped and checksummed as the .NET SDK does. */
export async function createEnvelopeKey(emu: TestEmulator, protection: ProtectionKey): Promise<NewKey> {
  const made = storageKeyBody(protection, { key: randomBytes(16), contentKeyType: 4 });
  const res = await emu.ams('POST', 'ContentKeys', { body: made.request });
  expect(res.status, res.text).toBe(201);
  return made;
}

export async function createOption(emu: TestEmulator, restriction: JsonBody, keyDeliveryType = 2): Promise<JsonBody> {
  const res = await emu.ams('POST', 'ContentKeyAuthorizationPolicyOptions', {
    body: { Name: 'option', KeyDeliveryType: keyDeliveryType, KeyDeliveryConfiguration: '', Restrictions: [restriction] },
  });
  expect(res.status, res.text).toBe(201);
  return res.body;
}

export const tokenRestriction = (spec: TokenTemplate): JsonBody => ({ Name: 'Token', KeyRestrictionType: 1, Requirements: tokenTemplateXml(spec) });
export const openRestriction: JsonBody = { Name: 'Open', KeyRestrictionType: 0, Requirements: null };

/** Policy + option linked + the key's AuthorizationPolicyId set by MERGE: what a publisher does. */
export async function authorizeKey(emu: TestEmulator, keyId: string, restriction: JsonBody): Promise<{ policy: JsonBody; option: JsonBody }> {
  const policy = await emu.ams('POST', 'ContentKeyAuthorizationPolicies', { body: { Name: 'policy' } });
  expect(policy.status, policy.text).toBe(201);
  const option = await createOption(emu, restriction);
  const link = await emu.ams('POST', `${entityPath('ContentKeyAuthorizationPolicies', policy.body.Id)}/$links/Options`, {
    body: { uri: `${emu.url}${entityPath('ContentKeyAuthorizationPolicyOptions', option.Id)}` },
  });
  expect(link.status, link.text).toBe(204);
  const merge = await emu.ams('MERGE', entityPath('ContentKeys', keyId), { body: { AuthorizationPolicyId: policy.body.Id } });
  expect(merge.status, merge.text).toBe(204);
  return { policy: policy.body, option };
}

export async function keyDeliveryUrl(emu: TestEmulator, keyId: string, keyDeliveryType = 2): Promise<string> {
  const res = await emu.ams('POST', `${entityPath('ContentKeys', keyId)}/GetKeyDeliveryUrl`, { body: { keyDeliveryType } });
  expect(res.status, res.text).toBe(200);
  return String(res.body.value);
}

/** An asset with the envelope key linked and a DynamicEnvelopeEncryption policy for HLS, Smooth and DASH. */
export async function envelopeAsset(emu: TestEmulator, keyId: string, deliveryUrl: string): Promise<{ asset: JsonBody; policy: JsonBody }> {
  const asset = await createAsset(emu, { Name: 'protected', Options: 0 });
  await linkKey(emu, String(asset.Id), keyId);
  const base = deliveryUrl.slice(0, deliveryUrl.indexOf('?'));
  const policy = await emu.ams('POST', 'AssetDeliveryPolicies', {
    body: { Name: 'envelope', AssetDeliveryProtocol: 7, AssetDeliveryPolicyType: 3, AssetDeliveryConfiguration: JSON.stringify([{ Key: 2, Value: base }]) },
  });
  expect(policy.status, policy.text).toBe(201);
  const link = await emu.ams('POST', `${entityPath('Assets', asset.Id)}/$links/DeliveryPolicies`, { body: { uri: `${emu.url}${entityPath('AssetDeliveryPolicies', policy.body.Id)}` } });
  expect(link.status, link.text).toBe(204);
  return { asset, policy: policy.body };
}

/** POST the key delivery URL as the SDK's KeyDeliveryClient does. */
export async function fetchKey(url: string, authorization?: string): Promise<{ status: number; bytes: Buffer; json: JsonBody | undefined }> {
  const res = await fetch(url, { method: 'POST', headers: authorization === undefined ? {} : { Authorization: authorization }, body: '' });
  const bytes = Buffer.from(await res.arrayBuffer());
  let json: JsonBody | undefined;
  try {
    json = JSON.parse(bytes.toString('utf8')) as JsonBody;
  } catch {
    json = undefined;
  }
  return { status: res.status, bytes, json };
}
