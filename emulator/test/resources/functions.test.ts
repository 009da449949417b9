import { constants, createHash, privateDecrypt, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import request from 'supertest';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { certificateToBase64Der, createProtectionCertificate, formatKeyId, type ProtectionCertificate } from '../../../client/src/crypto/index.js';
import { AMS_HEADERS, quoted, rawRequest, startTestEmulator, type TestEmulator } from '../../../test/support/emulator.js';
import { createStorageKey, errorMessage, protectionKey, type ProtectionKey } from '../helpers/api-fixtures.js';
import { unusableCertificate } from '../helpers/fuzz-values.js';

/**
 * The service document, $metadata and the protection-key functions: what every SDK calls before it
 * creates anything, in the spellings the .NET, Java and PHP SDKs used.
 */

let emu: TestEmulator;
let protection: ProtectionKey;
/** A client's own certificate, for RebindContentKey re-wrapping (the Java SDK's test does this). */
let clientCert: ProtectionCertificate;

beforeAll(async () => {
  emu = await startTestEmulator();
  protection = await protectionKey(emu);
  clientCert = createProtectionCertificate({ commonName: 'client-under-test' });
});
afterAll(() => emu.close());
beforeEach(() => emu.reset());

describe('service document and $metadata', () => {
  it('lists the entity sets in minimal JSON with odata.metadata', async () => {
    const res = await emu.ams('GET', '');
    expect(res.status).toBe(200);
    expect(res.body['odata.metadata']).toBe(`${emu.url}$metadata`);
    const names = (res.body.value as { name: string; url: string }[]).map((s) => s.name);
    for (const set of ['Assets', 'Files', 'ContentKeys', 'AccessPolicies', 'Locators']) expect(names).toContain(set);
    for (const s of res.body.value as { name: string; url: string }[]) expect(s.url).toBe(s.name);
  });

  it('answers verbose JSON and Atom service documents', async () => {
    const verbose = await emu.ams('GET', '', { headers: { Accept: 'application/json;odata=verbose' } });
    expect(verbose.status).toBe(200);
    expect(verbose.body.d.EntitySets).toContain('ContentKeys');
    const atom = await emu.ams('GET', '', { headers: { Accept: 'application/atom+xml,application/xml' } });
    expect(atom.status).toBe(200);
    expect(atom.headers.get('content-type')).toMatch(/^application\/atomsvc\+xml/);
    expect(atom.text).toContain('<service');
    expect(atom.text).toContain('href="Assets"');
  });

  it('redirects the root to /api/ with a 301, as media.windows.net did', async () => {
    const res = await request(emu.origin).get('/').set(AMS_HEADERS).redirects(0);
    expect(res.status).toBe(301);
    expect(res.headers['location']).toBe(`${emu.url}`);
  });

  it('serves $metadata as CSDL XML covering the entity types and the functions', async () => {
    const res = await request(emu.url).get('$metadata').set(AMS_HEADERS);
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(/^application\/xml/);
    const xml = res.text;
    expect(xml).toContain('<edmx:Edmx');
    for (const type of ['Asset', 'AssetFile', 'ContentKey', 'AccessPolicy', 'Locator']) expect(xml).toContain(`<EntityType Name="${type}"`);
    for (const fn of ['GetProtectionKeyId', 'GetProtectionKey', 'RebindContentKey', 'CreateFileInfos']) expect(xml).toContain(`<FunctionImport Name="${fn}"`);
    expect(xml).toContain('Name="DurationInMinutes" Type="Edm.Double"');
  });

  it('serves $metadata to a browser that names the version in the query instead of x-ms-version', async () => {
    const withQuery = await request(emu.url).get('$metadata?api-version=2.19').set('Authorization', 'Bearer x');
    expect(withQuery.status).toBe(200);
    const without = await request(emu.url).get('$metadata').set('Authorization', 'Bearer x');
    expect(without.status).toBe(400);
  });
});

describe('GetProtectionKeyId', () => {
  it('returns the thumbprint of the certificate GetProtectionKey serves, in minimal JSON', async () => {
    const res = await emu.ams('GET', 'GetProtectionKeyId?contentKeyType=1');
    expect(res.status).toBe(200);
    expect(res.body['odata.metadata']).toBe(`${emu.url}$metadata#Edm.String`);
    expect(res.body.value).toMatch(/^[0-9A-F]{40}$/);
    expect(res.body.value).toBe(emu.emulator.protectionKeyId);
    const der = Buffer.from(protection.certificate, 'base64');
    expect(createHash('sha1').update(der).digest('hex').toUpperCase()).toBe(res.body.value);
  });

  it('serves one certificate for every content key type (PHP asks for type 0 and uses it for type 1)', async () => {
    for (const type of [0, 1, 2, 3, 4, 6, 7, 8]) {
      const res = await emu.ams('GET', `GetProtectionKeyId?contentKeyType=${type}`);
      expect(res.status, `type ${type}`).toBe(200);
      expect(res.body.value).toBe(protection.thumbprint);
    }
  });

  it('matches the parameter name case-insensitively', async () => {
    for (const name of ['ContentKeyType', 'CONTENTKEYTYPE', 'contentkeytype']) {
      const res = await emu.ams('GET', `GetProtectionKeyId?${name}=1`);
      expect(res.status, name).toBe(200);
      expect(res.body.value).toBe(protection.thumbprint);
    }
  });

  it.each([
    ['missing', 'GetProtectionKeyId', /contentKeyType/],
    ['not a number', 'GetProtectionKeyId?contentKeyType=abc', /"abc" is not a content key type/],
    ['an undefined type', 'GetProtectionKeyId?contentKeyType=5', /"5" is not a content key type/],
    ['negative', 'GetProtectionKeyId?contentKeyType=-1', /not a content key type/],
  ])('refuses a %s contentKeyType with a 400 that says what to send', async (_label, path, message) => {
    const res = await emu.ams('GET', path);
    expect(res.status).toBe(400);
    expect(errorMessage(res.body)).toMatch(message);
  });

  it('answers the Java SDK (Accept: application/xml) with <GetProtectionKeyId> in the data namespace', async () => {
    const res = await emu.ams('GET', 'GetProtectionKeyId?contentKeyType=1', { headers: { Accept: 'application/xml,application/xml' } });
    expect(res.status).toBe(200);
    expect(res.text).toMatch(new RegExp(`<GetProtectionKeyId xmlns="http://schemas.microsoft.com/ado/2007/08/dataservices">${protection.thumbprint}</GetProtectionKeyId>`));
  });

  it('answers verbose JSON as {"d":{"GetProtectionKeyId": ...}}', async () => {
    const res = await emu.ams('GET', 'GetProtectionKeyId?contentKeyType=1', { headers: { Accept: 'application/json;odata=verbose' } });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ d: { GetProtectionKeyId: protection.thumbprint } });
  });
});

describe('GetProtectionKey', () => {
  it('returns the certificate as base64 DER (no PEM armour)', async () => {
    const res = await emu.ams('GET', `GetProtectionKey?ProtectionKeyId='${protection.thumbprint}'`);
    expect(res.status).toBe(200);
    expect(res.body.value).toMatch(/^[A-Za-z0-9+/]+={0,2}$/);
    expect(res.body.value).not.toContain('BEGIN');
  });

  it("accepts the .NET SDK's protectionKeyId spelling, other casings, a lower-case thumbprint and an encoded quote", async () => {
    for (const path of [
      `GetProtectionKey?protectionKeyId='${protection.thumbprint}'`,
      `GetProtectionKey?PROTECTIONKEYID='${protection.thumbprint}'`,
      `GetProtectionKey?ProtectionKeyId='${protection.thumbprint.toLowerCase()}'`,
      `GetProtectionKey?ProtectionKeyId=%27${protection.thumbprint}%27`,
    ]) {
      const res = await emu.ams('GET', path);
      expect(res.status, path).toBe(200);
      expect(res.body.value).toBe(protection.certificate);
    }
  });

  it('answers 404 for a well-formed thumbprint it does not have, naming the one it has', async () => {
    const res = await emu.ams('GET', `GetProtectionKey?ProtectionKeyId='${'AB'.repeat(20)}'`);
    expect(res.status).toBe(404);
    expect(errorMessage(res.body)).toContain(protection.thumbprint);
  });

  it.each([
    ['not hex', "GetProtectionKey?ProtectionKeyId='not-a-thumbprint'"],
    ['too short', "GetProtectionKey?ProtectionKeyId='ABCDEF'"],
    ['missing', 'GetProtectionKey'],
    ['empty', "GetProtectionKey?ProtectionKeyId=''"],
  ])('answers 400 for a %s ProtectionKeyId', async (_label, path) => {
    const res = await emu.ams('GET', path);
    expect(res.status).toBe(400);
    expect(errorMessage(res.body)).toMatch(/ProtectionKeyId/);
  });

  it('answers the Java SDK with <GetProtectionKey> XML', async () => {
    const res = await emu.ams('GET', `GetProtectionKey?ProtectionKeyId='${protection.thumbprint}'`, { headers: { Accept: 'application/xml' } });
    expect(res.status).toBe(200);
    expect(res.text).toContain(`>${protection.certificate}</GetProtectionKey>`);
  });
});

describe('RebindContentKey', () => {
  it("returns the clear key in base64 for an empty certificate (the .NET SDK's GetClearKeyValue)", async () => {
    const key = await createStorageKey(emu, protection);
    const res = await emu.ams('GET', `RebindContentKey?id=${quoted(key.id)}&x509Certificate=''`);
    expect(res.status).toBe(200);
    expect(Buffer.from(String(res.body.value), 'base64').equals(key.key)).toBe(true);
  });

  it('accepts the id unencoded, and the parameters in any order and casing (Java sends x509Certificate first)', async () => {
    const key = await createStorageKey(emu, protection);
    for (const path of [
      `RebindContentKey?id='${key.id}'&x509Certificate=''`,
      `RebindContentKey?x509Certificate=''&id=${quoted(key.id)}`,
      `RebindContentKey?ID=${quoted(key.id)}&X509CERTIFICATE=''`,
      `RebindContentKey?id=${quoted(key.id.toUpperCase())}&x509Certificate=''`,
    ]) {
      const res = await emu.ams('GET', path);
      expect(res.status, path).toBe(200);
      expect(Buffer.from(String(res.body.value), 'base64').equals(key.key)).toBe(true);
    }
  });

  it("re-wraps the key to the client's certificate with RSA-OAEP-SHA1, which its private key opens", async () => {
    const key = await createStorageKey(emu, protection);
    const cert = clientCert.der.toString('base64');
    const res = await emu.ams('GET', `RebindContentKey?id=${quoted(key.id)}&x509Certificate=${quoted(cert)}`);
    expect(res.status, res.text).toBe(200);
    const wrapped = Buffer.from(String(res.body.value), 'base64');
    expect(wrapped.length).toBe(256);
    const opened = privateDecrypt({ key: clientCert.privateKeyPem, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha1' }, wrapped);
    expect(opened.equals(key.key)).toBe(true);
    // Not wrapped to the protection key: the emulator's own cert would not be the client's.
    expect(() => privateDecrypt({ key: clientCert.privateKeyPem, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha256' }, wrapped)).toThrow();
  });

  it("takes a certificate whose base64 '+' was sent unencoded (and so arrives as a space)", async () => {
    const key = await createStorageKey(emu, protection);
    const cert = clientCert.der.toString('base64');
    expect(cert).toContain('+');
    const res = await rawRequest(emu.baseUrl, 'GET', `/api/RebindContentKey?id='${encodeURIComponent(key.id)}'&x509Certificate='${cert}'`);
    expect(res.status, res.text).toBe(200);
    const wrapped = Buffer.from(String(JSON.parse(res.text).value), 'base64');
    const opened = privateDecrypt({ key: clientCert.privateKeyPem, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha1' }, wrapped);
    expect(opened.equals(key.key)).toBe(true);
  });

  it('answers 400 for a key whose EncryptedContentKey cannot be unwrapped (the Java SDK expects it)', async () => {
    const id = formatKeyId('6c3a2f4e-1b2d-4c5e-8f90-a1b2c3d4e5f6');
    const created = await emu.ams('POST', 'ContentKeys', { body: { Id: id, ContentKeyType: 1, EncryptedContentKey: 'dummyEncryptedContentKey' } });
    expect(created.status).toBe(201);
    const res = await emu.ams('GET', `RebindContentKey?id=${quoted(id)}&x509Certificate=''`);
    expect(res.status).toBe(400);
    expect(errorMessage(res.body)).toMatch(/cannot be unwrapped/);
  });

  it.each([
    ['not base64', "'this is not a certificate!'"],
    ['base64 of random bytes', `'${randomBytes(300).toString('base64')}'`],
  ])('answers 400 for a certificate that is %s, saying what to send', async (_label, cert) => {
    const key = await createStorageKey(emu, protection);
    const res = await emu.ams('GET', `RebindContentKey?id=${quoted(key.id)}&x509Certificate=${encodeURIComponent(cert)}`);
    expect(res.status).toBe(400);
    expect(errorMessage(res.body)).toMatch(/x509Certificate/);
  });

  it('answers 400 "x509Certificate is not usable" for certificates no key can be wrapped to, never a 500 (property)', async () => {
    const key = await createStorageKey(emu, protection);
    const real512 = createProtectionCertificate({ bits: 512 }).der.toString('base64');
    const notRsa = ['ec-p256', 'ed25519', 'rsa-pss'].map((name) => ({ why: `a ${name} key`, certificate: certificateToBase64Der(readFileSync(new URL(`../fixtures/certificates/${name}.pem`, import.meta.url), 'utf8')) }));
    const cases = [{ why: 'a real 512-bit RSA key', certificate: real512 }, ...notRsa, ...fc.sample(unusableCertificate, { numRuns: 12, seed: 13 })];
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...cases), async ({ why, certificate }) => {
        const res = await emu.ams('GET', `RebindContentKey?id=${quoted(key.id)}&x509Certificate=${quoted(certificate)}`);
        expect(res.status, `${why}: ${res.text}`).toBe(400);
        expect(errorMessage(res.body), why).toMatch(/^x509Certificate is not usable: its (RSA modulus|RSA public exponent|public key)/);
      }),
      { numRuns: cases.length * 2 },
    );
  });

  it('takes a PEM certificate in the query in the forms SDKs sent: encoded, or with + and spaces as +', async () => {
    const key = await createStorageKey(emu, protection);
    const pem = clientCert.certificatePem;
    expect(pem).toMatch(/\+/);
    const sent = [
      encodeURIComponent(pem),
      encodeURIComponent(pem).replace(/%2B/g, '+'),
      pem.replace(/\r?\n/g, '%0A').replace(/ /g, '+'),
      encodeURIComponent(pem.replace(/\r?\n/g, '')).replace(/%20/g, '+').replace(/%2B/g, '+'),
    ];
    for (const query of sent) {
      const res = await rawRequest(emu.baseUrl, 'GET', `/api/RebindContentKey?id='${encodeURIComponent(key.id)}'&x509Certificate='${query}'`);
      expect(res.status, `${query.slice(0, 60)}: ${res.text}`).toBe(200);
      const wrapped = Buffer.from(String(JSON.parse(res.text).value), 'base64');
      expect(privateDecrypt({ key: clientCert.privateKeyPem, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha1' }, wrapped).equals(key.key)).toBe(true);
    }
  });

  it('answers 404 for an unknown key, 400 for a malformed id or none', async () => {
    expect((await emu.ams('GET', `RebindContentKey?id=${quoted(formatKeyId('00000000-0000-4000-8000-000000000000'))}&x509Certificate=''`)).status).toBe(404);
    expect((await emu.ams('GET', "RebindContentKey?id='not-a-key-id'&x509Certificate=''")).status).toBe(400);
    expect((await emu.ams('GET', "RebindContentKey?x509Certificate=''")).status).toBe(400);
  });

  it('answers the Java SDK with <RebindContentKey> XML', async () => {
    const key = await createStorageKey(emu, protection);
    const res = await emu.ams('GET', `RebindContentKey?x509Certificate=''&id=${quoted(key.id)}`, { headers: { Accept: 'application/xml' } });
    expect(res.status).toBe(200);
    const m = /<RebindContentKey xmlns="http:\/\/schemas.microsoft.com\/ado\/2007\/08\/dataservices">([^<]*)<\/RebindContentKey>/.exec(res.text);
    expect(m).not.toBeNull();
    expect(Buffer.from(m![1]!, 'base64').equals(key.key)).toBe(true);
  });
});
