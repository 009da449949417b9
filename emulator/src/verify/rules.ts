import { registerRules, type RuleDef } from '../domain/rules.js';

/**
 * The findings decrypt verification records. Registered at import time, so whatever imports the
 * emulator (the CLI, the README's rule table, the conformance kit) lists them with the others.
 */
export const VERIFY_RULES: readonly RuleDef[] = [
  {
    id: 'decrypt-verification-failed',
    severity: 'error',
    area: 'counter',
    title: 'The uploaded blob does not decrypt to the file the client meant',
    description:
      'After an upload completes, the emulator reads the blob back, decrypts it with the file\'s content key and IV (AES-256-CTR, counter BE64(IV) || BE64(offset/16)) and compares the clear bytes with ContentChecksum (MD5 hex), an expected SHA-256 registered through /_emulator, or, with no digest, the signature of the declared MimeType or file name. When they differ it tries the mistakes real clients made (IV laid little-endian, IV sent as hex/base64/signed text, counter starting at 1, counter little-endian, another content key, another file\'s IV, plaintext uploaded as is, blocks encrypted from the wrong offset) and names the one that explains the bytes in `diagnosis`.',
    fix: 'Encrypt with AES-256-CTR keyed by the 32-byte content key, counter block = BE64(IV) || BE64(fileOffset / 16) with the same IV you send as decimal InitializationVector, starting at 0 for the first byte of the file and continuing across blocks (a block that starts at offset N starts at counter N/16). The finding\'s diagnosis says which part differed.',
    strictRefuses: true,
  },
  {
    id: 'content-length-mismatch',
    severity: 'error',
    area: 'content',
    title: 'The blob length differs from ContentFileSize',
    description:
      'AES-CTR keeps the length: the stored blob must have exactly ContentFileSize bytes (the clear file size the .NET SDK MERGEs after the upload). A longer blob usually means padding (a block cipher mode with PKCS#7 instead of CTR) or a stale block; a shorter one an incomplete upload (a block left out of Put Block List).',
    fix: 'Upload exactly the encrypted bytes of the file (CTR adds no padding), commit every block in order, and MERGE ContentFileSize with the clear file length.',
    strictRefuses: true,
  },
  {
    id: 'content-verification-failed',
    severity: 'error',
    area: 'content',
    title: 'An unencrypted file\'s blob does not match its ContentChecksum or expected digest',
    description: 'For a file with IsEncrypted false the blob is the clear content: its MD5 must equal ContentChecksum, and its SHA-256 the digest registered through /_emulator, when given.',
    fix: 'Upload the file\'s bytes unchanged, or, if you encrypted them, MERGE IsEncrypted true with EncryptionScheme StorageEncryption, the EncryptionKeyId and the decimal InitializationVector.',
    strictRefuses: true,
  },
  {
    id: 'content-type-mismatch',
    severity: 'warning',
    area: 'content',
    title: 'The clear bytes do not look like the declared MimeType or file name',
    description:
      'The decrypted bytes match their digest, so the encryption is right, but they lack the signature of the type the MimeType or the file name declares (e.g. an .mp4 without an ftyp box). Players and the origin serve the file by that type.',
    fix: 'Send the MimeType (and file extension) of what the file really is, or application/octet-stream.',
    strictRefuses: false,
  },
];

registerRules(VERIFY_RULES);
