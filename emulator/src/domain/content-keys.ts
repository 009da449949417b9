import { createHash, type KeyObject } from 'node:crypto';
import {
  contentKeyChecksum,
  CryptoInputError,
  diagnoseWrappedKey,
  identifyChecksumVariant,
  unwrapContentKey,
} from '../../../client/src/crypto/index.js';
import { ContentKeyType } from '../model/enums.js';
import type { Deviation } from './deviations.js';

/** Dynamic encryption is AES-128: these key types must be 16 bytes. */
const AES128_KEY_TYPES: ReadonlySet<number> = new Set([ContentKeyType.CommonEncryption, ContentKeyType.EnvelopeEncryption, ContentKeyType.CommonEncryptionCbcs]);

/** The content key types the service defined (NET ContentKeyType.cs). */
export const CONTENT_KEY_TYPES: ReadonlySet<number> = new Set(Object.values(ContentKeyType));

export interface ContentKeyFields {
  Id: string;
  ContentKeyType: number;
  EncryptedContentKey: string | null;
  Checksum: string | null;
}

export type UnwrapOutcome = { ok: true; key: Buffer } | { ok: false; reason: string; message: string };

/** Bytes the unwrap cache may hold (digests, keys and messages); about 5,000 opened keys. */
export const DEFAULT_UNWRAP_CACHE_BYTES = 512 * 1024;

/** A digest (hex) and the Map entry around it. */
const ENTRY_OVERHEAD_BYTES = 64 + 64;

/**
 * Open a stored EncryptedContentKey. Memoised because RSA private-key operations cost ~0.3 ms and
 * verification, rebind and jobs all need the clear key. The cache is keyed by the value's SHA-256,
 * never the value itself (a client may send thousands of 4,000-character values), holds no value
 * that fails the cheap length check (nothing to save there), is bounded in bytes with the least
 * recently used entries going first, and forgets the values of deleted keys.
 */
export class ContentKeyOpener {
  private readonly cache = new Map<string, { outcome: UnwrapOutcome; bytes: number }>();
  private bytes = 0;
  constructor(
    private readonly privateKey: KeyObject,
    private readonly maxBytes = DEFAULT_UNWRAP_CACHE_BYTES,
  ) {}

  /** What the cache holds now, for the tests and diagnostics. */
  get cachedBytes(): number {
    return this.bytes;
  }

  get cachedEntries(): number {
    return this.cache.size;
  }

  open(encryptedContentKey: string | null): UnwrapOutcome {
    if (encryptedContentKey === null || encryptedContentKey === '') {
      return { ok: false, reason: 'missing', message: 'the content key has no EncryptedContentKey' };
    }
    const digest = digestOf(encryptedContentKey);
    const cached = this.cache.get(digest);
    if (cached) {
      // Most recently used last: eviction takes from the front.
      this.cache.delete(digest);
      this.cache.set(digest, cached);
      return cached.outcome;
    }
    let outcome: UnwrapOutcome;
    try {
      outcome = { ok: true, key: unwrapContentKey(this.privateKey, encryptedContentKey) };
    } catch (err) {
      if (!(err instanceof CryptoInputError)) throw err;
      outcome = { ok: false, reason: err.reason, message: err.message };
    }
    if (!outcome.ok && (outcome.reason === 'wrong-length' || outcome.reason === 'not-base64')) return outcome;
    const bytes = ENTRY_OVERHEAD_BYTES + (outcome.ok ? outcome.key.length : outcome.message.length * 2);
    if (bytes > this.maxBytes) return outcome;
    this.cache.set(digest, { outcome, bytes });
    this.bytes += bytes;
    for (const [oldest, entry] of this.cache) {
      if (this.bytes <= this.maxBytes) break;
      this.cache.delete(oldest);
      this.bytes -= entry.bytes;
    }
    return outcome;
  }

  /** A key was deleted: its clear key need not stay in memory. */
  forget(encryptedContentKey: unknown): void {
    if (typeof encryptedContentKey !== 'string' || encryptedContentKey === '') return;
    const digest = digestOf(encryptedContentKey);
    const entry = this.cache.get(digest);
    if (entry === undefined) return;
    this.cache.delete(digest);
    this.bytes -= entry.bytes;
  }

  /** Everything was reset. */
  clear(): void {
    this.cache.clear();
    this.bytes = 0;
  }
}

/** A storage-encryption key opened: its 32 AES-256 bytes, or what is wrong (a phrase to follow "the content key <id>"). */
export type StorageKeyOutcome = { ok: true; key: Buffer } | { ok: false; problem: string };

/** Open an EncryptedContentKey that must be a storage-encryption key: AES-256, 32 bytes. */
export function openStorageKey(opener: ContentKeyOpener, encryptedContentKey: string | null): StorageKeyOutcome {
  const opened = opener.open(encryptedContentKey);
  if (!opened.ok) return { ok: false, problem: `cannot be unwrapped: ${opened.message}` };
  if (opened.key.length !== 32) return { ok: false, problem: `is ${opened.key.length} bytes, not 32` };
  return { ok: true, key: opened.key };
}

function digestOf(value: string): string {
  return createHash('sha256').update(value).digest('hex');
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
  if (fields.ContentKeyType === ContentKeyType.StorageEncryption && key.length !== 32) {
    out.push({
      rule: 'content-key-length',
      entityId: fields.Id,
      message: `ContentKey ${fields.Id}: a StorageEncryption key must be 32 bytes (AES-256), the wrapped key is ${key.length} bytes`,
      details: { keyLength: key.length },
    });
    return out;
  }
  if (AES128_KEY_TYPES.has(fields.ContentKeyType) && key.length !== 16) {
    out.push({
      rule: 'content-key-length-aes128',
      entityId: fields.Id,
      message: `ContentKey ${fields.Id}: a ContentKeyType ${fields.ContentKeyType} key is AES-128 and must be 16 bytes, the wrapped key is ${key.length} bytes`,
      details: { keyLength: key.length },
    });
    return out;
  }
  if (![16, 24, 32].includes(key.length)) return out;
  const checksum = fields.Checksum ?? '';
  if (checksum === '') {
    if (fields.ContentKeyType === ContentKeyType.StorageEncryption) {
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
