import { constants, createPrivateKey, generateKeyPairSync, publicEncrypt, type KeyObject } from 'node:crypto';
import fc from 'fast-check';
import forge from 'node-forge';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  certificatePublicKey, createProtectionCertificate, CryptoInputError, diagnoseWrappedKey, toPrivateKey, unwrapContentKey, wrapContentKey,
  type ProtectionCertificate, type WrapDiagnosisKind,
} from '../src/crypto/index.js';

// One certificate for the whole file: RSA key generation is the slow part.
let cert: ProtectionCertificate;
let privateKey: KeyObject;
let forgePrivate: forge.pki.rsa.PrivateKey;
let forgePublic: forge.pki.rsa.PublicKey;
/** A second key, standing for "another certificate". */
let otherPublic: KeyObject;

beforeAll(() => {
  cert = createProtectionCertificate();
  privateKey = createPrivateKey(cert.privateKeyPem);
  forgePrivate = forge.pki.privateKeyFromPem(cert.privateKeyPem) as forge.pki.rsa.PrivateKey;
  forgePublic = forge.pki.certificateFromPem(cert.certificatePem).publicKey as forge.pki.rsa.PublicKey;
  otherPublic = generateKeyPairSync('rsa', { modulusLength: 2048 }).publicKey;
});

const contentKey = fc.uint8Array({ minLength: 32, maxLength: 32 });
const binary = (bytes: Uint8Array) => Buffer.from(bytes).toString('binary');
const fromBinary = (text: string) => Buffer.from(text, 'binary');

/** OAEP through node-forge, which lets the hash and the MGF1 hash differ (Node ties them). */
function forgeOaep(key: Uint8Array, md: 'sha1' | 'sha256', mgf1: 'sha1' | 'sha256'): Buffer {
  return fromBinary(forgePublic.encrypt(binary(key), 'RSA-OAEP', { md: forge.md[md].create(), mgf1: { md: forge.md[mgf1].create() } }));
}

/** The `reason` unwrapContentKey refuses with; fails the test when it accepts. */
function unwrapRefusal(wrapped: string | Uint8Array): CryptoInputError {
  try {
    unwrapContentKey(privateKey, wrapped);
  } catch (err) {
    expect(err).toBeInstanceOf(CryptoInputError);
    return err as CryptoInputError;
  }
  throw new Error('unwrapContentKey accepted a wrongly wrapped key');
}

describe('content key wrapping (RSA-OAEP, SHA-1, MGF1-SHA-1, empty label)', () => {
  it('wraps to 256 bytes that node-forge opens with OAEP-SHA-1', () => {
    fc.assert(
      fc.property(contentKey, (key) => {
        const wrapped = wrapContentKey(cert.der, key);
        expect(wrapped).toHaveLength(256);
        const opened = forgePrivate.decrypt(binary(wrapped), 'RSA-OAEP', { md: forge.md.sha1.create(), mgf1: { md: forge.md.sha1.create() } });
        expect(fromBinary(opened)).toEqual(Buffer.from(key));
      }),
      { numRuns: 12 },
    );
  });

  it('unwraps what node-forge wrapped, from bytes or from base64 text with line breaks', () => {
    fc.assert(
      fc.property(contentKey, (key) => {
        const wrapped = forgeOaep(key, 'sha1', 'sha1');
        expect(unwrapContentKey(cert.privateKeyPem, wrapped)).toEqual(Buffer.from(key));
        const base64 = wrapped.toString('base64').replace(/.{76}/g, '$&\r\n');
        expect(unwrapContentKey(privateKey, base64)).toEqual(Buffer.from(key));
      }),
      { numRuns: 25 },
    );
  });

  it('wraps with a certificate in any form or a public key, and randomises each wrap', () => {
    const key = Buffer.alloc(32, 7);
    for (const form of [cert.der, cert.certificatePem, cert.der.toString('base64'), certificatePublicKey(cert.der)]) {
      expect(unwrapContentKey(privateKey, wrapContentKey(form, key))).toEqual(key);
    }
    expect(wrapContentKey(cert.der, key).equals(wrapContentKey(cert.der, key))).toBe(false);
  });

  it('diagnoses a correct wrap as ok, with the key length', () => {
    const diagnosis = diagnoseWrappedKey(privateKey, wrapContentKey(cert.der, Buffer.alloc(32, 1)).toString('base64'));
    expect(diagnosis).toMatchObject({ kind: 'ok', keyLength: 32 });
  });

  const mistakes: { name: string; kind: WrapDiagnosisKind; wrap: (key: Uint8Array) => Buffer; message: RegExp }[] = [
    {
      name: 'OAEP with SHA-256',
      kind: 'oaep-sha256',
      wrap: (key) => publicEncrypt({ key: certificatePublicKey(cert.der), padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha256' }, key),
      message: /SHA-256.*the service uses SHA-1/,
    },
    {
      name: 'OAEP with SHA-256 and MGF1-SHA-1 (Java OAEPWithSHA-256AndMGF1Padding)',
      kind: 'oaep-sha256-mgf1-sha1',
      wrap: (key) => forgeOaep(key, 'sha256', 'sha1'),
      message: /SHA-256 with MGF1-SHA-1/,
    },
    {
      name: 'PKCS#1 v1.5',
      kind: 'pkcs1-v1_5',
      wrap: (key) => publicEncrypt({ key: certificatePublicKey(cert.der), padding: constants.RSA_PKCS1_PADDING }, key),
      message: /PKCS#1 v1\.5/,
    },
    {
      name: 'another certificate',
      kind: 'other-certificate',
      wrap: (key) => publicEncrypt({ key: otherPublic, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha1' }, key),
      message: /another certificate/,
    },
  ];

  it.each(mistakes)('names the mistake: $name', ({ kind, wrap, message }) => {
    fc.assert(
      fc.property(contentKey, (key) => {
        const wrapped = wrap(key);
        const diagnosis = diagnoseWrappedKey(privateKey, wrapped);
        expect(diagnosis.kind).toBe(kind);
        expect(diagnosis.message).toMatch(message);
        if (kind !== 'other-certificate') expect(diagnosis.keyLength).toBe(32);
        const refusal = unwrapRefusal(wrapped.toString('base64'));
        expect(refusal.reason).toBe(kind);
        expect(refusal.message).toMatch(message);
      }),
      { numRuns: 5 },
    );
  });

  it('names a truncated or padded blob: not 256 bytes', () => {
    const wrapped = wrapContentKey(cert.der, Buffer.alloc(32, 2));
    for (const blob of [wrapped.subarray(0, 255), wrapped.subarray(0, 128), Buffer.concat([wrapped, Buffer.alloc(1)]), Buffer.alloc(32, 9)]) {
      const diagnosis = diagnoseWrappedKey(privateKey, blob);
      expect(diagnosis.kind).toBe('wrong-length');
      expect(diagnosis.message).toContain(`${blob.length} bytes`);
      expect(diagnosis.message).toContain('exactly 256');
      const refusal = unwrapRefusal(blob);
      expect(refusal.reason).toBe('wrong-length');
      expect(refusal.message).toContain('256');
    }
  });

  it('names text that is not base64', () => {
    for (const text of ['not base64!', '', '   ', 'AAAA*AAA', 'A', 'AAAAA']) {
      const diagnosis = diagnoseWrappedKey(privateKey, text);
      expect(diagnosis.kind, JSON.stringify(text)).toBe('not-base64');
      expect(diagnosis.message).toMatch(/base64|empty/);
      expect(unwrapRefusal(text).reason).toBe('not-base64');
    }
  });

  it('names a value at or above the modulus as wrapped to another certificate', () => {
    const diagnosis = diagnoseWrappedKey(privateKey, Buffer.alloc(256, 0xff));
    expect(diagnosis.kind).toBe('other-certificate');
    expect(unwrapRefusal(Buffer.alloc(256, 0xff)).reason).toBe('other-certificate');
  });

  it('refuses a private key it cannot read, and a key that is not RSA', () => {
    const reasonOf = (f: () => unknown): string => {
      try {
        f();
      } catch (err) {
        expect(err).toBeInstanceOf(CryptoInputError);
        return (err as CryptoInputError).reason;
      }
      return 'accepted';
    };
    expect(reasonOf(() => toPrivateKey('-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----'))).toBe('private-key');
    expect(reasonOf(() => toPrivateKey('garbage'))).toBe('private-key');
    expect(reasonOf(() => unwrapContentKey(Buffer.from('not a key'), Buffer.alloc(256)))).toBe('private-key');
    const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey;
    expect(reasonOf(() => unwrapContentKey(ec, Buffer.alloc(256)))).toBe('private-key');
    expect(toPrivateKey(privateKey)).toBe(privateKey);
  });
});
