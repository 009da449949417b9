import { ClearContentError, isStorageEncrypted, locateBlob, resolveContentKey, resolveIv, type ClearSource } from '../content/clear-stream.js';
import type { Services } from '../app/services.js';
import { StorageRequestError, type BlockInfo } from '../storage/types.js';
import type { AssetFileRecord } from '../model/asset-file.js';
import { AssetCreationOptions } from '../model/enums.js';
import { digestChecks, lengthCheck, parseContentChecksum, parseSize } from './checks.js';
import { ContentProbe, type ProbeStatus } from './content-probe.js';
import { declaredType, FAMILY_NAMES } from './content-types.js';
import { diagnoseFile } from './diagnose-file.js';
import { runMainPass, type MainPassOptions } from './main-pass.js';
import type { DigestAlgorithm, Digests } from './digests.js';
import { EVIDENCE_HEAD_BYTES, type Check, type Diagnosis, type ReasonCode, type VerificationOutcome, type VerifyLimits } from './types.js';

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

/**
 * Read a file's blob back, decrypt it, and check it against what the file says: length,
 * ContentChecksum, an expected SHA-256, the declared type's signature. When the bytes are wrong,
 * name the client mistake that explains them. One streaming pass for the checks (storage read ->
 * AES-CTR -> MD5/SHA-256 + content probe, in threads for large blobs); diagnosis reads again only
 * on failure.
 * Throws StorageUnavailableError (storage down: not the client's fault), BlobChangedError, and
 * AbortError when `signal` aborts; every client mistake is a result, never an exception.
 */
export async function verifyFile(services: Services, file: AssetFileRecord, options: VerifyFileOptions): Promise<VerificationOutcome> {
  const ref = { id: file.Id, name: file.Name, assetId: file.ParentAssetId };
  const encrypted = file.IsEncrypted === true;
  const declared = declaredType(file.MimeType, ref.name);
  // Kept with the result so the first clear bytes can be shown beside what they should start with.
  const declaredEvidence = { label: declared.label, signature: declared.family ? FAMILY_NAMES[declared.family] : null };
  const base = { encrypted, file: ref, diagnosis: null, basis: null, clear: null, declared: declaredEvidence } as const;
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
  const contentFileSize = parseSize(file.ContentFileSize);

  if (!options.force) {
    if (!encrypted && asset.Options === AssetCreationOptions.StorageEncrypted) {
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
      return skipped('unsupported-encryption', `EncryptionScheme ${JSON.stringify(file.EncryptionScheme)} is not StorageEncryption: only storage encryption is verified`, checks);
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

  const blocks = await blocksIfMismatched(services, located, file.ContentFileSize);
  let lengthMismatch: VerificationOutcome['lengthMismatch'];
  const checkLength = (digest?: 'matched' | 'mismatched') => {
    const length = lengthCheck(blob.size, file.ContentFileSize, blocks, digest);
    checks.push(length.check);
    lengthMismatch = length.mismatch;
  };

  const checksum = parseContentChecksum(file.ContentChecksum);
  const target: Digests = {};
  if (checksum?.md5) target.md5 = checksum.md5;
  if (options.expectedSha256) target.sha256 = options.expectedSha256;
  const algorithms = Object.keys(target) as DigestAlgorithm[];

  if (cannotDecrypt) {
    checkLength();
    const diagnosis = await diagnoseFile(services, file, located, key, iv, target, declared, options);
    return finish({ checks, status: 'failed', reasonCode: 'cannot-decrypt', reason: `the blob cannot be decrypted: ${cannotDecrypt}`, diagnosis, clear: null, basis: null });
  }

  const probe = new ContentProbe(declared, blob.size);
  const encryption = key && iv !== undefined ? { key: key.key, iv } : undefined;
  const { bytes, digests: computed } = await readPass(services, located, { encryption, algorithms, probe, signal: options.signal });

  const clear = { bytes, ...computed, head: probe.headBytes().subarray(0, EVIDENCE_HEAD_BYTES).toString('hex') };
  const digests = digestChecks(checksum, options.expectedSha256, computed);
  checks.push(...digests.checks);
  checkLength(algorithms.length === 0 ? undefined : digests.failed ? 'mismatched' : 'matched');
  const sniff = probe.result();
  checks.push({ name: 'content-type', status: sniff.status, detail: sniff.detail });
  const decrypted = encrypted ? `decrypted ${bytes} bytes` : `read ${bytes} bytes (not encrypted)`;

  if (digests.failed) {
    // ContentChecksum over the ciphertext (one legacy SDK's upload helper digests the stream it
    // uploads): a correct upload with an odd checksum, told apart from a plaintext upload before
    // any hypothesis can name it one.
    if (encrypted && checksum?.md5 && !options.expectedSha256) {
      const raw = await readPass(services, located, { algorithms: ['md5'], probe: new ContentProbe(declared, blob.size), signal: options.signal });
      const rawType = raw.probe.result().status;
      if (raw.digests.md5 === checksum.md5 && !(rawType === 'passed' && sniff.status !== 'passed')) {
        // The checksum is odd, not wrong; a length that disagrees with the blob still is.
        return lengthMismatch ? lengthFailure(null) : ciphertextChecksum(rawType);
      }
    }
    const diagnosis = await diagnoseFile(services, file, located, key, iv, target, declared, options);
    // A blob of the wrong length cannot match its digest: the length is the finding, unless a
    // named mistake explains the bytes as well.
    if (lengthMismatch && diagnosis.id === 'unexplained') return lengthFailure(diagnosis);
    return contentMismatch('the clear bytes do not match their digest', diagnosis);
  }

  if (algorithms.length === 0 && sniff.status === 'failed') {
    // No digest: only a named mistake that explains the bytes is evidence against the client.
    const diagnosis = await diagnoseFile(services, file, located, key, iv, target, declared, options);
    if (diagnosis.id !== 'unexplained') return contentMismatch(`the clear bytes do not look like what the file declares (${sniff.detail})`, diagnosis);
    if (lengthMismatch) return lengthFailure(null);
    const sendChecksum = 'send ContentChecksum (the MD5 of the clear file, 32 hex digits) to have the upload verified byte for byte';
    if (!encrypted) {
      return finish({
        checks, status: 'unverifiable', reasonCode: 'content-type-mismatch', diagnosis: null, clear, basis: null,
        reason: `${decrypted}; nothing was encrypted, and there is no digest to compare them with; ${sniff.detail}`,
        warning: { rule: 'content-type-mismatch', message: `the file is not encrypted and has no ContentChecksum; ${sniff.detail}. If the file is not that type, send its real MimeType (and file extension), or application/octet-stream` },
      });
    }
    if ((sniff.firstBadOffset ?? 0) > 0) {
      return finish({
        checks, status: 'verified', reasonCode: 'content-type-mismatch', diagnosis: null, clear, basis: 'signature-prefix',
        reason: `${decrypted}; the first bytes decrypt to the declared type, so the key, the IV and the counter are right where the file starts, but ${sniff.detail}; no digest to check the rest: ${sendChecksum}`,
        warning: { rule: 'content-type-mismatch', message: `the first bytes decrypt to the declared type (the encryption is right where the file starts), but ${sniff.detail}. No known client mistake explains it and there is no ContentChecksum: ${sendChecksum}, or send the MimeType of what the file is` },
      });
    }
    return finish({
      checks, status: 'unverifiable', reasonCode: 'no-evidence', diagnosis, clear, basis: null,
      reason: `could not verify: no ContentChecksum, and the clear bytes do not look like ${declared.label} (${sniff.detail}); no known client mistake explains them`,
      warning: { rule: 'upload-unverifiable', message: `could not verify the upload: there is no ContentChecksum and the decrypted bytes do not look like ${declared.label} (${sniff.detail}); no known client mistake explains them (tried ${diagnosis.tried}). If the file is that type, its encryption may be wrong; ${sendChecksum}` },
    });
  }
  if (lengthMismatch) return lengthFailure(null);
  if (algorithms.length > 0) {
    const which = algorithms.map((a) => (a === 'md5' ? 'ContentChecksum (MD5)' : 'the expected SHA-256')).join(' and ');
    if (sniff.status === 'failed') {
      return finish({
        checks, status: 'verified', reasonCode: 'content-type-mismatch', reason: `${decrypted}; they match ${which}, but ${sniff.detail}`, diagnosis: null, clear, basis: 'digest',
        warning: { rule: 'content-type-mismatch', message: `the clear bytes match their digest, but ${sniff.detail}` },
      });
    }
    return finish({ checks, status: 'verified', reasonCode: 'verified', reason: `${decrypted}; they match ${which}`, diagnosis: null, clear, basis: 'digest' });
  }
  if (sniff.status === 'passed') {
    return finish({ checks, status: 'verified', reasonCode: 'verified', reason: `${decrypted}; ${sniff.detail}. No digest to compare (send ContentChecksum or POST /_emulator/files/{id}/expect for a byte-exact check)`, diagnosis: null, clear, basis: 'signature' });
  }
  if (bytes === 0) {
    return finish({ checks, status: 'verified', reasonCode: 'verified', reason: 'the blob is empty, as ContentFileSize says: there is nothing to decrypt', diagnosis: null, clear, basis: 'length' });
  }
  return finish({
    checks, status: 'unverifiable', reasonCode: 'no-evidence', diagnosis: null, clear, basis: null,
    reason: `${decrypted} with the length ContentFileSize declares; nothing confirms or refutes the content: no ContentChecksum, no expected SHA-256, and ${sniff.detail}. Send ContentChecksum (the MD5 of the clear file) or POST /_emulator/files/{id}/expect to have it verified`,
  });

  function lengthFailure(diagnosis: Diagnosis | null): VerificationOutcome {
    return finish({ checks, status: 'failed', reasonCode: 'content-length-mismatch', reason: `the blob has ${blob.size} bytes but ContentFileSize is ${lengthMismatch!.contentFileSize}: ${lengthMismatch!.hint}`, diagnosis, clear, basis: null });
  }

  function contentMismatch(what: string, diagnosis: Diagnosis): VerificationOutcome {
    const explained = diagnosis.id !== 'unexplained' ? `: ${diagnosis.message}` : '';
    const subject = encrypted ? `the blob does not decrypt to the file: ${what}` : `the blob is not the file: ${what}`;
    return finish({ checks, status: 'failed', reasonCode: 'content-mismatch', reason: `${subject}${explained}`, diagnosis, clear, basis: null });
  }

  function ciphertextChecksum(rawType: ProbeStatus): VerificationOutcome {
    const at = checks.findIndex((c) => c.name === 'content-checksum');
    checks[at] = { name: 'content-checksum', status: 'inconclusive', detail: `ContentChecksum ${checksum!.md5} is the MD5 of the blob as stored (the ciphertext), not of the clear bytes (${computed.md5})` };
    const advice = 'the service never checked ContentChecksum, but it is documented as the MD5 of the clear file, which is what the reference client sends';
    if (sniff.status === 'passed') {
      return finish({
        checks, status: 'verified', reasonCode: 'content-checksum-of-ciphertext', diagnosis: null, clear, basis: 'signature',
        reason: `${decrypted}; ${sniff.detail}, so the encryption is right; ContentChecksum is the MD5 of the ciphertext, not of the clear file`,
        warning: { rule: 'content-checksum-of-ciphertext', message: `ContentChecksum is the MD5 of the encrypted blob as stored, not of the clear file; decrypted, the bytes look like the declared type (${sniff.detail}), so the encryption itself is right: ${advice}` },
      });
    }
    const types = rawType === 'inconclusive' ? `${declared.label} has no signature to tell encrypted from clear bytes` : 'neither the stored nor the decrypted bytes look like the declared type';
    return finish({
      checks, status: 'unverifiable', reasonCode: 'content-checksum-of-ciphertext', diagnosis: null, clear, basis: null,
      reason: `ContentChecksum is the MD5 of the blob as stored: either the client digested the ciphertext or it uploaded the clear bytes unencrypted, and ${types}`,
      warning: { rule: 'content-checksum-of-ciphertext', message: `ContentChecksum is the MD5 of the blob as stored, not of its decrypted bytes: either the client computed it over the ciphertext, or it uploaded the clear bytes without encrypting them; ${types}, so the upload could not be verified. Send the MD5 of the clear file (${advice})` },
    });
  }

  function finish(result: Pick<VerificationOutcome, 'checks' | 'status' | 'reasonCode' | 'reason' | 'diagnosis' | 'clear' | 'basis' | 'warning'>): VerificationOutcome {
    return { ...base, ...result, lengthMismatch };
  }
}

/** One streaming pass over the blob (decrypted when `encryption` is given); a blob that changed meanwhile is not the client's fault. */
async function readPass(services: Services, located: ClearSource, options: MainPassOptions): Promise<{ bytes: number; digests: Digests; probe: ContentProbe }> {
  const { blob } = located;
  let result: { bytes: number; digests: Digests };
  try {
    result = await runMainPass(services.storage, located.container, blob, options);
  } catch (err) {
    // Deleted, shortened or replaced between the look-up and the read: a changing blob, not a client mistake.
    if (err instanceof StorageRequestError && [404, 412, 416].includes(err.statusCode)) throw new BlobChangedError(`the blob changed while it was read: ${err.message}`);
    throw err;
  }
  if (result.bytes !== blob.size) throw new BlobChangedError(`the blob had ${blob.size} bytes when verification started and ${result.bytes} were read: it changed meanwhile`);
  return { ...result, probe: options.probe };
}

/** The committed blocks, read only when the length is wrong (to say why). */
async function blocksIfMismatched(services: Services, located: ClearSource, contentFileSize: unknown): Promise<BlockInfo[] | undefined> {
  const declared = parseSize(contentFileSize);
  if (declared === undefined || declared === 0 || declared === located.blob.size) return undefined;
  try {
    return (await services.storage.getBlockList(located.container, located.blob.name)) ?? undefined;
  } catch (err) {
    if (err instanceof StorageRequestError) return undefined;
    throw err;
  }
}

