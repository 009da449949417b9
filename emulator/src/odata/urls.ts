import type { EntityTypeDef } from './edm.js';

/**
 * The URLs the emulator writes (Location, `__metadata.uri`, Atom `id`/`xml:base`/`href`), as the
 * service wrote them: the key quoted and percent-encoded, `Assets('nb%3Acid%3AUUID%3A...')`.
 */

type KeyedSet = Pick<EntityTypeDef, 'set'> & Partial<Pick<EntityTypeDef, 'key' | 'properties'>>;

/**
 * `Assets('nb%3Acid%3AUUID%3A...')`, relative to the service root; an Edm.Guid key as the typed
 * literal `EncodingReservedUnitTypes(guid'…')`.
 */
export function entityPath(type: KeyedSet, key: string): string {
  const guidKey = type.properties?.find((p) => p.name === type.key)?.type === 'Edm.Guid';
  return `${type.set}(${guidKey ? 'guid' : ''}${quoteKey(key)})`;
}

/** An absolute entity URL: `serviceRoot` ends with `/api/`. */
export function entityUrl(serviceRoot: string, type: KeyedSet, key: string): string {
  return serviceRoot + entityPath(type, key);
}

export function quoteKey(key: string): string {
  // encodeURIComponent leaves ' unescaped; a quote inside a key is doubled as in OData literals.
  return `'${encodeURIComponent(key.replace(/'/g, "''"))}'`;
}
