import { createHash, createPrivateKey, generateKeyPairSync, X509Certificate } from 'node:crypto';
import forge from 'node-forge';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  certificateDer, certificatePublicKey, certificateThumbprint, certificateToBase64Der, createProtectionCertificate, CryptoInputError,
  loadCertificate, loadProtectionCertificatePem, loadProtectionCertificatePfx, type ProtectionCertificate,
} from '../src/crypto/index.js';

// One certificate for the whole file: RSA key generation is the slow part.
let cert: ProtectionCertificate;
/** A private key that belongs to no certificate here. */
let strangerKeyPem: string;

beforeAll(() => {
  cert = createProtectionCertificate();
  strangerKeyPem = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
});

function reasonOf(f: () => unknown): string {
  try {
    f();
  } catch (err) {
    expect(err).toBeInstanceOf(CryptoInputError);
    return (err as CryptoInputError).reason;
  }
  return 'accepted';
}

/** A PKCS#12 file as Windows or OpenSSL would export it, built with node-forge. */
function pfx(password: string | null, options: { withKey?: boolean; algorithm?: 'aes256' | '3des'; caFirst?: ProtectionCertificate } = {}): Buffer {
  const key = options.withKey === false ? null : (forge.pki.privateKeyFromPem(cert.privateKeyPem) as forge.pki.rsa.PrivateKey);
  const leaf = forge.pki.certificateFromPem(cert.certificatePem);
  const certificates = options.caFirst ? [forge.pki.certificateFromPem(options.caFirst.certificatePem), leaf] : [leaf];
  const asn1 = forge.pkcs12.toPkcs12Asn1(key, certificates, password, {
    algorithm: options.algorithm ?? '3des',
    count: 1000,
  });
  return Buffer.from(forge.asn1.toDer(asn1).getBytes(), 'binary');
}

function expectSameIdentity(loaded: ProtectionCertificate): void {
  expect(loaded.thumbprint).toBe(cert.thumbprint);
  expect(loaded.der).toEqual(cert.der);
  expect(new X509Certificate(loaded.der).checkPrivateKey(createPrivateKey(loaded.privateKeyPem))).toBe(true);
  expect(loaded.privateKeyPem).toMatch(/^-----BEGIN PRIVATE KEY-----/);
}

describe('protection certificate', () => {
  it('is a parseable, self-signed RSA-2048 X.509 certificate with its private key', () => {
    const x509 = new X509Certificate(cert.der);
    expect(x509.subject).toBe('CN=ams-v2-emulator-protection-key');
    expect(x509.issuer).toBe(x509.subject);
    expect(x509.verify(x509.publicKey)).toBe(true);
    const parsed = forge.pki.certificateFromPem(cert.certificatePem);
    expect(parsed.siginfo.algorithmOid).toBe(forge.pki.oids.sha256WithRSAEncryption);
    expect(parsed.verify(parsed)).toBe(true);
    expect(x509.publicKey.asymmetricKeyType).toBe('rsa');
    expect(x509.publicKey.asymmetricKeyDetails?.modulusLength).toBe(2048);
    expect(x509.checkPrivateKey(createPrivateKey(cert.privateKeyPem))).toBe(true);
    expect(new Date(x509.validFrom).getTime()).toBeLessThanOrEqual(Date.now());
    expect(new Date(x509.validTo).getTime()).toBeGreaterThan(Date.now() + 19 * 365 * 24 * 3600 * 1000);
    expect(cert.certificatePem).toMatch(/^-----BEGIN CERTIFICATE-----/);
  });

  it('is made around a key pair made ahead, when given one, and signed by it', () => {
    const keyPair = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const made = createProtectionCertificate({ keyPair });
    const x509 = new X509Certificate(made.der);
    expect(x509.publicKey.export({ type: 'spki', format: 'der' })).toEqual(keyPair.publicKey.export({ type: 'spki', format: 'der' }));
    expect(x509.verify(keyPair.publicKey)).toBe(true);
    expect(x509.checkPrivateKey(createPrivateKey(made.privateKeyPem))).toBe(true);
    expect(createPrivateKey(made.privateKeyPem).export({ type: 'pkcs8', format: 'der' })).toEqual(keyPair.privateKey.export({ type: 'pkcs8', format: 'der' }));
  });

  it('takes the common name and validity asked for', () => {
    const small = createProtectionCertificate({ commonName: 'test-cert', validYears: 1, bits: 1024 });
    const x509 = new X509Certificate(small.der);
    expect(x509.subject).toBe('CN=test-cert');
    expect(x509.publicKey.asymmetricKeyDetails?.modulusLength).toBe(1024);
    expect(new Date(x509.validTo).getTime()).toBeLessThan(Date.now() + 2 * 365 * 24 * 3600 * 1000);
    expect(small.thumbprint).not.toBe(cert.thumbprint);
  });

  it('has as thumbprint the upper-case hex SHA-1 of its DER (X509Certificate2.Thumbprint)', () => {
    const expected = createHash('sha1').update(cert.der).digest('hex').toUpperCase();
    expect(cert.thumbprint).toBe(expected);
    expect(cert.thumbprint).toMatch(/^[0-9A-F]{40}$/);
    expect(certificateThumbprint(cert.certificatePem)).toBe(expected);
    expect(new X509Certificate(cert.der).fingerprint.replace(/:/g, '')).toBe(expected);
  });

  it('reads DER, PEM (text or bytes) and base64 DER (with or without line breaks) to the same DER', () => {
    const base64 = cert.der.toString('base64');
    const inputs: [string, string | Uint8Array][] = [
      ['DER bytes', new Uint8Array(cert.der)],
      ['PEM text', cert.certificatePem],
      ['PEM bytes', Buffer.from(cert.certificatePem, 'utf8')],
      ['PEM with CRLF line ends', cert.certificatePem.replace(/\n/g, '\r\n')],
      ['base64 DER', base64],
      ['base64 DER wrapped at 76', base64.replace(/.{76}/g, '$&\n')],
      ['base64 DER with spaces around', `  ${base64}\n`],
    ];
    for (const [name, input] of inputs) {
      expect(certificateDer(input), name).toEqual(cert.der);
      expect(certificateThumbprint(input), name).toBe(cert.thumbprint);
    }
    expect(certificateToBase64Der(cert.certificatePem)).toBe(base64);
    expect(certificateToBase64Der(cert.certificatePem)).not.toMatch(/\s/);
    expect(loadCertificate(base64).fingerprint).toBe(new X509Certificate(cert.der).fingerprint);
    expect(certificatePublicKey(base64).asymmetricKeyDetails?.modulusLength).toBe(2048);
  });

  it('refuses what is not a certificate, saying which form failed', () => {
    expect(reasonOf(() => certificateDer('not a certificate!'))).toBe('certificate-base64');
    expect(reasonOf(() => certificateDer(''))).toBe('certificate-base64');
    expect(reasonOf(() => certificateDer(cert.privateKeyPem))).toBe('certificate-pem');
    expect(reasonOf(() => loadCertificate('AAAA'))).toBe('certificate-parse');
    expect(reasonOf(() => loadCertificate(Buffer.from([0x30, 0x03, 0x02, 0x01, 0x01])))).toBe('certificate-parse');
  });

  it('loads from PEM with its key, as two texts or one file holding both', () => {
    expectSameIdentity(loadProtectionCertificatePem(cert.certificatePem, cert.privateKeyPem));
    const pkcs1 = createPrivateKey(cert.privateKeyPem).export({ type: 'pkcs1', format: 'pem' }).toString();
    expectSameIdentity(loadProtectionCertificatePem(cert.certificatePem, pkcs1));
    const combined = `${cert.certificatePem}${cert.privateKeyPem}`;
    expectSameIdentity(loadProtectionCertificatePem(combined, combined));
  });

  it('refuses a PEM key that does not belong to the certificate, and one it cannot read', () => {
    expect(reasonOf(() => loadProtectionCertificatePem(cert.certificatePem, strangerKeyPem))).toBe('key-mismatch');
    expect(reasonOf(() => loadProtectionCertificatePem(cert.certificatePem, 'not a key'))).toBe('private-key');
    expect(reasonOf(() => loadProtectionCertificatePem(strangerKeyPem, cert.privateKeyPem))).toBe('certificate-pem');
  });

  it('opens a password-protected PFX, and one without a password', () => {
    expectSameIdentity(loadProtectionCertificatePfx(pfx('s3cret!'), 's3cret!'));
    expectSameIdentity(loadProtectionCertificatePfx(pfx('pässwörd', { algorithm: 'aes256' }), 'pässwörd'));
    // "No password" as `openssl pkcs12 -export -passout pass:` writes it: the empty password.
    expectSameIdentity(loadProtectionCertificatePfx(pfx('')));
    expectSameIdentity(loadProtectionCertificatePfx(pfx(''), ''));
  });

  // node-forge `toPkcs12Asn1(key, cert, null)` keys the MAC with the NULL password; OpenSSL's
  // PKCS12_parse tries both NULL and "" and opens it with `-passin pass:`.
  it('opens a PFX whose MAC uses the NULL password when given no password, as OpenSSL does', () => {
    expectSameIdentity(loadProtectionCertificatePfx(pfx(null)));
  });

  // A PFX exported with its chain may store the issuer's certificate first.
  it('opens a PFX that stores another certificate of the chain before the one matching the key', () => {
    const issuer = createProtectionCertificate({ commonName: 'issuer', bits: 1024 });
    expectSameIdentity(loadProtectionCertificatePfx(pfx('pw', { caFirst: issuer }), 'pw'));
  });

  it('refuses a PFX with the wrong password, one without a key, and bytes that are no PFX', () => {
    const locked = pfx('right');
    expect(reasonOf(() => loadProtectionCertificatePfx(locked, 'wrong'))).toBe('pfx');
    expect(reasonOf(() => loadProtectionCertificatePfx(locked))).toBe('pfx');
    expect(() => loadProtectionCertificatePfx(locked, 'wrong')).toThrow(/wrong password/);
    expect(reasonOf(() => loadProtectionCertificatePfx(pfx('x', { withKey: false }), 'x'))).toBe('pfx');
    expect(reasonOf(() => loadProtectionCertificatePfx(Buffer.from('definitely not PKCS#12')))).toBe('pfx');
    expect(reasonOf(() => loadProtectionCertificatePfx(cert.der))).toBe('pfx');
  });
});
