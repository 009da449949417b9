/**
 * The storage-encryption primitives of AMS v2. The emulator, the reference client and the
 * conformance kit all import them from here, so there is exactly one implementation to get right.
 */
export { CryptoInputError } from './errors.js';
export { MAX_IV, randomIv, formatIv, parseIv, ivToBytes, ivFromBytes } from './iv.js';
export {
  AmsCtr, AmsCtrTransform, amsCtr, createAmsCtrStream, counterBlock,
  cipherInPlace, CTR_IN_PLACE_SOURCE, CTR_SLICE_BYTES, type AmsCtrOptions, type CipherUpdate,
} from './ctr.js';
export { aesEcbEncrypt } from './ecb.js';
export { primeAllocatorForCipherOutputs } from './allocator.js';
export {
  parseNbId, formatNbId, parseKeyId, formatKeyId, newGuid,
  guidToDotNetBytes, guidToRfc4122Bytes, guidFromDotNetBytes,
  type NbId, type NbIdTag,
} from './keyid.js';
export { contentKeyChecksum, identifyChecksumVariant, CHECKSUM_VARIANTS, type ChecksumVariant } from './checksum.js';
export {
  wrapContentKey, unwrapContentKey, diagnoseWrappedKey, toPrivateKey, oaep,
  type WrapDiagnosis, type WrapDiagnosisKind, type PrivateKeyInput,
} from './keywrap.js';
export {
  loadCertificate, certificateDer, certificateThumbprint, certificateToBase64Der, certificatePublicKey,
  createProtectionCertificate, loadProtectionCertificatePem, loadProtectionCertificatePfx,
  type CertificateInput, type ProtectionCertificate, type RsaKeyPair,
} from './certificate.js';
