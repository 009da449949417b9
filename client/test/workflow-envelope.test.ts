import { randomBytes } from 'node:crypto';
import { SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestEmulator, type TestEmulator } from '../../test/support/emulator.js';
import { parseKeyId } from '../src/crypto/index.js';
import { AmsClient } from '../src/rest/index.js';
import { protectWithEnvelope } from '../src/workflows/index.js';

/** protectWithEnvelope against the emulator: what it sets up lets a player fetch exactly the key it made. */

let emu: TestEmulator;
let client: AmsClient;

beforeAll(async () => {
  emu = await startTestEmulator();
  client = new AmsClient({ endpoint: emu.url, auth: { kind: 'static', token: 'test' }, retry: { baseDelayMs: 1, maxDelayMs: 10 } });
});
afterAll(() => emu?.close());

const TEMPLATE_NS = 'http://schemas.microsoft.com/Azure/MediaServices/KeyDelivery/TokenRestrictionTemplate/v1';
const KEY_ID_CLAIM = 'urn:microsoft:azure:mediaservices:contentkeyidentifier';

describe('protectWithEnvelope', () => {
  it('with an open restriction: the key delivery URL gives the 16-byte key, and the asset lists its delivery policy', async () => {
    const asset = await client.createAsset({ Name: 'open envelope' });
    const protection = await protectWithEnvelope(client, asset.Id, { kind: 'open' });
    expect(protection.key.length).toBe(16);
    expect(protection.keyDeliveryUrl).toBe(`${emu.baseUrl}keydelivery/?KID=${parseKeyId(protection.keyId).toLowerCase()}`);
    const res = await fetch(protection.keyDeliveryUrl, { method: 'POST', body: '' });
    expect(res.status).toBe(200);
    expect(Buffer.from(await res.arrayBuffer()).equals(protection.key)).toBe(true);
    const policies = await emu.ams('GET', `Assets('${encodeURIComponent(asset.Id)}')/DeliveryPolicies`);
    expect(policies.body.value.map((p: { Id: string }) => p.Id)).toEqual([protection.deliveryPolicyId]);
    const key = await client.getContentKey(protection.keyId);
    expect(key.ContentKeyType).toBe(4);
  });

  it('with a JWT template: only a valid token gets the key', async () => {
    const signing = randomBytes(64);
    const template =
      `<TokenRestrictionTemplate xmlns:i="http://www.w3.org/2001/XMLSchema-instance" xmlns="${TEMPLATE_NS}"><Audience>urn:aud</Audience><Issuer>https://iss.test/</Issuer>` +
      `<PrimaryVerificationKey i:type="SymmetricVerificationKey"><KeyValue>${signing.toString('base64')}</KeyValue></PrimaryVerificationKey>` +
      `<RequiredClaims><TokenClaim><ClaimType>${KEY_ID_CLAIM}</ClaimType><ClaimValue i:nil="true" /></TokenClaim></RequiredClaims><TokenType>JWT</TokenType></TokenRestrictionTemplate>`;
    const asset = await client.createAsset({ Name: 'token envelope' });
    const protection = await protectWithEnvelope(client, asset.Id, { kind: 'token', template });
    const token = await new SignJWT({ [KEY_ID_CLAIM]: parseKeyId(protection.keyId).toLowerCase() })
      .setProtectedHeader({ alg: 'HS256' })
      .setIssuer('https://iss.test/')
      .setAudience('urn:aud')
      .setExpirationTime('10m')
      .sign(new Uint8Array(signing));
    const ok = await fetch(protection.keyDeliveryUrl, { method: 'POST', headers: { Authorization: `Bearer ${token}` }, body: '' });
    expect(Buffer.from(await ok.arrayBuffer()).equals(protection.key)).toBe(true);
    expect((await fetch(protection.keyDeliveryUrl, { method: 'POST', body: '' })).status).toBe(401);
  });
});
