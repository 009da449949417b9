import { readFile } from 'node:fs/promises';
import type { X509Certificate } from 'node:crypto';
import { CryptoInputError } from '../crypto/errors.js';
import { parseIv } from '../crypto/iv.js';
import { certificateDer, loadCertificate, type CertificateInput } from '../crypto/certificate.js';
import { CommandFailure, UsageError } from './errors.js';

/**
 * Turning option text into checked values. A malformed value is a usage error (exit 2); a file
 * that cannot be read or parsed is a failure (exit 1).
 */

/** `--key HEX`: the key bytes, refusing anything but whole hex of one of the allowed sizes. */
export function parseHexKey(option: string, text: string, allowedBytes: readonly number[]): Buffer {
  const sizes = allowedBytes.map((n) => `${n * 2}`).join(' or ');
  const what = allowedBytes.map((n) => `${n}-byte`).join(' or ');
  if (!/^[0-9a-fA-F]*$/.test(text)) {
    const bad = /[^0-9a-fA-F]/.exec(text)![0];
    throw new UsageError(`--${option} must be ${sizes} hex digits (a ${what} key), but it contains ${JSON.stringify(bad)}`);
  }
  if (!allowedBytes.includes(text.length / 2)) {
    throw new UsageError(`--${option} must be ${sizes} hex digits (a ${what} key), got ${text.length}`);
  }
  return Buffer.from(text, 'hex');
}

/** `--iv DECIMAL`, with the crypto library's diagnosis of the usual mistakes (hex, signed, base64). */
export function parseIvOption(option: string, text: string): bigint {
  try {
    return parseIv(text);
  } catch (err) {
    if (err instanceof CryptoInputError) throw new UsageError(`--${option}: ${err.message}`);
    throw err;
  }
}

/** A file offset in bytes: decimal digits only, any size (offsets past 2^68 bytes are legal). */
export function parseByteOffset(option: string, text: string): bigint {
  if (!/^[0-9]+$/.test(text)) {
    throw new UsageError(`--${option} must be a non-negative decimal number of bytes, got ${JSON.stringify(text)}`);
  }
  return BigInt(text);
}

/** `--name VALUE` where VALUE is one of a fixed set. */
export function parseChoice<T extends string>(option: string, text: string, choices: readonly T[]): T {
  const match = choices.find((c) => c === text);
  if (match === undefined) throw new UsageError(`--${option} must be one of ${choices.join(', ')}, got ${JSON.stringify(text)}`);
  return match;
}

/** Whole contents of a file named by an option, or a failure that says which option and why. */
export async function readOptionFile(option: string, path: string): Promise<Buffer> {
  try {
    return await readFile(path);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'it is a directory' : code === 'EACCES' ? 'permission denied' : (err as Error).message;
    throw new CommandFailure(`cannot read the --${option} file ${JSON.stringify(path)}: ${why}`);
  }
}

export interface LoadedCertificate {
  der: Buffer;
  x509: X509Certificate;
}

/**
 * A certificate file in any form a user is likely to have: DER, PEM (also with text before the
 * armour, as `openssl pkcs12` writes it), or the base64 DER string `GetProtectionKey` returns.
 */
export async function readCertificateFile(option: string, path: string): Promise<LoadedCertificate> {
  const bytes = await readOptionFile(option, path);
  try {
    const input = certificateInputOf(bytes);
    const der = certificateDer(input);
    return { der, x509: loadCertificate(der) };
  } catch (err) {
    if (err instanceof CryptoInputError) throw new CommandFailure(`the --${option} file ${JSON.stringify(path)}: ${err.message}`);
    throw err;
  }
}

function certificateInputOf(bytes: Buffer): CertificateInput {
  if (bytes[0] === 0x30) return bytes; // an ASN.1 SEQUENCE: DER
  const text = bytes.toString('utf8');
  const armour = text.indexOf('-----BEGIN CERTIFICATE-----');
  return armour >= 0 ? text.slice(armour) : text;
}
