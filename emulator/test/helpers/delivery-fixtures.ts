/**
 * Content protection as a publishing client sets it up: an envelope key, a token-restricted (or
 * open) authorization policy with one BaselineHttp option, a delivery policy on the asset; and the
 * tokens a token service would issue for it (JWT with jose, SWT as the .NET SDK's generator writes).
 */
import { createHmac, randomBytes } from 'node:crypto';
import { SignJWT } from 'jose';
import { expect } from 'vitest';
import { entityPath, type JsonBody, type TestEmulator } from '../../../test/support/emulator.js';
import { createAsset, linkKey, storageKeyBody, type NewKey, type ProtectionKey } from './api-fixtures.js';

export const KEY_ID_CLAIM = 'urn:microsoft:azure:mediaservices:contentkeyidentifier';
export const TEMPLATE_NS = 'http://schemas.microsoft.com/Azure/MediaServices/KeyDelivery/TokenRestrictionTemplate/v1';

export interface TemplateSpec {
  tokenType: 'JWT' | 'SWT';
  issuer: string;
  audience: string;
  key: Buffer;
  alternateKeys?: Buffer[];
  /** Claim type -> required value (null: any; for the key id claim, the requested key). */
  claims?: Record<string, string | null>;
}

const xmlText = (text: string): string => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/** The XML the .NET SDK's TokenRestrictionTemplateSerializer writes (DataContract order). */
export function templateXml(spec: TemplateSpec): string {
  const key = (k: Buffer, tag: string) => `<${tag} i:type="SymmetricVerificationKey"><KeyValue>${k.toString('base64')}</KeyValue></${tag}>`;
  const alternates = (spec.alternateKeys ?? []).map((k) => key(k, 'TokenVerificationKey')).join('');
  const claims = Object.entries(spec.claims ?? {})
    .map(([type, value]) => `<TokenClaim><ClaimType>${xmlText(type)}</ClaimType>${value === null ? '<ClaimValue i:nil="true" />' : `<ClaimValue>${xmlText(value)}</ClaimValue>`}</TokenClaim>`)
    .join('');
  return (
    `<TokenRestrictionTemplate xmlns:i="http://www.w3.org/2001/XMLSchema-instance" xmlns="${TEMPLATE_NS}">` +
    `<AlternateVerificationKeys>${alternates}</AlternateVerificationKeys><Audience>${xmlText(spec.audience)}</Audience><Issuer>${xmlText(spec.issuer)}</Issuer>` +
    `${key(spec.key, 'PrimaryVerificationKey')}<RequiredClaims>${claims}</RequiredClaims><TokenType>${spec.tokenType}</TokenType></TokenRestrictionTemplate>`
  );
}

export const defaultTemplate = (): TemplateSpec => ({
  tokenType: 'JWT',
  issuer: 'https://sts.example.test/',
  audience: 'urn:test-audience',
  key: randomBytes(64),
  claims: { [KEY_ID_CLAIM]: null },
});

export interface JwtSpec {
  key: Buffer;
  issuer?: string;
  audience?: string | string[];
  /** Seconds since 1970; undefined leaves exp out. */
  exp?: number;
  nbf?: number;
  claims?: Record<string, string>;
  alg?: 'HS256' | 'HS384' | 'HS512';
}

export function jwt(spec: JwtSpec): Promise<string> {
  const builder = new SignJWT({ ...(spec.claims ?? {}) }).setProtectedHeader({ alg: spec.alg ?? 'HS256', typ: 'JWT' });
  if (spec.issuer !== undefined) builder.setIssuer(spec.issuer);
  if (spec.audience !== undefined) builder.setAudience(spec.audience);
  if (spec.exp !== undefined) builder.setExpirationTime(spec.exp);
  if (spec.nbf !== undefined) builder.setNotBefore(spec.nbf);
  return builder.sign(new Uint8Array(spec.key));
}

/** The SWT of the .NET SDK's TokenRestrictionTemplateSerializer.GenerateTestToken. */
export function swt(spec: { key: Buffer; issuer: string; audience: string; expiresOn: number; claims?: Record<string, string> }): string {
  const enc = (s: string) => encodeURIComponent(s);
  const parts = Object.entries(spec.claims ?? {}).map(([k, v]) => `${enc(k)}=${enc(v)}`);
  parts.push(`Audience=${enc(spec.audience)}`, `ExpiresOn=${spec.expiresOn}`, `Issuer=${enc(spec.issuer)}`);
  const unsigned = parts.join('&');
  const signature = createHmac('sha256', spec.key).update(unsigned, 'utf8').digest('base64');
  return `${unsigned}&HMACSHA256=${enc(signature)}`;
}

export const nowSeconds = (): number => Math.floor(Date.now() / 1000);

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

export const tokenRestriction = (spec: TemplateSpec): JsonBody => ({ Name: 'Token', KeyRestrictionType: 1, Requirements: templateXml(spec) });
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
