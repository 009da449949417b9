import { isUtf8 } from 'node:buffer';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Asset } from '../../src/odata/edm.js';
import { readAtomEntry, readLinkUri } from '../../src/odata/atom/index.js';
import { resolveXmlLimits } from '../../src/odata/atom/limits.js';
import { firstInvalidUtf8Offset } from '../../src/odata/atom/xml-input.js';
import { parseXml } from '../../src/odata/atom/xml-parse.js';
import { expectODataError } from '../fixtures/atom/support.js';
import { withinMs } from '../../../test/support/timing.js';

const ATOM = 'http://www.w3.org/2005/Atom';
const D = 'http://schemas.microsoft.com/ado/2007/08/dataservices';
const M = 'http://schemas.microsoft.com/ado/2007/08/dataservices/metadata';

function entryWithName(name: string): string {
  return `<entry xmlns="${ATOM}" xmlns:d="${D}" xmlns:m="${M}"><content type="application/xml"><m:properties><d:Name>${name}</d:Name></m:properties></content></entry>`;
}

function timed<T>(fn: () => T): { ms: number; error: unknown } {
  const start = performance.now();
  let error: unknown;
  try {
    fn();
  } catch (err) {
    error = err;
  }
  return { ms: performance.now() - start, error };
}

describe('DTDs and entities', () => {
  it('billion laughs is a fast 400', () => {
    const lol = [
      '<?xml version="1.0"?>',
      '<!DOCTYPE lolz [',
      ' <!ENTITY lol "lol">',
      ...Array.from({ length: 9 }, (_, i) => ` <!ENTITY lol${i + 1} "${`&lol${i === 0 ? '' : i};`.repeat(10)}">`),
      ']>',
      `<entry xmlns="${ATOM}">&lol9;</entry>`,
    ].join('\n');
    const { ms } = timed(() => expectODataError(() => readAtomEntry(lol, Asset), 400, 'DTDs are not allowed'));
    expect(ms).toBeLessThan(withinMs(200));
  });

  it('an external entity (XXE) is refused before anything is resolved', () => {
    const xxe = `<?xml version="1.0"?><!DOCTYPE entry [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>${entryWithName('&xxe;')}`;
    expectODataError(() => readAtomEntry(xxe, Asset), 400, 'DTDs are not allowed');
    expectODataError(() => readAtomEntry(`<!DOCTYPE entry SYSTEM "http://127.0.0.1:9/x.dtd">${entryWithName('x')}`, Asset), 400, 'DTDs are not allowed');
  });

  it('only the five predefined entities and character references exist', () => {
    expectODataError(() => readAtomEntry(entryWithName('&foo;'), Asset), 400, 'not well-formed', 'undefined entity');
    expectODataError(() => readAtomEntry(entryWithName('&nbsp;'), Asset), 400, 'undefined entity');
    expectODataError(() => readAtomEntry(entryWithName('&#0;'), Asset), 400, 'not well-formed');
    expect(readAtomEntry(entryWithName('&amp;&lt;&gt;&quot;&apos;&#65;&#x42;'), Asset).properties['Name']).toEqual({ text: `&<>"'AB` });
  });

  it('an unterminated DOCTYPE that goes on for megabytes stops early', () => {
    const huge = `<!DOCTYPE x [<!-- ${'a'.repeat(20_000_000)}`;
    const { ms, error } = timed(() => parseXml(huge));
    expect(error).toMatchObject({ status: 400 });
    expect((error as Error).message).toContain('too large');
    expect(ms).toBeLessThan(withinMs(1500));
  });
});

describe('size and shape limits', () => {
  it('10k-deep nesting is a 400 at the depth limit, without recursion', () => {
    const deep = `${'<a>'.repeat(10_000)}${'</a>'.repeat(10_000)}`;
    const { ms } = timed(() => expectODataError(() => readAtomEntry(deep, Asset), 400, 'nested deeper than 32 levels', 'line 1'));
    expect(ms).toBeLessThan(withinMs(200));
    // A configured limit is honoured both ways.
    expect(() => parseXml('<a><b><c/></b></a>', { maxDepth: 3 })).not.toThrow();
    expectODataError(() => parseXml('<a><b><c><d/></c></b></a>', { maxDepth: 3 }), 400, 'deeper than 3');
  });

  it('element count, attribute count', () => {
    expectODataError(() => parseXml(`<r>${'<x/>'.repeat(10_000)}</r>`), 400, 'more than 10000 elements');
    expect(parseXml(`<r>${'<x/>'.repeat(9_999)}</r>`).children).toHaveLength(9_999);
    const attrs = (n: number): string => `<r ${Array.from({ length: n }, (_, i) => `a${i}="v"`).join(' ')}/>`;
    expect(parseXml(attrs(64)).attributes).toHaveLength(64);
    expectODataError(() => parseXml(attrs(65)), 400, 'more than 64 attributes');
    expectODataError(() => parseXml(attrs(5), { maxAttributes: 4 }), 400, 'more than 4 attributes');
  });

  it('a 50 MB text node is stopped after a few megabytes, cheaply', () => {
    const body = Buffer.from(entryWithName('x'.repeat(50 * 1024 * 1024)), 'utf8');
    const { ms, error } = timed(() => readAtomEntry(body, Asset));
    expect(error).toMatchObject({ status: 400 });
    expect((error as Error).message).toContain('too large or too complex');
    expect(ms).toBeLessThan(withinMs(1500));
  });

  it('the text limit counts expanded text per element, across text runs, and is configurable', () => {
    expect(readAtomEntry(entryWithName('x'.repeat(1000)), Asset, { maxTextLength: 1000 }).properties['Name']).toEqual({ text: 'x'.repeat(1000) });
    expectODataError(() => readAtomEntry(entryWithName('x'.repeat(1001)), Asset, { maxTextLength: 1000 }), 400, 'more than 1000 characters of text in <d:Name>');
    expectODataError(() => readAtomEntry(entryWithName(`${'x'.repeat(600)}<!--c-->${'y'.repeat(600)}`), Asset, { maxTextLength: 1000 }), 400, 'more than 1000 characters');
    expectODataError(() => readAtomEntry(entryWithName('&amp;'.repeat(1001)), Asset, { maxTextLength: 1000 }), 400, 'more than 1000 characters');
  });

  it('a huge attribute value or comment is stopped by the token budget', () => {
    expectODataError(() => parseXml(`<r a="${'v'.repeat(200_000)}"/>`, { maxTextLength: 1000 }), 400, 'longer than 1000 characters');
    expectODataError(() => parseXml(`<r><!--${'c'.repeat(200_000)}--></r>`, { maxTextLength: 1000 }), 400, 'longer than 1000 characters');
  });

  it('limits must be positive integers: a misconfiguration is a bug, not a 400', () => {
    expect(() => resolveXmlLimits({ maxDepth: 0 })).toThrow(TypeError);
    expect(() => resolveXmlLimits({ maxTextLength: 1.5 })).toThrow(TypeError);
    expect(resolveXmlLimits({ maxDepth: 8 })).toEqual({ maxDepth: 8, maxElements: 10_000, maxAttributes: 64, maxTextLength: 1_048_576 });
  });
});

describe('malformed XML', () => {
  it('is a 400 that says where', () => {
    expectODataError(() => readAtomEntry(`<entry xmlns="${ATOM}"><content></entry>`, Asset), 400, 'not well-formed XML (line 1, column', 'unexpected close tag');
    expectODataError(() => readAtomEntry(`<entry xmlns="${ATOM}">\n  <content type=application/xml/>\n</entry>`, Asset), 400, '(line 2, column', 'unquoted attribute value');
    expectODataError(() => readAtomEntry(`<entry xmlns="${ATOM}"><d:Name/></entry>`, Asset), 400, 'unbound namespace prefix');
    expectODataError(() => readAtomEntry(`<entry xmlns="${ATOM}"/><entry/>`, Asset), 400, 'not well-formed');
    expectODataError(() => readAtomEntry(`<entry xmlns="${ATOM}" a="1" a="2"/>`, Asset), 400, 'duplicate attribute');
    expectODataError(() => readAtomEntry(`<entry xmlns="${ATOM}">`, Asset), 400, 'unclosed tag');
    expectODataError(() => readAtomEntry('{"Name":"json"}', Asset), 400, 'not well-formed');
    expectODataError(() => readLinkUri('<uri'), 400, 'not well-formed');
  });

  it('an empty body says so', () => {
    expectODataError(() => readAtomEntry('', Asset), 400, 'empty');
    expectODataError(() => readAtomEntry(Buffer.from(' \r\n\t'), Asset), 400, 'empty');
  });

  it('characters XML forbids are refused', () => {
    expectODataError(() => readAtomEntry(entryWithName('a\u0001b'), Asset), 400, 'disallowed character');
    expectODataError(() => readAtomEntry(entryWithName('a\uD800b'), Asset), 400, 'unpaired surrogate U+D800');
    expectODataError(() => readAtomEntry(entryWithName('a\uDC00'), Asset), 400, 'unpaired surrogate U+DC00');
    expect(readAtomEntry(entryWithName('\uD83D\uDE00'), Asset).properties['Name']).toEqual({ text: '😀' });
  });
});

describe('encodings', () => {
  it('invalid UTF-8 is a 400 that names the byte', () => {
    const good = Buffer.from(entryWithName('café'), 'utf8');
    const at = good.indexOf(0xc3);
    const bad = Buffer.from(good);
    bad[at + 1] = 0x28; // 0xC3 followed by a non-continuation byte
    expectODataError(() => readAtomEntry(bad, Asset), 400, 'not valid UTF-8', `offset ${at + 1}`);
    expectODataError(() => readAtomEntry(Buffer.concat([Buffer.from(entryWithName('x')), Buffer.from([0xff])]), Asset), 400, 'byte 0xFF');
    expectODataError(() => readAtomEntry(Buffer.concat([Buffer.from('<a>'), Buffer.from([0xe2, 0x82])]), Asset), 400, 'ends inside a multi-byte sequence');
    // Overlong encoding of '<' and an encoded surrogate are not UTF-8 either.
    expectODataError(() => readAtomEntry(Buffer.from([0x3c, 0x61, 0x3e, 0xc0, 0xbc, 0x3c, 0x2f, 0x61, 0x3e]), Asset), 400, 'offset 3');
    expectODataError(() => readAtomEntry(Buffer.from([0x3c, 0x61, 0x3e, 0xed, 0xa0, 0x80, 0x3c, 0x2f, 0x61, 0x3e]), Asset), 400, 'offset 4');
  });

  it('UTF-16 and UTF-32 bodies and non-UTF-8 declarations are a 415 saying UTF-8 is required', () => {
    const text = `<?xml version="1.0" encoding="utf-16"?>${entryWithName('x')}`;
    expectODataError(() => readAtomEntry(Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(text, 'utf16le')]), Asset), 415, 'UTF-16', 'only UTF-8');
    expectODataError(() => readAtomEntry(Buffer.from(text, 'utf16le'), Asset), 415, 'UTF-16');
    expectODataError(() => readAtomEntry(Buffer.from(text.replace('utf-16', 'utf-8'), 'utf16le').swap16(), Asset), 415, 'UTF-16 (big-endian');
    expectODataError(() => readAtomEntry(Buffer.concat([Buffer.from([0xff, 0xfe, 0, 0]), Buffer.from('<')]), Asset), 415, 'UTF-32');
    expectODataError(() => readAtomEntry(`<?xml version="1.0" encoding="ISO-8859-1"?>${entryWithName('x')}`, Asset), 415, 'encoding="ISO-8859-1"', 'only UTF-8');
    expectODataError(() => readAtomEntry(text, Asset), 415, 'encoding="utf-16"');
  });

  it('UTF-8 with or without a BOM and declaration is read', () => {
    for (const decl of ['', '<?xml version="1.0"?>', '<?xml version="1.0" encoding="utf-8"?>', '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>']) {
      const xml = `${decl}${entryWithName('ü😀')}`;
      expect(readAtomEntry(Buffer.from(xml, 'utf8'), Asset).properties['Name']).toEqual({ text: 'ü😀' });
      expect(readAtomEntry(Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(xml, 'utf8')]), Asset).properties['Name']).toEqual({ text: 'ü😀' });
    }
  });

  it('firstInvalidUtf8Offset agrees with Node: -1 exactly for valid UTF-8, else the first byte no valid text can continue with', () => {
    const bytes = fc.oneof(
      fc.uint8Array({ maxLength: 40 }),
      fc.string({ unit: 'binary', maxLength: 20 }).map((s) => new Uint8Array(Buffer.from(s, 'utf8'))),
      fc.tuple(fc.string({ unit: 'binary', maxLength: 10 }), fc.uint8Array({ minLength: 1, maxLength: 3 }), fc.string({ maxLength: 5 })).map(
        ([a, junk, b]) => new Uint8Array(Buffer.concat([Buffer.from(a, 'utf8'), junk, Buffer.from(b, 'utf8')])),
      ),
    );
    const completions: number[][] = [[]];
    for (let n = 0; n < 3; n++) for (const c of completions.filter((x) => x.length === n)) for (const k of [0x80, 0x90, 0xa0, 0xb0]) completions.push([...c, k]);
    fc.assert(
      fc.property(bytes, (b) => {
        const offset = firstInvalidUtf8Offset(b);
        if (isUtf8(b)) return offset === -1;
        if (offset < 0 || offset > b.length) return false;
        // Not too early: the text before the broken sequence (which starts at most 3 bytes back) is valid.
        let validBefore = false;
        for (let j = Math.max(0, offset - 3); j <= offset; j++) if (isUtf8(b.subarray(0, j))) validBefore = true;
        // Not too late: nothing can follow the bytes up to and including the offset to make them valid.
        const upTo = b.subarray(0, offset + 1);
        const completable = offset < b.length && completions.some((c) => isUtf8(Buffer.concat([upTo, Buffer.from(c)])));
        return validBefore && !completable;
      }),
      { numRuns: 2000 },
    );
  });
});
