import { certificateToBase64Der, CryptoInputError, loadCertificate, wrapContentKey } from '../../../client/src/crypto/index.js';
import { CONTENT_KEY_TYPES } from '../domain/content-keys.js';

import { badRequest, notFound } from '../odata/errors.js';
import { functionParameters } from '../odata/params.js';
import { contentKeyRecord } from './content-keys.js';
import type { ApiRequest, ApiResult, Services } from './context.js';

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
  const record = contentKeyRecord(services, id);
  const outcome = services.keys.open(record['EncryptedContentKey'] as string | null);
  if (!outcome.ok) throw badRequest(`The content key ${record['Id']} cannot be rebound: its EncryptedContentKey cannot be unwrapped with the protection key (${outcome.message})`);
  // Form-decoding turned an unencoded '+' of the base64 into a space; base64 has no spaces.
  const certificate = (params.get('x509certificate') ?? '').replace(/ /g, '+');
  if (certificate === '') return { kind: 'function', name: 'RebindContentKey', value: outcome.key.toString('base64') };
  let wrapped: Buffer;
  try {
    const x509 = loadCertificate(certificate);
    if (x509.publicKey.asymmetricKeyType !== 'rsa') throw new CryptoInputError('certificate-key', 'the certificate does not hold an RSA public key');
    wrapped = wrapContentKey(x509.publicKey, outcome.key);
  } catch (err) {
    if (err instanceof CryptoInputError) throw badRequest(`x509Certificate is not a usable certificate: ${err.message}; send base64 of the DER (X509Certificate2.Export(X509ContentType.Cert)), URL-encoded`);
    throw err;
  }
  return { kind: 'function', name: 'RebindContentKey', value: wrapped.toString('base64') };
}

