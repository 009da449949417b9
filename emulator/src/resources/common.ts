import type { EntityTypeDef } from '../odata/edm.js';
import { badRequest, notFound } from '../odata/errors.js';
import { canonicalId, checkKey } from '../odata/uri.js';
import { readEntityBody, type EntityBody } from '../odata/body.js';

// Body readers that subsystems use too live with the body; re-exported for the handlers.
export { boundKeys, numberValue, stringValue } from '../odata/body.js';
import type { CanonicalValue } from '../odata/values.js';
import { ASSET_KEY_LINKS, INDEXES } from '../model/collections.js';
import type { AssetKeyLinkRecord } from '../model/records.js';
import type { JsonRecord, StoreReader } from '../store/types.js';
import type { Services } from '../app/services.js';
import type { ApiRequest } from './context.js';

/** Look up an entity by a key from the URL or a body: 400 when malformed, 404 when unknown. */
export function findEntity<T extends JsonRecord>(reader: StoreReader, type: EntityTypeDef, collection: string, key: string): T {
  checkKey(type, key);
  const record = reader.get<T>(collection, canonicalId(type, key));
  if (!record) throw notFound(`No ${type.name} with Id '${key}' was found`);
  return record;
}

export function readBody(req: ApiRequest, services: Services, type: EntityTypeDef): EntityBody {
  return readEntityBody(req.body, req.contentType, type, { maxDepth: services.config.limits.maxBodyDepth });
}

/**
 * Apply an update's values to a record. Create-only properties may be sent again unchanged (the
 * .NET SDK's MERGE carries every property) but not changed; an echo keeps the stored spelling, so
 * an id sent in other letter case cannot take the entity out of the indexes keyed by it.
 */
export function mergeValues(type: EntityTypeDef, current: JsonRecord, values: Map<string, CanonicalValue>): JsonRecord {
  const next: JsonRecord = { ...current };
  for (const [name, value] of values) {
    const property = type.properties.find((p) => p.name === name)!;
    if (!property.createOnly) {
      next[name] = value;
      continue;
    }
    if (!sameCreateOnlyValue(name, current[name], value)) {
      throw badRequest(`The property '${name}' of ${type.name} cannot be updated after creation`);
    }
    if (current[name] === undefined) next[name] = value;
  }
  return next;
}

/**
 * Create-only strings that are identifiers: GUID-based ids, the protection key's hex thumbprint,
 * the storage account name. The service read them without case. Every other string, base64 above
 * all (EncryptedContentKey, Checksum), is compared exactly: another case is another key.
 */
const CASELESS_CREATE_ONLY = new Set(['Id', 'ParentAssetId', 'AssetId', 'AccessPolicyId', 'ProtectionKeyId', 'StorageAccountName']);

function sameCreateOnlyValue(name: string, a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if ((a === null || a === undefined) && (b === null || b === undefined)) return true;
  if (typeof a === 'string' && typeof b === 'string') return CASELESS_CREATE_ONLY.has(name) && a.toLowerCase() === b.toLowerCase();
  return JSON.stringify(a) === JSON.stringify(b);
}

/** Properties a create must have; the message names the missing ones. */
export function requireValues(type: EntityTypeDef, values: Map<string, CanonicalValue>, names: readonly string[]): void {
  const missing = names.filter((n) => values.get(n) === undefined || values.get(n) === null || values.get(n) === '');
  if (missing.length > 0) throw badRequest(`${type.name} requires ${missing.map((m) => `'${m}'`).join(', ')}`);
}

/** A new record with every declared property (defaults for those not given), then the values. */
export function newRecord(type: EntityTypeDef, defaults: JsonRecord, values: Map<string, CanonicalValue>): JsonRecord {
  const record: JsonRecord = {};
  for (const p of type.properties) record[p.name] = defaults[p.name] ?? null;
  for (const [name, value] of values) record[name] = value;
  return record;
}

/** Canonical ids of the keys linked to an asset, in link order. */
export function linkedKeys(reader: StoreReader, assetId: string): string[] {
  return reader.lookup<AssetKeyLinkRecord>(INDEXES.linksByAsset, assetId).map((link) => link.keyId);
}
