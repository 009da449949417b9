import { parseNbId } from '../../../client/src/crypto/index.js';
import type { Services } from '../app/services.js';
import { NotificationEndPoint } from '../odata/edm.js';
import type { StoreReader, Transaction } from '../store/types.js';
import { canonicalId, newId } from './ids.js';
import { COLLECTIONS } from './collections.js';
import { NotificationEndPointCredentialType, NotificationEndPointType, NotificationJobState, ProtectionKeyType, enumName } from './enums.js';
import { invalid, unknown } from './refusal.js';
import type { NotificationEndPointRecord } from './records.js';

/**
 * A NotificationEndPoint (ams-v2-surface.md §3.1): where job notifications go. An AzureQueue
 * endpoint names a queue of the emulator's storage account (the queue is not required to exist
 * at create: the Java SDK's tests create endpoints for queues nobody made); a WebHook endpoint
 * names an http(s) URL and, with CredentialType SigningKey, carries the key the POSTs are signed
 * with, wrapped to the protection certificate as the .NET SDK wraps it (RSA-OAEP, like a content
 * key). The key is unwrapped when a message is signed, never stored in the clear.
 */
export type { NotificationEndPointRecord } from './records.js';

/** What a client sends to create one: the handler has read the body into these. */
export interface NewNotificationEndPoint {
  Name: string | undefined;
  EndPointType: number | undefined;
  EndPointAddress: string | undefined;
  CredentialType: number | undefined;
  EncryptedEndPointCredential: string | undefined;
  ProtectionKeyId: string | undefined;
  ProtectionKeyType: number | undefined;
}

const ENDPOINTS = COLLECTIONS.NotificationEndPoints;

/** Azure's queue naming rules: 3-63 lower-case letters, digits and single hyphens, no hyphen at either end. */
const QUEUE_NAME = /^(?=.{3,63}$)[a-z0-9](?:[a-z0-9]|-(?!-))*[a-z0-9]$/;

/** A new endpoint, checked; refused (400) with what to change. */
export function newNotificationEndPoint(services: Pick<Services, 'ids' | 'now' | 'keys' | 'secrets'>, input: NewNotificationEndPoint): NotificationEndPointRecord {
  const missing = (['Name', 'EndPointType', 'EndPointAddress'] as const).filter((name) => input[name] === undefined || input[name] === '');
  if (missing.length > 0) throw invalid(`NotificationEndPoint requires ${missing.map((m) => `'${m}'`).join(', ')}`);
  const type = input.EndPointType!;
  const address = input.EndPointAddress!;
  if (type === NotificationEndPointType.AzureQueue) {
    if (!QUEUE_NAME.test(address)) {
      throw invalid(`EndPointAddress '${clip(address)}' is not a queue name: an AzureQueue endpoint names a queue of the storage account, 3 to 63 lower-case letters, digits and single hyphens, starting and ending with a letter or digit`);
    }
  } else if (type === NotificationEndPointType.WebHook) {
    if (!isHttpUrl(address)) throw invalid(`EndPointAddress '${clip(address)}' is not an absolute http or https URL: a WebHook endpoint names the URL notifications are POSTed to`);
  } else {
    throw invalid(`EndPointType ${type}${nameOf(NotificationEndPointType, type)} is not one the emulator delivers to: use AzureQueue (1) or WebHook (3)`);
  }
  const credentialType = input.CredentialType ?? NotificationEndPointCredentialType.None;
  if (credentialType !== NotificationEndPointCredentialType.None && credentialType !== NotificationEndPointCredentialType.SigningKey) {
    throw invalid(`CredentialType ${credentialType} is not a NotificationEndPointCredentialType: None (0) or SigningKey (1)`);
  }
  const protectionKeyType = input.ProtectionKeyType ?? ProtectionKeyType.X509CertificateThumbprint;
  if (protectionKeyType !== ProtectionKeyType.X509CertificateThumbprint) throw invalid(`ProtectionKeyType ${protectionKeyType} is not X509CertificateThumbprint (0), the only one the service knew`);
  const credential = input.EncryptedEndPointCredential || undefined;
  if (credentialType === NotificationEndPointCredentialType.SigningKey) {
    if (type !== NotificationEndPointType.WebHook) throw invalid('CredentialType SigningKey applies to WebHook endpoints only: queue messages are not signed');
    if (!credential) throw invalid('CredentialType SigningKey needs EncryptedEndPointCredential: the signing key wrapped with the certificate of GetProtectionKeyId(contentKeyType=2), base64');
    const thumbprint = services.secrets.protection.thumbprint;
    if (input.ProtectionKeyId && input.ProtectionKeyId.toUpperCase() !== thumbprint) {
      throw invalid(`ProtectionKeyId '${clip(input.ProtectionKeyId)}' is not the emulator's protection certificate; GetProtectionKeyId returns ${thumbprint}`);
    }
    const opened = services.keys.open(credential);
    if (!opened.ok) throw invalid(`EncryptedEndPointCredential cannot be unwrapped with the protection key (${opened.message}): wrap the signing key with RSA-OAEP to the certificate of GetProtectionKeyId(contentKeyType=2)`);
  } else if (credential) {
    throw invalid('EncryptedEndPointCredential is set but CredentialType is None (0): send CredentialType 1 (SigningKey) to have the POSTs signed');
  }
  return {
    Id: newId(NotificationEndPoint, services.ids.guid()),
    Name: input.Name!,
    Created: services.now().toISOString(),
    EndPointType: type,
    EndPointAddress: address,
    CredentialType: credentialType,
    EncryptedEndPointCredential: credential ?? null,
    ProtectionKeyId: credential ? (input.ProtectionKeyId || services.secrets.protection.thumbprint) : (input.ProtectionKeyId ?? null),
    ProtectionKeyType: protectionKeyType,
  };
}

/** The endpoint an id names (any letter case), or undefined. */
export function findNotificationEndPoint(reader: StoreReader, id: string): NotificationEndPointRecord | undefined {
  if (!isEndpointId(id)) return undefined;
  return reader.get<NotificationEndPointRecord>(ENDPOINTS, endpointKey(id));
}

/** The stored key of an endpoint id, as every set's: `nb:nepid:UUID:` + the lower-case GUID (the id must be well formed). */
export function endpointKey(id: string): string {
  return canonicalId(NotificationEndPoint, id);
}

export function putNotificationEndPoint(tx: Transaction, record: NotificationEndPointRecord): void {
  tx.put(ENDPOINTS, endpointKey(record.Id), record);
}

/** A subscription as stored on a Job (the JobNotificationSubscription complex type). */
export type JobNotificationSubscription = { NotificationEndPointId: string | null; TargetJobState: number };

/** A subscription as stored on a Task (TaskNotificationSubscription: the same states, plus progress messages). */
export type TaskNotificationSubscription = { NotificationEndPointId: string | null; TargetTaskState: number; IncludeTaskProgress: boolean };

/**
 * A new job's JobNotificationSubscriptions, checked against the endpoints in `reader`: a
 * TargetJobState of FinalStatesOnly (1) or All (2) (the service refused 0 with "must not be 0"),
 * and an endpoint id that is well formed (400) and names an endpoint (404, as an unknown input
 * asset is). Returns the subscriptions with each id spelled as the endpoint's.
 */
export function checkJobSubscriptions(reader: StoreReader, value: unknown): JobNotificationSubscription[] {
  return checkSubscriptions(reader, value, 'JobNotificationSubscription', 'TargetJobState').map(({ endpointId, state }) => ({ NotificationEndPointId: endpointId, TargetJobState: state }));
}

/**
 * A new task's TaskNotificationSubscriptions, checked as a job's are (TargetTaskState for
 * TargetJobState); IncludeTaskProgress defaults to false when left out.
 */
export function checkTaskSubscriptions(reader: StoreReader, value: unknown): TaskNotificationSubscription[] {
  return checkSubscriptions(reader, value, 'TaskNotificationSubscription', 'TargetTaskState').map(({ endpointId, state, element }) => ({
    NotificationEndPointId: endpointId,
    TargetTaskState: state,
    IncludeTaskProgress: element['IncludeTaskProgress'] === true,
  }));
}

function checkSubscriptions(reader: StoreReader, value: unknown, typeName: string, stateField: string): { endpointId: string; state: number; element: Record<string, unknown> }[] {
  if (value === null || value === undefined) return [];
  if (!Array.isArray(value)) throw invalid(`${typeName}s must be a collection of {NotificationEndPointId, ${stateField}}`);
  return value.map((item: unknown, i) => {
    const element = (typeof item === 'object' && item !== null ? item : {}) as Record<string, unknown>;
    const where = `${typeName}s[${i}]`;
    const state = element[stateField];
    if (state === NotificationJobState.None) throw invalid(`${where}: ${typeName}.${stateField} must not be 0`);
    if (state !== NotificationJobState.FinalStatesOnly && state !== NotificationJobState.All) {
      throw invalid(`${where}: ${stateField} ${String(state)} is not FinalStatesOnly (1) or All (2)`);
    }
    const id = element['NotificationEndPointId'];
    if (typeof id !== 'string' || id === '') throw invalid(`${where} has no NotificationEndPointId`);
    if (!isEndpointId(id)) throw invalid(`${where}: NotificationEndPointId '${clip(id)}' is not a NotificationEndPoint id (nb:nepid:UUID:<guid>)`);
    const endpoint = findNotificationEndPoint(reader, id);
    if (!endpoint) throw unknown(`${where}: no NotificationEndPoint with Id '${id}' was found`);
    return { endpointId: endpoint.Id, state, element };
  });
}

/** Whether a subscription with this TargetJobState wants to hear of a move to `newState`. */
export function subscriptionWants(targetJobState: number, newStateIsFinal: boolean): boolean {
  return targetJobState === NotificationJobState.All || (targetJobState === NotificationJobState.FinalStatesOnly && newStateIsFinal);
}

export function isEndpointId(id: string): boolean {
  try {
    parseNbId(id, 'nepid');
    return true;
  } catch {
    return false;
  }
}

function isHttpUrl(text: string): boolean {
  try {
    const url = new URL(text);
    return (url.protocol === 'http:' || url.protocol === 'https:') && url.hostname !== '';
  } catch {
    return false;
  }
}

function nameOf(enumeration: Record<string, number>, value: number): string {
  const name = enumName(enumeration, value);
  return name ? ` (${name})` : '';
}

function clip(text: string): string {
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}
