import { createHash, createPrivateKey, generateKeyPairSync, sign, X509Certificate, type KeyObject } from 'node:crypto';
import { createRequire } from 'node:module';
import type forge from 'node-forge';
import { CryptoInputError } from './errors.js';

/**
 * node-forge on first use: only creating a certificate and reading a PFX need it, and loading it
 * is a noticeable part of a start-up that finds its key on disk.
 */
let loadedForge: typeof forge | undefined;
function loadForge(): typeof forge {
  return (loadedForge ??= createRequire(import.meta.url)('node-forge') as typeof forge);
}

/** A certificate given as DER bytes, PEM text, or the base64 DER string `GetProtectionKey` returns. */
export type CertificateInput = Uint8Array | string;

/** An X.509 protection certificate with its private key (the emulator's, or a test's). */
export interface ProtectionCertificate {
  der: Buffer;
  certificatePem: string;
  privateKeyPem: string;
  /** Upper-case hex SHA-1 of the DER: `X509Certificate2.Thumbprint`, the `ProtectionKeyId`. */
  thumbprint: string;
}

/** Parse a certificate from DER, PEM or base64 DER, saying which of the three failed. */
export function loadCertificate(input: CertificateInput): X509Certificate {
  const der = certificateDer(input);
  try {
    return new X509Certificate(der);
  } catch (err) {
    throw new CryptoInputError('certificate-parse', `the certificate could not be parsed as X.509: ${(err as Error).message}`);
  }
}

/** The DER bytes of a certificate given in any of the accepted forms. */
export function certificateDer(input: CertificateInput): Buffer {
  if (typeof input === 'string') {
    const text = input.trim();
    if (text.includes('-----BEGIN')) {
      const m = /-----BEGIN CERTIFICATE-----([\s\S]*?)-----END CERTIFICATE-----/.exec(text);
      if (!m) throw new CryptoInputError('certificate-pem', 'the PEM text holds no CERTIFICATE block');
      return Buffer.from(m[1]!.replace(/\s+/g, ''), 'base64');
    }
    const compact = text.replace(/\s+/g, '');
    if (compact.length === 0 || !/^[A-Za-z0-9+/]+={0,2}$/.test(compact)) {
      throw new CryptoInputError('certificate-base64', 'the certificate is neither PEM nor base64 DER');
    }
    return Buffer.from(compact, 'base64');
  }
  if (input.length > 0 && input[0] === 0x2d /* '-' */) return certificateDer(Buffer.from(input).toString('utf8'));
  return Buffer.from(input);
}

export function certificateThumbprint(input: CertificateInput): string {
  return createHash('sha1').update(certificateDer(input)).digest('hex').toUpperCase();
}

/** What `GetProtectionKey` returns: base64 of the DER, no PEM armour, no line breaks. */
export function certificateToBase64Der(input: CertificateInput): string {
  return certificateDer(input).toString('base64');
}

export function certificatePublicKey(input: CertificateInput): KeyObject {
  return loadCertificate(input).publicKey;
}

/**
 * A self-signed RSA-2048 certificate like the service's protection certificate. The key pair and
 * the signature come from Node (native, fast); node-forge only assembles the X.509 structure,
 * which Node 20 cannot do. (forge's own RSA signing, in JavaScript, was half a second of every
 * first start-up on 2 cores.)
 */
export function createProtectionCertificate(options: { commonName?: string; validYears?: number; bits?: number; keyPair?: RsaKeyPair } = {}): ProtectionCertificate {
  // A key pair made ahead (e.g. off the main thread while a start-up loads its modules), or one now.
  const { privateKey, publicKey } = options.keyPair ?? generateKeyPairSync('rsa', { modulusLength: options.bits ?? 2048 });
  const privateKeyPem = privateKey.export({ type: 'pkcs1', format: 'pem' }).toString();
  const forge = loadForge();
  const cert = forge.pki.createCertificate();
  cert.publicKey = forge.pki.publicKeyFromPem(publicKey.export({ type: 'spki', format: 'pem' }).toString());
  cert.serialNumber = '01' + forge.util.bytesToHex(forge.random.getBytesSync(15));
  const now = new Date();
  cert.validity.notBefore = new Date(now.getTime() - 24 * 3600 * 1000);
  cert.validity.notAfter = new Date(now.getTime());
  cert.validity.notAfter.setFullYear(now.getFullYear() + (options.validYears ?? 20));
  const name = [{ name: 'commonName', value: options.commonName ?? 'ams-v2-emulator-protection-key' }];
  cert.setSubject(name);
  cert.setIssuer(name);
  cert.setExtensions([
    { name: 'basicConstraints', cA: false },
    { name: 'keyUsage', keyEncipherment: true, dataEncipherment: true },
  ]);
  // What forge's cert.sign(key, sha256) does, with the RSA operation done by Node.
  cert.signatureOid = cert.siginfo.algorithmOid = forge.pki.oids.sha256WithRSAEncryption!;
  cert.tbsCertificate = (forge.pki as unknown as ForgeTbs).getTBSCertificate(cert);
  const tbs = Buffer.from(forge.asn1.toDer(cert.tbsCertificate).getBytes(), 'binary');
  cert.signature = sign('sha256', tbs, privateKey).toString('binary');
  const der = Buffer.from(forge.asn1.toDer(forge.pki.certificateToAsn1(cert)).getBytes(), 'binary');
  return fromParts(der, privateKeyPem);
}

/** An RSA key pair as Node's `generateKeyPair('rsa', ...)` gives it. */
export interface RsaKeyPair {
  privateKey: KeyObject;
  publicKey: KeyObject;
}

/** forge's TBSCertificate builder: in its JavaScript, missing from its typings. */
interface ForgeTbs {
  getTBSCertificate(cert: forge.pki.Certificate): forge.asn1.Asn1;
}

/** Load a certificate and its private key from PEM text (one file holding both, or two). */
export function loadProtectionCertificatePem(certificatePem: string, privateKeyPem: string): ProtectionCertificate {
  return fromParts(certificateDer(certificatePem), privateKeyPem);
}

/** Load a certificate and its private key from a PKCS#12 (PFX) file. */
export function loadProtectionCertificatePfx(pfx: Uint8Array, password = ''): ProtectionCertificate {
  const forge = loadForge();
  let p12: forge.pkcs12.Pkcs12Pfx;
  try {
    const asn1 = forge.asn1.fromDer(forge.util.createBuffer(Buffer.from(pfx).toString('binary')));
    p12 = openPkcs12(asn1, password);
  } catch (err) {
    throw new CryptoInputError('pfx', `the PFX could not be opened (wrong password or not PKCS#12): ${(err as Error).message}`);
  }
  const keyBag =
    p12.getBags({ bagType: forge.pki.oids.pkcs8ShroudedKeyBag! })[forge.pki.oids.pkcs8ShroudedKeyBag!]?.[0] ??
    p12.getBags({ bagType: forge.pki.oids.keyBag! })[forge.pki.oids.keyBag!]?.[0];
  const key = keyBag?.key as forge.pki.rsa.PrivateKey | undefined;
  // A PFX exported with its chain may list the issuer first: take the certificate of the key.
  const certs = p12.getBags({ bagType: forge.pki.oids.certBag! })[forge.pki.oids.certBag!] ?? [];
  const cert = certs.map((b) => b.cert).find((c) => c && key && (c.publicKey as forge.pki.rsa.PublicKey).n?.equals(key.n));
  if (!cert || !key) throw new CryptoInputError('pfx', 'the PFX holds no certificate with its private key');
  const der = Buffer.from(forge.asn1.toDer(forge.pki.certificateToAsn1(cert)).getBytes(), 'binary');
  return fromParts(der, forge.pki.privateKeyToPem(key));
}

/** An empty password may have keyed the MAC as NULL or as ""; OpenSSL tries both, so do we. */
function openPkcs12(asn1: forge.asn1.Asn1, password: string): forge.pkcs12.Pkcs12Pfx {
  const forge = loadForge();
  try {
    return forge.pkcs12.pkcs12FromAsn1(asn1, password);
  } catch (err) {
    if (password !== '') throw err;
    return forge.pkcs12.pkcs12FromAsn1(asn1, true, null as unknown as string);
  }
}

function fromParts(der: Buffer, privateKeyPem: string): ProtectionCertificate {
  const x509 = loadCertificate(der);
  let key: KeyObject;
  try {
    key = createPrivateKey(privateKeyPem);
  } catch (err) {
    throw new CryptoInputError('private-key', `the private key could not be read: ${(err as Error).message}`);
  }
  if (!x509.checkPrivateKey(key)) {
    throw new CryptoInputError('key-mismatch', 'the private key does not belong to the certificate');
  }
  return {
    der,
    certificatePem: x509.toString(),
    privateKeyPem: key.export({ type: 'pkcs8', format: 'pem' }).toString(),
    thumbprint: certificateThumbprint(der),
  };
}

