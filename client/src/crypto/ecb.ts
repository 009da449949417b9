import { createCipheriv } from 'node:crypto';
import { CryptoInputError } from './errors.js';

/** AES-ECB without padding over whole blocks; AES-128/192/256 chosen by the key length. */
export function aesEcbEncrypt(key: Uint8Array, data: Uint8Array): Buffer {
  const algorithm = ecbAlgorithm(key);
  if (data.length % 16 !== 0) {
    throw new CryptoInputError('ecb-length', `AES-ECB input must be whole 16-byte blocks, got ${data.length} bytes`);
  }
  const cipher = createCipheriv(algorithm, key, null);
  cipher.setAutoPadding(false);
  return Buffer.concat([cipher.update(data), cipher.final()]);
}

function ecbAlgorithm(key: Uint8Array): string {
  switch (key.length) {
    case 16: return 'aes-128-ecb';
    case 24: return 'aes-192-ecb';
    case 32: return 'aes-256-ecb';
    default:
      throw new CryptoInputError('key-length', `an AES key is 16, 24 or 32 bytes, got ${key.length}`);
  }
}
