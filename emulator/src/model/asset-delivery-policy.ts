/**
 * What an AssetDeliveryPolicy is (ams-v2-surface.md §1): which protocols an asset streams in and
 * how they are protected, with a configuration of numbered keys (key acquisition URLs, IVs,
 * licence URLs). A policy applies to the assets it is linked to (`Assets('…')/$links/DeliveryPolicies`);
 * the link is refused when the asset lacks the key type the policy's encryption needs, when
 * another linked policy covers one of its protocols, or while the asset has a streaming locator.
 */
import { AssetDeliveryPolicy } from '../odata/edm.js';
import type { StoreReader, Transaction } from '../store/types.js';
import { ASSET_DELIVERY_POLICY_LINKS, COLLECTIONS, INDEXES } from './collections.js';
import type { Services } from '../app/services.js';
import { findEntity, mergeValues, newRecord, requireValues, type EntityValues } from './entity.js';
import { ContentKeyType, enumName, LocatorType } from './enums.js';
import { canonicalId, checkKey, linkId, newId } from './ids.js';
import type { AssetDeliveryPolicyLinkRecord, AssetDeliveryPolicyRecord, AssetKeyLinkRecord, ContentKeyRecord, LocatorRecord } from './records.js';
import { conflicting, invalid, unknown } from './refusal.js';

export type { AssetDeliveryPolicyLinkRecord, AssetDeliveryPolicyRecord } from './records.js';


/** Flags (.NET AssetDeliveryProtocol.cs); All is 0xFFFF, not the OR of the others. */
export const AssetDeliveryProtocol = { None: 0, SmoothStreaming: 0x1, Dash: 0x2, HLS: 0x4, Hds: 0x8, ProgressiveDownload: 0x10, All: 0xffff } as const;
const PROTOCOL_BITS = 0x1f;

export const AssetDeliveryPolicyType = {
  None: 0,
  Blocked: 1,
  NoDynamicEncryption: 2,
  DynamicEnvelopeEncryption: 3,
  DynamicCommonEncryption: 4,
  DynamicCommonEncryptionCbcs: 5,
} as const;

export const AssetDeliveryPolicyConfigurationKey = {
  None: 0,
  EnvelopeKeyAcquisitionUrl: 1,
  EnvelopeBaseKeyAcquisitionUrl: 2,
  EnvelopeEncryptionIVAsBase64: 3,
  PlayReadyLicenseAcquisitionUrl: 4,
  PlayReadyCustomAttributes: 5,
  EnvelopeEncryptionIV: 6,
  WidevineLicenseAcquisitionUrl: 7,
  WidevineBaseLicenseAcquisitionUrl: 8,
  FairPlayLicenseAcquisitionUrl: 9,
  FairPlayBaseLicenseAcquisitionUrl: 10,
  CommonEncryptionIVForCbcs: 11,
  UnencryptedTracksByFourCC: 12,
  AllowPersistentLicense: 13,
} as const;
const K = AssetDeliveryPolicyConfigurationKey;

const URL_KEYS: ReadonlySet<number> = new Set([
  K.EnvelopeKeyAcquisitionUrl, K.EnvelopeBaseKeyAcquisitionUrl, K.PlayReadyLicenseAcquisitionUrl, K.WidevineLicenseAcquisitionUrl,
  K.WidevineBaseLicenseAcquisitionUrl, K.FairPlayLicenseAcquisitionUrl, K.FairPlayBaseLicenseAcquisitionUrl,
]);
const IV_KEYS: ReadonlySet<number> = new Set([K.EnvelopeEncryptionIVAsBase64, K.CommonEncryptionIVForCbcs]);

/**
 * What each dynamic encryption needs: the key type that must be linked to the asset (the .NET
 * scenario tests' message) and the configuration keys of which at least one must be present.
 */
const ENCRYPTION_NEEDS: ReadonlyMap<number, { keyType: number; oneOf: readonly number[]; what: string }> = new Map([
  [AssetDeliveryPolicyType.DynamicEnvelopeEncryption, { keyType: ContentKeyType.EnvelopeEncryption, oneOf: [K.EnvelopeKeyAcquisitionUrl, K.EnvelopeBaseKeyAcquisitionUrl], what: 'a key acquisition URL (key 1 EnvelopeKeyAcquisitionUrl or 2 EnvelopeBaseKeyAcquisitionUrl)' }],
  [AssetDeliveryPolicyType.DynamicCommonEncryption, { keyType: ContentKeyType.CommonEncryption, oneOf: [K.PlayReadyLicenseAcquisitionUrl, K.WidevineLicenseAcquisitionUrl, K.WidevineBaseLicenseAcquisitionUrl], what: 'a licence acquisition URL (key 4 PlayReady, 7 or 8 Widevine)' }],
  [AssetDeliveryPolicyType.DynamicCommonEncryptionCbcs, { keyType: ContentKeyType.CommonEncryptionCbcs, oneOf: [K.FairPlayLicenseAcquisitionUrl, K.FairPlayBaseLicenseAcquisitionUrl, K.PlayReadyLicenseAcquisitionUrl, K.WidevineLicenseAcquisitionUrl, K.WidevineBaseLicenseAcquisitionUrl], what: 'a licence acquisition URL (key 9 or 10 FairPlay, 4 PlayReady, 7 or 8 Widevine)' }],
]);

export interface DeliveryPolicyFields {
  AssetDeliveryProtocol: number;
  AssetDeliveryPolicyType: number;
  AssetDeliveryConfiguration: string | null;
}

/**
 * The configuration text as the SDKs write it: a JSON array of `{"Key":<int>,"Value":"<string>"}`
 * (the .NET DataContractJsonSerializer form of a dictionary). Null or blank: no configuration.
 */
export function parseDeliveryConfiguration(text: string | null): Map<number, string> {
  const out = new Map<number, string>();
  if (text === null || text.trim() === '') return out;
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw invalid(`AssetDeliveryConfiguration is not JSON: it must be a JSON array of {"Key":<int>,"Value":"<string>"} as a string, e.g. "[{\\"Key\\":2,\\"Value\\":\\"https://host/\\"}]"`);
  }
  if (!Array.isArray(parsed)) throw invalid('AssetDeliveryConfiguration must be a JSON array of {"Key":<int>,"Value":"<string>"}');
  for (const [i, entry] of parsed.entries()) {
    const item = entry as { Key?: unknown; Value?: unknown } | null;
    if (typeof item !== 'object' || item === null || Array.isArray(item)) throw invalid(`AssetDeliveryConfiguration[${i}] must be an object {"Key":<int>,"Value":"<string>"}`);
    const key = item.Key;
    if (typeof key !== 'number' || !Number.isInteger(key) || enumName(AssetDeliveryPolicyConfigurationKey, key) === undefined || key === K.None) {
      throw invalid(`AssetDeliveryConfiguration[${i}].Key ${JSON.stringify(key)} is not an AssetDeliveryPolicyConfigurationKey (1 to 13)`);
    }
    if (typeof item.Value !== 'string') throw invalid(`AssetDeliveryConfiguration[${i}].Value (key ${key}) must be a string`);
    if (out.has(key)) throw invalid(`AssetDeliveryConfiguration names key ${key} (${enumName(AssetDeliveryPolicyConfigurationKey, key)}) twice`);
    out.set(key, item.Value);
  }
  return out;
}

/** A policy's own invariants: a known type, protocol flags, a configuration its type can use. */
export function checkDeliveryPolicy(fields: DeliveryPolicyFields): void {
  const type = fields.AssetDeliveryPolicyType;
  if (!Number.isInteger(type) || type === AssetDeliveryPolicyType.None || enumName(AssetDeliveryPolicyType, type) === undefined) {
    throw invalid(`AssetDeliveryPolicyType ${type} is not a delivery policy type (1 Blocked, 2 NoDynamicEncryption, 3 DynamicEnvelopeEncryption, 4 DynamicCommonEncryption, 5 DynamicCommonEncryptionCbcs)`);
  }
  const protocol = fields.AssetDeliveryProtocol;
  if (!Number.isInteger(protocol) || (protocol !== AssetDeliveryProtocol.All && (protocol <= 0 || (protocol & ~PROTOCOL_BITS) !== 0))) {
    throw invalid(`AssetDeliveryProtocol ${protocol} is not a set of protocols: a sum of SmoothStreaming 1, Dash 2, HLS 4, Hds 8, ProgressiveDownload 16, or All 65535`);
  }
  const config = parseDeliveryConfiguration(fields.AssetDeliveryConfiguration);
  for (const [key, value] of config) {
    const name = enumName(AssetDeliveryPolicyConfigurationKey, key);
    if (URL_KEYS.has(key) && !isAbsoluteHttpUrl(value)) throw invalid(`AssetDeliveryConfiguration key ${key} (${name}) must be an absolute http(s) URL, not ${JSON.stringify(value.slice(0, 200))}`);
    if (IV_KEYS.has(key) && Buffer.from(value, 'base64').length !== 16) throw invalid(`AssetDeliveryConfiguration key ${key} (${name}) must be base64 of a 16-byte IV`);
  }
  const needs = ENCRYPTION_NEEDS.get(type);
  if (needs && !needs.oneOf.some((k) => config.has(k))) {
    throw invalid(`An AssetDeliveryPolicy of type ${enumName(AssetDeliveryPolicyType, type)} needs ${needs.what} in AssetDeliveryConfiguration`);
  }
}

function isAbsoluteHttpUrl(text: string): boolean {
  try {
    const url = new URL(text);
    return url.protocol === 'http:' || url.protocol === 'https:';
  } catch {
    return false;
  }
}

/** The stored (canonical) id of a policy id from a URL or a body; a malformed one is refused. */
export function deliveryPolicyKey(text: string): string {
  checkKey(AssetDeliveryPolicy, text);
  return canonicalId(AssetDeliveryPolicy, text);
}

export function findDeliveryPolicy(reader: StoreReader, text: string): AssetDeliveryPolicyRecord {
  return findEntity<AssetDeliveryPolicyRecord>(reader, AssetDeliveryPolicy, COLLECTIONS.AssetDeliveryPolicies, text);
}

const P = COLLECTIONS.AssetDeliveryPolicies;

/** POST AssetDeliveryPolicies: protocol and type required, the configuration checked for its type. */
export async function createDeliveryPolicy(services: Services, values: EntityValues): Promise<AssetDeliveryPolicyRecord> {
  requireValues(AssetDeliveryPolicy, values, ['AssetDeliveryProtocol', 'AssetDeliveryPolicyType']);
  const now = services.now().toISOString();
  const record = newRecord(AssetDeliveryPolicy, { Created: now, LastModified: now }, values) as AssetDeliveryPolicyRecord;
  record.Id = newId(AssetDeliveryPolicy, services.ids.guid());
  checkDeliveryPolicy(record);
  await services.store.transaction((tx) => tx.put(P, record.Id, record));
  return record;
}

/** MERGE/PUT: the merged policy must still be valid, and none of its assets may be streaming. */
export async function updateDeliveryPolicy(services: Services, key: string, values: EntityValues): Promise<void> {
  await services.store.transaction((tx) => {
    const current = findDeliveryPolicy(tx, key);
    const next = mergeValues(AssetDeliveryPolicy, current, values);
    checkDeliveryPolicy(next);
    const id = deliveryPolicyKey(current.Id);
    checkDeliveryPolicyUpdate(tx, id);
    next.LastModified = services.now().toISOString();
    tx.put(P, id, next);
  });
}

/** The policies linked to an asset, in link order. */
export function deliveryPoliciesOfAsset(reader: StoreReader, assetId: string): AssetDeliveryPolicyRecord[] {
  return reader.lookup<AssetDeliveryPolicyLinkRecord>(INDEXES.deliveryLinksByAsset, assetId).flatMap((link) => {
    const policy = reader.get<AssetDeliveryPolicyRecord>(P, link.policyId);
    return policy ? [policy] : [];
  });
}

/** Link a policy to an asset (both canonical ids of existing entities), under the service's rules. */
export function linkDeliveryPolicy(tx: Transaction, assetId: string, policyId: string): void {
  const policy = tx.get<AssetDeliveryPolicyRecord>(COLLECTIONS.AssetDeliveryPolicies, policyId)!;
  if (tx.has(ASSET_DELIVERY_POLICY_LINKS, linkId(assetId, policyId))) throw conflicting(`The AssetDeliveryPolicy '${policy.Id}' is already linked to the asset '${assetId}'`);
  refuseWhileStreaming(tx, assetId, 'link a delivery policy to it');
  const needs = ENCRYPTION_NEEDS.get(policy.AssetDeliveryPolicyType);
  if (needs && !keyTypesOfAsset(tx, assetId).has(needs.keyType)) {
    throw invalid(
      `Cannot set an AssetDeliveryPolicy specifying AssetDeliveryPolicyType.${enumName(AssetDeliveryPolicyType, policy.AssetDeliveryPolicyType)} when no ContentKey with ContentKeyType.${enumName(ContentKeyType, needs.keyType)} is linked to the asset '${assetId}'`,
    );
  }
  for (const other of deliveryPoliciesOfAsset(tx, assetId)) {
    const shared = protocolBits(other.AssetDeliveryProtocol) & protocolBits(policy.AssetDeliveryProtocol);
    if (shared !== 0) {
      throw conflicting(`The asset '${assetId}' already has the AssetDeliveryPolicy '${other.Id}' for ${protocolNames(shared)}: an asset has one policy per protocol`);
    }
  }
  const link: AssetDeliveryPolicyLinkRecord = { assetId, policyId };
  tx.put(ASSET_DELIVERY_POLICY_LINKS, linkId(assetId, policyId), link);
}

export function unlinkDeliveryPolicy(tx: Transaction, assetId: string, policyText: string): void {
  const policyId = deliveryPolicyKey(policyText);
  if (!tx.has(ASSET_DELIVERY_POLICY_LINKS, linkId(assetId, policyId))) throw unknown(`The AssetDeliveryPolicy '${policyText}' is not linked to the asset '${assetId}'`);
  refuseWhileStreaming(tx, assetId, 'unlink a delivery policy from it');
  tx.delete(ASSET_DELIVERY_POLICY_LINKS, linkId(assetId, policyId));
}

/** A policy may change only while none of its assets streams (the docs: update with a locator is refused). */
export function checkDeliveryPolicyUpdate(tx: StoreReader, policyId: string): void {
  for (const link of deliveryLinksOfPolicy(tx, policyId)) refuseWhileStreaming(tx, link.assetId, 'update its delivery policy');
}

/** Delete a policy; its links go with it, refused while an asset it applies to streams. */
export function deleteDeliveryPolicy(tx: Transaction, policyText: string): void {
  const policy = findDeliveryPolicy(tx, policyText);
  const policyId = deliveryPolicyKey(policy.Id);
  const links = deliveryLinksOfPolicy(tx, policyId);
  for (const link of links) refuseWhileStreaming(tx, link.assetId, 'delete its delivery policy');
  for (const link of links) tx.delete(ASSET_DELIVERY_POLICY_LINKS, linkId(link.assetId, link.policyId));
  tx.delete(COLLECTIONS.AssetDeliveryPolicies, policyId);
}

/** The links of a policy to its assets: what its delete takes with it. */
export function deliveryLinksOfPolicy(reader: StoreReader, policyId: string): AssetDeliveryPolicyLinkRecord[] {
  return reader.lookup<AssetDeliveryPolicyLinkRecord>(INDEXES.deliveryLinksByPolicy, policyId);
}

/**
 * Why a link put back (a `$batch` undo) would not fit: both ends must exist, and no other policy
 * linked to the asset since may cover one of its protocols. Undefined when it fits.
 */
export function deliveryLinkMisfit(reader: StoreReader, link: AssetDeliveryPolicyLinkRecord): string | undefined {
  if (!reader.has(COLLECTIONS.Assets, link.assetId)) return `its asset '${link.assetId}' no longer exists`;
  const policy = reader.get<AssetDeliveryPolicyRecord>(P, link.policyId);
  if (!policy) return `its delivery policy '${link.policyId}' no longer exists`;
  for (const other of deliveryPoliciesOfAsset(reader, link.assetId)) {
    if (other.Id !== policy.Id && (protocolBits(other.AssetDeliveryProtocol) & protocolBits(policy.AssetDeliveryProtocol)) !== 0) {
      return `the asset has the delivery policy '${other.Id}' for ${protocolNames(protocolBits(other.AssetDeliveryProtocol) & protocolBits(policy.AssetDeliveryProtocol))} since`;
    }
  }
  return undefined;
}

/** Cascade of an asset's delete: its policy links go (the policies stay, they may serve others). */
export function removeDeliveryPolicyLinksOfAsset(tx: Transaction, assetId: string): void {
  for (const link of tx.lookup<AssetDeliveryPolicyLinkRecord>(INDEXES.deliveryLinksByAsset, assetId)) tx.delete(ASSET_DELIVERY_POLICY_LINKS, linkId(link.assetId, link.policyId));
}

function refuseWhileStreaming(reader: StoreReader, assetId: string, action: string): void {
  const origin = reader.lookup<LocatorRecord>(INDEXES.locatorsByAsset, assetId).find((l) => l.Type === LocatorType.OnDemandOrigin);
  if (origin) throw conflicting(`The asset '${assetId}' has the streaming locator '${origin.Id}': delete it before you ${action}`);
}

function keyTypesOfAsset(reader: StoreReader, assetId: string): Set<number> {
  const types = new Set<number>();
  for (const link of reader.lookup<AssetKeyLinkRecord>(INDEXES.linksByAsset, assetId)) {
    const type = reader.get<ContentKeyRecord>(COLLECTIONS.ContentKeys, link.keyId)?.ContentKeyType;
    if (type !== undefined) types.add(type);
  }
  return types;
}

function protocolBits(protocol: number): number {
  return protocol === AssetDeliveryProtocol.All ? PROTOCOL_BITS : protocol & PROTOCOL_BITS;
}

function protocolNames(bits: number): string {
  return Object.entries(AssetDeliveryProtocol)
    .filter(([name, bit]) => name !== 'All' && bit !== 0 && (bits & bit) !== 0)
    .map(([name]) => name)
    .join(', ');
}
