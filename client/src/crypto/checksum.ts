import { timingSafeEqual } from 'node:crypto';
import { aesEcbEncrypt } from './ecb.js';
import { guidToDotNetBytes, guidToRfc4122Bytes, parseKeyId } from './keyid.js';
import { CryptoInputError } from './errors.js';

/**
 * How a content-key checksum was computed. `dotnet` is the reference (the .NET SDK and the docs);
 * the others are what other SDKs shipped, and real AMS accepted them all:
 * - `rfc4122`: the key-id GUID in RFC 4122 byte order instead of `Guid.ToByteArray()`;
 * - `java`: AES-ECB over the GUID text (only its first 16 characters count);
 * - `php`: AES-ECB over the whole `nb:kid:UUID:...` string (only its first 16 characters count).
 */
export type ChecksumVariant = 'dotnet' | 'rfc4122' | 'java' | 'php';
export const CHECKSUM_VARIANTS: readonly ChecksumVariant[] = ['dotnet', 'rfc4122', 'java', 'php'];

/** `base64(AES-ECB_K(input)[0..8))` with the 16-byte input chosen by `variant`. */
export function contentKeyChecksum(contentKey: Uint8Array, keyId: string, variant: ChecksumVariant = 'dotnet'): string {
  const input = checksumInput(keyId, variant);
  return aesEcbEncrypt(contentKey, input).subarray(0, 8).toString('base64');
}

/**
 * Which variant produced `checksum`, or `unknown`. Compared on the decoded 8 bytes, so base64
 * spelling differences (missing padding) do not matter.
 */
export function identifyChecksumVariant(contentKey: Uint8Array, keyId: string, checksum: string): ChecksumVariant | 'unknown' {
  const given = decodeChecksum(checksum);
  if (!given) return 'unknown';
  for (const variant of CHECKSUM_VARIANTS) {
    const expected = Buffer.from(contentKeyChecksum(contentKey, keyId, variant), 'base64');
    if (timingSafeEqual(expected, given)) return variant;
  }
  return 'unknown';
}

function checksumInput(keyId: string, variant: ChecksumVariant): Buffer {
  const guid = parseKeyId(keyId);
  switch (variant) {
    case 'dotnet':
      return guidToDotNetBytes(guid);
    case 'rfc4122':
      return guidToRfc4122Bytes(guid);
    case 'java':
      // Java's UUID.toString() is lower-case; PKCS5 padding only touches blocks after the first.
      return Buffer.from(guid.toLowerCase(), 'utf8').subarray(0, 16);
    case 'php':
      // openssl_encrypt over the id exactly as the client wrote it.
      return Buffer.from(keyId, 'utf8').subarray(0, 16);
    default:
      throw new CryptoInputError('checksum-variant', `unknown checksum variant ${String(variant)}`);
  }
}

function decodeChecksum(text: string): Buffer | undefined {
  if (typeof text !== 'string' || !/^[A-Za-z0-9+/]{11}=?$/.test(text)) return undefined;
  const bytes = Buffer.from(text, 'base64');
  return bytes.length === 8 ? bytes : undefined;
}
