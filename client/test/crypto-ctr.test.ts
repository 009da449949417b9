import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  AmsCtr, amsCtr, counterBlock, createAmsCtrStream, CryptoInputError, ivToBytes,
} from '../src/crypto/index.js';
import { amsCtrByEcb, amsCounterBlock, ctr128, ctrWithCounters, MAX_U64, TWO64 } from '../../test/support/crypto-reference.js';

const key = fc.uint8Array({ minLength: 32, maxLength: 32 });
const iv = fc.bigInt({ min: 0n, max: MAX_U64 });
// fast-check keeps arrays small unless told otherwise: mix short data with lengths spread up to 4 KiB.
const data = fc.oneof(fc.uint8Array({ maxLength: 48 }), fc.uint8Array({ maxLength: 4096, size: 'max' }));
/** The byte offset where the low 64 bits of the counter wrap for the first time. */
const WRAP = TWO64 * 16n;
/** Offsets of every scale: a real file, any 64-bit block index, just below a wrap, past 2^68 bytes. */
const offset = fc.oneof(
  fc.bigInt({ min: 0n, max: 1n << 40n }),
  fc.bigInt({ min: 0n, max: WRAP - 1n }),
  fc.bigInt({ min: 1n, max: 300n }).map((k) => WRAP - k * 16n),
  fc.bigInt({ min: WRAP, max: 1n << 72n }),
);
/** Offsets whose data of up to ~4 KiB crosses a low-64 wrap: (2^64 - k)*16 + r, optionally m*2^68 later. */
const nearWrap = fc
  .record({ k: fc.bigInt({ min: 1n, max: 256n }), r: fc.bigInt({ min: 0n, max: 15n }), m: fc.bigInt({ min: 0n, max: 1n << 20n }) })
  .map(({ k, r, m }) => m * WRAP + WRAP - k * 16n + r);

/** Byte equality without vitest's element-by-element diff (slow on 4 KiB); hex diff on failure. */
function expectSameBytes(actual: Uint8Array, expected: Uint8Array): void {
  if (!Buffer.from(actual).equals(Buffer.from(expected))) {
    expect(Buffer.from(actual).toString('hex')).toBe(Buffer.from(expected).toString('hex'));
  }
}

/** `buffer` cut at the given points (taken modulo its length + 1; repeats give empty chunks). */
function split(buffer: Uint8Array, cuts: number[]): Buffer[] {
  const points = cuts.map((c) => c % (buffer.length + 1)).sort((a, b) => a - b);
  const out: Buffer[] = [];
  let from = 0;
  for (const p of [...points, buffer.length]) {
    out.push(Buffer.from(buffer.subarray(from, p)));
    from = p;
  }
  return out;
}

async function throughStream(k: Uint8Array, v: bigint, o: bigint, chunks: Buffer[]): Promise<Buffer> {
  const out: Buffer[] = [];
  await pipeline(Readable.from(chunks), createAmsCtrStream(k, v, o), async (source: AsyncIterable<Buffer>) => {
    for await (const chunk of source) out.push(chunk);
  });
  return Buffer.concat(out);
}

describe('AMS AES-256-CTR', () => {
  it('decrypting the encryption gives the data back, for any key, IV, offset and length', () => {
    fc.assert(
      fc.property(key, iv, offset, data, (k, v, o, d) => {
        const encrypted = amsCtr(k, v, d, o);
        expect(encrypted.length).toBe(d.length);
        expectSameBytes(amsCtr(k, v, encrypted, o), d);
        if (d.length >= 16) expect(encrypted.equals(Buffer.from(d))).toBe(false);
      }),
      { numRuns: 500 },
    );
  });

  it('gives the same bytes for any chunking through AmsCtr.update', () => {
    fc.assert(
      fc.property(key, iv, fc.oneof(offset, nearWrap), data, fc.array(fc.nat(), { maxLength: 12 }), (k, v, o, d, cuts) => {
        const ctr = new AmsCtr(k, v, o);
        const chunked = Buffer.concat(split(d, cuts).map((chunk) => ctr.update(chunk)));
        expectSameBytes(chunked, amsCtr(k, v, d, o));
        expect(ctr.offset).toBe(o + BigInt(d.length));
      }),
      { numRuns: 500 },
    );
  });

  it('gives the same bytes for any chunking through the AmsCtrTransform stream', async () => {
    await fc.assert(
      fc.asyncProperty(key, iv, fc.oneof(offset, nearWrap), data, fc.array(fc.nat(), { maxLength: 12 }), async (k, v, o, d, cuts) => {
        expectSameBytes(await throughStream(k, v, o, split(d, cuts)), amsCtr(k, v, d, o));
      }),
      { numRuns: 300 },
    );
  });

  it('decrypting from offset o gives the slice of the whole from o', () => {
    fc.assert(
      fc.property(key, iv, fc.oneof(offset, nearWrap), data, fc.nat(), (k, v, base, d, pick) => {
        const o = pick % (d.length + 1);
        const whole = amsCtr(k, v, d, base);
        expectSameBytes(amsCtr(k, v, d.subarray(o), base + BigInt(o)), whole.subarray(o));
      }),
      { numRuns: 500 },
    );
  });

  it('across the 2^64 block wrap equals a per-block AES-ECB reference and a block-by-block one', () => {
    fc.assert(
      fc.property(key, iv, nearWrap, data, (k, v, o, d) => {
        const fast = amsCtr(k, v, d, o);
        expectSameBytes(fast, amsCtrByEcb(k, v, d, o));
        const iv8 = ivToBytes(v);
        expectSameBytes(fast, ctrWithCounters(k, d, o, (block) => counterBlock(iv8, block)));
      }),
      { numRuns: 300 },
    );
  });

  it('agrees with a 128-bit counter up to the wrap and differs from it after (no carry into the IV)', () => {
    fc.assert(
      fc.property(key, iv, nearWrap, fc.integer({ min: 16, max: 64 }), (k, v, o, extra) => {
        const beforeWrap = Number(((o / WRAP) + 1n) * WRAP - o);
        const d = new Uint8Array(beforeWrap + extra);
        const ours = amsCtr(k, v, d, o);
        const stock = ctr128(k, v, d, o);
        expectSameBytes(ours.subarray(0, beforeWrap), stock.subarray(0, beforeWrap));
        expect(ours.subarray(beforeWrap).equals(stock.subarray(beforeWrap))).toBe(false);
        // Past the wrap the low half restarts at 0 with the same IV half.
        expectSameBytes(ours.subarray(beforeWrap), amsCtrByEcb(k, v, d.subarray(beforeWrap), 0n));
      }),
      { numRuns: 300 },
    );
  });

  it('builds the counter block BE64(iv) || BE64(block mod 2^64)', () => {
    fc.assert(
      fc.property(iv, fc.bigInt({ min: 0n, max: 1n << 80n }), (v, block) => {
        expect(counterBlock(ivToBytes(v), block)).toEqual(amsCounterBlock(v, block));
      }),
    );
    expect(counterBlock(ivToBytes(0n), -1n).toString('hex')).toBe('0000000000000000ffffffffffffffff');
  });

  it('takes the offset as a number or a bigint alike', () => {
    fc.assert(
      fc.property(key, iv, fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }), fc.uint8Array({ maxLength: 64 }), (k, v, o, d) => {
        expectSameBytes(amsCtr(k, v, d, o), amsCtr(k, v, d, BigInt(o)));
      }),
      { numRuns: 50 },
    );
  });

  it('refuses a key that is not 32 bytes, an IV out of range and a bad offset, with their reasons', () => {
    const k = new Uint8Array(32);
    const reason = (f: () => unknown): string => {
      try {
        f();
      } catch (err) {
        expect(err).toBeInstanceOf(CryptoInputError);
        return (err as CryptoInputError).reason;
      }
      throw new Error('expected a refusal');
    };
    expect(reason(() => new AmsCtr(new Uint8Array(16), 0n))).toBe('key-length');
    expect(reason(() => new AmsCtr(new Uint8Array(33), 0n))).toBe('key-length');
    expect(reason(() => new AmsCtr(k, TWO64))).toBe('iv-range');
    expect(reason(() => new AmsCtr(k, -1n))).toBe('iv-range');
    expect(reason(() => new AmsCtr(k, 0n, -1n))).toBe('offset');
    expect(reason(() => new AmsCtr(k, 0n, -1))).toBe('offset');
    expect(reason(() => new AmsCtr(k, 0n, 1.5))).toBe('offset');
    expect(reason(() => new AmsCtr(k, 0n, 2 ** 60))).toBe('offset');
  });

  it('returns nothing for no data, and a chunk of zero bytes does not move the stream', () => {
    const ctr = new AmsCtr(new Uint8Array(32), 5n, 7n);
    expect(ctr.update(new Uint8Array(0))).toHaveLength(0);
    expect(ctr.offset).toBe(7n);
  });
});
