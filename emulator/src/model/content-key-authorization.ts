/**
 * What content key authorization is (ams-v2-surface.md §2): a ContentKeyAuthorizationPolicy
 * groups options (linked through `…Policies('…')/$links/Options`); each option says how a key is
 * delivered (KeyDeliveryType) and under which restrictions (Open, TokenRestricted with a
 * TokenRestrictionTemplate, IPRestricted). A content key names its policy in AuthorizationPolicyId.
 * Which key delivery a key type allows, and where the emulator's key delivery service answers, is
 * here too: GetKeyDeliveryUrl and the service agree through it.
 */
import type { JsonRecord, StoreReader, Transaction } from '../store/types.js';
import { AUTHORIZATION_OPTION_LINKS, COLLECTIONS, INDEXES, linkId } from './collections.js';
import { ContentKeyType, enumName } from './enums.js';
import { canonicalNbId } from './nb-ids.js';
import { conflicting, invalid, unknown } from './refusal.js';

export type RestrictionValue = {
  Name: string | null;
  KeyRestrictionType: number;
  Requirements: string | null;
};

export type AuthorizationPolicyRecord = {
  Id: string;
  Name: string | null;
};

export type AuthorizationOptionRecord = {
  Id: string;
  Name: string | null;
  KeyDeliveryType: number;
  KeyDeliveryConfiguration: string | null;
  Restrictions: RestrictionValue[];
};

/** A policy <-> option link; canonical ids. */
export type AuthorizationOptionLinkRecord = {
  policyId: string;
  optionId: string;
};

export const AUTHORIZATION_POLICY_ID_TAG = 'ckpid';
export const AUTHORIZATION_OPTION_ID_TAG = 'ckpoid';

export const ContentKeyDeliveryType = { None: 0, PlayReadyLicense: 1, BaselineHttp: 2, Widevine: 3, FairPlay: 4 } as const;
export const ContentKeyRestrictionType = { Open: 0, TokenRestricted: 1, IPRestricted: 2 } as const;

/** The key types each delivery serves (the .NET GetKeyDeliveryUrl tests: a mismatch fails). */
const DELIVERABLE: ReadonlyMap<number, ReadonlySet<number>> = new Map([
  [ContentKeyDeliveryType.PlayReadyLicense, new Set<number>([ContentKeyType.CommonEncryption, ContentKeyType.CommonEncryptionCbcs])],
  [ContentKeyDeliveryType.BaselineHttp, new Set<number>([ContentKeyType.EnvelopeEncryption])],
  [ContentKeyDeliveryType.Widevine, new Set<number>([ContentKeyType.CommonEncryption, ContentKeyType.CommonEncryptionCbcs])],
  [ContentKeyDeliveryType.FairPlay, new Set<number>([ContentKeyType.CommonEncryptionCbcs])],
]);

/** Path of each delivery below the key delivery root (the service's URL shapes, §2.5). */
const DELIVERY_PATHS: ReadonlyMap<number, string> = new Map([
  [ContentKeyDeliveryType.BaselineHttp, ''],
  [ContentKeyDeliveryType.PlayReadyLicense, 'PlayReady/'],
  [ContentKeyDeliveryType.Widevine, 'Widevine/'],
  [ContentKeyDeliveryType.FairPlay, 'FairPlay/'],
]);

/** Where the emulator's key delivery service is mounted, below its root URL. */
export const KEY_DELIVERY_ROOT = 'keydelivery/';

function deliveryTypeName(type: number): string {
  return enumName(ContentKeyDeliveryType, type) ?? String(type);
}

/** Refuse a KeyDeliveryType that is not 1 to 4 (0 None is "no delivery"). */
export function checkKeyDeliveryType(type: number, where: string): void {
  if (!Number.isInteger(type) || !DELIVERABLE.has(type)) {
    throw invalid(`${where} ${type} is not a key delivery type (1 PlayReadyLicense, 2 BaselineHttp, 3 Widevine, 4 FairPlay)`);
  }
}

/**
 * The key delivery URL of a key (`GetKeyDeliveryUrl`): `<root>keydelivery/?KID=<guid>` for
 * BaselineHttp, `…/PlayReady/`, `…/Widevine/`, `…/FairPlay/?kid=` for the licences; refused when
 * the key's type is not one the delivery serves.
 */
export function keyDeliveryUrl(baseUrl: string, key: { Id: string; ContentKeyType: number }, deliveryType: number, keyGuid: string): string {
  checkKeyDeliveryType(deliveryType, 'keyDeliveryType');
  if (!DELIVERABLE.get(deliveryType)!.has(key.ContentKeyType)) {
    const allowed = [...DELIVERABLE.get(deliveryType)!].map((t) => enumName(ContentKeyType, t)).join(' or ');
    throw invalid(`The ContentKey '${key.Id}' is a ${enumName(ContentKeyType, key.ContentKeyType) ?? key.ContentKeyType} key: ${deliveryTypeName(deliveryType)} delivers ${allowed} keys only`);
  }
  const param = deliveryType === ContentKeyDeliveryType.FairPlay ? 'kid' : 'KID';
  return `${baseUrl}${KEY_DELIVERY_ROOT}${DELIVERY_PATHS.get(deliveryType)!}?${param}=${keyGuid}`;
}

/** The delivery type a path below the key delivery root names, or undefined. */
export function deliveryTypeOfPath(path: string): number | undefined {
  const normal = path.replace(/^\/+/, '').replace(/\/*$/, '/').toLowerCase();
  for (const [type, prefix] of DELIVERY_PATHS) if ((prefix === '' ? '/' : prefix.toLowerCase()) === normal) return type;
  return undefined;
}

export interface OptionFields {
  KeyDeliveryType: number;
  Restrictions: RestrictionValue[];
}

/**
 * An option's invariants, but for the template XML, which the caller parses (its format is the
 * wire's): a known delivery type, at least one restriction, each of a known type, a token
 * restriction with Requirements.
 */
export function checkOption(fields: OptionFields): void {
  checkKeyDeliveryType(fields.KeyDeliveryType, 'KeyDeliveryType');
  if (fields.Restrictions.length === 0) throw invalid('A ContentKeyAuthorizationPolicyOption needs at least one restriction in Restrictions (e.g. {"Name":"Open","KeyRestrictionType":0,"Requirements":null})');
  for (const [i, r] of fields.Restrictions.entries()) {
    if (!Number.isInteger(r.KeyRestrictionType) || enumName(ContentKeyRestrictionType, r.KeyRestrictionType) === undefined) {
      throw invalid(`Restrictions[${i}].KeyRestrictionType ${r.KeyRestrictionType} is not 0 Open, 1 TokenRestricted or 2 IPRestricted`);
    }
    if (r.KeyRestrictionType === ContentKeyRestrictionType.TokenRestricted && (r.Requirements === null || r.Requirements.trim() === '')) {
      throw invalid(`Restrictions[${i}] is TokenRestricted and needs its TokenRestrictionTemplate XML in Requirements`);
    }
  }
}

export function authorizationPolicyKey(text: string): string {
  return canonicalNbId(AUTHORIZATION_POLICY_ID_TAG, text, 'ContentKeyAuthorizationPolicy');
}

export function authorizationOptionKey(text: string): string {
  return canonicalNbId(AUTHORIZATION_OPTION_ID_TAG, text, 'ContentKeyAuthorizationPolicyOption');
}

export function findAuthorizationPolicy(reader: StoreReader, text: string): AuthorizationPolicyRecord {
  const policy = reader.get<AuthorizationPolicyRecord>(COLLECTIONS.ContentKeyAuthorizationPolicies, authorizationPolicyKey(text));
  if (!policy) throw unknown(`No ContentKeyAuthorizationPolicy with Id '${text}' was found`);
  return policy;
}

export function findAuthorizationOption(reader: StoreReader, text: string): AuthorizationOptionRecord {
  const option = reader.get<AuthorizationOptionRecord>(COLLECTIONS.ContentKeyAuthorizationPolicyOptions, authorizationOptionKey(text));
  if (!option) throw unknown(`No ContentKeyAuthorizationPolicyOption with Id '${text}' was found`);
  return option;
}

/** The options linked to a policy, in link order. */
export function optionsOfPolicy(reader: StoreReader, policyId: string): AuthorizationOptionRecord[] {
  return reader.lookup<AuthorizationOptionLinkRecord>(INDEXES.optionLinksByPolicy, policyId).flatMap((link) => {
    const option = reader.get<AuthorizationOptionRecord>(COLLECTIONS.ContentKeyAuthorizationPolicyOptions, link.optionId);
    return option ? [option] : [];
  });
}

export function linkOption(tx: Transaction, policyText: string, optionText: string): void {
  const policyId = authorizationPolicyKey(findAuthorizationPolicy(tx, policyText).Id);
  const optionId = authorizationOptionKey(findAuthorizationOption(tx, optionText).Id);
  if (tx.has(AUTHORIZATION_OPTION_LINKS, linkId(policyId, optionId))) throw conflicting(`The option '${optionText}' is already linked to the policy '${policyText}'`);
  const link: AuthorizationOptionLinkRecord = { policyId, optionId };
  tx.put(AUTHORIZATION_OPTION_LINKS, linkId(policyId, optionId), link);
}

export function unlinkOption(tx: Transaction, policyText: string, optionText: string): void {
  const policyId = authorizationPolicyKey(findAuthorizationPolicy(tx, policyText).Id);
  const optionId = authorizationOptionKey(optionText);
  if (!tx.delete(AUTHORIZATION_OPTION_LINKS, linkId(policyId, optionId))) throw unknown(`The option '${optionText}' is not linked to the policy '${policyText}'`);
}

/** Delete a policy; its option links go with it; refused while a content key names it. */
export function deleteAuthorizationPolicy(tx: Transaction, text: string): void {
  const policyId = authorizationPolicyKey(findAuthorizationPolicy(tx, text).Id);
  const [user] = keysOfAuthorizationPolicy(tx, policyId);
  if (user) throw conflicting(`The ContentKey '${String(user['Id'])}' uses the ContentKeyAuthorizationPolicy '${text}': set its AuthorizationPolicyId to null first`);
  for (const link of tx.lookup<AuthorizationOptionLinkRecord>(INDEXES.optionLinksByPolicy, policyId)) tx.delete(AUTHORIZATION_OPTION_LINKS, linkId(link.policyId, link.optionId));
  tx.delete(COLLECTIONS.ContentKeyAuthorizationPolicies, policyId);
}

/** Delete an option; it leaves the policies it was linked to. */
export function deleteAuthorizationOption(tx: Transaction, text: string): void {
  const optionId = authorizationOptionKey(findAuthorizationOption(tx, text).Id);
  for (const link of tx.lookup<AuthorizationOptionLinkRecord>(INDEXES.optionLinksByOption, optionId)) tx.delete(AUTHORIZATION_OPTION_LINKS, linkId(link.policyId, link.optionId));
  tx.delete(COLLECTIONS.ContentKeyAuthorizationPolicyOptions, optionId);
}

export function keysOfAuthorizationPolicy(reader: StoreReader, policyId: string): JsonRecord[] {
  return reader.lookup(INDEXES.keysByAuthorizationPolicy, policyId.toLowerCase());
}

/**
 * A ContentKey's AuthorizationPolicyId (create or MERGE): null clears it; anything else must name
 * an existing policy (400 otherwise: the key exists, the reference in its body does not).
 */
export function checkAuthorizationPolicyReference(reader: StoreReader, value: unknown): void {
  if (value === null || value === undefined) return;
  if (typeof value !== 'string') throw invalid('AuthorizationPolicyId must be a string or null');
  const policyId = authorizationPolicyKey(value);
  if (!reader.has(COLLECTIONS.ContentKeyAuthorizationPolicies, policyId)) throw invalid(`AuthorizationPolicyId '${value}' names no ContentKeyAuthorizationPolicy: create the policy first`);
}

/** Compile-time proof that the records are storable. */
type Storable<T extends JsonRecord> = T;
export type AuthorizationRecords = [Storable<AuthorizationPolicyRecord>, Storable<AuthorizationOptionRecord>, Storable<AuthorizationOptionLinkRecord>];
