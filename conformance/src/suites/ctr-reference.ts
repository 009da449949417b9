import { createCipheriv } from 'node:crypto';

const TWO64 = 1n << 64n;

/**
 * AMS storage encryption straight from its definition, one 16-byte block at a time, written here
 * and not taken from the client library so the two can disagree: byte `p` of the file is XORed
 * with byte `p mod 16` of AES-256-ECB(key, BE64(IV) || BE64(floor(p / 16) mod 2^64)).
 */
export function referenceCtr(key: Uint8Array, iv: bigint, data: Uint8Array, offset: bigint): Buffer {
  const ecb = createCipheriv('aes-256-ecb', key, null);
  ecb.setAutoPadding(false);
  const out = Buffer.alloc(data.length);
  const counter = Buffer.alloc(16);
  counter.writeBigUInt64BE(iv, 0);
  let cachedBlock = -1n;
  let keystream = Buffer.alloc(16);
  for (let i = 0; i < data.length; i++) {
    const position = offset + BigInt(i);
    const block = (position / 16n) % TWO64;
    if (block !== cachedBlock) {
      counter.writeBigUInt64BE(block, 8);
      keystream = ecb.update(counter);
      cachedBlock = block;
    }
    out[i] = data[i]! ^ keystream[Number(position % 16n)]!;
  }
  return out;
}

/** Deterministic bytes from a seed (an AES-CTR keystream), so a counterexample's payload is its size and seed. */
export function payload(size: number, seed: number): Buffer {
  const key = Buffer.alloc(32);
  key.writeUInt32BE(seed >>> 0, 0);
  const cipher = createCipheriv('aes-256-ctr', key, Buffer.alloc(16));
  return cipher.update(Buffer.alloc(size));
}
