import { randomBytes } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { AmsCtr, ivToBytes } from '../../../client/src/crypto/index.js';
import { ctrWithCounters } from '../../../test/support/crypto-reference.js';
import { BlockRestartCtr, LayoutCtr, counterLittleEndian, wholeCounterLittleEndian, type Decryptor } from '../../src/verify/counter-layouts.js';
import { blockSequenceNumbers, buildHypotheses, byteSwap64, ivTextAlternatives } from '../../src/verify/hypotheses.js';

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
        const expected = ctrWithCounters(key, data, 0, (block) => {
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
    const expected = ctrWithCounters(key, data, 0, (block) => {
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

describe('blocks committed out of order', () => {
  const b64 = (text: string) => Buffer.from(text).toString('base64');
  const int = (n: number, width: 4 | 8) => {
    const bytes = Buffer.alloc(width);
    if (width === 4) bytes.writeUInt32LE(n);
    else bytes.writeBigUInt64LE(BigInt(n));
    return bytes.toString('base64');
  };

  it.each([
    ['padded text', ['BlockId0000002', 'BlockId0000000', 'BlockId0000001'].map(b64), [2n, 0n, 1n]],
    ['a prefix and a suffix', ['part-07.bin', 'part-03.bin'].map(b64), [7n, 3n]],
    ['digits in the prefix', ['v1-block-3', 'v1-block-4'].map(b64), [3n, 4n]],
    ['.NET BitConverter.GetBytes(int)', [int(1, 4), int(0, 4)], [1n, 0n]],
    ['BitConverter.GetBytes(long)', [int(300, 8), int(2, 8)], [300n, 2n]],
  ] as Array<[string, string[], bigint[]]>)('reads the sequence number of %s', (_name, ids, expected) => {
    expect(blockSequenceNumbers(ids)).toEqual(expected);
  });

  it.each([
    ['GUIDs', ['3f2504e0-4f89-11d3-9a0c-0305e82c3301', '7c9e6679-7425-40de-944b-e07cc4ed0b47'].map(b64)],
    ['different templates', ['a-1', 'b-2'].map(b64)],
    ['no number', ['first', 'other'].map(b64)],
    ['the number in different places', ['1-a', 'a-2'].map(b64)],
    ['mixed binary widths', [int(1, 4), int(2, 8)]],
  ])('finds none in %s', (_name, ids) => {
    expect(blockSequenceNumbers(ids)).toBeUndefined();
  });

  const inputs = (ids: string[], sizes: number[]) => ({
    encrypted: true,
    key: { id: 'k', key: randomBytes(32) },
    iv: 7n,
    ivText: '7',
    blocks: ids.map((id, i) => ({ id, size: sizes[i]! })),
    otherKeys: [],
    otherFileIvs: [],
  });

  it('re-reads the blocks in sequence order: the ranges are their stored offsets', () => {
    const ids = ['blk-2', 'blk-0', 'blk-1'].map(b64);
    const hypothesis = buildHypotheses(inputs(ids, [10, 20, 30])).find((h) => h.mistake === 'blocks-committed-out-of-order');
    // Stored: blk-2 at 0 (10 bytes), blk-0 at 10 (20), blk-1 at 30 (30).
    expect(hypothesis?.ranges).toEqual([{ offset: 10, count: 20 }, { offset: 30, count: 30 }, { offset: 0, count: 10 }]);
    expect(hypothesis?.message).toMatch(/block "blk-0", number 0 of the ids' sequence, belongs at position 1 and was committed at 2/);
  });

  it('says which stored ranges the file\'s own key and IV decrypt right: exactly the blocks stored at the offset they were encrypted for', () => {
    const layoutArb = fc
      .array(fc.integer({ min: 1, max: 80 }), { minLength: 2, maxLength: 7 })
      .chain((sizes) => fc.tuple(fc.constant(sizes), fc.shuffledSubarray(sizes.map((_, i) => i), { minLength: sizes.length, maxLength: sizes.length })))
      .filter(([, order]) => order.some((fileIndex, committed) => fileIndex !== committed));
    fc.assert(
      fc.property(layoutArb, ([sizes, order]) => {
        const made = inputs([], []);
        const clear = randomBytes(sizes.reduce((a, b) => a + b, 0));
        const encrypted = new AmsCtr(made.key.key, 7n).update(clear);
        const fileOffsets = sizes.map((_, i) => sizes.slice(0, i).reduce((a, b) => a + b, 0));
        // Committed in `order`: position c holds the file's block order[c], encrypted for its place in the file.
        const stored = Buffer.concat(order.map((i) => encrypted.subarray(fileOffsets[i]!, fileOffsets[i]! + sizes[i]!)));
        made.blocks = order.map((i) => ({ id: b64(`blk-${String(i).padStart(3, '0')}`), size: sizes[i]! }));
        const layout = buildHypotheses(made).find((h) => h.mistake === 'blocks-committed-out-of-order')?.layout;
        expect(layout).toBeDefined();
        // Where each committed block sits in the blob, and whether that is where it was encrypted for.
        // The oracle is this placement, not a byte comparison: a short misplaced block can decrypt to
        // the right bytes by chance (a 1-byte block does one time in 256), and the claim is about placement.
        const storedAt = order.map((_, c) => order.slice(0, c).reduce((a, i) => a + sizes[i]!, 0));
        const inPlace = order.map((i, c) => storedAt[c] === fileOffsets[i]);
        let at = 0;
        for (const range of layout!) {
          expect(range.offset).toBe(at); // the ranges tile the stored blob in order
          at += range.count;
          const overlapping = order.map((_, c) => c).filter((c) => storedAt[c]! < range.offset + range.count && storedAt[c]! + sizes[order[c]!]! > range.offset);
          expect(range.ok).toBe(overlapping.every((c) => inPlace[c]));
          const decrypted = new AmsCtr(made.key.key, 7n, range.offset).update(stored.subarray(range.offset, range.offset + range.count));
          if (range.ok) expect(decrypted.equals(clear.subarray(range.offset, range.offset + range.count))).toBe(true);
        }
        expect(at).toBe(stored.length);
      }),
      { numRuns: 200 },
    );
  });

  it('blocks encrypted from offset 0: only the first block decrypts right', () => {
    const made = inputs(['a', 'b', 'c'].map(b64), [32, 48, 5]);
    const layout = buildHypotheses(made).find((h) => h.mistake === 'blocks-encrypted-from-offset-0')?.layout;
    expect(layout).toEqual([
      { offset: 0, count: 32, ok: true },
      { offset: 32, count: 48, ok: false },
      { offset: 80, count: 5, ok: false },
    ]);
  });

  it('is not a hypothesis when the blocks were committed in order, or their numbers repeat', () => {
    const none = (ids: string[]) => buildHypotheses(inputs(ids, ids.map(() => 16))).some((h) => h.mistake === 'blocks-committed-out-of-order');
    expect(none(['blk-0', 'blk-1', 'blk-2'].map(b64))).toBe(false);
    expect(none(['blk-1', 'blk-1', 'blk-0'].map(b64))).toBe(false);
  });
});
