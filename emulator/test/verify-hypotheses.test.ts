import { randomBytes } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { AmsCtr, amsCtrReference, ivToBytes } from '../../client/src/crypto/index.js';
import { BlockRestartCtr, LayoutCtr, counterLittleEndian, wholeCounterLittleEndian, type Decryptor } from '../src/verify/counter-layouts.js';
import { buildHypotheses, byteSwap64, ivTextAlternatives } from '../src/verify/hypotheses.js';

/**
 * The diagnosis' decryptors against independent references: the crypto library's per-block ECB
 * reference for counter layouts, AmsCtr per block for blocks restarted at offset 0.
 */

function feed(decryptor: Decryptor, data: Buffer, cuts: number[]): Buffer {
  const parts: Buffer[] = [];
  let at = 0;
  for (const cut of [...cuts].sort((a, b) => a - b)) {
    if (cut <= at || cut >= data.length) continue;
    parts.push(decryptor.update(data.subarray(at, cut)));
    at = cut;
  }
  parts.push(decryptor.update(data.subarray(at)));
  return Buffer.concat(parts);
}

const ivArb = fc.bigInt({ min: 0n, max: (1n << 64n) - 1n });

describe('counter layouts', () => {
  it('LayoutCtr with BE64(IV) || LE64(block) equals the per-block reference, in any chunking', () => {
    fc.assert(
      fc.property(ivArb, fc.integer({ min: 0, max: 3000 }), fc.array(fc.nat({ max: 3000 }), { maxLength: 6 }), (iv, length, cuts) => {
        const key = randomBytes(32);
        const data = randomBytes(length);
        const expected = amsCtrReference(key, data, 0, (block) => {
          const counter = Buffer.alloc(16);
          ivToBytes(iv).copy(counter, 0);
          counter.writeBigUInt64LE(block, 8);
          return counter;
        });
        expect(feed(new LayoutCtr(key, counterLittleEndian(iv)), data, cuts).equals(expected)).toBe(true);
      }),
      { numRuns: 60 },
    );
  });

  it('LayoutCtr with LE64(IV) || LE64(block) equals the per-block reference', () => {
    const key = randomBytes(32);
    const iv = 0x0102030405060708n;
    const data = randomBytes(100_000);
    const expected = amsCtrReference(key, data, 0, (block) => {
      const counter = Buffer.alloc(16);
      counter.writeBigUInt64LE(iv, 0);
      counter.writeBigUInt64LE(block, 8);
      return counter;
    });
    expect(feed(new LayoutCtr(key, wholeCounterLittleEndian(iv)), data, [7, 70_001]).equals(expected)).toBe(true);
  });

  it('BlockRestartCtr restarts the keystream at every committed block', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 1, max: 500 }), { minLength: 1, maxLength: 6 }), fc.array(fc.nat({ max: 3000 }), { maxLength: 6 }), (sizes, cuts) => {
        const key = randomBytes(32);
        const iv = 99n;
        const blocks = sizes.map((size, i) => ({ id: String(i), size }));
        const data = randomBytes(sizes.reduce((a, b) => a + b, 0));
        const expected: Buffer[] = [];
        let at = 0;
        for (const size of sizes) {
          expected.push(new AmsCtr(key, iv, 0).update(data.subarray(at, at + size)));
          at += size;
        }
        expect(feed(new BlockRestartCtr(key, iv, blocks), data, cuts).equals(Buffer.concat(expected))).toBe(true);
      }),
      { numRuns: 60 },
    );
  });
});

describe('IV text readings', () => {
  it('reads hex, base64 of the counter bytes, a signed Int64 and padded digits', () => {
    const iv = 0xfedcba9876543210n;
    expect(ivTextAlternatives(iv.toString(16), undefined)).toEqual([expect.objectContaining({ mistake: 'iv-text-hex', value: iv })]);
    expect(ivTextAlternatives(`0x${iv.toString(16).toUpperCase()}`, undefined)).toEqual([expect.objectContaining({ mistake: 'iv-text-hex', value: iv })]);
    expect(ivTextAlternatives(ivToBytes(iv).toString('base64'), undefined)).toContainEqual(expect.objectContaining({ mistake: 'iv-text-base64', value: iv }));
    expect(ivTextAlternatives(BigInt.asIntN(64, iv).toString(), undefined)).toEqual([expect.objectContaining({ mistake: 'iv-text-signed', value: iv })]);
    expect(ivTextAlternatives(' 12345 ', undefined)[0]).toMatchObject({ mistake: 'iv-text-whitespace', value: 12345n });
  });

  it('offers a digits-only text read as hex, but never the decimal value itself', () => {
    expect(ivTextAlternatives('1234', 1234n)).toEqual([expect.objectContaining({ mistake: 'iv-text-hex', value: 0x1234n })]);
    expect(ivTextAlternatives('397304628502661816', 397304628502661816n)).toEqual([]);
  });

  it('byteSwap64 reverses the eight bytes', () => {
    expect(byteSwap64(0x0102030405060708n)).toBe(0x0807060504030201n);
    fc.assert(fc.property(ivArb, (iv) => byteSwap64(byteSwap64(iv)) === iv));
  });
});

describe('the hypotheses of a file', () => {
  const key = { id: 'nb:kid:UUID:00000000-0000-0000-0000-000000000001', key: randomBytes(32) };
  const base = { encrypted: true, key, iv: 15n, ivText: '15', blocks: [], otherKeys: [], otherFileIvs: [] };

  it('an encrypted file: every mistake, once', () => {
    const ids = buildHypotheses({
      ...base,
      blocks: [{ id: 'a', size: 4 }, { id: 'b', size: 4 }],
      otherKeys: [{ id: 'other', key: randomBytes(32) }],
      otherFileIvs: [{ fileId: 'f', name: 'f.mp4', iv: 6n }, { fileId: 'g', name: 'g.mp4', iv: 15n }],
    }).map((h) => h.mistake);
    expect(ids).toEqual([
      'plaintext-uploaded',
      'iv-text-hex',
      'iv-little-endian',
      'counter-starts-at-1',
      'counter-little-endian',
      'iv-and-counter-little-endian',
      'blocks-encrypted-from-offset-0',
      'iv-of-another-file',
      'other-content-key',
    ]);
  });

  it('no usable IV: only the readings of its text, the plaintext and nothing needing the IV', () => {
    const ids = buildHypotheses({ ...base, iv: undefined, ivText: 'zz-not-an-iv' }).map((h) => h.mistake);
    expect(ids).toEqual(['plaintext-uploaded']);
  });

  it('a clear file: only "encrypted but marked clear", and only with a key and an IV', () => {
    expect(buildHypotheses({ ...base, encrypted: false }).map((h) => h.mistake)).toEqual(['encrypted-but-marked-clear']);
    expect(buildHypotheses({ ...base, encrypted: false, iv: undefined })).toEqual([]);
  });
});
