import type { KeyObject } from 'node:crypto';
import {
  contentKeyChecksum,
  CryptoInputError,
  diagnoseWrappedKey,
  identifyChecksumVariant,
  unwrapContentKey,
} from '../../../client/src/crypto/index.js';
import type { Deviation } from './deviations.js';

export const STORAGE_ENCRYPTION = 1;

/** The content key types the service defined (NET ContentKeyType.cs). */
export const CONTENT_KEY_TYPES: ReadonlySet<number> = new Set([0, 1, 2, 3, 4, 6, 7, 8]);

export interface ContentKeyFields {
  Id: string;
  ContentKeyType: number;
  EncryptedContentKey: string | null;
  Checksum: string | null;
}

export type UnwrapOutcome = { ok: true; key: Buffer } | { ok: false; reason: string; message: string };

/**
 * Open a stored EncryptedContentKey. Memoised per (wrapped value) because RSA private-key
 * operations cost ~0.3 ms and verification, rebind and jobs all need the clear key.
 */
export class ContentKeyOpener {
  private readonly cache = new Map<string, UnwrapOutcome>();
  constructor(private readonly privateKey: KeyObject) {}

  open(encryptedContentKey: string | null): UnwrapOutcome {
    if (encryptedContentKey === null || encryptedContentKey === '') {
      return { ok: false, reason: 'missing', message: 'the content key has no EncryptedContentKey' };
    }
    const cached = this.cache.get(encryptedContentKey);
    if (cached) return cached;
    let outcome: UnwrapOutcome;
    try {
      outcome = { ok: true, key: unwrapContentKey(this.privateKey, encryptedContentKey) };
    } catch (err) {
      if (!(err instanceof CryptoInputError)) throw err;
      outcome = { ok: false, reason: err.reason, message: err.message };
    }
    if (this.cache.size > 10_000) this.cache.clear();
    this.cache.set(encryptedContentKey, outcome);
    return outcome;
  }
}

/**
 * What a new content key does differently from the .NET SDK: a wrap that does not open (with the
 * crypto library's diagnosis), a storage key that is not 32 bytes, a checksum computed another way
 * (naming the variant) or missing.
 */
export function inspectNewContentKey(fields: ContentKeyFields, opener: ContentKeyOpener, privateKey: KeyObject): Deviation[] {
  const out: Deviation[] = [];
  const outcome = opener.open(fields.EncryptedContentKey);
  if (!outcome.ok) {
    const diagnosis = fields.EncryptedContentKey ? diagnoseWrappedKey(privateKey, fields.EncryptedContentKey) : undefined;
    out.push({
      rule: 'content-key-unwrap-failed',
      entityId: fields.Id,
      message: `ContentKey ${fields.Id}: EncryptedContentKey cannot be unwrapped with the protection key: ${outcome.message}`,
      details: { diagnosis: diagnosis?.kind ?? outcome.reason },
    });
    return out;
  }
  const key = outcome.key;
  if (fields.ContentKeyType === STORAGE_ENCRYPTION && key.length !== 32) {
    out.push({
      rule: 'content-key-length',
      entityId: fields.Id,
      message: `ContentKey ${fields.Id}: a StorageEncryption key must be 32 bytes (AES-256), the wrapped key is ${key.length} bytes`,
      details: { keyLength: key.length },
    });
    return out;
  }
  if (![16, 24, 32].includes(key.length)) return out;
  const checksum = fields.Checksum ?? '';
  if (checksum === '') {
    if (fields.ContentKeyType === STORAGE_ENCRYPTION) {
      out.push({
        rule: 'checksum-missing',
        entityId: fields.Id,
        message: `ContentKey ${fields.Id} has no Checksum; the reference client sends base64(AES-ECB(key, keyId.ToByteArray())[0..8]) = ${safeChecksum(key, fields.Id) ?? '(key id is not nb:kid:UUID:<guid>)'}`,
      });
    }
    return out;
  }
  let expected: string;
  try {
    expected = contentKeyChecksum(key, fields.Id, 'dotnet');
  } catch {
    return out; // an id that is not nb:kid:UUID:<guid> was already refused by the resource
  }
  if (checksum === expected) return out;
  const variant = identifyChecksumVariant(key, fields.Id, checksum);
  const how: Record<string, string> = {
    rfc4122: 'the key-id GUID was laid in RFC 4122 byte order instead of .NET Guid.ToByteArray() order (first three groups little-endian)',
    java: "it was computed over the GUID's text (as the legacy Java SDK did) instead of its Guid.ToByteArray() bytes",
    php: "it was computed over the 'nb:kid:UUID:...' string (as the PHP SDK did) instead of the GUID's Guid.ToByteArray() bytes",
    dotnet: 'it matches after all',
    unknown: 'it matches no known way of computing it (wrong key, wrong id, or not AES-ECB)',
  };
  out.push({
    rule: 'checksum-mismatch',
    entityId: fields.Id,
    message: `ContentKey ${fields.Id}: Checksum ${JSON.stringify(checksum)} does not match the reference value ${expected}: ${how[variant]}`,
    details: { variant, expected },
  });
  return out;
}

function safeChecksum(key: Buffer, id: string): string | undefined {
  try {
    return contentKeyChecksum(key, id, 'dotnet');
  } catch {
    return undefined;
  }
}
