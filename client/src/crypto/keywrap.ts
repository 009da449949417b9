import { constants, createHash, createPrivateKey, privateDecrypt, publicEncrypt, type KeyObject } from 'node:crypto';
import { CryptoInputError } from './errors.js';
import { certificatePublicKey, type CertificateInput } from './certificate.js';

/**
 * Content-key wrapping as the .NET SDK does it (`RSAOAEPKeyExchangeFormatter`): RSAES-OAEP with
 * SHA-1, MGF1-SHA-1 and an empty label, to the protection certificate's public key.
 */
export function wrapContentKey(certificate: CertificateInput | KeyObject, contentKey: Uint8Array): Buffer {
  const key = isKeyObject(certificate) ? certificate : certificatePublicKey(certificate);
  return publicEncrypt({ key, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha1' }, contentKey);
}

export type PrivateKeyInput = KeyObject | string | Uint8Array;

export function toPrivateKey(key: PrivateKeyInput): KeyObject {
  if (isKeyObject(key)) return key;
  try {
    return createPrivateKey(typeof key === 'string' ? key : Buffer.from(key));
  } catch (err) {
    throw new CryptoInputError('private-key', `the private key could not be read: ${(err as Error).message}`);
  }
}

/**
 * Open an `EncryptedContentKey` (base64 text or raw bytes) with the protection certificate's private
 * key. A failure says why, and runs the diagnosis so the message names the likely client mistake.
 */
export function unwrapContentKey(privateKey: PrivateKeyInput, wrapped: string | Uint8Array): Buffer {
  const key = toPrivateKey(privateKey);
  const bytes = wrappedBytes(wrapped);
  const modulusBytes = modulusLength(key);
  if (bytes.length !== modulusBytes) {
    throw new CryptoInputError('wrong-length', `the wrapped key is ${bytes.length} bytes; RSA-OAEP to this ${modulusBytes * 8}-bit certificate gives exactly ${modulusBytes}`);
  }
  try {
    return privateDecrypt({ key, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha1' }, bytes);
  } catch {
    const diagnosis = diagnoseWrappedKey(key, bytes);
    throw new CryptoInputError(diagnosis.kind === 'ok' ? 'oaep-decrypt' : diagnosis.kind, diagnosis.message);
  }
}

export type WrapDiagnosisKind =
  | 'ok'
  | 'not-base64'
  | 'wrong-length'
  | 'oaep-sha256'
  | 'oaep-sha256-mgf1-sha1'
  | 'pkcs1-v1_5'
  | 'other-certificate';

export interface WrapDiagnosis {
  kind: WrapDiagnosisKind;
  message: string;
  /** Length of the key inside, when the blob could be opened some way. */
  keyLength?: number;
}

const FIX = 'wrap the content key with RSA-OAEP, SHA-1, MGF1-SHA-1 and an empty label to the certificate GetProtectionKey returns';

/**
 * Which common mistake a wrapped key matches. Done on the raw RSA result, so a blob made with
 * OAEP-SHA-256 or PKCS#1 v1.5 is recognised rather than only refused.
 */
export function diagnoseWrappedKey(privateKey: PrivateKeyInput, wrapped: string | Uint8Array): WrapDiagnosis {
  const key = toPrivateKey(privateKey);
  let bytes: Buffer;
  try {
    bytes = wrappedBytes(wrapped);
  } catch (err) {
    return { kind: 'not-base64', message: (err as Error).message };
  }
  const k = modulusLength(key);
  if (bytes.length !== k) {
    return { kind: 'wrong-length', message: `the wrapped key is ${bytes.length} bytes, but RSA to this ${k * 8}-bit certificate gives exactly ${k} (truncated, or wrapped to a different key size): ${FIX}` };
  }
  let em: Buffer;
  try {
    em = privateDecrypt({ key, padding: constants.RSA_NO_PADDING }, bytes);
  } catch {
    return { kind: 'other-certificate', message: `the wrapped key is not an RSA ciphertext for this certificate (its value exceeds the modulus): it was wrapped to another certificate; ${FIX}` };
  }
  const sha1 = oaepDecode(em, 'sha1', 'sha1');
  if (sha1) return { kind: 'ok', message: 'RSA-OAEP with SHA-1 and MGF1-SHA-1: correct', keyLength: sha1.length };
  const sha256 = oaepDecode(em, 'sha256', 'sha256');
  if (sha256) return { kind: 'oaep-sha256', message: `the key was wrapped with RSA-OAEP using SHA-256; the service uses SHA-1 (and MGF1-SHA-1): ${FIX}`, keyLength: sha256.length };
  const mixed = oaepDecode(em, 'sha256', 'sha1');
  if (mixed) return { kind: 'oaep-sha256-mgf1-sha1', message: `the key was wrapped with RSA-OAEP using SHA-256 with MGF1-SHA-1 (Java's OAEPWithSHA-256AndMGF1Padding); the service uses SHA-1 for both: ${FIX}`, keyLength: mixed.length };
  const v15 = pkcs1v15Decode(em);
  if (v15) return { kind: 'pkcs1-v1_5', message: `the key was wrapped with PKCS#1 v1.5 padding, not OAEP: ${FIX}`, keyLength: v15.length };
  return { kind: 'other-certificate', message: `the wrapped key does not open with this certificate's private key under any known padding: it was probably wrapped to another certificate (use the one whose thumbprint GetProtectionKeyId returns), or it is corrupted` };
}

function wrappedBytes(wrapped: string | Uint8Array): Buffer {
  if (typeof wrapped !== 'string') return Buffer.from(wrapped);
  const compact = wrapped.replace(/\s+/g, '');
  if (compact.length === 0) throw new CryptoInputError('not-base64', 'the wrapped key is empty');
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(compact) || compact.length % 4 === 1) {
    throw new CryptoInputError('not-base64', `the wrapped key is not base64 (${JSON.stringify(wrapped.slice(0, 24))}${wrapped.length > 24 ? '...' : ''}): send Convert.ToBase64String of the RSA-OAEP output`);
  }
  return Buffer.from(compact, 'base64');
}

function modulusLength(key: KeyObject): number {
  const bits = key.asymmetricKeyDetails?.modulusLength;
  if (key.asymmetricKeyType !== 'rsa' || !bits) throw new CryptoInputError('private-key', 'the protection key is not an RSA key');
  return Math.ceil(bits / 8);
}

function isKeyObject(value: unknown): value is KeyObject {
  return typeof value === 'object' && value !== null && 'asymmetricKeyType' in value && typeof (value as KeyObject).export === 'function';
}

/** RFC 8017 §7.1.2 EME-OAEP decoding with an empty label; undefined when the padding is not valid. */
function oaepDecode(em: Buffer, hash: 'sha1' | 'sha256', mgfHash: 'sha1' | 'sha256'): Buffer | undefined {
  const hLen = hash === 'sha1' ? 20 : 32;
  const k = em.length;
  if (k < 2 * hLen + 2 || em[0] !== 0) return undefined;
  const maskedSeed = em.subarray(1, 1 + hLen);
  const maskedDb = em.subarray(1 + hLen);
  const seed = xor(maskedSeed, mgf1(maskedDb, hLen, mgfHash));
  const db = xor(maskedDb, mgf1(seed, k - hLen - 1, mgfHash));
  const lHash = createHash(hash).digest();
  if (!db.subarray(0, hLen).equals(lHash)) return undefined;
  let i = hLen;
  while (i < db.length && db[i] === 0) i++;
  if (i >= db.length || db[i] !== 1) return undefined;
  return db.subarray(i + 1);
}

function pkcs1v15Decode(em: Buffer): Buffer | undefined {
  if (em[0] !== 0 || em[1] !== 2) return undefined;
  const sep = em.indexOf(0, 2);
  if (sep < 10) return undefined;
  return em.subarray(sep + 1);
}

function mgf1(seed: Buffer, length: number, hash: 'sha1' | 'sha256'): Buffer {
  const parts: Buffer[] = [];
  let total = 0;
  for (let counter = 0; total < length; counter++) {
    const c = Buffer.alloc(4);
    c.writeUInt32BE(counter, 0);
    const digest = createHash(hash).update(seed).update(c).digest();
    parts.push(digest);
    total += digest.length;
  }
  return Buffer.concat(parts).subarray(0, length);
}

function xor(a: Buffer, b: Buffer): Buffer {
  const out = Buffer.alloc(a.length);
  for (let i = 0; i < a.length; i++) out[i] = a[i]! ^ b[i]!;
  return out;
}

/** Exposed for the tests' seeded OAEP encoding (RSA Labs vectors) and the conformance kit. */
export const oaep = { mgf1, decode: oaepDecode };
