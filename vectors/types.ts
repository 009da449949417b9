/**
 * The shape of a vector file, as `schema.json` defines it. Only data that passed the schema is
 * treated as these types; byte strings are lower-case hex, IVs and offsets decimal strings.
 */

export interface VectorSource {
  origin: 'published' | 'computed';
  publication: string;
  section?: string;
  url?: string;
  doi?: string;
  repository?: string;
  path?: string;
  commit?: string;
  blob?: string;
  license?: string;
  computedBy?: string;
  checkedBy?: string;
  notes?: string;
}

/** What every vector has, whatever its kind (also what an unknown kind is read as). */
export interface VectorBase {
  id: string;
  kind: string;
  description?: string;
  source?: VectorSource;
}

export type Expectation = 'match' | 'mismatch';

export interface AesCtrAmsVector extends VectorBase {
  kind: 'aes-ctr-ams';
  key: string;
  iv: string;
  offset: string;
  operation?: 'encrypt' | 'decrypt';
  plaintext: string;
  ciphertext: string;
  blocks?: { counter: string; keystream?: string }[];
  expect?: Expectation;
  wrongOutputOf?: '128-bit-counter';
}

export interface CtrCounterBlockVector extends VectorBase {
  kind: 'ctr-counter-block';
  iv: string;
  offset: string;
  counter: string;
}

export interface AesEcbVector extends VectorBase {
  kind: 'aes-ecb';
  key: string;
  plaintext: string;
  ciphertext: string;
}

export type ChecksumVariantName = 'dotnet' | 'rfc4122' | 'java' | 'php';

export interface ContentKeyChecksumVector extends VectorBase {
  kind: 'content-key-checksum';
  key: string;
  keyId: string;
  variant: ChecksumVariantName;
  input?: string;
  checksum: string;
  expect?: Expectation;
  wrongOutputOf?: ChecksumVariantName;
}

export interface GuidDotnetBytesVector extends VectorBase {
  kind: 'guid-dotnet-bytes';
  guid: string;
  bytes: string;
}

export interface IvDecimalVector extends VectorBase {
  kind: 'iv-decimal';
  text: string;
  bytes: string;
  bitConverterBytes?: string;
}

export interface ContentKeyBase64Vector extends VectorBase {
  kind: 'content-key-base64';
  key: string;
  base64: string;
}

export interface CertificateThumbprintVector extends VectorBase {
  kind: 'certificate-thumbprint';
  certificate: string;
  thumbprint: string;
  publicKeyBits?: number;
}

export interface RsaPrivateKeyComponents {
  n: string;
  e: string;
  d: string;
  p: string;
  q: string;
  dp: string;
  dq: string;
  qi: string;
}

export interface RsaOaepDecryptVector extends VectorBase {
  kind: 'rsa-oaep-decrypt';
  privateKey: RsaPrivateKeyComponents;
  hash: 'sha1';
  mgf1Hash: 'sha1';
  label: string;
  ciphertext: string;
  result: 'valid' | 'invalid';
  message?: string;
  comment?: string;
  flags?: string[];
}

export interface RsaOaepSeededEncryptVector extends VectorBase {
  kind: 'rsa-oaep-seeded-encrypt';
  n: string;
  e: string;
  hash: 'sha1';
  mgf1Hash: 'sha1';
  label: string;
  message: string;
  seed: string;
  ciphertext: string;
  privateKey?: RsaPrivateKeyComponents;
}

export type Vector =
  | AesCtrAmsVector
  | CtrCounterBlockVector
  | AesEcbVector
  | ContentKeyChecksumVector
  | GuidDotnetBytesVector
  | IvDecimalVector
  | ContentKeyBase64Vector
  | CertificateThumbprintVector
  | RsaOaepDecryptVector
  | RsaOaepSeededEncryptVector;

export type VectorKind = Vector['kind'];

export interface VectorFile {
  $schema: './schema.json';
  title: string;
  description: string;
  source: VectorSource;
  vectors: VectorBase[];
}
