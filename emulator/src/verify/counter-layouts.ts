import { createCipheriv, type Cipher } from 'node:crypto';
import { AmsCtr } from '../../../client/src/crypto/index.js';
import type { BlockInfo } from '../storage/types.js';

/** Turns a blob's bytes, fed in order from file offset 0, into candidate clear bytes. */
export interface Decryptor {
  update(chunk: Buffer): Buffer;
}

/** Writes the 16-byte counter block for block index `block` at `out[at..at+16)`. */
export type CounterLayout = (block: number, out: Buffer, at: number) => void;

const BATCH_BLOCKS = 4096;

/**
 * AES-CTR with a counter block laid out some other way than BE64(IV) || BE64(block), as broken
 * clients built it: the keystream is AES-ECB over a batch of hand-built counter blocks, XORed in.
 * About a third of the speed of the real cipher; only diagnosis uses it.
 */
export class LayoutCtr implements Decryptor {
  private readonly ecb: Cipher;
  private readonly counters = Buffer.alloc(BATCH_BLOCKS * 16);
  private position = 0;

  constructor(
    key: Buffer,
    private readonly layout: CounterLayout,
  ) {
    this.ecb = createCipheriv('aes-256-ecb', key, null);
    this.ecb.setAutoPadding(false);
  }

  update(chunk: Buffer): Buffer {
    const out = Buffer.allocUnsafe(chunk.length);
    let done = 0;
    while (done < chunk.length) {
      const position = this.position + done;
      const skip = position % 16;
      const firstBlock = (position - skip) / 16;
      const blocks = Math.min(BATCH_BLOCKS, Math.ceil((skip + chunk.length - done) / 16));
      for (let i = 0; i < blocks; i++) this.layout(firstBlock + i, this.counters, i * 16);
      const keystream = this.ecb.update(this.counters.subarray(0, blocks * 16));
      const n = Math.min(blocks * 16 - skip, chunk.length - done);
      for (let i = 0; i < n; i++) out[done + i] = chunk[done + i]! ^ keystream[skip + i]!;
      done += n;
    }
    this.position += chunk.length;
    return out;
  }
}

/** BE64(IV) || LE64(block): the block counter written little-endian. */
export function counterLittleEndian(iv: bigint): CounterLayout {
  const iv8 = Buffer.alloc(8);
  iv8.writeBigUInt64BE(iv);
  return ivThenLittleEndianBlock(iv8);
}

/** LE64(IV) || LE64(block): the whole counter block little-endian (a host-order struct). */
export function wholeCounterLittleEndian(iv: bigint): CounterLayout {
  const iv8 = Buffer.alloc(8);
  iv8.writeBigUInt64LE(iv);
  return ivThenLittleEndianBlock(iv8);
}

/** The 8 IV bytes as given, then the block number little-endian. */
function ivThenLittleEndianBlock(iv8: Buffer): CounterLayout {
  return (block, out, at) => {
    iv8.copy(out, at);
    writeUInt64LE(out, block, at + 8);
  };
}

function writeUInt64LE(out: Buffer, value: number, at: number): void {
  out.writeUInt32LE(value % 0x1_0000_0000, at);
  out.writeUInt32LE(Math.floor(value / 0x1_0000_0000), at + 4);
}

/** The reference cipher started at another file offset (e.g. 16: a counter that started at 1). */
export function shiftedCtr(key: Buffer, iv: bigint, shift: number): Decryptor {
  return new AmsCtr(key, iv, BigInt(shift));
}

/**
 * Each committed block encrypted as if it were a file of its own (counter back to 0 at every
 * block start): the mistake of a client that encrypts blocks in parallel without passing their
 * file offset to the cipher.
 */
export class BlockRestartCtr implements Decryptor {
  private readonly bounds: number[];
  private position = 0;
  private index = 0;
  private ctr: AmsCtr;

  constructor(
    private readonly key: Buffer,
    private readonly iv: bigint,
    blocks: readonly BlockInfo[],
  ) {
    this.bounds = [];
    let end = 0;
    for (const block of blocks) this.bounds.push((end += block.size));
    this.ctr = new AmsCtr(key, iv, 0n);
  }

  update(chunk: Buffer): Buffer {
    const parts: Buffer[] = [];
    let done = 0;
    while (done < chunk.length) {
      const blockEnd = this.bounds[this.index] ?? Number.POSITIVE_INFINITY;
      const n = Math.min(chunk.length - done, blockEnd - this.position);
      parts.push(this.ctr.update(chunk.subarray(done, done + n)));
      done += n;
      this.position += n;
      if (this.position === blockEnd) {
        this.index++;
        this.ctr = new AmsCtr(this.key, this.iv, 0n);
      }
    }
    return parts.length === 1 ? parts[0]! : Buffer.concat(parts);
  }
}

export const IDENTITY: Decryptor = { update: (chunk) => chunk };
