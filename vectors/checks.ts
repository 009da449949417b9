import { constants, createCipheriv, privateDecrypt } from 'node:crypto';
import {
  AmsCtr, amsCtr, counterBlock, aesEcbEncrypt, parseIv, formatIv, ivToBytes, ivFromBytes,
  contentKeyChecksum, identifyChecksumVariant, parseKeyId, guidToDotNetBytes, guidToRfc4122Bytes, guidFromDotNetBytes,
  certificateThumbprint, certificateToBase64Der, loadCertificate, unwrapContentKey, oaep, CryptoInputError,
} from '../client/src/crypto/index.js';
import { modulusBytes, oaepEncodeSha1, rawRsaEncrypt, rsaPrivateKey, rsaPublicKey } from './rsa-oaep.js';
import type {
  AesCtrAmsVector, AesEcbVector, CertificateThumbprintVector, ContentKeyBase64Vector, ContentKeyChecksumVector,
  CtrCounterBlockVector, GuidDotnetBytesVector, IvDecimalVector, RsaOaepDecryptVector, RsaOaepSeededEncryptVector,
  Vector, VectorBase, VectorKind,
} from './types.js';

/**
 * One check per vector kind, each against the library (`client/src/crypto`). A check throws
 * `VectorMismatch` naming the first field that disagrees; anything else it throws is a failure too.
 */

export interface VectorResult {
  id: string;
  kind: string;
  passed: boolean;
  /** Why it failed; absent when it passed. */
  message?: string;
}

export class VectorMismatch extends Error {
  override readonly name = 'VectorMismatch';
}

const hex = (text: string): Buffer => Buffer.from(text, 'hex');

function expectBytes(what: string, actual: Uint8Array, expected: Uint8Array): void {
  if (!Buffer.from(actual).equals(Buffer.from(expected))) {
    throw new VectorMismatch(`${what}: got ${Buffer.from(actual).toString('hex') || '(empty)'}, expected ${Buffer.from(expected).toString('hex') || '(empty)'}`);
  }
}

function expectEqual<T>(what: string, actual: T, expected: T): void {
  if (actual !== expected) throw new VectorMismatch(`${what}: got ${String(actual)}, expected ${String(expected)}`);
}

function expectRefusal(what: string, attempt: () => unknown, accepts: (err: unknown) => boolean): void {
  let outcome: unknown;
  try {
    outcome = attempt();
  } catch (err) {
    if (accepts(err)) return;
    throw new VectorMismatch(`${what}: refused with an unexpected error: ${(err as Error).message}`);
  }
  throw new VectorMismatch(`${what}: accepted, expected a refusal (got ${Buffer.isBuffer(outcome) ? outcome.toString('hex') : String(outcome)})`);
}

function checkAesCtrAms(v: AesCtrAmsVector): void {
  const key = hex(v.key);
  const iv = parseIv(v.iv);
  const offset = BigInt(v.offset);
  const plaintext = hex(v.plaintext);
  const ciphertext = hex(v.ciphertext);
  expectEqual('plaintext and ciphertext lengths', plaintext.length, ciphertext.length);
  const [input, expected] = v.operation === 'decrypt' ? [ciphertext, plaintext] : [plaintext, ciphertext];
  const oneShot = amsCtr(key, iv, input, offset);

  if ((v.expect ?? 'match') === 'mismatch') {
    if (oneShot.equals(expected)) throw new VectorMismatch('the library produced the output this vector says is wrong');
    // The negative vector must really be the named mistake, or it would prove nothing.
    expectBytes(`output of a ${v.wrongOutputOf}`, standardCtr(key, iv, offset, input), expected);
    return;
  }
  expectBytes('one-shot amsCtr', oneShot, expected);
  // Byte by byte through the streaming class, so a wrap or block boundary inside a chunk is covered.
  const ctr = new AmsCtr(key, iv, offset);
  const stepped = Buffer.concat([...input].map((byte) => ctr.update(Uint8Array.of(byte))));
  expectBytes('AmsCtr.update one byte at a time', stepped, expected);
  expectEqual('AmsCtr.offset after the data', ctr.offset, offset + BigInt(input.length));

  const firstBlock = offset / 16n;
  v.blocks?.forEach((block, i) => {
    const counter = counterBlock(ivToBytes(iv), firstBlock + BigInt(i));
    expectBytes(`counter block ${i}`, counter, hex(block.counter));
    if (block.keystream !== undefined) expectBytes(`keystream block ${i}`, aesEcbEncrypt(key, counter), hex(block.keystream));
  });
}

/** Node's aes-256-ctr from the AMS start counter: a 128-bit counter that carries into the IV half. */
function standardCtr(key: Buffer, iv: bigint, offset: bigint, data: Buffer): Buffer {
  const start = Buffer.alloc(16);
  start.writeBigUInt64BE(iv, 0);
  start.writeBigUInt64BE((offset / 16n) % (1n << 64n), 8);
  const cipher = createCipheriv('aes-256-ctr', key, start);
  cipher.update(Buffer.alloc(Number(offset % 16n)));
  return cipher.update(data);
}

function checkCtrCounterBlock(v: CtrCounterBlockVector): void {
  expectBytes('counter block', counterBlock(ivToBytes(parseIv(v.iv)), BigInt(v.offset) / 16n), hex(v.counter));
}

function checkAesEcb(v: AesEcbVector): void {
  expectBytes('AES-ECB ciphertext', aesEcbEncrypt(hex(v.key), hex(v.plaintext)), hex(v.ciphertext));
}

function checkContentKeyChecksum(v: ContentKeyChecksumVector): void {
  const key = hex(v.key);
  const computed = contentKeyChecksum(key, v.keyId, v.variant);
  if ((v.expect ?? 'match') === 'mismatch') {
    if (computed === v.checksum) throw new VectorMismatch(`the ${v.variant} checksum equals the value this vector says is wrong`);
    const wrongVariant = v.wrongOutputOf!;
    expectEqual(`${wrongVariant} checksum (the mistake this vector names)`, contentKeyChecksum(key, v.keyId, wrongVariant), v.checksum);
    expectEqual('identifyChecksumVariant', identifyChecksumVariant(key, v.keyId, v.checksum), wrongVariant);
    return;
  }
  expectEqual(`${v.variant} checksum`, computed, v.checksum);
  expectEqual('identifyChecksumVariant', identifyChecksumVariant(key, v.keyId, v.checksum), v.variant);
  if (v.input !== undefined) {
    const input = hex(v.input);
    expectEqual('base64 of AES-ECB(input)[0..8)', aesEcbEncrypt(key, input).subarray(0, 8).toString('base64'), v.checksum);
    const guid = parseKeyId(v.keyId);
    if (v.variant === 'dotnet') expectBytes('Guid.ToByteArray() of the key id', guidToDotNetBytes(guid), input);
    if (v.variant === 'rfc4122') expectBytes('RFC 4122 bytes of the key id', guidToRfc4122Bytes(guid), input);
  }
}

function checkGuidDotnetBytes(v: GuidDotnetBytesVector): void {
  expectBytes('guidToDotNetBytes', guidToDotNetBytes(v.guid), hex(v.bytes));
  expectEqual('guidFromDotNetBytes', guidFromDotNetBytes(hex(v.bytes)), v.guid.toLowerCase());
}

function checkIvDecimal(v: IvDecimalVector): void {
  const iv = parseIv(v.text);
  expectBytes('ivToBytes(parseIv(text))', ivToBytes(iv), hex(v.bytes));
  expectEqual('formatIv(ivFromBytes(bytes))', formatIv(ivFromBytes(hex(v.bytes))), v.text);
  if (v.bitConverterBytes !== undefined) {
    expectBytes('BitConverter order (the reverse)', hex(v.bitConverterBytes), Buffer.from(hex(v.bytes)).reverse());
  }
}

function checkContentKeyBase64(v: ContentKeyBase64Vector): void {
  const key = hex(v.key);
  expectEqual('base64 of the key', key.toString('base64'), v.base64);
  expectBytes('key from base64', Buffer.from(v.base64, 'base64'), key);
  expectEqual('key length', key.length, 32);
}

function checkCertificateThumbprint(v: CertificateThumbprintVector): void {
  expectEqual('certificateThumbprint', certificateThumbprint(v.certificate), v.thumbprint);
  const x509 = loadCertificate(v.certificate);
  // Node's own SHA-1 fingerprint, computed apart from the library's hashing.
  expectEqual('X509Certificate.fingerprint', x509.fingerprint.replace(/:/g, ''), v.thumbprint);
  expectEqual('certificateToBase64Der', certificateToBase64Der(v.certificate), v.certificate);
  if (v.publicKeyBits !== undefined) {
    expectEqual('public key bits', x509.publicKey.asymmetricKeyDetails?.modulusLength, v.publicKeyBits);
  }
}

function checkRsaOaepDecrypt(v: RsaOaepDecryptVector): void {
  const key = rsaPrivateKey(v.privateKey);
  const ciphertext = hex(v.ciphertext);
  const label = hex(v.label);
  // The library unwraps with the empty label only (the AMS wrap); labelled vectors go to Node directly.
  const decrypt = label.length === 0
    ? () => unwrapContentKey(key, ciphertext)
    : () => privateDecrypt({ key, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha1', oaepLabel: label }, ciphertext);
  if (v.result === 'valid') {
    expectBytes(label.length === 0 ? 'unwrapContentKey' : 'privateDecrypt with oaepLabel', decrypt(), hex(v.message!));
    return;
  }
  expectRefusal(
    label.length === 0 ? 'unwrapContentKey' : 'privateDecrypt with oaepLabel',
    decrypt,
    (err) => (label.length === 0 ? err instanceof CryptoInputError : err instanceof Error),
  );
}

function checkRsaOaepSeededEncrypt(v: RsaOaepSeededEncryptVector): void {
  const k = modulusBytes(v.n);
  const message = hex(v.message);
  const em = oaepEncodeSha1(message, hex(v.seed), hex(v.label), k);
  expectBytes('raw RSA of the seeded OAEP encoding', rawRsaEncrypt(rsaPublicKey(v.n, v.e), em), hex(v.ciphertext));
  if (v.label === '') {
    const decoded = oaep.decode(em, 'sha1', 'sha1');
    if (!decoded) throw new VectorMismatch('library oaep.decode refused the seeded encoding');
    expectBytes('library oaep.decode of the encoding', decoded, message);
  }
  if (v.privateKey) {
    expectEqual('private key modulus', v.privateKey.n, v.n);
    expectEqual('private key exponent', v.privateKey.e, v.e);
    const key = rsaPrivateKey(v.privateKey);
    const decrypted = v.label === ''
      ? unwrapContentKey(key, hex(v.ciphertext))
      : privateDecrypt({ key, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha1', oaepLabel: hex(v.label) }, hex(v.ciphertext));
    expectBytes('decryption with the private key', decrypted, message);
  }
}

type Checkers = { [K in VectorKind]: (vector: Extract<Vector, { kind: K }>) => void };

const CHECKERS: Checkers = {
  'aes-ctr-ams': checkAesCtrAms,
  'ctr-counter-block': checkCtrCounterBlock,
  'aes-ecb': checkAesEcb,
  'content-key-checksum': checkContentKeyChecksum,
  'guid-dotnet-bytes': checkGuidDotnetBytes,
  'iv-decimal': checkIvDecimal,
  'content-key-base64': checkContentKeyBase64,
  'certificate-thumbprint': checkCertificateThumbprint,
  'rsa-oaep-decrypt': checkRsaOaepDecrypt,
  'rsa-oaep-seeded-encrypt': checkRsaOaepSeededEncrypt,
};

export const KNOWN_KINDS: readonly VectorKind[] = Object.keys(CHECKERS) as VectorKind[];

export function isKnownKind(kind: string): kind is VectorKind {
  return Object.prototype.hasOwnProperty.call(CHECKERS, kind);
}

/** Check one vector against the library. Never throws: an unknown kind is a failed result. */
export function checkVector(vector: VectorBase): VectorResult {
  const id = String(vector?.id);
  const kind = String(vector?.kind);
  if (!isKnownKind(kind)) return { id, kind, passed: false, message: `unknown vector kind ${JSON.stringify(kind)}` };
  try {
    (CHECKERS[kind] as (v: Vector) => void)(vector as Vector);
    return { id, kind, passed: true };
  } catch (err) {
    const message = err instanceof VectorMismatch ? err.message : `${(err as Error)?.name ?? 'Error'}: ${(err as Error)?.message ?? String(err)}`;
    return { id, kind, passed: false, message };
  }
}
