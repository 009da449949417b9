/**
 * What content key authorization is (ams-v2-surface.md §2): a ContentKeyAuthorizationPolicy
 * groups options (linked through `…Policies('…')/$links/Options`); each option says how a key is
 * delivered (KeyDeliveryType) and under which restrictions (Open, TokenRestricted with a
 * TokenRestrictionTemplate, IPRestricted). A content key names its policy in AuthorizationPolicyId.
 * Which key delivery a key type allows, and where the emulator's key delivery service answers, is
 * here too: GetKeyDeliveryUrl and the service agree through it.
 */
import { ContentKeyAuthorizationPolicy, ContentKeyAuthorizationPolicyOption } from '../odata/edm.js';
import type { Services } from '../app/services.js';
import type { StoreReader, Transaction } from '../store/types.js';
import { AUTHORIZATION_OPTION_LINKS, COLLECTIONS, INDEXES } from './collections.js';
import { findEntity, mergeValues, newRecord, requireValues, type EntityValues } from './entity.js';
import { ContentKeyType, enumName } from './enums.js';
import { canonicalId, checkKey, linkId, newId } from './ids.js';
import type { AuthorizationOptionLinkRecord, AuthorizationOptionRecord, AuthorizationPolicyRecord, ContentKeyRecord, RestrictionValue } from './records.js';
import { conflicting, invalid, unknown } from './refusal.js';

export type { AuthorizationOptionLinkRecord, AuthorizationOptionRecord, AuthorizationPolicyRecord, RestrictionValue } from './records.js';

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

/** The stored (canonical) id of a policy id from a URL or a body; a malformed one is refused. */
export function authorizationPolicyKey(text: string): string {
  checkKey(ContentKeyAuthorizationPolicy, text);
  return canonicalId(ContentKeyAuthorizationPolicy, text);
}

export function authorizationOptionKey(text: string): string {
  checkKey(ContentKeyAuthorizationPolicyOption, text);
  return canonicalId(ContentKeyAuthorizationPolicyOption, text);
}

export function findAuthorizationPolicy(reader: StoreReader, text: string): AuthorizationPolicyRecord {
  return findEntity<AuthorizationPolicyRecord>(reader, ContentKeyAuthorizationPolicy, COLLECTIONS.ContentKeyAuthorizationPolicies, text);
}

export function findAuthorizationOption(reader: StoreReader, text: string): AuthorizationOptionRecord {
  return findEntity<AuthorizationOptionRecord>(reader, ContentKeyAuthorizationPolicyOption, COLLECTIONS.ContentKeyAuthorizationPolicyOptions, text);
}

const POLICIES = COLLECTIONS.ContentKeyAuthorizationPolicies;
const OPTIONS = COLLECTIONS.ContentKeyAuthorizationPolicyOptions;

/** POST ContentKeyAuthorizationPolicies: `{"Name":"…"}` is the whole body. */
export async function createAuthorizationPolicy(services: Services, values: EntityValues): Promise<AuthorizationPolicyRecord> {
  const record = newRecord(ContentKeyAuthorizationPolicy, {}, values) as AuthorizationPolicyRecord;
  record.Id = newId(ContentKeyAuthorizationPolicy, services.ids.guid());
  await services.store.transaction((tx) => tx.put(POLICIES, record.Id, record));
  return record;
}

export async function updateAuthorizationPolicy(services: Services, key: string, values: EntityValues): Promise<void> {
  await services.store.transaction((tx) => {
    const current = findAuthorizationPolicy(tx, key);
    tx.put(POLICIES, authorizationPolicyKey(current.Id), mergeValues(ContentKeyAuthorizationPolicy, current, values));
  });
}

/**
 * Checks a TokenRestricted restriction's template (its XML is the wire's to read, so the handler
 * supplies the reader); throws a refusal for a template that cannot serve.
 */
export type TemplateCheck = (requirements: string, where: string) => void;

/** POST ContentKeyAuthorizationPolicyOptions: created alone, then linked to a policy. */
export async function createAuthorizationOption(services: Services, values: EntityValues, checkTemplate: TemplateCheck): Promise<AuthorizationOptionRecord> {
  requireValues(ContentKeyAuthorizationPolicyOption, values, ['KeyDeliveryType']);
  const record = newRecord(ContentKeyAuthorizationPolicyOption, { Restrictions: [] }, values) as AuthorizationOptionRecord;
  record.Id = newId(ContentKeyAuthorizationPolicyOption, services.ids.guid());
  checkOptionRecord(record, checkTemplate);
  await services.store.transaction((tx) => tx.put(OPTIONS, record.Id, record));
  return record;
}

/** MERGE/PUT: Name, KeyDeliveryConfiguration and Restrictions may change; the result is checked again. */
export async function updateAuthorizationOption(services: Services, key: string, values: EntityValues, checkTemplate: TemplateCheck): Promise<void> {
  await services.store.transaction((tx) => {
    const current = findAuthorizationOption(tx, key);
    const next = mergeValues(ContentKeyAuthorizationPolicyOption, current, values);
    checkOptionRecord(next, checkTemplate);
    tx.put(OPTIONS, authorizationOptionKey(current.Id), next);
  });
}

/** The option's invariants, then every token template checked. */
function checkOptionRecord(record: AuthorizationOptionRecord, checkTemplate: TemplateCheck): void {
  record.Restrictions ??= [];
  checkOption(record);
  for (const [i, restriction] of record.Restrictions.entries()) {
    if (restriction.KeyRestrictionType === ContentKeyRestrictionType.TokenRestricted) checkTemplate(restriction.Requirements!, `Restrictions[${i}].Requirements`);
  }
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

/** A policy's links to its options: what its delete takes with it. */
export function optionLinksOfPolicy(reader: StoreReader, policyId: string): AuthorizationOptionLinkRecord[] {
  return reader.lookup<AuthorizationOptionLinkRecord>(INDEXES.optionLinksByPolicy, policyId);
}

/** An option's links to the policies that list it: what its delete takes with it. */
export function optionLinksOfOption(reader: StoreReader, optionId: string): AuthorizationOptionLinkRecord[] {
  return reader.lookup<AuthorizationOptionLinkRecord>(INDEXES.optionLinksByOption, optionId);
}

/** Why a link put back (a `$batch` undo) would not fit: both ends must exist. Undefined when it fits. */
export function optionLinkMisfit(reader: StoreReader, link: AuthorizationOptionLinkRecord): string | undefined {
  if (!reader.has(POLICIES, link.policyId)) return `its authorization policy '${link.policyId}' no longer exists`;
  if (!reader.has(OPTIONS, link.optionId)) return `its authorization policy option '${link.optionId}' no longer exists`;
  return undefined;
}

/** Delete a policy; its option links go with it; refused while a content key names it. */
export function deleteAuthorizationPolicy(tx: Transaction, text: string): void {
  const policyId = authorizationPolicyKey(findAuthorizationPolicy(tx, text).Id);
  const [user] = keysOfAuthorizationPolicy(tx, policyId);
  if (user) throw conflicting(`The ContentKey '${user.Id}' uses the ContentKeyAuthorizationPolicy '${text}': set its AuthorizationPolicyId to null first`);
  for (const link of optionLinksOfPolicy(tx, policyId)) tx.delete(AUTHORIZATION_OPTION_LINKS, linkId(link.policyId, link.optionId));
  tx.delete(COLLECTIONS.ContentKeyAuthorizationPolicies, policyId);
}

/** Delete an option; it leaves the policies it was linked to. */
export function deleteAuthorizationOption(tx: Transaction, text: string): void {
  const optionId = authorizationOptionKey(findAuthorizationOption(tx, text).Id);
  for (const link of optionLinksOfOption(tx, optionId)) tx.delete(AUTHORIZATION_OPTION_LINKS, linkId(link.policyId, link.optionId));
  tx.delete(COLLECTIONS.ContentKeyAuthorizationPolicyOptions, optionId);
}

export function keysOfAuthorizationPolicy(reader: StoreReader, policyId: string): ContentKeyRecord[] {
  return reader.lookup<ContentKeyRecord>(INDEXES.keysByAuthorizationPolicy, policyId.toLowerCase());
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
