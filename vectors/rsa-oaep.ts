import { constants, createHash, createPrivateKey, createPublicKey, publicEncrypt, type KeyObject } from 'node:crypto';
import { oaep } from '../client/src/crypto/index.js';
import type { RsaPrivateKeyComponents } from './types.js';

/**
 * RSA helpers for the vectors: keys from the PKCS#1 components the sources print, and the
 * deterministic (seeded) OAEP encryption the RSA Labs examples describe. Node has no seeded OAEP,
 * so the encoding is done here (RFC 8017 §7.1.1) and the RSA step is Node's raw `RSA_NO_PADDING`.
 */

/** Hex -> base64url of the integer's minimal big-endian bytes (JWK wants no leading zero bytes). */
function jwkInteger(hex: string): string {
  let bytes = Buffer.from(hex, 'hex');
  let start = 0;
  while (start < bytes.length - 1 && bytes[start] === 0) start++;
  bytes = bytes.subarray(start);
  return bytes.toString('base64url');
}

export function rsaPrivateKey(key: RsaPrivateKeyComponents): KeyObject {
  return createPrivateKey({
    format: 'jwk',
    key: {
      kty: 'RSA',
      n: jwkInteger(key.n), e: jwkInteger(key.e), d: jwkInteger(key.d),
      p: jwkInteger(key.p), q: jwkInteger(key.q),
      dp: jwkInteger(key.dp), dq: jwkInteger(key.dq), qi: jwkInteger(key.qi),
    },
  });
}

export function rsaPublicKey(n: string, e: string): KeyObject {
  return createPublicKey({ format: 'jwk', key: { kty: 'RSA', n: jwkInteger(n), e: jwkInteger(e) } });
}

/** Modulus length in bytes (k in RFC 8017). */
export function modulusBytes(n: string): number {
  return Buffer.from(jwkInteger(n), 'base64url').length;
}

/** RFC 8017 §7.1.1 EME-OAEP encoding with SHA-1 / MGF1-SHA-1 and the given seed. */
export function oaepEncodeSha1(message: Buffer, seed: Buffer, label: Buffer, k: number): Buffer {
  const hLen = 20;
  if (seed.length !== hLen) throw new Error(`an OAEP-SHA-1 seed is ${hLen} bytes, got ${seed.length}`);
  if (message.length > k - 2 * hLen - 2) throw new Error(`message too long for a ${k}-byte modulus`);
  const lHash = createHash('sha1').update(label).digest();
  const ps = Buffer.alloc(k - message.length - 2 * hLen - 2);
  const db = Buffer.concat([lHash, ps, Buffer.from([1]), message]);
  const maskedDb = xor(db, oaep.mgf1(seed, db.length, 'sha1'));
  const maskedSeed = xor(seed, oaep.mgf1(maskedDb, hLen, 'sha1'));
  return Buffer.concat([Buffer.from([0]), maskedSeed, maskedDb]);
}

/** c = m^e mod n, with `em` exactly k bytes. */
export function rawRsaEncrypt(publicKey: KeyObject, em: Buffer): Buffer {
  return publicEncrypt({ key: publicKey, padding: constants.RSA_NO_PADDING }, em);
}

function xor(a: Buffer, b: Buffer): Buffer {
  const out = Buffer.alloc(a.length);
  for (let i = 0; i < a.length; i++) out[i] = a[i]! ^ b[i]!;
  return out;
}
