import { Readable } from 'node:stream';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { blockId, checkName, checkTransferShape, guessMimeType, readBlocks, splitRanges } from '../src/workflows/index.js';

describe('block ids', () => {
  it('are the .NET SDK\'s base64("BlockId" + 7 digits), as seen on the wire', () => {
    expect(blockId(0)).toBe('QmxvY2tJZDAwMDAwMDA=');
    expect(blockId(2)).toBe('QmxvY2tJZDAwMDAwMDI=');
    expect(Buffer.from(blockId(49_999), 'base64').toString('ascii')).toBe('BlockId0049999');
  });
});

describe('readBlocks', () => {
  it('cuts any chunking of a stream into full blocks and one short tail', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.uint8Array({ maxLength: 100 }), { maxLength: 20 }), fc.integer({ min: 1, max: 64 }), async (chunks, blockSize) => {
        const blocks: Buffer[] = [];
        for await (const block of readBlocks(Readable.from(chunks.map((c) => Buffer.from(c))), blockSize)) blocks.push(block);
        const whole = Buffer.concat(chunks.map((c) => Buffer.from(c)));
        expect(Buffer.concat(blocks).equals(whole)).toBe(true);
        expect(blocks.slice(0, -1).every((b) => b.length === blockSize)).toBe(true);
        expect(blocks.every((b) => b.length > 0 && b.length <= blockSize)).toBe(true);
        expect(blocks.length).toBe(Math.ceil(whole.length / blockSize));
      }),
    );
  });
});

describe('splitRanges', () => {
  it('covers the file exactly', () => {
    expect(splitRanges(0, 16)).toEqual([]);
    expect(splitRanges(33, 16)).toEqual([
      { offset: 0, count: 16 },
      { offset: 16, count: 16 },
      { offset: 32, count: 1 },
    ]);
  });
});

describe('transfer shape', () => {
  it('wants blocks that start on a counter boundary and a positive parallelism', () => {
    expect(() => checkTransferShape(4 * 1024 * 1024, 4)).not.toThrow();
    expect(() => checkTransferShape(1000, 4)).toThrow(/multiple of 16/);
    expect(() => checkTransferShape(0, 4)).toThrow(RangeError);
    expect(() => checkTransferShape(16, 0)).toThrow(/parallelism/);
  });
});

describe('file names and types', () => {
  it('refuses the characters AMS reserves in file names', () => {
    expect(() => checkName('BigBuckBunny.mp4')).not.toThrow();
    for (const bad of ['a/b.mp4', 'a?.mp4', 'a#.mp4', 'a%20.mp4', 'x:y.mp4', "it's.mp4", '', 'a'.repeat(261)]) {
      expect(() => checkName(bad), bad).toThrow(expect.objectContaining({ reason: 'invalid-input' }));
    }
  });

  it('guesses the MIME type from the extension, case-insensitively', () => {
    expect(guessMimeType('BigBuckBunny.MP4')).toBe('video/mp4');
    expect(guessMimeType('manifest.ism')).toBe('application/octet-stream');
    expect(guessMimeType('captions.vtt')).toBe('text/vtt');
    expect(guessMimeType('README')).toBe('application/octet-stream');
  });
});
