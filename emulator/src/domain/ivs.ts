import { CryptoInputError, parseIv } from '../../../client/src/crypto/index.js';
import type { Deviation } from './deviations.js';

/**
 * IV rules for storage-encrypted files: the IV is a decimal UInt64 (validated only when it will be
 * used to decrypt, since a PHP SDK functional test stored base64 and read it back), and no two
 * files under one content key share one (the keystream would repeat).
 */
export interface EncryptedFileView {
  Id: string;
  Name: string;
  IsEncrypted: boolean;
  EncryptionScheme: string | null;
  InitializationVector: string | null;
}

/** The same IV spelled two ways ("07" and "7") is the same counter: compare by value when decimal. */
export function ivIdentity(iv: string): string {
  try {
    return parseIv(iv).toString();
  } catch {
    return `raw:${iv}`;
  }
}

export function checkIvFormat(file: EncryptedFileView): Deviation[] {
  if (!file.IsEncrypted || file.InitializationVector === null || file.InitializationVector === '') return [];
  if (file.EncryptionScheme !== null && file.EncryptionScheme !== 'StorageEncryption') return [];
  try {
    parseIv(file.InitializationVector);
    return [];
  } catch (err) {
    if (!(err instanceof CryptoInputError)) throw err;
    return [{
      rule: 'iv-not-decimal-uint64',
      entityId: file.Id,
      message: `File '${file.Name}' (${file.Id}): InitializationVector ${err.message}`,
      details: { reason: err.reason },
    }];
  }
}

/**
 * Files (other than `file`) that use `keyId` with the same IV. `keyOf` gives the content key a file
 * is encrypted with (its EncryptionKeyId, or its asset's storage key).
 */
export function checkIvUnique<F extends EncryptedFileView>(
  file: EncryptedFileView,
  keyId: string | undefined,
  files: Iterable<F>,
  keyOf: (other: F) => string | undefined,
): Deviation[] {
  if (!file.IsEncrypted || !keyId || !file.InitializationVector) return [];
  const identity = ivIdentity(file.InitializationVector);
  for (const other of files) {
    if (other.Id === file.Id || other.IsEncrypted !== true) continue;
    const otherIv = other.InitializationVector;
    if (typeof otherIv !== 'string' || ivIdentity(otherIv) !== identity) continue;
    if (keyOf(other) !== keyId) continue;
    return [{
      rule: 'iv-reused',
      entityId: file.Id,
      strictStatus: 409,
      message: `File '${file.Name}' (${file.Id}) uses InitializationVector ${file.InitializationVector} under content key ${keyId}, already used by file '${other.Name}' (${other.Id}): the two files share a keystream`,
      details: { otherFileId: other.Id, keyId, iv: file.InitializationVector },
    }];
  }
  return [];
}
