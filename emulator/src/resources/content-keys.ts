import { formatKeyId } from '../../../client/src/crypto/index.js';
import { CONTENT_KEY_TYPES, inspectNewContentKey } from '../domain/content-keys.js';
import { recordDeviations, refuseIfStrict } from '../domain/deviations.js';
import { ContentKey } from '../odata/edm.js';
import { badRequest, conflict } from '../odata/errors.js';
import { canonicalId, checkKey } from '../odata/uri.js';
import type { JsonRecord } from '../store/types.js';
import { ASSET_KEY_LINKS, COLLECTIONS, INDEXES } from '../model/collections.js';
import type { AssetKeyLinkRecord } from '../model/records.js';
import { checkAuthorizationPolicyReference } from '../model/content-key-authorization.js';
import { findEntity, mergeValues, newRecord, numberValue, readBody, stringValue } from './common.js';
import type { Services } from '../app/services.js';
import type { ApiRequest, ApiResult } from './context.js';

const C = COLLECTIONS.ContentKeys;

/**
 * POST ContentKeys. The Id is the client's (the .NET SDK picks `nb:kid:UUID:<guid>`); the REST
 * docs' examples omit it and get one back. The key is unwrapped and its checksum checked now, so
 * findings point at the request that made the mistake; compat mode stores it anyway, as the
 * service did.
 */
export async function createContentKey(req: ApiRequest, services: Services): Promise<ApiResult> {
  const body = readBody(req, services, ContentKey);
  const values = body.values;
  const id = stringValue(values, 'Id') ?? formatKeyId(services.ids.guid());
  checkKey(ContentKey, id);
  const type = numberValue(values, 'ContentKeyType') ?? 0;
  if (!CONTENT_KEY_TYPES.has(type)) throw badRequest(`ContentKeyType ${type} is not a content key type (0 CommonEncryption, 1 StorageEncryption, 2 ConfigurationEncryption, 3 UrlEncryption, 4 EnvelopeEncryption, 6 CommonEncryptionCbcs, 7 FairPlayASk, 8 FairPlayPfxPassword)`);
  const protectionKeyType = numberValue(values, 'ProtectionKeyType') ?? 0;
  if (protectionKeyType !== 0) {
    // The docs once showed ProtectionKeyType 1; the only defined value is 0 (X509CertificateThumbprint).
    if (services.config.strict) throw badRequest(`ProtectionKeyType ${protectionKeyType} is not defined: use 0 (X509CertificateThumbprint)`);
  }
  const encrypted = stringValue(values, 'EncryptedContentKey');
  if (encrypted === undefined || encrypted === '') throw badRequest("ContentKey requires 'EncryptedContentKey'");
  const now = services.now().toISOString();
  const record = newRecord(ContentKey, { Created: now, LastModified: now, ContentKeyType: 0, ProtectionKeyType: 0, Checksum: '' }, values);
  record['Id'] = id;
  record['ProtectionKeyType'] = protectionKeyType;
  if (record['Checksum'] === null) record['Checksum'] = '';
  const deviations = inspectNewContentKey(
    { Id: id, ContentKeyType: type, EncryptedContentKey: encrypted, Checksum: record['Checksum'] as string },
    services.keys,
    services.secrets.protectionPrivateKey,
  );
  refuseIfStrict(services.config.strict, deviations);
  const key = canonicalId(ContentKey, id);
  await services.store.transaction((tx) => {
    if (tx.has(C, key)) throw conflict(`A ContentKey with Id '${id}' already exists`);
    checkAuthorizationPolicyReference(tx, record['AuthorizationPolicyId']);
    tx.put(C, key, record);
    recordDeviations(tx, req.info, deviations, () => services.ids.guid(), services.now());
  });
  return { kind: 'entity', type: ContentKey, record, status: 201 };
}

export async function updateContentKey(req: ApiRequest, services: Services, keyText: string): Promise<ApiResult> {
  const body = readBody(req, services, ContentKey);
  await services.store.transaction((tx) => {
    const current = findEntity(tx, ContentKey, C, keyText);
    const next = mergeValues(ContentKey, current, body.values);
    // MERGE {"AuthorizationPolicyId": …} is how a key gets (or, with null, loses) its policy.
    if (body.values.has('AuthorizationPolicyId')) checkAuthorizationPolicyReference(tx, next['AuthorizationPolicyId']);
    next['LastModified'] = services.now().toISOString();
    tx.put(C, canonicalId(ContentKey, keyText), next);
  });
  return { kind: 'noContent' };
}

/** DELETE ContentKeys('..'): its links to assets go with it. */
export async function deleteContentKey(_req: ApiRequest, services: Services, keyText: string): Promise<ApiResult> {
  const deleted = await services.store.transaction((tx) => {
    const record = findEntity(tx, ContentKey, C, keyText);
    const key = canonicalId(ContentKey, keyText);
    for (const link of tx.lookup<AssetKeyLinkRecord>(INDEXES.linksByKey, key)) tx.delete(ASSET_KEY_LINKS, `${link.assetId}|${link.keyId}`);
    tx.delete(C, key);
    return record;
  });
  services.keys.forget(deleted['EncryptedContentKey']);
  return { kind: 'noContent' };
}

export function contentKeyRecord(services: Services, keyText: string): JsonRecord {
  return findEntity(services.store, ContentKey, C, keyText);
}
