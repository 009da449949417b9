import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CryptoInputError, formatIv, ivFromBytes, ivToBytes, MAX_IV, parseIv, randomIv } from '../src/crypto/index.js';
import { MAX_U64, TWO64 } from '../../test/support/crypto-reference.js';

const anyIv = fc.bigInt({ min: 0n, max: MAX_U64 });

/** The refusal `parseIv` gives for `text`; fails the test if it accepts it. */
function refusal(text: unknown): CryptoInputError {
  try {
    parseIv(text as string);
  } catch (err) {
    expect(err).toBeInstanceOf(CryptoInputError);
    return err as CryptoInputError;
  }
  throw new Error(`parseIv accepted ${JSON.stringify(text)}`);
}

describe('InitializationVector', () => {
  it('MAX_IV is the largest .NET ulong', () => {
    expect(MAX_IV).toBe(MAX_U64);
    expect(formatIv(MAX_IV)).toBe('18446744073709551615');
  });

  it('format then parse gives the value back, over the whole 64-bit range', () => {
    fc.assert(
      fc.property(anyIv, (iv) => {
        const text = formatIv(iv);
        expect(text).toMatch(/^(0|[1-9][0-9]*)$/);
        expect(parseIv(text)).toBe(iv);
      }),
      { numRuns: 1000 },
    );
  });

  it('puts the IV big-endian in counter bytes 0-7, and reads it back', () => {
    fc.assert(
      fc.property(anyIv, (iv) => {
        const bytes = ivToBytes(iv);
        expect(bytes.toString('hex')).toBe(iv.toString(16).padStart(16, '0'));
        expect(ivFromBytes(bytes)).toBe(iv);
      }),
      { numRuns: 500 },
    );
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 8, maxLength: 8 }), (bytes) => {
        expect(ivToBytes(ivFromBytes(bytes))).toEqual(Buffer.from(bytes));
      }),
      { numRuns: 200 },
    );
  });

  it('accepts leading zeros as .NET Convert.ToUInt64 does, and formats without them', () => {
    expect(parseIv('007')).toBe(7n);
    expect(formatIv(parseIv('0000000000000000000000397304628502661816'))).toBe('397304628502661816');
  });

  it('refuses hexadecimal, naming it', () => {
    for (const text of ['0x1F', '0X0583827461850AB8', '0583827461850ab8', 'ABCDEF', 'ff']) {
      const err = refusal(text);
      expect(err.reason, text).toBe('iv-hex');
      expect(err.message).toMatch(/hexadecimal/);
      expect(err.message).toMatch(/decimal/);
    }
    fc.assert(
      fc.property(anyIv.filter((iv) => /[a-f]/.test(iv.toString(16))), fc.boolean(), (iv, upper) => {
        const hex = upper ? iv.toString(16).toUpperCase() : iv.toString(16);
        expect(refusal(hex).reason).toBe('iv-hex');
      }),
      { numRuns: 200 },
    );
  });

  it('refuses a sign, and points at a signed Int64 for a minus', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: 1n, max: 1n << 63n }), (magnitude) => {
        const minus = refusal(`-${magnitude}`);
        expect(minus.reason).toBe('iv-sign');
        expect(minus.message).toMatch(/signed Int64/);
        expect(refusal(`+${magnitude}`).reason).toBe('iv-sign');
      }),
      { numRuns: 100 },
    );
    expect(refusal('+0').message).toMatch(/sign/);
  });

  it('refuses white space around the digits', () => {
    for (const text of [' 1', '1 ', '\t397304628502661816', '397304628502661816\n', ' ']) {
      const err = refusal(text);
      expect(err.reason, JSON.stringify(text)).toBe('iv-whitespace');
      expect(err.message).toMatch(/white space/);
    }
  });

  it('refuses values above 2^64-1, quoting the limit', () => {
    expect(refusal('18446744073709551616').reason).toBe('iv-too-large');
    fc.assert(
      fc.property(fc.bigInt({ min: TWO64, max: 1n << 100n }), (big) => {
        const err = refusal(big.toString());
        expect(err.reason).toBe('iv-too-large');
        expect(err.message).toContain('18446744073709551615');
      }),
      { numRuns: 100 },
    );
  });

  it('refuses the empty string, giving an example of the right form', () => {
    const err = refusal('');
    expect(err.reason).toBe('iv-empty');
    expect(err.message).toMatch(/decimal digits/);
  });

  it('refuses base64, as a client that sent the raw 8 bytes would', () => {
    expect(refusal('BYOCdGGFCrg=').reason).toBe('iv-base64');
    // One base64 string in 64 starts with '+': that is base64, not a signed number.
    expect(refusal('+AAAAAAAAAA=').reason).toBe('iv-base64');
    expect(refusal('-BYOCdGGFCrg').reason).toBe('iv-not-decimal');
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 8, maxLength: 8 }), (bytes) => {
        const base64 = Buffer.from(bytes).toString('base64');
        fc.pre(!/^0[xX]/.test(base64)); // "0x..." reads as hexadecimal first, which is also a fair diagnosis
        const err = refusal(base64);
        expect(err.reason).toBe('iv-base64');
        expect(err.message).toMatch(/base64/);
      }),
      { numRuns: 200 },
    );
  });

  it('refuses anything else that is not decimal digits', () => {
    for (const text of ['12.5', '1,000', '12_000', '١٢٣', '1e5x', 'IV']) {
      const err = refusal(text);
      expect(err.reason, text).toMatch(/^iv-(not-decimal|base64|hex)$/);
    }
    expect(refusal('12.5').reason).toBe('iv-not-decimal');
    expect(refusal('1,000').message).toMatch(/not a decimal number/);
    expect(refusal(397304628502661816).reason).toBe('iv-not-string');
    expect(refusal(undefined).reason).toBe('iv-not-string');
  });

  it('refuses out-of-range values and wrong byte counts when formatting and converting', () => {
    const reason = (f: () => unknown) => {
      try {
        f();
      } catch (err) {
        return (err as CryptoInputError).reason;
      }
      return 'accepted';
    };
    expect(reason(() => formatIv(-1n))).toBe('iv-range');
    expect(reason(() => formatIv(TWO64))).toBe('iv-range');
    expect(reason(() => ivToBytes(TWO64))).toBe('iv-range');
    expect(reason(() => formatIv(5 as unknown as bigint))).toBe('iv-range');
    expect(reason(() => ivFromBytes(new Uint8Array(7)))).toBe('iv-length');
    expect(reason(() => ivFromBytes(new Uint8Array(9)))).toBe('iv-length');
  });

  it('draws random IVs from the whole range', () => {
    const draws = Array.from({ length: 64 }, () => randomIv());
    for (const iv of draws) expect(iv >= 0n && iv <= MAX_IV).toBe(true);
    expect(new Set(draws).size).toBe(draws.length);
    // 64 uniform draws all below 2^62 would happen with probability 4^-64.
    expect(draws.some((iv) => iv >= 1n << 62n)).toBe(true);
  });
});
