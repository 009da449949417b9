import { formatKeyId } from '../../../client/src/crypto/index.js';
import { CONTENT_KEY_TYPES, inspectNewContentKey } from '../domain/content-keys.js';
import { recordDeviations, refuseIfStrict } from '../domain/deviations.js';
import type { RequestInfo } from '../domain/findings.js';
import { ContentKey } from '../odata/edm.js';
import type { Services } from '../app/services.js';
import type { StoreReader } from '../store/types.js';
import { ASSET_KEY_LINKS, COLLECTIONS, INDEXES } from './collections.js';
import { checkAuthorizationPolicyReference } from './content-key-authorization.js';
import { findEntity, mergeStamped, newRecord, numberValue, stringValue, type EntityValues } from './entity.js';
import { ContentKeyType, ProtectionKeyType } from './enums.js';
import { canonicalId, checkKey, linkId } from './ids.js';
import type { AssetKeyLinkRecord, ContentKeyRecord } from './records.js';
import { conflicting, invalid } from './refusal.js';

export type { ContentKeyRecord } from './records.js';

/**
 * A ContentKey: a key wrapped to the protection certificate, under an id the client usually picks
 * (`nb:kid:UUID:<guid>`). What must hold: its type is a defined ContentKeyType; it has an
 * EncryptedContentKey; ids are unique without regard to case; deleting it unlinks it from every
 * asset. A key that does not unwrap, or whose checksum is off, is a finding (strict: refused).
 */

const C = COLLECTIONS.ContentKeys;

export function findContentKey(reader: StoreReader, key: string): ContentKeyRecord {
  return findEntity<ContentKeyRecord>(reader, ContentKey, C, key);
}

/** The key of a stored canonical id, if it is still there. */
export function getContentKey(reader: StoreReader, keyId: string): ContentKeyRecord | undefined {
  return reader.get<ContentKeyRecord>(C, keyId);
}

/** Every content key, in creation order. */
export function allContentKeys(reader: StoreReader): ContentKeyRecord[] {
  return [...reader.values<ContentKeyRecord>(C)];
}

/**
 * POST ContentKeys. The Id is the client's (the .NET SDK picks `nb:kid:UUID:<guid>`); the REST
 * docs' examples omit it and get one back. The key is unwrapped and its checksum checked now, so
 * findings point at the request that made the mistake; compat mode stores it anyway, as the
 * service did.
 */
export async function createContentKey(services: Services, values: EntityValues, request: RequestInfo): Promise<ContentKeyRecord> {
  const id = stringValue(values, 'Id') ?? formatKeyId(services.ids.guid());
  checkKey(ContentKey, id);
  const type = numberValue(values, 'ContentKeyType') ?? ContentKeyType.CommonEncryption;
  if (!CONTENT_KEY_TYPES.has(type)) throw invalid(`ContentKeyType ${type} is not a content key type (0 CommonEncryption, 1 StorageEncryption, 2 ConfigurationEncryption, 3 UrlEncryption, 4 EnvelopeEncryption, 6 CommonEncryptionCbcs, 7 FairPlayASk, 8 FairPlayPfxPassword)`);
  const protectionKeyType = numberValue(values, 'ProtectionKeyType') ?? ProtectionKeyType.X509CertificateThumbprint;
  if (protectionKeyType !== ProtectionKeyType.X509CertificateThumbprint) {
    // The docs once showed ProtectionKeyType 1; the only defined value is 0 (X509CertificateThumbprint).
    if (services.config.strict) throw invalid(`ProtectionKeyType ${protectionKeyType} is not defined: use 0 (X509CertificateThumbprint)`);
  }
  const encrypted = stringValue(values, 'EncryptedContentKey');
  if (encrypted === undefined || encrypted === '') throw invalid("ContentKey requires 'EncryptedContentKey'");
  const now = services.now().toISOString();
  const record = newRecord(ContentKey, { Created: now, LastModified: now, ContentKeyType: ContentKeyType.CommonEncryption, ProtectionKeyType: ProtectionKeyType.X509CertificateThumbprint, Checksum: '' }, values) as ContentKeyRecord;
  record.Id = id;
  record.ProtectionKeyType = protectionKeyType;
  if (record.Checksum === null) record.Checksum = '';
  const deviations = inspectNewContentKey({ Id: id, ContentKeyType: type, EncryptedContentKey: encrypted, Checksum: record.Checksum }, services.keys, services.secrets.protectionPrivateKey);
  refuseIfStrict(services.config.strict, deviations);
  const key = canonicalId(ContentKey, id);
  await services.store.transaction((tx) => {
    if (tx.has(C, key)) throw conflicting(`A ContentKey with Id '${id}' already exists`);
    checkAuthorizationPolicyReference(tx, record.AuthorizationPolicyId);
    tx.put(C, key, record);
    recordDeviations(tx, request, deviations, () => services.ids.guid(), services.now());
  });
  return record;
}

export async function updateContentKey(services: Services, keyText: string, values: EntityValues): Promise<void> {
  await services.store.transaction((tx) => {
    mergeStamped(tx, ContentKey, C, keyText, values, services.now());
    // MERGE {"AuthorizationPolicyId": …} is how a key gets (or, with null, loses) its policy; a
    // refusal here undoes the merge with the transaction.
    if (values.has('AuthorizationPolicyId')) checkAuthorizationPolicyReference(tx, values.get('AuthorizationPolicyId'));
  });
}

/** DELETE ContentKeys('..'): its links to assets go with it. */
export async function deleteContentKey(services: Services, keyText: string): Promise<void> {
  const deleted = await services.store.transaction((tx) => {
    const record = findContentKey(tx, keyText);
    const key = canonicalId(ContentKey, keyText);
    for (const link of linksOfKey(tx, key)) tx.delete(ASSET_KEY_LINKS, linkId(link.assetId, link.keyId));
    tx.delete(C, key);
    return record;
  });
  services.keys.forget(deleted.EncryptedContentKey);
}

/** The key's links to assets: what its delete takes with it. */
export function linksOfKey(reader: StoreReader, keyId: string): AssetKeyLinkRecord[] {
  return reader.lookup<AssetKeyLinkRecord>(INDEXES.linksByKey, keyId);
}
