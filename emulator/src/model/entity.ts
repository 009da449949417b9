import type { EntityTypeDef } from '../odata/edm.js';
import type { CanonicalValue } from '../odata/values.js';
import type { JsonRecord, StoreReader, Transaction } from '../store/types.js';
import { canonicalId, checkKey } from './ids.js';
import { invalid, unknown } from './refusal.js';

/**
 * What holds of every stored entity, whatever its type: how it is looked up by a key from a URL or
 * a body, how a new record gets every declared property, and which properties an update may change.
 * The per-entity modules build on these.
 */

/** The values of a request body, by declared property name (canonical values, see odata/values.ts). */
export type EntityValues = ReadonlyMap<string, CanonicalValue>;

/** Look up an entity by a key from the URL or a body: invalid when malformed, not-found when unknown. */
export function findEntity<T extends JsonRecord>(reader: StoreReader, type: EntityTypeDef, collection: string, key: string): T {
  checkKey(type, key);
  const record = reader.get<T>(collection, canonicalId(type, key));
  if (!record) throw unknown(`No ${type.name} with Id '${key}' was found`);
  return record;
}

/**
 * The typed lookups of one entity set: what every model module otherwise writes again for its own
 * collection and record type. Built once per module (`entityLookups<AssetFileRecord>(AssetFile, F)`).
 */
export interface EntityLookups<T extends JsonRecord> {
  /** The store key of an id, whatever its letter case (the canonical form). */
  key(id: string): string;
  /** By a key from the URL or a body: invalid when malformed, not-found when unknown. */
  find(reader: StoreReader, key: string): T;
  /** By an id, or undefined when it is malformed or unknown: for ids read back from the store, not sent by a client. */
  lookup(reader: StoreReader, id: string): T | undefined;
  /** By a stored canonical id, if the entity is still there. */
  get(reader: StoreReader, storedId: string): T | undefined;
}

export function entityLookups<T extends JsonRecord>(type: EntityTypeDef, collection: string): EntityLookups<T> {
  const key = (id: string): string => canonicalId(type, id);
  return {
    key,
    find: (reader, text) => findEntity<T>(reader, type, collection, text),
    lookup: (reader, id) => {
      try {
        return reader.get<T>(collection, key(id));
      } catch {
        // A malformed id has no canonical form: nothing is stored under it.
        return undefined;
      }
    },
    get: (reader, storedId) => reader.get<T>(collection, storedId),
  };
}

/** A new record with every declared property (defaults for those not given), then the values. */
export function newRecord(type: EntityTypeDef, defaults: JsonRecord, values: EntityValues): JsonRecord {
  const record: JsonRecord = {};
  for (const p of type.properties) record[p.name] = defaults[p.name] ?? null;
  for (const [name, value] of values) record[name] = value;
  return record;
}

/**
 * Apply an update's values to a record. Create-only properties may be sent again unchanged (the
 * .NET SDK's MERGE carries every property) but not changed; an echo keeps the stored spelling, so
 * an id sent in other letter case cannot take the entity out of the indexes keyed by it.
 */
export function mergeValues<T extends JsonRecord>(type: EntityTypeDef, current: T, values: EntityValues): T {
  const next: JsonRecord = { ...current };
  for (const [name, value] of values) {
    const property = type.properties.find((p) => p.name === name)!;
    if (!property.createOnly) {
      next[name] = value;
      continue;
    }
    if (!sameCreateOnlyValue(name, current[name], value)) {
      throw invalid(`The property '${name}' of ${type.name} cannot be updated after creation`);
    }
    if (current[name] === undefined) next[name] = value;
  }
  return next as T;
}

/** MERGE of an entity that keeps a LastModified: the values on the stored record, stamped `now`. */
export function mergeStamped(tx: Transaction, type: EntityTypeDef, collection: string, key: string, values: EntityValues, now: Date): void {
  const next = mergeValues(type, findEntity(tx, type, collection, key), values);
  next['LastModified'] = now.toISOString();
  tx.put(collection, canonicalId(type, key), next);
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
export function requireValues(type: EntityTypeDef, values: EntityValues, names: readonly string[]): void {
  const missing = names.filter((n) => values.get(n) === undefined || values.get(n) === null || values.get(n) === '');
  if (missing.length > 0) throw invalid(`${type.name} requires ${missing.map((m) => `'${m}'`).join(', ')}`);
}

export function stringValue(values: EntityValues, name: string): string | undefined {
  const v = values.get(name);
  return typeof v === 'string' ? v : undefined;
}

export function numberValue(values: EntityValues, name: string): number | undefined {
  const v = values.get(name);
  return typeof v === 'number' ? v : undefined;
}
