import { randomBytes } from 'node:crypto';
import { certificateThumbprint, contentKeyChecksum, formatKeyId, newGuid, parseKeyId, wrapContentKey } from '../crypto/index.js';
import { entityPath } from '../rest/urls.js';
import type { AmsClient, CallOptions } from '../rest/client.js';
import { ContentKeyType, ProtectionKeyType } from '../rest/entities.js';
import { AmsWorkflowError } from './errors.js';

/** ContentKeyDeliveryType.BaselineHttp: the AES-128 key delivered as is. */
const BASELINE_HTTP = 2;
/** AssetDeliveryPolicyType.DynamicEnvelopeEncryption. */
const DYNAMIC_ENVELOPE_ENCRYPTION = 3;
/** AssetDeliveryProtocol SmoothStreaming | Dash | HLS. */
const ADAPTIVE_PROTOCOLS = 0x1 | 0x2 | 0x4;
/** AssetDeliveryPolicyConfigurationKey.EnvelopeBaseKeyAcquisitionUrl. */
const ENVELOPE_BASE_KEY_ACQUISITION_URL = 2;

/** Who may fetch the key: anyone, or a player presenting a token the template accepts. */
export type KeyRestriction = { kind: 'open' } | { kind: 'token'; template: string };

export interface EnvelopeProtection {
  keyId: string;
  /** The clear 16 bytes the key delivery service hands to authorized players. */
  key: Buffer;
  /** GetKeyDeliveryUrl(BaselineHttp): where players fetch the key. */
  keyDeliveryUrl: string;
  authorizationPolicyId: string;
  authorizationOptionId: string;
  deliveryPolicyId: string;
}

/**
 * Protect an asset with AES-128 envelope encryption the way the .NET SDK samples do: a 16-byte
 * EnvelopeEncryption key wrapped to the protection certificate and linked to the asset; an
 * authorization policy with one BaselineHttp option under `restriction`, set on the key; the key
 * delivery URL; and a DynamicEnvelopeEncryption delivery policy for Smooth, DASH and HLS whose
 * base key acquisition URL is that URL without its query (so one policy serves many keys).
 */
export async function protectWithEnvelope(client: AmsClient, assetId: string, restriction: KeyRestriction, options: CallOptions = {}): Promise<EnvelopeProtection> {
  const call = options.signal ? { signal: options.signal } : {};
  const thumbprint = await client.getProtectionKeyId(ContentKeyType.EnvelopeEncryption, call);
  const certificate = await client.getProtectionKey(thumbprint, call);
  if (certificateThumbprint(certificate) !== thumbprint.toUpperCase()) {
    throw new AmsWorkflowError('certificate-mismatch', `GetProtectionKey('${thumbprint}') returned another certificate`);
  }
  const key = randomBytes(16);
  const keyId = formatKeyId(newGuid());
  await client.createContentKey(
    {
      Id: keyId,
      EncryptedContentKey: wrapContentKey(certificate, key).toString('base64'),
      ContentKeyType: ContentKeyType.EnvelopeEncryption,
      ProtectionKeyId: thumbprint,
      ProtectionKeyType: ProtectionKeyType.X509CertificateThumbprint,
      Checksum: contentKeyChecksum(key, keyId),
    },
    call,
  );
  await client.linkContentKey(assetId, keyId, call);

  const connection = client.connection;
  const idOf = (raw: Record<string, unknown>) => String(raw['Id']);
  const authorizationPolicyId = await connection.entity({ method: 'POST', path: 'ContentKeyAuthorizationPolicies', body: { Name: `envelope ${parseKeyId(keyId)}` }, ...call }, idOf);
  const authorizationOptionId = await connection.entity(
    {
      method: 'POST',
      path: 'ContentKeyAuthorizationPolicyOptions',
      body: {
        Name: restriction.kind === 'open' ? 'Open' : 'Token',
        KeyDeliveryType: BASELINE_HTTP,
        KeyDeliveryConfiguration: '',
        Restrictions: [restriction.kind === 'open' ? { Name: 'Open', KeyRestrictionType: 0, Requirements: null } : { Name: 'Token', KeyRestrictionType: 1, Requirements: restriction.template }],
      },
      ...call,
    },
    idOf,
  );
  await connection.noContent({
    method: 'POST',
    path: `${entityPath('ContentKeyAuthorizationPolicies', authorizationPolicyId)}/$links/Options`,
    body: { uri: connection.resolve(entityPath('ContentKeyAuthorizationPolicyOptions', authorizationOptionId)) },
    ...call,
  });
  await connection.noContent({ method: 'MERGE', path: entityPath('ContentKeys', keyId), body: { AuthorizationPolicyId: authorizationPolicyId }, ...call });
  const keyDeliveryUrl = await connection.functionString(
    { method: 'POST', path: `${entityPath('ContentKeys', keyId)}/GetKeyDeliveryUrl`, body: { keyDeliveryType: BASELINE_HTTP }, idempotent: true, ...call },
    'GetKeyDeliveryUrl',
  );
  const deliveryPolicyId = await connection.entity(
    {
      method: 'POST',
      path: 'AssetDeliveryPolicies',
      body: {
        Name: 'envelope',
        AssetDeliveryProtocol: ADAPTIVE_PROTOCOLS,
        AssetDeliveryPolicyType: DYNAMIC_ENVELOPE_ENCRYPTION,
        AssetDeliveryConfiguration: JSON.stringify([{ Key: ENVELOPE_BASE_KEY_ACQUISITION_URL, Value: keyDeliveryUrl.split('?')[0] }]),
      },
      ...call,
    },
    idOf,
  );
  await connection.noContent({
    method: 'POST',
    path: `${entityPath('Assets', assetId)}/$links/DeliveryPolicies`,
    body: { uri: connection.resolve(entityPath('AssetDeliveryPolicies', deliveryPolicyId)) },
    ...call,
  });
  return { keyId, key, keyDeliveryUrl, authorizationPolicyId, authorizationOptionId, deliveryPolicyId };
}
