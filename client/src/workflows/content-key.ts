import { randomBytes } from 'node:crypto';
import {
  certificateThumbprint, certificateToBase64Der, contentKeyChecksum, formatKeyId, newGuid, unwrapContentKey, wrapContentKey,
  type CertificateInput, type PrivateKeyInput,
} from '../crypto/index.js';
import type { AmsClient, CallOptions } from '../rest/client.js';
import { ContentKeyType, ProtectionKeyType, type ContentKey } from '../rest/entities.js';
import { AmsWorkflowError } from './errors.js';

/** A storage-encryption key: the clear 32 bytes this client keeps, and the entity the service keeps. */
export interface StorageContentKey {
  id: string;
  key: Buffer;
  entity: ContentKey;
}

/**
 * Make a storage-encryption content key the way the .NET SDK does (`InitializeStorageContentKey`):
 * ask which certificate protects storage keys, fetch it, draw 32 random bytes and a key id, compute
 * the checksum, wrap the key with RSA-OAEP-SHA1 to the certificate and POST the ContentKey.
 */
export async function createStorageContentKey(client: AmsClient, options: CallOptions & { name?: string } = {}): Promise<StorageContentKey> {
  const call = options.signal ? { signal: options.signal } : {};
  const thumbprint = await client.getProtectionKeyId(ContentKeyType.StorageEncryption, call);
  const certificate = await client.getProtectionKey(thumbprint, call);
  // A certificate other than the one named would wrap the key so the service can never open it.
  const actual = certificateThumbprint(certificate);
  if (actual !== thumbprint.toUpperCase()) {
    throw new AmsWorkflowError('certificate-mismatch', `GetProtectionKey('${thumbprint}') returned a certificate whose thumbprint is ${actual}`);
  }

  const key = randomBytes(32);
  const id = formatKeyId(newGuid());
  const entity = await client.createContentKey(
    {
      Id: id,
      EncryptedContentKey: wrapContentKey(certificate, key).toString('base64'),
      ContentKeyType: ContentKeyType.StorageEncryption,
      ProtectionKeyId: thumbprint,
      ProtectionKeyType: ProtectionKeyType.X509CertificateThumbprint,
      Checksum: contentKeyChecksum(key, id),
      ...(options.name !== undefined ? { Name: options.name } : {}),
    },
    call,
  );
  return { id, key, entity };
}

/**
 * How to get a content key back from the service:
 * - `clear`: `RebindContentKey(id, '')` returns it in clear (base64), which is what the .NET SDK does;
 * - `certificate`: the service re-wraps it to your certificate and only you can open it, so the
 *   key never crosses the wire in clear.
 */
export type KeyRetrieval = { kind: 'clear' } | { kind: 'certificate'; certificate: CertificateInput; privateKey: PrivateKeyInput };

/** The clear bytes of content key `keyId`, by `RebindContentKey`. */
export async function retrieveContentKey(
  client: AmsClient,
  keyId: string,
  retrieval: KeyRetrieval = { kind: 'clear' },
  options: CallOptions = {},
): Promise<Buffer> {
  if (retrieval.kind === 'clear') {
    const key = Buffer.from(await client.rebindContentKey(keyId, '', options), 'base64');
    if (key.length === 0) throw new AmsWorkflowError('bad-content-key', `RebindContentKey('${keyId}') returned no key`);
    return key;
  }
  const wrapped = await client.rebindContentKey(keyId, certificateToBase64Der(retrieval.certificate), options);
  try {
    return unwrapContentKey(retrieval.privateKey, wrapped);
  } catch (err) {
    throw new AmsWorkflowError('bad-content-key', `the key RebindContentKey('${keyId}') wrapped to the certificate does not open with its private key: ${(err as Error).message}`, { cause: err });
  }
}
