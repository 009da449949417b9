import type { AzuriteBlobServer } from './azurite-modules.js';

/**
 * Azurite 3.35 looks containers, blobs and blocks up in LokiJS with queries that name
 * `accountName` first (`{accountName, name}`, `{accountName, containerName, name, snapshot}`).
 * Loki answers an implicit `$and` from the index of the FIRST property only, and every container
 * and blob of the development account shares one accountName, so each lookup scanned them all:
 * creating a container got slower with every asset (1.75x at 10,000). Moving `accountName` last
 * lets the `name` / `containerName` index answer; `$and` of equalities is commutative and Azurite
 * sorts every listing explicitly, so results are the same. Only the embedded Azurite is touched.
 */
interface LokiResultsetPrototype {
  find(query: unknown, firstOnly?: boolean): unknown;
}

interface LokiCollection {
  chain(): object;
}

interface LokiDatabase {
  getCollection(name: string): LokiCollection | null;
}

const PATCHED = Symbol.for('ams-v2-emulator.azurite-lookup-order');

export function orderAzuriteLookups(server: AzuriteBlobServer): boolean {
  const db = (server as unknown as { metadataStore?: { db?: LokiDatabase } }).metadataStore?.db;
  const containers = db?.getCollection('$CONTAINERS_COLLECTION$');
  if (!containers) return false;
  const prototype = Object.getPrototypeOf(containers.chain()) as LokiResultsetPrototype & { [PATCHED]?: true };
  if (prototype[PATCHED]) return true;
  const find = prototype.find;
  prototype.find = function (this: unknown, query: unknown, firstOnly?: boolean): unknown {
    return find.call(this, accountNameLast(query), firstOnly);
  };
  prototype[PATCHED] = true;
  return true;
}

/** `{accountName, ...rest}` -> `{...rest, accountName}`; anything else unchanged. */
export function accountNameLast(query: unknown): unknown {
  if (typeof query !== 'object' || query === null || Array.isArray(query)) return query;
  const keys = Object.keys(query);
  if (keys.length < 2 || keys[0] !== 'accountName') return query;
  const { accountName, ...rest } = query as Record<string, unknown>;
  return { ...rest, accountName };
}
