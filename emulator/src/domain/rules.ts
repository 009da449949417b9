/**
 * Every rule a finding can name, in one list: the emulator records findings by these ids, the
 * README's rule table and the conformance kit's report are generated from it, so the docs and the
 * code cannot drift. A rule's `fix` is written for the author of the client that tripped it.
 */
import type { RuleDef } from './rule-def.js';
import { KEY_DELIVERY_RULES } from './key-delivery-rules.js';
import { VERIFICATION_RULES } from './verification-rules.js';

export type { RuleDef, Severity } from './rule-def.js';

/** The protocol and key rules the handlers and `domain/` check. */
const PROTOCOL_RULES: readonly RuleDef[] = [
  {
    id: 'checksum-mismatch',
    severity: 'error',
    area: 'checksum',
    title: 'Content-key checksum does not match the reference algorithm',
    description:
      'The ContentKey Checksum must be base64 of the first 8 bytes of AES-ECB(content key, Guid.ToByteArray() of the key id). The Java and PHP SDKs computed it differently and the real service accepted them; the finding names the variant matched (rfc4122, java, php) or unknown.',
    fix: 'Compute AES-ECB with the content key over the key-id GUID in .NET Guid.ToByteArray() byte order (first three groups little-endian), keep the first 8 bytes, base64-encode them.',
    evidence: 'The key is unwrapped and the checksum recomputed from it: the Checksum sent differs from the reference value (the variant it matches, if any, is named).',
    strictRefuses: true,
  },
  {
    id: 'checksum-missing',
    severity: 'warning',
    area: 'checksum',
    title: 'Storage-encryption content key created without a checksum',
    description: 'The .NET SDK always sends a Checksum; the service accepted keys without one (the Java SDK sends none) and echoes an empty string.',
    fix: 'Send Checksum computed with the reference algorithm (see checksum-mismatch).',
    evidence: 'No Checksum, or an empty one, in the request that created the key.',
    strictRefuses: true,
  },
  {
    id: 'content-key-unwrap-failed',
    severity: 'error',
    area: 'rsa-oaep-unwrapping',
    title: 'EncryptedContentKey cannot be unwrapped with the protection key',
    description:
      'EncryptedContentKey must be RSA-OAEP (SHA-1, MGF1-SHA-1, empty label) of the content key to the certificate GetProtectionKey returns. The service accepted junk at create time and failed later (RebindContentKey 400, jobs in error); the finding carries the diagnosis (OAEP-SHA256, PKCS#1 v1.5, another certificate, wrong length, not base64).',
    fix: 'Wrap the 32-byte content key with RSA-OAEP using SHA-1 and MGF1-SHA-1 and an empty label, to the certificate whose thumbprint GetProtectionKeyId returned; send Convert.ToBase64String of the 256-byte result.',
    evidence: 'RSA-OAEP-SHA1 with the protection key\'s private key fails on the EncryptedContentKey as sent (the variant that does open it, if any, is named).',
    strictRefuses: true,
  },
  {
    id: 'content-key-length',
    severity: 'error',
    area: 'rsa-oaep-unwrapping',
    title: 'Storage-encryption content key is not 32 bytes',
    description: 'Storage encryption is AES-256-CTR: the wrapped StorageEncryption (ContentKeyType 1) key must be exactly 32 bytes.',
    fix: 'Generate 32 random bytes for a StorageEncryption key.',
    evidence: 'The unwrapped key itself, which is not 32 bytes long.',
    strictRefuses: true,
  },
  {
    id: 'iv-reused',
    severity: 'error',
    area: 'iv-uniqueness',
    title: 'Two files under one content key share an InitializationVector',
    description: 'AES-CTR with one key and one IV produces the same keystream for both files; XOR of the two ciphertexts reveals the XOR of the plaintexts. Every file needs its own random 64-bit IV.',
    fix: 'Draw a fresh IV for every file from a cryptographically secure RNG (8 random bytes as an unsigned 64-bit integer) and check it is not already used under the key.',
    evidence: 'Two files name the same content key (sent, or through their asset\'s link) and the same decimal IV: stored files, or a bulk-ingest file still waiting for its upload.',
    strictRefuses: true,
  },
  {
    id: 'iv-not-decimal-uint64',
    severity: 'error',
    area: 'iv-uniqueness',
    title: 'InitializationVector is not a decimal unsigned 64-bit integer',
    description: 'The service and its SDKs read InitializationVector with Convert.ToUInt64: decimal digits only, 0 to 18446744073709551615. The PHP SDK library sends decimal too; one of its functional tests stored a base64 IV and read it back, which works only until something has to decrypt the file.',
    fix: 'Send ulong.ToString(): the IV as unsigned decimal digits, e.g. "397304628502661816" (not hex, not base64, not a signed Int64).',
    evidence: 'The InitializationVector text itself: not decimal digits, or beyond 18446744073709551615.',
    strictRefuses: true,
  },
  {
    id: 'unsupported-api-version',
    severity: 'warning',
    area: 'protocol',
    title: 'x-ms-version is not a known Media Services API version',
    description: 'The service accepted x-ms-version 2.0 to 2.19; the emulator serves unknown versions as 2.19 in compat mode.',
    fix: 'Send x-ms-version: 2.19 (or another version from 2.0 to 2.19).',
    evidence: 'The x-ms-version header as sent.',
    strictRefuses: true,
  },
];

/** Every rule, assembled once from the areas that record findings; never added to later. */
export const RULES: readonly RuleDef[] = [...PROTOCOL_RULES, ...KEY_DELIVERY_RULES, ...VERIFICATION_RULES];

const byId = new Map(RULES.map((r) => [r.id, r]));

export function ruleOf(id: string): RuleDef {
  const rule = byId.get(id);
  if (!rule) throw new Error(`unknown finding rule ${id}`);
  return rule;
}
