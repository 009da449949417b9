/**
 * The state invariants a crash, a race or a storage outage must never break, checked on the raw
 * records (`GET /_emulator/state`, or a store opened on the data directory): no entity missing a
 * property its type declares non-nullable, no file without its asset, no link to a missing asset
 * or key, no locator without its asset or access policy.
 */
import { AccessPolicy, Asset, AssetFile, ContentKey, Locator, type EntityTypeDef } from '../../src/odata/edm.js';
import { canonicalId } from '../../src/odata/uri.js';
import type { Json, JsonRecord } from '../../src/store/types.js';

/** The collections the checks read, as `/_emulator/state` names them. */
export interface StateDump {
  assets: JsonRecord[];
  files: JsonRecord[];
  contentKeys: JsonRecord[];
  assetContentKeys: JsonRecord[];
  accessPolicies: JsonRecord[];
  locators: JsonRecord[];
}

const ENTITY_COLLECTIONS: ReadonlyArray<[keyof StateDump, EntityTypeDef]> = [
  ['assets', Asset],
  ['files', AssetFile],
  ['contentKeys', ContentKey],
  ['accessPolicies', AccessPolicy],
  ['locators', Locator],
];

/** `GET /_emulator/state` of an emulator at `baseUrl` (ending in `/`). */
export async function fetchState(baseUrl: string): Promise<StateDump> {
  const res = await fetch(`${baseUrl}_emulator/state`);
  if (res.status !== 200) throw new Error(`GET /_emulator/state answered ${res.status}: ${await res.text()}`);
  const body = (await res.json()) as { state: Record<string, JsonRecord[]> };
  const pick = (name: keyof StateDump): JsonRecord[] => body.state[name] ?? [];
  return {
    assets: pick('assets'),
    files: pick('files'),
    contentKeys: pick('contentKeys'),
    assetContentKeys: pick('assetContentKeys'),
    accessPolicies: pick('accessPolicies'),
    locators: pick('locators'),
  };
}

/** Every broken invariant, one line each; empty when the state is consistent. */
export function consistencyProblems(state: StateDump): string[] {
  const problems: string[] = [];
  for (const [collection, type] of ENTITY_COLLECTIONS) {
    for (const record of state[collection]) problems.push(...incompleteRecord(type, record));
  }
  const assets = new Set(state.assets.map((a) => canonical(Asset, a['Id'])));
  const keys = new Set(state.contentKeys.map((k) => canonical(ContentKey, k['Id'])));
  const policies = new Set(state.accessPolicies.map((p) => canonical(AccessPolicy, p['Id'])));
  for (const file of state.files) {
    if (!assets.has(canonical(Asset, file['ParentAssetId']))) problems.push(`file ${String(file['Id'])} has no asset (${String(file['ParentAssetId'])})`);
  }
  for (const link of state.assetContentKeys) {
    if (!assets.has(canonical(Asset, link['assetId']))) problems.push(`link ${String(link['assetId'])}|${String(link['keyId'])} has no asset`);
    if (!keys.has(canonical(ContentKey, link['keyId']))) problems.push(`link ${String(link['assetId'])}|${String(link['keyId'])} has no content key`);
  }
  for (const locator of state.locators) {
    if (!assets.has(canonical(Asset, locator['AssetId']))) problems.push(`locator ${String(locator['Id'])} has no asset (${String(locator['AssetId'])})`);
    if (!policies.has(canonical(AccessPolicy, locator['AccessPolicyId']))) problems.push(`locator ${String(locator['Id'])} has no access policy (${String(locator['AccessPolicyId'])})`);
  }
  return problems;
}

/** A record written by the emulator carries every declared property, and a value in each non-nullable one. */
function incompleteRecord(type: EntityTypeDef, record: JsonRecord): string[] {
  const problems: string[] = [];
  for (const property of type.properties) {
    if (!(property.name in record)) problems.push(`${type.name} ${String(record['Id'])} lacks ${property.name}`);
    else if (!property.nullable && record[property.name] === null) problems.push(`${type.name} ${String(record['Id'])} has no value in ${property.name}`);
  }
  return problems;
}

function canonical(type: EntityTypeDef, id: Json | undefined): string {
  if (typeof id !== 'string') return `(not an id: ${JSON.stringify(id)})`;
  try {
    return canonicalId(type, id);
  } catch {
    return `(malformed: ${id})`;
  }
}
