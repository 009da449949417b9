import { constants, publicEncrypt, type KeyObject } from 'node:crypto';
import { certificatePublicKey, wrapContentKey, type CertificateInput } from '../../../client/src/index.js';

/**
 * Ways to produce an `EncryptedContentKey`: the right one (RSA-OAEP, SHA-1, MGF1-SHA-1, empty label,
 * to the endpoint's protection certificate) and the wrong ones real clients sent. Each wrong one
 * is paired with the diagnosis name the emulator's finding gives it.
 */
export type WrapKind = 'oaep-sha1' | BadWrapKind;
export type BadWrapKind = 'oaep-sha256' | 'pkcs1-v1_5' | 'other-certificate' | 'truncated' | 'not-base64';

export const BAD_WRAPS: readonly BadWrapKind[] = ['oaep-sha256', 'pkcs1-v1_5', 'other-certificate', 'truncated', 'not-base64'];

/** The `diagnosis` an emulator finding names for each bad wrap. */
export const EXPECTED_DIAGNOSIS: Readonly<Record<BadWrapKind, string>> = {
  'oaep-sha256': 'oaep-sha256',
  'pkcs1-v1_5': 'pkcs1-v1_5',
  'other-certificate': 'other-certificate',
  truncated: 'wrong-length',
  'not-base64': 'not-base64',
};

export interface WrapInputs {
  /** The endpoint's protection certificate. */
  protection: CertificateInput;
  /** A certificate that is not the endpoint's (for `other-certificate`). */
  other: CertificateInput | KeyObject;
  /** How many bytes `truncated` cuts off the end (1..255). */
  cut?: number;
  /** The junk `not-base64` sends; must hold a character outside the base64 alphabet. */
  junk?: string;
}

/** The `EncryptedContentKey` text for `key` wrapped the `kind` way. */
export function wrapAs(kind: WrapKind, key: Uint8Array, inputs: WrapInputs): string {
  switch (kind) {
    case 'oaep-sha1':
      return wrapContentKey(inputs.protection, key).toString('base64');
    case 'oaep-sha256':
      return publicEncrypt({ key: certificatePublicKey(inputs.protection), padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha256' }, key).toString('base64');
    case 'pkcs1-v1_5':
      return publicEncrypt({ key: certificatePublicKey(inputs.protection), padding: constants.RSA_PKCS1_PADDING }, key).toString('base64');
    case 'other-certificate':
      return wrapContentKey(inputs.other, key).toString('base64');
    case 'truncated': {
      const wrapped = wrapContentKey(inputs.protection, key);
      const cut = Math.min(Math.max(inputs.cut ?? 1, 1), wrapped.length - 1);
      return wrapped.subarray(0, wrapped.length - cut).toString('base64');
    }
    case 'not-base64':
      return inputs.junk ?? 'dummy Encrypted-Content_Key!';
  }
}
