import { createCipheriv, type Cipher } from 'node:crypto';
import { Transform, type TransformCallback } from 'node:stream';
import { primeAllocatorForCipherOutputs } from './allocator.js';
import { CryptoInputError } from './errors.js';
import { ivToBytes } from './iv.js';

const TWO64 = 1n << 64n;
const BLOCK = 16n;

/**
 * How much one call of Node's cipher processes where the library picks the size (`updateInPlace`,
 * `updateSlices`). `Cipher.update` allocates a fresh output for every call; at 64 KiB that output
 * stays in the CPU's cache until it is copied back or consumed, and the allocator hands the same
 * memory back call after call (see allocator.ts for what made that true for large outputs too).
 */
export const CTR_SLICE_BYTES = 64 * 1024;

/** The one method of Node's `Cipher` the slicing needs. */
export interface CipherUpdate {
  update(data: Uint8Array): Buffer;
}

/**
 * `cipher` over `data` in place, `sliceBytes` at a time. Self-contained (it names nothing outside
 * its body) because worker threads run its source text: see `CTR_IN_PLACE_SOURCE`.
 */
export function cipherInPlace(cipher: CipherUpdate, data: Buffer, sliceBytes: number): void {
  for (let at = 0; at < data.length; at += sliceBytes) {
    cipher.update(data.subarray(at, Math.min(at + sliceBytes, data.length))).copy(data, at);
  }
}

/** `cipherInPlace` as a statement a worker's script can start with, defining `cipherInPlace`. */
export const CTR_IN_PLACE_SOURCE = `const cipherInPlace = ${cipherInPlace.toString()};`;

export interface AmsCtrOptions {
  /** Bytes per call of the underlying cipher (default CTR_SLICE_BYTES); any size gives the same bytes. */
  sliceBytes?: number;
}

/**
 * AMS storage encryption: AES-256-CTR with counter block BE64(IV) || BE64(block index mod 2^64),
 * block index = file offset / 16. The low half wraps to zero without carrying into the IV half
 * (the .NET SDK's unchecked `ulong`), which OpenSSL's 128-bit counter would not do; so the cipher
 * is Node's `aes-256-ctr`, re-opened at the exact byte where the low half wraps. Encrypt = decrypt.
 *
 * Three ways to feed it, by who owns the output: `update` returns one new buffer (simplest);
 * `updateInPlace` overwrites a buffer the caller owns; `updateSlices` hands out new buffers of at
 * most `sliceBytes` (what a stream pushes). The last two work in cache-sized slices. The first
 * AmsCtr of a process primes the allocator (allocator.ts), without which every way runs at a half
 * to a third of its speed.
 */
export class AmsCtr {
  private readonly key: Buffer;
  private readonly iv8: Buffer;
  private readonly sliceBytes: number;
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
  constructor(key: Uint8Array, iv: bigint, offset: bigint | number = 0n, options: AmsCtrOptions = {}) {
    if (key.length !== 32) {
      throw new CryptoInputError('key-length', `a storage-encryption content key is 32 bytes, got ${key.length}`);
    }
    const sliceBytes = options.sliceBytes ?? CTR_SLICE_BYTES;
    if (!Number.isSafeInteger(sliceBytes) || sliceBytes <= 0) {
      throw new CryptoInputError('slice-size', `the slice size is a positive whole number of bytes, got ${sliceBytes}`);
    }
    primeAllocatorForCipherOutputs();
    this.key = Buffer.from(key);
    this.iv8 = ivToBytes(iv);
    this.sliceBytes = sliceBytes;
    this.position = toOffset(offset);
    this.open((this.position / BLOCK) % TWO64, Number(this.position % BLOCK));
  }

  /** File offset of the next byte `update()` will process. */
  get offset(): bigint {
    return this.position;
  }

  /** Encrypts or decrypts `chunk`, which follows the previous one in the file, into a new buffer. */
  update(chunk: Uint8Array): Buffer {
    const parts: Buffer[] = [];
    this.segments(chunk, (segment) => parts.push(this.cipher.update(segment)));
    return parts.length === 1 ? parts[0]! : Buffer.concat(parts, chunk.length);
  }

  /**
   * Encrypts or decrypts `data` in place and returns it: for a buffer no one else holds (one the
   * caller made, or took over), the fastest way, since nothing large is allocated.
   */
  updateInPlace(data: Buffer): Buffer {
    this.segments(data, (segment) => cipherInPlace(this.cipher, segment, this.sliceBytes));
    return data;
  }

  /**
   * Encrypts or decrypts `chunk` into new buffers of at most `sliceBytes` each, handed to `onSlice`
   * in order; each is the receiver's to keep. `chunk` is not modified.
   */
  updateSlices(chunk: Uint8Array, onSlice: (slice: Buffer) => void): void {
    this.segments(chunk, (segment) => {
      for (let at = 0; at < segment.length; at += this.sliceBytes) {
        onSlice(this.cipher.update(segment.subarray(at, Math.min(at + this.sliceBytes, segment.length))));
      }
    });
  }

  /**
   * Cuts `chunk` where the low half of the counter wraps and calls `run` with each piece, with the
   * cipher positioned for it; a chunk that does not reach the wrap is one piece.
   */
  private segments<T extends Uint8Array>(chunk: T, run: (segment: T) => void): void {
    this.position += BigInt(chunk.length);
    let rest = chunk;
    while (BigInt(rest.length) > this.untilWrap) {
      const n = Number(this.untilWrap);
      if (n > 0) run(rest.subarray(0, n) as T);
      rest = rest.subarray(n) as T;
      this.open(0n, 0);
    }
    this.untilWrap -= BigInt(rest.length);
    if (rest.length > 0 || chunk.length === 0) run(rest);
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

/**
 * Streaming form: any chunking gives the same bytes as the one-shot form. Each chunk goes out as
 * slices of at most CTR_SLICE_BYTES, fresh buffers the consumer may keep as long as it likes
 * (nothing is reused, so nothing a consumer holds is ever overwritten).
 */
export class AmsCtrTransform extends Transform {
  private readonly ctr: AmsCtr;
  constructor(key: Uint8Array, iv: bigint, offset: bigint | number = 0n, options: AmsCtrOptions = {}) {
    super();
    this.ctr = new AmsCtr(key, iv, offset, options);
  }
  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.ctr.updateSlices(chunk, (slice) => this.push(slice));
    callback();
  }
}

export function createAmsCtrStream(key: Uint8Array, iv: bigint, offset: bigint | number = 0n, options: AmsCtrOptions = {}): AmsCtrTransform {
  return new AmsCtrTransform(key, iv, offset, options);
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
