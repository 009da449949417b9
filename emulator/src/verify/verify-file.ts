import { ClearContentError, isStorageEncrypted, locateBlob, resolveContentKey, resolveIv, type ClearSource } from '../content/clear-stream.js';
import type { Services } from '../resources/context.js';
import { StorageRequestError } from '../storage/types.js';
import type { JsonRecord } from '../store/types.js';
import { digestChecks, lengthCheck, parseContentChecksum, parseSize } from './checks.js';
import { ContentProbe } from './content-probe.js';
import { declaredType } from './content-types.js';
import { diagnoseFile } from './diagnose-file.js';
import { runMainPass } from './main-pass.js';
import type { DigestAlgorithm, Digests } from './digests.js';
import type { Check, ReasonCode, VerificationOutcome, VerifyLimits } from './types.js';

export interface VerifyFileOptions {
  /** Verify even when the upload does not look complete yet (on demand, not on a MERGE). */
  force: boolean;
  /** SHA-256 (lowercase hex) of the clear bytes, registered through /_emulator. */
  expectedSha256?: string;
  limits: VerifyLimits;
  signal?: AbortSignal;
}

/** The blob changed while it was read: verify again, it is not the client's fault. */
export class BlobChangedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'BlobChangedError';
  }
}

const ASSET_STORAGE_ENCRYPTED = 1;

/**
 * Read a file's blob back, decrypt it, and check it against what the file says: length,
 * ContentChecksum, an expected SHA-256, the declared type's signature. When the bytes are wrong,
 * name the client mistake that explains them. One streaming pass for the checks (storage read ->
 * AES-CTR -> MD5/SHA-256 + content probe, in threads for large blobs); diagnosis reads again only
 * on failure.
 * Throws StorageUnavailableError (storage down: not the client's fault), BlobChangedError, and
 * AbortError when `signal` aborts; every client mistake is a result, never an exception.
 */
export async function verifyFile(services: Services, file: JsonRecord, options: VerifyFileOptions): Promise<VerificationOutcome> {
  const ref = { id: String(file['Id']), name: String(file['Name']), assetId: String(file['ParentAssetId']) };
  const encrypted = file['IsEncrypted'] === true;
  const base = { encrypted, file: ref, diagnosis: null, basis: null, clear: null } as const;
  const skipped = (reasonCode: ReasonCode, reason: string, checks: Check[] = []): VerificationOutcome => ({ ...base, status: 'skipped', reasonCode, reason, checks });

  let located: ClearSource;
  try {
    located = await locateBlob(services, file);
  } catch (err) {
    if (err instanceof StorageRequestError) {
      return skipped('no-blob', `storage refused to read the blob '${ref.name}': ${err.message}`, [{ name: 'blob-exists', status: 'failed', detail: err.message }]);
    }
    if (!(err instanceof ClearContentError)) throw err;
    if (err.code === 'NoAsset') return skipped('no-asset', `the file's asset ${ref.assetId} does not exist`);
    return skipped('no-blob', `no blob yet: ${err.message}. It is verified when a MERGE or POST leaves the file complete, or on POST /_emulator/files/{id}/verify`, [
      { name: 'blob-exists', status: 'failed', detail: err.message },
    ]);
  }
  const { blob, asset } = located;
  const checks: Check[] = [{ name: 'blob-exists', status: 'passed', detail: `${blob.size} bytes in ${located.container}/${blob.name}` }];
  const contentFileSize = parseSize(file['ContentFileSize']);

  if (!options.force) {
    if (!encrypted && asset['Options'] === ASSET_STORAGE_ENCRYPTED) {
      return skipped('awaiting-encryption-metadata', `the asset is StorageEncrypted but the file says IsEncrypted false: waiting for the MERGE of the encryption fields (IsEncrypted, EncryptionScheme, EncryptionKeyId, InitializationVector) that completes a CreateFileInfos upload; POST /_emulator/files/{id}/verify checks the bytes as they are`, checks);
    }
    if ((contentFileSize === undefined || contentFileSize === 0) && blob.size > 0) {
      return skipped('awaiting-content-file-size', `ContentFileSize is ${contentFileSize ?? 'missing'} but the blob has ${blob.size} bytes: waiting for the MERGE of ContentFileSize that completes the upload (the .NET SDK sends it after the last block); POST /_emulator/files/{id}/verify checks it now`, checks);
    }
  }

  // What the clear bytes must be decrypted with; a key or IV that cannot be used is a failure the
  // diagnosis may still explain (the IV text may be the client's hex, the blob may be clear).
  let key: { id: string; key: Buffer } | undefined;
  let iv: bigint | undefined;
  let cannotDecrypt: string | undefined;
  if (encrypted) {
    if (!isStorageEncrypted(file)) {
      return skipped('unsupported-encryption', `EncryptionScheme ${JSON.stringify(file['EncryptionScheme'])} is not StorageEncryption: only storage encryption is verified`, checks);
    }
    try {
      const opened = resolveContentKey(services, file, asset);
      key = { id: opened.keyId, key: opened.key };
    } catch (err) {
      if (!(err instanceof ClearContentError)) throw err;
      if (err.code === 'NoContentKey') return skipped('no-content-key', `no content key to decrypt with: ${err.message}. Link the asset's StorageEncryption key ($links/ContentKeys) or set EncryptionKeyId`, checks);
      cannotDecrypt = err.message;
    }
    try {
      iv = resolveIv(file);
    } catch (err) {
      if (!(err instanceof ClearContentError)) throw err;
      cannotDecrypt = cannotDecrypt ? `${cannotDecrypt}; ${err.message}` : err.message;
    }
    checks.push(
      cannotDecrypt
        ? { name: 'encryption', status: 'failed', detail: `cannot decrypt: ${cannotDecrypt}` }
        : { name: 'encryption', status: 'passed', detail: `StorageEncryption with content key ${key!.id} and IV ${iv}` },
    );
  } else {
    checks.push({ name: 'encryption', status: 'skipped', detail: 'not encrypted (IsEncrypted false): the blob\'s bytes are checked as they are' });
  }

  const length = lengthCheck(blob.size, file['ContentFileSize']);
  checks.push(length.check);
  const lengthMismatch = length.mismatch;

  const checksum = parseContentChecksum(file['ContentChecksum']);
  const target: Digests = {};
  if (checksum?.md5) target.md5 = checksum.md5;
  if (options.expectedSha256) target.sha256 = options.expectedSha256;
  const algorithms = Object.keys(target) as DigestAlgorithm[];
  const declared = declaredType(file['MimeType'], ref.name);

  if (cannotDecrypt) {
    const diagnosis = await diagnoseFile(services, file, located, key, iv, target, declared, options);
    return finish({ checks, status: 'failed', reasonCode: 'cannot-decrypt', reason: `the blob cannot be decrypted: ${cannotDecrypt}`, diagnosis, clear: null, basis: null });
  }

  const probe = new ContentProbe(declared, blob.size);
  let bytes: number;
  let computed: Digests;
  try {
    const encryption = key && iv !== undefined ? { key: key.key, iv } : undefined;
    ({ bytes, digests: computed } = await runMainPass(services.storage, located.container, blob, { encryption, algorithms, probe, signal: options.signal }));
  } catch (err) {
    // Deleted, shortened or replaced between the look-up and the read: a changing blob, not a client mistake.
    if (err instanceof StorageRequestError && [404, 412, 416].includes(err.statusCode)) throw new BlobChangedError(`the blob changed while it was read: ${err.message}`);
    throw err;
  }
  if (bytes !== blob.size) throw new BlobChangedError(`the blob had ${blob.size} bytes when verification started and ${bytes} were read: it changed meanwhile`);

  const clear = { bytes, ...computed };
  const digests = digestChecks(checksum, options.expectedSha256, computed);
  checks.push(...digests.checks);
  const digestFailed = digests.failed;
  const sniff = probe.result();
  checks.push({ name: 'content-type', status: sniff.status, detail: sniff.detail });

  const digestPassed = algorithms.length > 0 && !digestFailed;
  const bytesWrong = digestFailed || (algorithms.length === 0 && sniff.status === 'failed');
  if (bytesWrong) {
    const what = digestFailed ? 'the clear bytes do not match their digest' : `the clear bytes do not look like what the file declares (${sniff.detail})`;
    const diagnosis = await diagnoseFile(services, file, located, key, iv, target, declared, options);
    const explained = diagnosis.id !== 'unexplained' ? `: ${diagnosis.message}` : '';
    const subject = encrypted ? `the blob does not decrypt to the file: ${what}` : `the blob is not the file: ${what}`;
    return finish({ checks, status: 'failed', reasonCode: 'content-mismatch', reason: `${subject}${explained}`, diagnosis, clear, basis: null });
  }
  if (lengthMismatch) {
    return finish({ checks, status: 'failed', reasonCode: 'content-length-mismatch', reason: `the blob has ${blob.size} bytes but ContentFileSize is ${lengthMismatch.contentFileSize}: ${lengthMismatch.hint}`, diagnosis: null, clear, basis: null });
  }
  const decrypted = encrypted ? `decrypted ${bytes} bytes` : `read ${bytes} bytes (not encrypted)`;
  if (digestPassed) {
    const which = algorithms.map((a) => (a === 'md5' ? 'ContentChecksum (MD5)' : 'the expected SHA-256')).join(' and ');
    if (sniff.status === 'failed') {
      return finish({ checks, status: 'verified', reasonCode: 'content-type-mismatch', reason: `${decrypted}; they match ${which}, but ${sniff.detail}`, diagnosis: null, clear, basis: 'digest' });
    }
    return finish({ checks, status: 'verified', reasonCode: 'verified', reason: `${decrypted}; they match ${which}`, diagnosis: null, clear, basis: 'digest' });
  }
  if (sniff.status === 'passed') {
    return finish({ checks, status: 'verified', reasonCode: 'verified', reason: `${decrypted}; ${sniff.detail}. No digest to compare (send ContentChecksum or POST /_emulator/files/{id}/expect for a byte-exact check)`, diagnosis: null, clear, basis: 'signature' });
  }
  return finish({ checks, status: 'verified', reasonCode: 'verified', reason: `${decrypted} with the length ContentFileSize declares; the content itself could not be checked: no ContentChecksum, no expected SHA-256, and ${sniff.detail}`, diagnosis: null, clear, basis: 'length' });

  function finish(result: Pick<VerificationOutcome, 'checks' | 'status' | 'reasonCode' | 'reason' | 'diagnosis' | 'clear' | 'basis'>): VerificationOutcome {
    return { ...base, ...result, lengthMismatch };
  }
}

