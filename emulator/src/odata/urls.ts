import type { EntityTypeDef } from './edm.js';

/**
 * The URLs the emulator writes (Location, `__metadata.uri`, Atom `id`/`xml:base`/`href`), as the
 * service wrote them: the key quoted and percent-encoded, `Assets('nb%3Acid%3AUUID%3A...')`.
 */

/** `Assets('nb%3Acid%3AUUID%3A...')`, relative to the service root. */
export function entityPath(type: Pick<EntityTypeDef, 'set'>, key: string): string {
  return `${type.set}(${quoteKey(key)})`;
}

/** An absolute entity URL: `serviceRoot` ends with `/api/`. */
export function entityUrl(serviceRoot: string, type: Pick<EntityTypeDef, 'set'>, key: string): string {
  return serviceRoot + entityPath(type, key);
}

export function quoteKey(key: string): string {
  // encodeURIComponent leaves ' unescaped; a quote inside a key is doubled as in OData literals.
  return `'${encodeURIComponent(key.replace(/'/g, "''"))}'`;
}
