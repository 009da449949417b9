import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CHECKSUM_VARIANTS, contentKeyChecksum, CryptoInputError, identifyChecksumVariant, type ChecksumVariant } from '../src/crypto/index.js';
import { checksumInput, checksumOf, guidText } from '../../test/support/crypto-reference.js';

const contentKey = fc.oneof(
  fc.uint8Array({ minLength: 32, maxLength: 32 }), // storage encryption
  fc.uint8Array({ minLength: 16, maxLength: 16 }), // common/envelope keys are AES-128
);
const guid = fc.uint8Array({ minLength: 16, maxLength: 16 }).map(guidText);
/** Random upper/lower case of each character, as clients wrote ids. */
const recase = (text: string) =>
  fc.array(fc.boolean(), { minLength: text.length, maxLength: text.length })
    .map((upper) => [...text].map((ch, i) => (upper[i] ? ch.toUpperCase() : ch.toLowerCase())).join(''));
const keyId = fc.tuple(guid, fc.boolean()).chain(([g, odd]) =>
  odd ? fc.tuple(recase('nb:kid:UUID:'), recase(g)).map(([prefix, text]) => prefix + text) : fc.constant(`nb:kid:UUID:${g}`));
const variant = fc.constantFrom<ChecksumVariant>('dotnet', 'rfc4122', 'java', 'php');

describe('content-key checksum', () => {
  it('lists the four variants, .NET first', () => {
    expect(CHECKSUM_VARIANTS).toEqual(['dotnet', 'rfc4122', 'java', 'php']);
  });

  it('equals base64(AES-ECB(key, input)[0..8)) with the input each SDK built, for every variant', () => {
    fc.assert(
      fc.property(contentKey, keyId, variant, (k, id, v) => {
        const checksum = contentKeyChecksum(k, id, v);
        expect(checksum).toBe(checksumOf(k, checksumInput(v, id)));
        expect(checksum).toMatch(/^[A-Za-z0-9+/]{11}=$/);
      }),
      { numRuns: 300 },
    );
  });

  it('defaults to the .NET variant (Guid.ToByteArray order)', () => {
    fc.assert(
      fc.property(contentKey, keyId, (k, id) => {
        expect(contentKeyChecksum(k, id)).toBe(checksumOf(k, checksumInput('dotnet', id)));
      }),
      { numRuns: 50 },
    );
  });

  it('identifies the variant that produced a checksum, with or without base64 padding', () => {
    fc.assert(
      fc.property(contentKey, keyId, variant, (k, id, v) => {
        const checksum = checksumOf(k, checksumInput(v, id));
        expect(identifyChecksumVariant(k, id, checksum)).toBe(v);
        expect(identifyChecksumVariant(k, id, checksum.replace(/=+$/, ''))).toBe(v);
      }),
      { numRuns: 200 },
    );
  });

  it('says unknown for a checksum no variant gives, or one that is not 8 bytes of base64', () => {
    fc.assert(
      fc.property(contentKey, keyId, fc.uint8Array({ minLength: 8, maxLength: 8 }), (k, id, bytes) => {
        const other = Buffer.from(bytes).toString('base64');
        fc.pre(CHECKSUM_VARIANTS.every((v) => checksumOf(k, checksumInput(v, id)) !== other));
        expect(identifyChecksumVariant(k, id, other)).toBe('unknown');
      }),
      { numRuns: 50 },
    );
    const k = new Uint8Array(32);
    const id = 'nb:kid:UUID:00112233-4455-6677-8899-aabbccddeeff';
    const valid = contentKeyChecksum(k, id);
    for (const bad of ['', 'not base64!', Buffer.alloc(16).toString('base64'), valid.slice(0, 8), `${valid}=`]) {
      expect(identifyChecksumVariant(k, id, bad), bad).toBe('unknown');
    }
  });

  it('differs between the .NET and the RFC 4122 byte order unless the first 8 bytes read the same both ways', () => {
    fc.assert(
      fc.property(contentKey, guid, (k, g) => {
        const id = `nb:kid:UUID:${g}`;
        const symmetric = checksumInput('dotnet', id).equals(checksumInput('rfc4122', id));
        expect(contentKeyChecksum(k, id, 'dotnet') === contentKeyChecksum(k, id, 'rfc4122')).toBe(symmetric);
      }),
      { numRuns: 100 },
    );
  });

  it('refuses a key id that is not nb:kid:UUID:<guid> and a key of the wrong size', () => {
    const k = new Uint8Array(32);
    const refusal = (f: () => unknown) => {
      try {
        f();
      } catch (err) {
        expect(err).toBeInstanceOf(CryptoInputError);
        return (err as CryptoInputError).reason;
      }
      return 'accepted';
    };
    expect(refusal(() => contentKeyChecksum(k, '00112233-4455-6677-8899-aabbccddeeff'))).toBe('id-format');
    expect(refusal(() => contentKeyChecksum(k, 'nb:cid:UUID:00112233-4455-6677-8899-aabbccddeeff'))).toBe('id-tag');
    expect(refusal(() => contentKeyChecksum(k, 'nb:kid:UUID:{00112233-4455-6677-8899-aabbccddeeff}'))).toBe('id-guid');
    expect(refusal(() => contentKeyChecksum(new Uint8Array(31), 'nb:kid:UUID:00112233-4455-6677-8899-aabbccddeeff'))).toBe('key-length');
    expect(refusal(() => contentKeyChecksum(k, 'nb:kid:UUID:00112233-4455-6677-8899-aabbccddeeff', 'python' as ChecksumVariant))).toBe('checksum-variant');
  });
});
