import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  CryptoInputError, formatKeyId, formatNbId, guidFromDotNetBytes, guidToDotNetBytes, guidToRfc4122Bytes, newGuid, parseKeyId, parseNbId,
} from '../src/crypto/index.js';
import { dotnetGuidBytes, guidText, rfc4122GuidBytes } from '../../test/support/crypto-reference.js';

const guid = fc.uint8Array({ minLength: 16, maxLength: 16 }).map(guidText);
const recase = (text: string) =>
  fc.array(fc.boolean(), { minLength: text.length, maxLength: text.length })
    .map((upper) => [...text].map((ch, i) => (upper[i] ? ch.toUpperCase() : ch.toLowerCase())).join(''));
const anyCaseGuid = guid.chain(recase);

function reason(f: () => unknown): string {
  try {
    f();
  } catch (err) {
    expect(err).toBeInstanceOf(CryptoInputError);
    return (err as CryptoInputError).reason;
  }
  return 'accepted';
}

describe('content key ids', () => {
  it('formats as the .NET SDK does and parses back', () => {
    fc.assert(
      fc.property(anyCaseGuid, (g) => {
        const id = formatKeyId(g);
        expect(id).toBe(`nb:kid:UUID:${g.toLowerCase()}`);
        expect(parseKeyId(id)).toBe(g.toLowerCase());
        expect(parseNbId(id)).toEqual({ tag: 'kid', guid: g.toLowerCase() });
      }),
      { numRuns: 200 },
    );
  });

  it('compares the prefix without regard to case and keeps the GUID as written', () => {
    fc.assert(
      fc.property(recase('nb:kid:uuid:'), anyCaseGuid, (prefix, g) => {
        expect(parseKeyId(prefix + g)).toBe(g);
        expect(parseNbId(prefix + g, 'kid').tag).toBe('kid');
      }),
      { numRuns: 200 },
    );
  });

  it('handles the other id tags', () => {
    fc.assert(
      fc.property(fc.constantFrom('cid', 'lid', 'pid', 'jid', 'tid', 'mpid'), guid, (tag, g) => {
        const id = formatNbId(tag, g);
        expect(parseNbId(id, tag)).toEqual({ tag, guid: g });
        expect(reason(() => parseKeyId(id))).toBe('id-tag');
      }),
      { numRuns: 30 },
    );
  });

  it('refuses ids that are not nb:kid:UUID:<hyphenated guid>, naming the problem', () => {
    const g = '00112233-4455-6677-8899-aabbccddeeff';
    expect(reason(() => parseKeyId(g))).toBe('id-format');
    expect(reason(() => parseKeyId(`kid:UUID:${g}`))).toBe('id-format');
    expect(reason(() => parseKeyId(`nb:kid:${g}`))).toBe('id-format');
    expect(reason(() => parseKeyId(''))).toBe('id-format');
    expect(reason(() => parseKeyId(`nb:cid:UUID:${g}`))).toBe('id-tag');
    for (const bad of [g.replace(/-/g, ''), `{${g}}`, g.slice(1), `${g}0`, g.replace('a', 'g'), ` ${g}`, `${g} `, '']) {
      expect(reason(() => parseKeyId(`nb:kid:UUID:${bad}`)), bad).toBe('id-guid');
    }
    expect(reason(() => parseKeyId(42 as unknown as string))).toBe('id-not-string');
    expect(reason(() => formatKeyId('not a guid'))).toBe('id-guid');
    try {
      parseKeyId(`nb:cid:UUID:${g}`);
    } catch (err) {
      expect((err as Error).message).toMatch(/nb:cid id, expected nb:kid:UUID:<guid>/);
    }
  });

  it('newGuid gives fresh lower-case GUIDs that make valid key ids', () => {
    const a = newGuid();
    const b = newGuid();
    expect(a).not.toBe(b);
    expect(parseKeyId(formatKeyId(a))).toBe(a);
    expect(a).toBe(a.toLowerCase());
  });
});

describe('GUID byte orders', () => {
  it('Guid.ToByteArray order: Data1-3 little-endian, Data4 as written', () => {
    fc.assert(
      fc.property(anyCaseGuid, (g) => {
        expect(guidToDotNetBytes(g)).toEqual(dotnetGuidBytes(g));
        expect(guidToRfc4122Bytes(g)).toEqual(rfc4122GuidBytes(g));
      }),
      { numRuns: 300 },
    );
    expect(guidToDotNetBytes('00112233-4455-6677-8899-aabbccddeeff').toString('hex')).toBe('33221100554477668899aabbccddeeff');
  });

  it('round-trips through the .NET byte order both ways', () => {
    fc.assert(
      fc.property(anyCaseGuid, (g) => {
        expect(guidFromDotNetBytes(guidToDotNetBytes(g))).toBe(g.toLowerCase());
      }),
      { numRuns: 300 },
    );
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 16, maxLength: 16 }), (bytes) => {
        expect(guidToDotNetBytes(guidFromDotNetBytes(bytes))).toEqual(Buffer.from(bytes));
      }),
      { numRuns: 300 },
    );
  });

  it('does not change the caller\'s bytes', () => {
    const bytes = Buffer.from('00112233445566778899aabbccddeeff', 'hex');
    const copy = Buffer.from(bytes);
    guidFromDotNetBytes(bytes);
    expect(bytes).toEqual(copy);
  });

  it('refuses a GUID that is not 16 bytes or not a GUID', () => {
    expect(reason(() => guidFromDotNetBytes(new Uint8Array(15)))).toBe('guid-length');
    expect(reason(() => guidToDotNetBytes('00112233445566778899aabbccddeeff'))).toBe('id-guid');
    expect(reason(() => guidToRfc4122Bytes('nb:kid:UUID:00112233-4455-6677-8899-aabbccddeeff'))).toBe('id-guid');
  });
});
