import { createCipheriv, type Cipher } from 'node:crypto';
import { Transform, type TransformCallback } from 'node:stream';
import { CryptoInputError } from './errors.js';
import { ivToBytes } from './iv.js';

const TWO64 = 1n << 64n;
const BLOCK = 16n;

/**
 * AMS storage encryption: AES-256-CTR with counter block BE64(IV) || BE64(block index mod 2^64),
 * block index = file offset / 16. The low half wraps to zero without carrying into the IV half
 * (the .NET SDK's unchecked `ulong`), which OpenSSL's 128-bit counter would not do; so the cipher
 * is Node's `aes-256-ctr`, re-opened at the exact byte where the low half wraps. Encrypt = decrypt.
 */
export class AmsCtr {
  private readonly key: Buffer;
  private readonly iv8: Buffer;
  private cipher!: Cipher;
  /** Keystream bytes left before the low 64 bits of the counter wrap. */
  private untilWrap!: bigint;
  private position: bigint;

  /**
   * @param key    the 32-byte content key
   * @param iv     the file's IV (the decimal `InitializationVector`, parsed)
   * @param offset file offset of the first byte that will be passed to `update()`; any size
   *               (offsets of 2^68 bytes and more wrap, which is how the wrap is tested)
   */
  constructor(key: Uint8Array, iv: bigint, offset: bigint | number = 0n) {
    if (key.length !== 32) {
      throw new CryptoInputError('key-length', `a storage-encryption content key is 32 bytes, got ${key.length}`);
    }
    this.key = Buffer.from(key);
    this.iv8 = ivToBytes(iv);
    this.position = toOffset(offset);
    this.open((this.position / BLOCK) % TWO64, Number(this.position % BLOCK));
  }

  /** File offset of the next byte `update()` will process. */
  get offset(): bigint {
    return this.position;
  }

  /** Encrypts or decrypts `chunk`, which follows the previous one in the file. */
  update(chunk: Uint8Array): Buffer {
    const length = BigInt(chunk.length);
    this.position += length;
    if (length <= this.untilWrap) {
      this.untilWrap -= length;
      return this.cipher.update(chunk);
    }
    const parts: Buffer[] = [];
    let rest = chunk;
    while (BigInt(rest.length) > this.untilWrap) {
      const n = Number(this.untilWrap);
      parts.push(this.cipher.update(rest.subarray(0, n)));
      rest = rest.subarray(n);
      this.open(0n, 0);
    }
    this.untilWrap -= BigInt(rest.length);
    parts.push(this.cipher.update(rest));
    return Buffer.concat(parts);
  }

  private open(block: bigint, skip: number): void {
    this.cipher = createCipheriv('aes-256-ctr', this.key, counterBlock(this.iv8, block));
    this.untilWrap = (TWO64 - block) * BLOCK;
    if (skip > 0) {
      this.cipher.update(Buffer.alloc(skip));
      this.untilWrap -= BigInt(skip);
    }
  }
}

/** One-shot form: the bytes of `data` transformed as if they stood at `offset` in the file. */
export function amsCtr(key: Uint8Array, iv: bigint, data: Uint8Array, offset: bigint | number = 0n): Buffer {
  return new AmsCtr(key, iv, offset).update(data);
}

/** Streaming form: any chunking gives the same bytes as the one-shot form. */
export class AmsCtrTransform extends Transform {
  private readonly ctr: AmsCtr;
  constructor(key: Uint8Array, iv: bigint, offset: bigint | number = 0n) {
    super();
    this.ctr = new AmsCtr(key, iv, offset);
  }
  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    callback(null, this.ctr.update(chunk));
  }
}

export function createAmsCtrStream(key: Uint8Array, iv: bigint, offset: bigint | number = 0n): AmsCtrTransform {
  return new AmsCtrTransform(key, iv, offset);
}

/** BE64(IV) || BE64(block mod 2^64): the AMS counter block for block index `block`. */
export function counterBlock(iv8: Uint8Array, block: bigint): Buffer {
  const out = Buffer.alloc(16);
  Buffer.from(iv8.buffer, iv8.byteOffset, 8).copy(out, 0);
  out.writeBigUInt64BE(((block % TWO64) + TWO64) % TWO64, 8);
  return out;
}

function toOffset(offset: bigint | number): bigint {
  if (typeof offset === 'number') {
    if (!Number.isSafeInteger(offset) || offset < 0) {
      throw new CryptoInputError('offset', `a file offset is a non-negative integer, got ${offset}`);
    }
    return BigInt(offset);
  }
  if (typeof offset !== 'bigint' || offset < 0n) {
    throw new CryptoInputError('offset', `a file offset is a non-negative integer, got ${String(offset)}`);
  }
  return offset;
}
