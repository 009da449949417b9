import { randomBytes } from 'node:crypto';
import { CryptoInputError } from './errors.js';

/** The largest AMS InitializationVector: a .NET `ulong`. */
export const MAX_IV = (1n << 64n) - 1n;

/** A fresh IV from the OS CSPRNG, uniformly over all 2^64 values (the .NET SDK's range). */
export function randomIv(): bigint {
  return randomBytes(8).readBigUInt64BE(0);
}

/** The wire form: `ulong.ToString(InvariantCulture)`. */
export function formatIv(iv: bigint): string {
  assertIvRange(iv);
  return iv.toString(10);
}

/**
 * Parse the decimal UInt64 string the service stores in `AssetFile.InitializationVector`.
 * Anything else is refused with a message that names the mistake, because the usual causes
 * (hex, base64, a signed Int64) each point at a specific client bug.
 */
export function parseIv(text: string): bigint {
  if (typeof text !== 'string') {
    throw new CryptoInputError('iv-not-string', `the IV must be a string of decimal digits, got ${typeof text}`);
  }
  if (text.length === 0) {
    throw new CryptoInputError('iv-empty', 'the IV is empty: send the unsigned 64-bit IV as decimal digits, e.g. "397304628502661816"');
  }
  if (/^\s|\s$/.test(text)) {
    throw new CryptoInputError('iv-whitespace', `the IV ${JSON.stringify(text)} has leading or trailing white space: send decimal digits only`);
  }
  if (/^[+-][0-9]+$/.test(text)) {
    const hint = text.startsWith('-') ? ' (a signed Int64? reinterpret the 8 bytes as unsigned)' : '';
    throw new CryptoInputError('iv-sign', `the IV ${JSON.stringify(text)} has a sign${hint}: send an unsigned decimal number without '+' or '-'`);
  }
  if (/^0[xX]/.test(text) || (/^[0-9a-fA-F]+$/.test(text) && /[a-fA-F]/.test(text))) {
    throw new CryptoInputError('iv-hex', `the IV ${JSON.stringify(text)} looks hexadecimal: the service expects the unsigned 64-bit value in decimal (ulong.ToString()), not hex`);
  }
  if (/^[A-Za-z0-9+/]+={0,2}$/.test(text) && /[A-Za-z+/=]/.test(text)) {
    throw new CryptoInputError('iv-base64', `the IV ${JSON.stringify(text)} looks like base64: the service expects the unsigned 64-bit value in decimal, e.g. "397304628502661816"`);
  }
  if (!/^[0-9]+$/.test(text)) {
    throw new CryptoInputError('iv-not-decimal', `the IV ${JSON.stringify(text)} is not a decimal number: send only the digits 0-9`);
  }
  const value = BigInt(text);
  if (value > MAX_IV) {
    throw new CryptoInputError('iv-too-large', `the IV ${text} exceeds the largest unsigned 64-bit value 18446744073709551615`);
  }
  return value;
}

/** Counter bytes 0-7: the IV big-endian ("network byte order"), as the .NET SDK lays it. */
export function ivToBytes(iv: bigint): Buffer {
  assertIvRange(iv);
  const out = Buffer.alloc(8);
  out.writeBigUInt64BE(iv, 0);
  return out;
}

export function ivFromBytes(bytes: Uint8Array): bigint {
  if (bytes.length !== 8) throw new CryptoInputError('iv-length', `an IV is 8 bytes, got ${bytes.length}`);
  return Buffer.from(bytes.buffer, bytes.byteOffset, 8).readBigUInt64BE(0);
}

function assertIvRange(iv: bigint): void {
  if (typeof iv !== 'bigint' || iv < 0n || iv > MAX_IV) {
    throw new CryptoInputError('iv-range', `an IV is an unsigned 64-bit integer, got ${String(iv)}`);
  }
}
