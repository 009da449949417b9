import { createCipheriv } from 'node:crypto';

/**
 * Independent references for the crypto tests, written from the definitions in
 * ams-v2-reference.md §2-§4 with nothing but node:crypto, so that a test never checks the library
 * against itself. Deliberately naive: clarity over speed.
 */

export const TWO64 = 1n << 64n;
export const MAX_U64 = TWO64 - 1n;

/** AES-ECB without padding over whole blocks (AES-128/192/256 by key length). */
export function ecbEncrypt(key: Uint8Array, blocks: Uint8Array): Buffer {
  const cipher = createCipheriv(`aes-${key.length * 8}-ecb`, key, null);
  cipher.setAutoPadding(false);
  return Buffer.concat([cipher.update(blocks), cipher.final()]);
}

/** The AMS counter block: IV big-endian in bytes 0-7, the block index mod 2^64 big-endian in 8-15. */
export function amsCounterBlock(iv: bigint, blockIndex: bigint): Buffer {
  const out = Buffer.alloc(16);
  out.writeBigUInt64BE(iv, 0);
  out.writeBigUInt64BE(blockIndex % TWO64, 8);
  return out;
}

/**
 * AMS AES-256-CTR as the .NET SDK computes it: for each 16-byte block the data touches, AES-ECB of
 * its counter block, XORed into the data from byte `offset % 16` of the first one.
 */
export function amsCtrByEcb(key: Uint8Array, iv: bigint, data: Uint8Array, offset: bigint): Buffer {
  if (data.length === 0) return Buffer.alloc(0);
  const firstBlock = offset / 16n;
  const skip = Number(offset % 16n);
  const blockCount = Math.ceil((skip + data.length) / 16);
  const counters = Buffer.concat(Array.from({ length: blockCount }, (_, i) => amsCounterBlock(iv, firstBlock + BigInt(i))));
  const keystream = ecbEncrypt(key, counters);
  const out = Buffer.alloc(data.length);
  for (let i = 0; i < data.length; i++) out[i] = data[i]! ^ keystream[skip + i]!;
  return out;
}

/**
 * CTR with any counter layout: for each 16-byte block the data touches, AES-ECB of
 * `counterFor(block index)`, XORed into the data from byte `offset % 16` of the first one. The
 * tests' one reference for the layouts clients got wrong (and, with `amsCounterBlock`, the right one).
 */
export function ctrWithCounters(key: Uint8Array, data: Uint8Array, offset: bigint | number, counterFor: (block: bigint) => Uint8Array): Buffer {
  const start = BigInt(offset);
  const out = Buffer.alloc(data.length);
  for (let i = 0; i < data.length; ) {
    const position = start + BigInt(i);
    const skip = Number(position % 16n);
    const keystream = ecbEncrypt(key, counterFor(position / 16n));
    const n = Math.min(16 - skip, data.length - i);
    for (let j = 0; j < n; j++) out[i + j] = data[i + j]! ^ keystream[skip + j]!;
    i += n;
  }
  return out;
}

/** What a stock AES-CTR (OpenSSL's 128-bit counter, carrying into the IV) gives from the same start. */
export function ctr128(key: Uint8Array, iv: bigint, data: Uint8Array, offset: bigint): Buffer {
  const cipher = createCipheriv('aes-256-ctr', key, amsCounterBlock(iv, offset / 16n));
  cipher.update(Buffer.alloc(Number(offset % 16n)));
  return cipher.update(data);
}

/** `Guid.ToByteArray()`: Data1 as a little-endian uint32, Data2 and Data3 as little-endian uint16, then Data4. */
export function dotnetGuidBytes(guid: string): Buffer {
  const [data1, data2, data3, data4a, data4b] = guid.split('-') as [string, string, string, string, string];
  const out = Buffer.alloc(16);
  out.writeUInt32LE(parseInt(data1, 16), 0);
  out.writeUInt16LE(parseInt(data2, 16), 4);
  out.writeUInt16LE(parseInt(data3, 16), 6);
  Buffer.from(data4a + data4b, 'hex').copy(out, 8);
  return out;
}

/** RFC 4122 order: the 32 hex digits as written. */
export function rfc4122GuidBytes(guid: string): Buffer {
  return Buffer.from(guid.split('-').join(''), 'hex');
}

/** A GUID in the 8-4-4-4-12 text form from 16 bytes taken in RFC 4122 order. */
export function guidText(bytes: Uint8Array): string {
  const h = Buffer.from(bytes).toString('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`;
}

export type ChecksumVariantName = 'dotnet' | 'rfc4122' | 'java' | 'php';

/** The 16 bytes each SDK fed to AES-ECB for the checksum (ams-v2-reference.md §4.2-§4.3). */
export function checksumInput(variant: ChecksumVariantName, keyId: string): Buffer {
  const guid = keyId.slice(keyId.lastIndexOf(':') + 1);
  switch (variant) {
    case 'dotnet':
      return dotnetGuidBytes(guid);
    case 'rfc4122':
      return rfc4122GuidBytes(guid);
    case 'java':
      // UUID.toString() is lower-case; AES/ECB/PKCS5Padding's first block is the first 16 characters.
      return Buffer.from(guid.toLowerCase(), 'ascii').subarray(0, 16);
    case 'php':
      // openssl_encrypt over the whole id string as written: its first block.
      return Buffer.from(keyId, 'ascii').subarray(0, 16);
  }
}

/** base64 of the first 8 bytes of AES-ECB(key, input). */
export function checksumOf(key: Uint8Array, input: Uint8Array): string {
  return ecbEncrypt(key, input).subarray(0, 8).toString('base64');
}
