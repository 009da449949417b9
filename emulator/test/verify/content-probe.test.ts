import { randomBytes } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ContentProbe, HEAD_BYTES, detectFamily } from '../../src/verify/content-probe.js';
import { declaredType } from '../../src/verify/content-types.js';
import { mp4Like, mpegTsLike } from '../helpers/upload-workflow.js';

/** The content checks: what a file declares, what its bytes look like, in any chunking. */

function probe(bytes: Buffer, mimeType: string | null, name: string, chunks: number[] = [bytes.length]) {
  const p = new ContentProbe(declaredType(mimeType, name), bytes.length);
  let at = 0;
  for (const size of chunks) {
    p.update(bytes.subarray(at, at + size));
    at += size;
  }
  p.update(bytes.subarray(at));
  return p.result();
}

const SAMPLES: Record<string, Buffer> = {
  png: Buffer.concat([Buffer.from('89504e470d0a1a0a0000000d49484452', 'hex'), randomBytes(100)]),
  jpeg: Buffer.concat([Buffer.from('ffd8ffe0', 'hex'), randomBytes(100)]),
  matroska: Buffer.concat([Buffer.from('1a45dfa3', 'hex'), randomBytes(100)]),
  wav: (() => {
    const b = Buffer.concat([Buffer.from('RIFF\0\0\0\0WAVEfmt ', 'latin1'), randomBytes(200)]);
    b.writeUInt32LE(b.length - 8, 4);
    return b;
  })(),
  mp4: mp4Like(5000),
  'mpeg-ts': mpegTsLike(20),
  mp3: Buffer.concat([Buffer.from('ID3', 'latin1'), Buffer.from([3, 0, 0, 0, 0, 0, 10]), randomBytes(200)]),
  text: Buffer.from('WEBVTT\n\n00:00.000 --> 00:01.000\nGrüße, 世界 ✓\n'),
};

describe('declared types', () => {
  it('MimeType wins; the extension decides when MimeType says nothing checkable', () => {
    expect(declaredType('video/mp4', 'a.ts').family).toBe('mp4');
    expect(declaredType('application/octet-stream', 'a.ts')).toMatchObject({ family: 'mpeg-ts', packetSize: 188 });
    expect(declaredType(null, 'a.m2ts')).toMatchObject({ family: 'mpeg-ts', packetSize: 192 });
    expect(declaredType('Text/VTT; charset=utf-8', 'subs')).toMatchObject({ family: 'text' });
    expect(declaredType('application/ttml+xml', 'x').family).toBe('text');
    expect(declaredType('application/octet-stream', 'data.bin').family).toBeUndefined();
    expect(declaredType(null, 'noextension').family).toBeUndefined();
  });
});

describe('signatures', () => {
  it.each(Object.entries(SAMPLES))('%s is recognised and passes when declared', (family, bytes) => {
    expect(detectFamily(bytes.subarray(0, HEAD_BYTES), bytes.length)).toBe(family);
    const name = { png: 'a.png', jpeg: 'a.jpg', matroska: 'a.mkv', wav: 'a.wav', mp4: 'a.mp4', 'mpeg-ts': 'a.ts', mp3: 'a.mp3', text: 'a.vtt' }[family]!;
    expect(probe(bytes, null, name).status).toBe('passed');
  });

  it('an MP3 frame header must lead to the next frame', () => {
    // MPEG-1 Layer III, 128 kb/s, 44.1 kHz, no padding: 417-byte frames.
    const frame = Buffer.concat([Buffer.from('fffb9000', 'hex'), Buffer.alloc(413, 0x55)]);
    expect(probe(Buffer.concat([frame, frame, frame]), 'audio/mpeg', 'a.mp3').status).toBe('passed');
    const broken = Buffer.concat([frame, Buffer.alloc(417, 0x55)]);
    expect(probe(broken, 'audio/mpeg', 'a.mp3').status).toBe('failed');
  });

  it('random bytes carry no signature: failed when a type is declared, inconclusive when none is', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 64, maxLength: 4096 }), (array) => {
        const bytes = Buffer.from(array);
        expect(probe(bytes, 'video/mp4', 'x.mp4').status).toBe('failed');
        expect(probe(bytes, 'text/plain', 'x.txt').status).toBe('failed');
        expect(probe(bytes, 'application/octet-stream', 'x.bin').status).toBe('inconclusive');
      }),
      { numRuns: 200 },
    );
  });

  it('UTF-16 text after a BOM passes; a BOM before binary does not', () => {
    expect(probe(Buffer.from('\ufeffWEBVTT\r\n\r\nGrüße 𐍈', 'utf16le'), 'text/vtt', 'a.vtt').status).toBe('passed');
    expect(probe(Buffer.concat([Buffer.from([0xfe, 0xff]), randomBytes(2000)]), 'text/plain', 'a.txt').status).toBe('failed');
  });

  it('an empty file is inconclusive, never passed', () => {
    expect(probe(Buffer.alloc(0), 'video/mp4', 'a.mp4').status).toBe('inconclusive');
  });
});

describe('whole-stream structure', () => {
  it('finds a garbled MP4 box header after the first bytes, at its offset', () => {
    const bytes = mp4Like(300_000);
    bytes.fill(0xee, bytes.length - 64, bytes.length - 56); // the moov header
    const result = probe(bytes, 'video/mp4', 'a.mp4');
    expect(result).toMatchObject({ status: 'failed', firstBadOffset: bytes.length - 64 });
  });

  it('finds a missing MPEG-TS sync byte deep in the stream', () => {
    const bytes = mpegTsLike(2000);
    bytes[188 * 1500] = 0x00;
    expect(probe(bytes, 'video/mp2t', 'a.ts')).toMatchObject({ status: 'failed', firstBadOffset: 188 * 1500 });
  });

  it('finds invalid UTF-8 and NUL bytes after the head', () => {
    const text = Buffer.from('é'.repeat(60_000));
    const bad = Buffer.from(text);
    bad[100_001] = 0xff;
    expect(probe(text, 'text/plain', 'a.txt').status).toBe('passed');
    expect(probe(bad, 'text/plain', 'a.txt')).toMatchObject({ status: 'failed' });
    const nul = Buffer.from(text);
    nul[90_000] = 0;
    expect(probe(nul, 'text/plain', 'a.txt')).toMatchObject({ status: 'failed', firstBadOffset: 90_000 });
  });

  it('gives the same answer in any chunking', () => {
    const files: Array<[Buffer, string]> = [
      [mp4Like(200_000), 'a.mp4'],
      [mpegTsLike(600), 'a.ts'],
      [Buffer.from('ü€𐍈 text '.repeat(8000)), 'a.txt'],
    ];
    const broken = (b: Buffer, at: number) => {
      const copy = Buffer.from(b);
      copy[at] = 0xff;
      return copy;
    };
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 2 }), fc.array(fc.integer({ min: 1, max: 70_000 }), { maxLength: 12 }), fc.option(fc.nat()), (which, chunks, breakAt) => {
        const [clean, name] = files[which]!;
        const bytes = breakAt === null ? clean : broken(clean, breakAt % clean.length);
        const whole = probe(bytes, null, name);
        expect(probe(bytes, null, name, chunks)).toEqual(whole);
      }),
      { numRuns: 150 },
    );
  });

  it('walks MP4 boxes shorter than a 16-byte header across chunk boundaries (found by the chunking property)', () => {
    // mp4Like starts with an 8-byte box: its header read runs 8 bytes into the next box, which
    // these chunks split across three pieces.
    const bytes = mp4Like(200_000);
    expect(probe(bytes, null, 'a.mp4', [13, 9, 11])).toEqual(probe(bytes, null, 'a.mp4'));
    for (let first = 1; first < 24; first++) {
      for (let second = 1; second < 24; second++) expect(probe(bytes, null, 'a.mp4', [first, second])).toEqual(probe(bytes, null, 'a.mp4'));
    }
  });

  it('partial results judge only what was seen', () => {
    const bytes = mp4Like(500_000);
    const p = new ContentProbe(declaredType('video/mp4', 'a.mp4'), bytes.length);
    p.update(bytes.subarray(0, HEAD_BYTES));
    expect(p.partialResult().status).toBe('passed');
    expect(p.result().status).toBe('inconclusive');
    const garbled = new ContentProbe(declaredType('video/mp4', 'a.mp4'), bytes.length);
    garbled.update(randomBytes(HEAD_BYTES));
    expect(garbled.partialResult().status).toBe('failed');
  });
});
