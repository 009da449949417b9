import type { KeyObject, X509Certificate } from 'node:crypto';
import { certificateToBase64Der, CryptoInputError, loadCertificate, wrapContentKey } from '../../../client/src/crypto/index.js';
import { CONTENT_KEY_TYPES } from '../domain/content-keys.js';

import { badRequest, notFound } from '../odata/errors.js';
import { functionParameters } from '../odata/params.js';
import { findContentKey } from '../model/content-key.js';
import type { Services } from '../app/services.js';
import type { ApiRequest, ApiResult } from './context.js';

/** GetProtectionKeyId?contentKeyType=N: one certificate serves every key type. */
export function getProtectionKeyId(req: ApiRequest, services: Services): ApiResult {
  const params = functionParameters(req.rawQuery);
  const text = params.get('contentkeytype');
  if (text === undefined) throw badRequest('GetProtectionKeyId requires the parameter contentKeyType, e.g. GetProtectionKeyId?contentKeyType=1');
  if (!/^\d+$/.test(text) || !CONTENT_KEY_TYPES.has(Number(text))) {
    throw badRequest(`contentKeyType ${JSON.stringify(text)} is not a content key type (0, 1, 2, 3, 4, 6, 7 or 8)`);
  }
  return { kind: 'function', name: 'GetProtectionKeyId', value: services.secrets.protection.thumbprint };
}

/** GetProtectionKey?ProtectionKeyId='<thumbprint>': the certificate as base64 DER. */
export function getProtectionKey(req: ApiRequest, services: Services): ApiResult {
  const params = functionParameters(req.rawQuery);
  const id = params.get('protectionkeyid');
  if (id === undefined || id === '') throw badRequest("GetProtectionKey requires the parameter ProtectionKeyId, e.g. GetProtectionKey?ProtectionKeyId='<thumbprint>'");
  if (!/^[0-9a-fA-F]{40}$/.test(id)) throw badRequest(`ProtectionKeyId ${JSON.stringify(id)} is not a certificate thumbprint (40 hex digits)`);
  // Thumbprints are compared case-insensitively: the later Java SDK computed them in lower case.
  if (id.toUpperCase() !== services.secrets.protection.thumbprint) throw notFound(`No protection key with id '${id}'; GetProtectionKeyId returns ${services.secrets.protection.thumbprint}`);
  return { kind: 'function', name: 'GetProtectionKey', value: certificateToBase64Der(services.secrets.protection.der) };
}

/**
 * RebindContentKey?id='<kid>'&x509Certificate='<base64 DER>': the clear key (base64) for an empty
 * certificate, else the key re-wrapped to that certificate with RSA-OAEP-SHA1. A key that cannot
 * be unwrapped is a 400, as the Java SDK's tests expect.
 */
export function rebindContentKey(req: ApiRequest, services: Services): ApiResult {
  const params = functionParameters(req.rawQuery);
  const id = params.get('id');
  if (id === undefined || id === '') throw badRequest("RebindContentKey requires the parameter id, e.g. RebindContentKey?id='nb:kid:UUID:...'&x509Certificate=''");
  const record = findContentKey(services.store, id);
  const outcome = services.keys.open(record.EncryptedContentKey);
  if (!outcome.ok) throw badRequest(`The content key ${record.Id} cannot be rebound: its EncryptedContentKey cannot be unwrapped with the protection key (${outcome.message})`);
  const certificate = certificateFromQuery(params.get('x509certificate') ?? '');
  if (certificate === '') return { kind: 'function', name: 'RebindContentKey', value: outcome.key.toString('base64') };
  let wrapped: Buffer;
  try {
    wrapped = wrapContentKey(usableRsaKey(loadCertificate(certificate)), outcome.key);
  } catch (err) {
    if (err instanceof CryptoInputError) throw badRequest(`x509Certificate is not usable: ${err.message}; send base64 of the DER (X509Certificate2.Export(X509ContentType.Cert)), URL-encoded`);
    // The content key is ours and 32 bytes: whatever OpenSSL refuses here is the certificate's key.
    throw badRequest(`x509Certificate is not usable: its public key cannot wrap a content key (${(err as Error).message})`);
  }
  return { kind: 'function', name: 'RebindContentKey', value: wrapped.toString('base64') };
}

/**
 * The certificate as it arrives in the query. Form decoding turned every unencoded '+' of the
 * base64 into a space (base64 has no spaces), PEM armour included (`-----BEGIN+CERTIFICATE-----`
 * arrives as a space too): spaces are '+' again, except in the armour lines.
 */
function certificateFromQuery(text: string): string {
  const pem = /^\s*-----BEGIN[ +]CERTIFICATE-----([\s\S]*?)-----END[ +]CERTIFICATE-----\s*$/.exec(text);
  if (pem) return `-----BEGIN CERTIFICATE-----\n${pem[1]!.replace(/ /g, '+')}\n-----END CERTIFICATE-----`;
  return text.replace(/ /g, '+');
}

/**
 * RSA-OAEP-SHA1 of a 32-byte key needs a modulus of at least 2*20+2+32 bytes (592 bits); OpenSSL
 * encrypts to at most 16384 bits, and to exponents of at most 64 bits above 3072. Real
 * certificates use 2048-4096 bits and 65537.
 */
const MIN_WRAP_MODULUS_BITS = 592;
const MAX_WRAP_MODULUS_BITS = 16_384;
const MAX_WRAP_EXPONENT = 2n ** 64n - 1n;

/** The certificate's public key if a content key can be wrapped to it, else why not (CryptoInputError). */
function usableRsaKey(certificate: X509Certificate): KeyObject {
  let key: KeyObject;
  try {
    key = certificate.publicKey;
  } catch (err) {
    throw new CryptoInputError('certificate-key', `its public key cannot be read (${(err as Error).message})`);
  }
  if (key.asymmetricKeyType !== 'rsa') throw new CryptoInputError('certificate-key', `its public key is ${key.asymmetricKeyType ?? 'of an unknown type'}, not RSA`);
  const bits = key.asymmetricKeyDetails?.modulusLength;
  const exponent = key.asymmetricKeyDetails?.publicExponent;
  if (bits === undefined || exponent === undefined) throw new CryptoInputError('certificate-key', 'its RSA key has no readable modulus or exponent');
  if (bits < MIN_WRAP_MODULUS_BITS) throw new CryptoInputError('certificate-key', `its RSA modulus is ${bits} bits; RSA-OAEP-SHA1 of a 32-byte content key needs at least ${MIN_WRAP_MODULUS_BITS}`);
  if (bits > MAX_WRAP_MODULUS_BITS) throw new CryptoInputError('certificate-key', `its RSA modulus is ${bits} bits; the emulator wraps to at most ${MAX_WRAP_MODULUS_BITS}`);
  if (exponent < 3n || exponent % 2n === 0n || exponent > MAX_WRAP_EXPONENT) {
    throw new CryptoInputError('certificate-key', `its RSA public exponent (${exponent.toString(2).length} bits${exponent % 2n === 0n ? ', even' : ''}) is not one a content key can be wrapped to: use 65537`);
  }
  return key;
}
