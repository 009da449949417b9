import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createCipheriv, randomBytes } from 'node:crypto';
import {
  AmsCtr, amsCtr, cipherInPlace, counterBlock, createAmsCtrStream, CryptoInputError, CTR_IN_PLACE_SOURCE,
  CTR_SLICE_BYTES, ivToBytes, type CipherUpdate,
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

async function throughStream(k: Uint8Array, v: bigint, o: bigint, chunks: Buffer[], sliceBytes?: number): Promise<Buffer> {
  const out: Buffer[] = [];
  await pipeline(Readable.from(chunks), createAmsCtrStream(k, v, o, sliceBytes === undefined ? {} : { sliceBytes }), async (source: AsyncIterable<Buffer>) => {
    for await (const chunk of source) out.push(chunk);
  });
  return Buffer.concat(out);
}

/** Slice sizes small enough that data of a few KiB spans many slices, and the default. */
const sliceBytes = fc.oneof(fc.integer({ min: 1, max: 64 }), fc.integer({ min: 65, max: 5000 }), fc.constant(CTR_SLICE_BYTES));

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

  it('updateInPlace and updateSlices equal the per-block reference for any chunking, slice size and offset, across the wrap', () => {
    fc.assert(
      fc.property(key, iv, fc.oneof(offset, nearWrap), data, fc.array(fc.nat(), { maxLength: 12 }), sliceBytes, (k, v, o, d, cuts, slice) => {
        const expected = amsCtrByEcb(k, v, d, o);
        const inPlace = new AmsCtr(k, v, o, { sliceBytes: slice });
        const sliced = new AmsCtr(k, v, o, { sliceBytes: slice });
        const inPlaceOut: Buffer[] = [];
        const slicedOut: Buffer[] = [];
        for (const chunk of split(d, cuts)) {
          const before = Buffer.from(chunk);
          sliced.updateSlices(chunk, (s) => {
            expect(s.length).toBeLessThanOrEqual(slice);
            slicedOut.push(s);
          });
          expectSameBytes(chunk, before); // updateSlices leaves its input alone
          expect(inPlace.updateInPlace(chunk)).toBe(chunk);
          inPlaceOut.push(chunk);
        }
        expectSameBytes(Buffer.concat(inPlaceOut), expected);
        expectSameBytes(Buffer.concat(slicedOut), expected);
        expect(inPlace.offset).toBe(o + BigInt(d.length));
        expect(sliced.offset).toBe(o + BigInt(d.length));
      }),
      { numRuns: 500 },
    );
  });

  it('the AmsCtrTransform stream equals the reference for any chunking and slice size', async () => {
    await fc.assert(
      fc.asyncProperty(key, iv, fc.oneof(offset, nearWrap), data, fc.array(fc.nat(), { maxLength: 12 }), sliceBytes, async (k, v, o, d, cuts, slice) => {
        expectSameBytes(await throughStream(k, v, o, split(d, cuts), slice), amsCtrByEcb(k, v, d, o));
      }),
      { numRuns: 150 },
    );
  });

  it('chunks of several default slices equal the reference, across the wrap, in place and as slices', () => {
    fc.assert(
      fc.property(key, iv, nearWrap, fc.integer({ min: CTR_SLICE_BYTES + 1, max: 3 * CTR_SLICE_BYTES + 17 }), (k, v, o, length) => {
        const d = randomBytes(length);
        const expected = amsCtr(k, v, d, o); // checked against the per-block reference above, for any chunking
        const slices: Buffer[] = [];
        new AmsCtr(k, v, o).updateSlices(d, (s) => slices.push(s));
        expect(Math.max(...slices.map((s) => s.length))).toBeLessThanOrEqual(CTR_SLICE_BYTES);
        expect(slices.length).toBeGreaterThan(1);
        expectSameBytes(Buffer.concat(slices), expected);
        expectSameBytes(new AmsCtr(k, v, o).updateInPlace(Buffer.from(d)), expected);
        // The wrap falls inside the data: the part after it restarts the low half at 0.
        const beforeWrap = Number(WRAP - (o % WRAP));
        if (beforeWrap < length) expectSameBytes(expected.subarray(beforeWrap), amsCtrByEcb(k, v, d.subarray(beforeWrap), 0n));
      }),
      { numRuns: 20 },
    );
  });

  it("cipherInPlace's source text stands alone, as the worker threads run it, and equals one whole update", () => {
    const standalone = new Function(`${CTR_IN_PLACE_SOURCE} return cipherInPlace;`)() as typeof cipherInPlace;
    fc.assert(
      fc.property(key, fc.uint8Array({ minLength: 16, maxLength: 16 }), data, fc.integer({ min: 1, max: 700 }), (k, counter, d, slice) => {
        const whole = createCipheriv('aes-256-ctr', k, counter).update(d);
        const buffer = Buffer.from(d);
        standalone(createCipheriv('aes-256-ctr', k, counter) as CipherUpdate, buffer, slice);
        expectSameBytes(buffer, whole);
      }),
      { numRuns: 200 },
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
    expect(reason(() => new AmsCtr(k, 0n, 0n, { sliceBytes: 0 }))).toBe('slice-size');
    expect(reason(() => new AmsCtr(k, 0n, 0n, { sliceBytes: 1.5 }))).toBe('slice-size');
  });

  it('returns nothing for no data, and a chunk of zero bytes does not move the stream', () => {
    const ctr = new AmsCtr(new Uint8Array(32), 5n, 7n);
    expect(ctr.update(new Uint8Array(0))).toHaveLength(0);
    expect(ctr.updateInPlace(Buffer.alloc(0))).toHaveLength(0);
    const slices: Buffer[] = [];
    ctr.updateSlices(new Uint8Array(0), (s) => slices.push(s));
    expect(slices).toEqual([]);
    expect(ctr.offset).toBe(7n);
  });
});
