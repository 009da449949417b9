import type { RuleDef } from './rule-def.js';

/**
 * The findings decrypt verification (verify/) records. Part of the one static rule list in
 * `domain/rules.ts`, so whatever lists the rules (the README's rule table, `/_emulator/rules`, the
 * conformance kit) has them without loading the verification subsystem.
 */
export const VERIFICATION_RULES: readonly RuleDef[] = [
  {
    id: 'decrypt-verification-failed',
    severity: 'error',
    area: 'counter',
    title: 'The uploaded blob does not decrypt to the file the client meant',
    description:
      'After an upload completes, the emulator reads the blob back, decrypts it with the file\'s content key and IV (AES-256-CTR, counter BE64(IV) || BE64(offset/16)) and compares the clear bytes with ContentChecksum (MD5 hex or base64), an expected SHA-256 registered through /_emulator, or, with no digest, the signature of the declared MimeType or file name. When they differ it tries the mistakes real clients made (IV laid little-endian, IV sent as hex/base64/signed text, counter starting at 1, counter little-endian, another content key, another file\'s IV, plaintext uploaded as is, blocks encrypted from the wrong offset) and names the one that explains the bytes in `diagnosis`. Without a digest, only a named mistake makes this an error.',
    fix: 'Encrypt with AES-256-CTR keyed by the 32-byte content key, counter block = BE64(IV) || BE64(fileOffset / 16) with the same IV you send as decimal InitializationVector, starting at 0 for the first byte of the file and continuing across blocks (a block that starts at offset N starts at counter N/16). The finding\'s diagnosis says which part differed.',
    evidence: 'A digest that does not match the decrypted bytes (after the ContentChecksum variants: hex, base64, MD5 of the ciphertext), or, with no digest, a named client mistake under which the whole blob decrypts to the declared type while the reference decryption does not; a key or IV that cannot be used. Bytes that merely do not look like their type are not enough: that is upload-unverifiable.',
    strictRefuses: true,
  },
  {
    id: 'content-length-mismatch',
    severity: 'error',
    area: 'content',
    title: 'The blob length differs from ContentFileSize',
    description:
      'AES-CTR keeps the length: the stored blob must have exactly ContentFileSize bytes (the clear file size the .NET SDK MERGEs after the upload). A blob that matches its digest, or that one Put Blob wrote whole, means the ContentFileSize sent is wrong; a blob padded to a whole AES block means a block mode with PKCS#7 instead of CTR; a shorter blob whose committed block ids skip a number, a block left out of Put Block List.',
    fix: 'MERGE ContentFileSize with the clear file length (count the bytes read, once), upload exactly the encrypted bytes of the file (CTR adds no padding), and commit every block in order.',
    evidence: 'The committed blob\'s length against ContentFileSize, once the upload is complete; the hint says which side is wrong only from evidence (a digest that matches, a blob written whole by one Put Blob, a gap in the block ids).',
    strictRefuses: true,
  },
  {
    id: 'content-verification-failed',
    severity: 'error',
    area: 'content',
    title: 'An unencrypted file\'s blob does not match its ContentChecksum or expected digest',
    description: 'For a file with IsEncrypted false the blob is the clear content: its MD5 must equal ContentChecksum, and its SHA-256 the digest registered through /_emulator, when given.',
    fix: 'Upload the file\'s bytes unchanged, or, if you encrypted them, MERGE IsEncrypted true with EncryptionScheme StorageEncryption, the EncryptionKeyId and the decimal InitializationVector.',
    evidence: 'A digest (ContentChecksum, or an expected SHA-256) that does not match the stored bytes, or a named mistake that explains them (encrypted with the asset\'s key although marked clear). A clear file whose bytes do not look like its name is only a content-type-mismatch warning.',
    strictRefuses: true,
  },
  {
    id: 'content-type-mismatch',
    severity: 'warning',
    area: 'content',
    title: 'The clear bytes do not look like the declared MimeType or file name',
    description:
      'The bytes lack the signature of the type the MimeType or the file name declares (e.g. an .mp4 without an ftyp box), while nothing says the encryption is wrong: they match their digest, or the file is not encrypted, or its first bytes decrypt to the declared type and no known mistake explains the rest. Players and the origin serve the file by that type.',
    fix: 'Send the MimeType (and file extension) of what the file really is, or application/octet-stream.',
    evidence: 'The bytes\' signature against the declared MimeType or extension; the encryption is known right (a digest matched, or the first bytes decrypted to the declared type) or there was none.',
    strictRefuses: false,
  },
  {
    id: 'upload-unverifiable',
    severity: 'warning',
    area: 'counter',
    title: 'An encrypted upload could not be verified: no digest, and the bytes do not look like the declared type',
    description:
      'With no ContentChecksum the emulator can judge the decrypted bytes only by the signature of the declared type. When they lack it and no known client mistake explains them, either the encryption is wrong in a way nobody has named yet or the file is not that type (random test data under a media name): there is no evidence for either, so this is a warning, and the verification is `unverifiable`, not `failed`.',
    fix: 'Send ContentChecksum: the MD5 of the clear file as 32 hex digits. The upload is then verified byte for byte, and a wrong encryption is named precisely.',
    evidence: 'None against the client: the bytes lack the declared type\'s signature and no hypothesis explains them. It says what could not be checked.',
    strictRefuses: false,
  },
  {
    id: 'content-checksum-of-ciphertext',
    severity: 'warning',
    area: 'content',
    title: 'ContentChecksum is the MD5 of the encrypted blob, not of the clear file',
    description:
      'ContentChecksum is documented as the MD5 of the clear file; one legacy SDK\'s upload helper digests the stream it uploads, the ciphertext. The service never checked it. When the stored blob\'s MD5 equals ContentChecksum and the decrypted bytes look like the declared type while the stored ones do not, the upload is right and the checksum odd: the verification is `verified` on the type. When the type cannot tell encrypted from clear bytes, the blob may also be an unencrypted upload: the verification is `unverifiable`.',
    fix: 'Compute ContentChecksum over the clear file (before encryption), as 32 hex digits of its MD5.',
    evidence: 'The stored blob\'s MD5 equals ContentChecksum; the declared type tells whether the decrypted bytes are the file.',
    strictRefuses: false,
  },
];

