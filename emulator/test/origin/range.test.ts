import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { contentRange, decideRange, unsatisfiedRange, type RangeDecision } from '../../src/origin/range.js';
import { contentTypeOfFile, contentTypeOfName } from '../../src/origin/content-type.js';

/** The Range header rules of origin delivery (RFC 9110 §14.1.2, §15.5.17), without HTTP. */

describe('decideRange', () => {
  it('no header, another unit, or invalid syntax: the full body', () => {
    for (const header of [undefined, '', 'items=0-1', 'bytes', 'bytes=', 'bytes=,', 'bytes=a-b', 'bytes=5-2', 'bytes=1-2-3', 'bytes=--1', 'bytes=0x10-', 'bytes=-', 'bytes=1.5-2']) {
      expect(decideRange(header, 100), String(header)).toEqual({ kind: 'full' });
    }
  });

  it('several ranges: the full body (no multipart answers)', () => {
    expect(decideRange('bytes=0-0,-1', 100)).toEqual({ kind: 'full' });
    expect(decideRange('bytes=200-300, 400-', 100)).toEqual({ kind: 'full' });
  });

  it('one range: first-last, open-ended, suffix; the unit is case-insensitive and blanks are allowed', () => {
    expect(decideRange('bytes=0-0', 100)).toEqual({ kind: 'partial', start: 0, end: 0 });
    expect(decideRange('bytes=99-99', 100)).toEqual({ kind: 'partial', start: 99, end: 99 });
    expect(decideRange('bytes=10-', 100)).toEqual({ kind: 'partial', start: 10, end: 99 });
    expect(decideRange('bytes=-1', 100)).toEqual({ kind: 'partial', start: 99, end: 99 });
    expect(decideRange('BYTES = 5-9', 100)).toEqual({ kind: 'partial', start: 5, end: 9 });
    expect(decideRange('bytes=5-9,', 100)).toEqual({ kind: 'partial', start: 5, end: 9 });
  });

  it('an end past the last byte is cut to it; a suffix longer than the body is all of it', () => {
    expect(decideRange('bytes=90-1000', 100)).toEqual({ kind: 'partial', start: 90, end: 99 });
    expect(decideRange('bytes=0-99999999999999999999999', 100)).toEqual({ kind: 'partial', start: 0, end: 99 });
    expect(decideRange('bytes=-1000', 100)).toEqual({ kind: 'partial', start: 0, end: 99 });
  });

  it('unsatisfiable: a first byte at or past the end, a zero suffix, anything of an empty body', () => {
    expect(decideRange('bytes=100-', 100)).toEqual({ kind: 'unsatisfiable' });
    expect(decideRange('bytes=100-200', 100)).toEqual({ kind: 'unsatisfiable' });
    expect(decideRange('bytes=99999999999999999999999-', 100)).toEqual({ kind: 'unsatisfiable' });
    expect(decideRange('bytes=-0', 100)).toEqual({ kind: 'unsatisfiable' });
    expect(decideRange('bytes=0-', 0)).toEqual({ kind: 'unsatisfiable' });
    expect(decideRange('bytes=-5', 0)).toEqual({ kind: 'unsatisfiable' });
    expect(decideRange(undefined, 0)).toEqual({ kind: 'full' });
  });

  it('header values', () => {
    expect(contentRange(0, 9, 100)).toBe('bytes 0-9/100');
    expect(unsatisfiedRange(17)).toBe('bytes */17');
  });

  /** The RFC's selection, computed over every byte index: which bytes a single range-spec selects. */
  function selected(spec: { first: number; last?: number } | { suffix: number }, size: number): number[] {
    const out: number[] = [];
    for (let i = 0; i < size; i++) {
      if ('suffix' in spec ? i >= size - spec.suffix : i >= spec.first && (spec.last === undefined || i <= spec.last)) out.push(i);
    }
    return out;
  }

  it('property: a single valid range selects exactly the bytes the RFC says, or is unsatisfiable when it selects none', () => {
    const spec = fc.oneof(
      fc.record({ first: fc.nat(300), last: fc.option(fc.nat(300), { nil: undefined }) }).filter((s) => s.last === undefined || s.last >= s.first),
      fc.record({ suffix: fc.nat(300) }),
    );
    fc.assert(
      fc.property(spec, fc.nat(260), (s, size) => {
        const header = 'suffix' in s ? `bytes=-${s.suffix}` : `bytes=${s.first}-${s.last ?? ''}`;
        const decision: RangeDecision = decideRange(header, size);
        const bytes = selected(s, size);
        if (bytes.length === 0) expect(decision).toEqual({ kind: 'unsatisfiable' });
        else expect(decision).toEqual({ kind: 'partial', start: bytes[0], end: bytes.at(-1) });
      }),
      { numRuns: 500 },
    );
  });
});

describe('content types', () => {
  it("the file's MimeType when it is a media type, else the extension's, else octet-stream", () => {
    expect(contentTypeOfFile({ Name: 'a.bin', MimeType: 'video/mp4' })).toBe('video/mp4');
    expect(contentTypeOfFile({ Name: 'a.txt', MimeType: 'text/plain; charset=utf-8' })).toBe('text/plain; charset=utf-8');
    expect(contentTypeOfFile({ Name: 'clip.MP4', MimeType: null })).toBe('video/mp4');
    expect(contentTypeOfFile({ Name: 'seg.ts', MimeType: '' })).toBe('video/mp2t');
    expect(contentTypeOfFile({ Name: 'x.mkv', MimeType: 'video/mp4\r\nSet-Cookie: a=b' })).toBe('video/x-matroska');
    expect(contentTypeOfFile({ Name: 'x.mkv', MimeType: 'not a type' })).toBe('video/x-matroska');
    expect(contentTypeOfName('noextension')).toBe('application/octet-stream');
    expect(contentTypeOfName('trailing.')).toBe('application/octet-stream');
    expect(contentTypeOfName('a.unknown')).toBe('application/octet-stream');
  });
});
