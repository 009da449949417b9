import { AccessPolicy, Asset, AssetFile, ContentKey, ENTITY_TYPES, entityTypeOfSet, FUNCTIONS, Locator, MediaProcessor, StorageAccount, type EntityTypeDef } from '../odata/edm.js';
import { badRequest, methodNotAllowed, notFound, notImplemented } from '../odata/errors.js';
import { applyQuery, parseQueryOptions, selectedProperties, type QueryOptions } from '../odata/query/index.js';
import { canonicalId, checkKey, type ODataPath } from '../odata/uri.js';
import { entityPath } from '../odata/urls.js';
import { writeMetadataDocument } from '../odata/metadata-document.js';
import type { JsonRecord } from '../store/types.js';
import { createAccessPolicy, deleteAccessPolicy, updateAccessPolicy } from './access-policies.js';
import { createAsset, deleteAsset, updateAsset } from './assets.js';
import { COLLECTIONS } from '../model/collections.js';
import { createContentKey, deleteContentKey, updateContentKey } from './content-keys.js';
import type { Services } from '../app/services.js';
import type { ApiRequest, ApiResult, HttpMethod } from './context.js';
import { createFile, createFileInfos, deleteFile, updateFile } from './files.js';
import { addAssetKeyLink, listAssetKeyLinks, removeAssetKeyLink } from './links.js';
import { createLocator, deleteLocator, updateLocator } from './locators.js';
import { resolveNavigation } from './navigation.js';
import { present } from './present.js';
import { filterCandidates } from './query-plan.js';
import { getProtectionKey, getProtectionKeyId, rebindContentKey } from './protection.js';
import { mediaProcessors, storageAccounts } from './static-sets.js';
import { DELIVERY_AREA } from './delivery-sets.js';

type Handler = (req: ApiRequest, services: Services) => ApiResult | Promise<ApiResult>;
type KeyHandler = (req: ApiRequest, services: Services, key: string) => ApiResult | Promise<ApiResult>;

/** What each entity set supports beyond reading. Subsystems (jobs) add theirs with `registerEntitySet`. */
export interface EntitySetHandlers {
  /** Records for reading; default: the store collection of the set. */
  records?: (services: Services) => Iterable<JsonRecord>;
  create?: Handler;
  update?: KeyHandler;
  remove?: KeyHandler;
  /**
   * Runs before a GET or HEAD reads the set: its collection (`key` undefined), one entity, or a
   * navigation from one. Jobs use it to progress (a poll) or to let a running job finish first.
   */
  beforeRead?: (req: ApiRequest, services: Services, key: string | undefined) => Promise<void>;
}

const sets = new Map<string, EntitySetHandlers>([
  [Asset.set, { create: createAsset, update: updateAsset, remove: deleteAsset }],
  [AssetFile.set, { create: createFile, update: updateFile, remove: deleteFile }],
  [ContentKey.set, { create: createContentKey, update: updateContentKey, remove: deleteContentKey }],
  [AccessPolicy.set, { create: createAccessPolicy, update: updateAccessPolicy, remove: deleteAccessPolicy }],
  [Locator.set, { create: createLocator, update: updateLocator, remove: deleteLocator }],
  [MediaProcessor.set, { records: mediaProcessors }],
  [StorageAccount.set, { records: storageAccounts }],
  ...DELIVERY_AREA.sets.map(([type, handlers]): [string, EntitySetHandlers] => [type.set, handlers]),
]);

/** Actions bound to an entity (`ContentKeys('<id>')/GetKeyDeliveryUrl`), by `<set>/<name>`. */
const actions = new Map<string, KeyHandler>(DELIVERY_AREA.actions.map(([type, name, handler]) => [`${type.set}/${name}`, handler]));

const functions = new Map<string, Handler>([
  ['GetProtectionKeyId', getProtectionKeyId],
  ['GetProtectionKey', getProtectionKey],
  ['RebindContentKey', rebindContentKey],
  ['CreateFileInfos', createFileInfos],
]);

export function registerEntitySet(type: EntityTypeDef, handlers: EntitySetHandlers): void {
  sets.set(type.set, handlers);
}

export function registerFunction(name: string, handler: Handler): void {
  functions.set(name, handler);
}

/** The collection name a set's records are stored under. */
export function collectionOf(type: EntityTypeDef): string | undefined {
  return (COLLECTIONS as Record<string, string>)[type.set];
}

/** Route a parsed request to its handler. */
export async function route(req: ApiRequest, services: Services): Promise<ApiResult> {
  return present(await dispatch(req, services), req, services);
}

async function dispatch(req: ApiRequest, services: Services): Promise<ApiResult> {
  const path = req.path;
  switch (path.kind) {
    case 'serviceDocument':
      allow(req.method, ['GET', 'HEAD']);
      return { kind: 'serviceDocument', sets: ENTITY_TYPES.filter((t) => sets.has(t.set)).map((t) => t.set) };
    case 'metadata':
      allow(req.method, ['GET', 'HEAD']);
      return { kind: 'document', contentType: 'application/xml;charset=utf-8', body: metadataDocument() };
    case 'batch':
      throw notImplemented('$batch is not supported by the emulator: send the requests one by one');
    case 'function': {
      // The service declared these as GET; some clients POST CreateFileInfos or CancelJob.
      allow(req.method, ['GET', 'HEAD', 'POST']);
      const handler = functions.get(path.fn.name);
      if (!handler) throw notImplemented(`${path.fn.name} is not implemented by the emulator`);
      return handler(req, services);
    }
    case 'collection':
      return collection(req, services, path);
    case 'entity':
      return entity(req, services, path);
    case 'navigation':
      allow(req.method, ['GET', 'HEAD']);
      await handlersOf(path.type).beforeRead?.(req, services, path.key);
      return navigation(req, services, path);
    case 'links':
      return links(req, services, path);
    case 'action': {
      allow(req.method, ['POST']);
      const handler = actions.get(`${path.type.set}/${path.action.name}`);
      if (!handler) throw notImplemented(`${path.type.set}('<id>')/${path.action.name} is not implemented by the emulator`);
      return handler(req, services, path.key);
    }
  }
}

function handlersOf(type: EntityTypeDef): EntitySetHandlers {
  const handlers = sets.get(type.set);
  if (!handlers) throw notImplemented(`The entity set ${type.set} is not implemented by the emulator`);
  return handlers;
}

function recordsOf(type: EntityTypeDef, services: Services): Iterable<JsonRecord> {
  const handlers = handlersOf(type);
  if (handlers.records) return handlers.records(services);
  const collection = collectionOf(type);
  return collection ? services.store.values(collection) : [];
}

async function collection(req: ApiRequest, services: Services, path: Extract<ODataPath, { kind: 'collection' }>): Promise<ApiResult> {
  const handlers = handlersOf(path.type);
  if (req.method === 'POST') {
    if (path.count) throw methodNotAllowed('POST to $count is not allowed');
    if (!handlers.create) throw methodNotAllowed(`${path.type.set} is read-only`);
    return handlers.create(req, services);
  }
  allow(req.method, ['GET', 'HEAD', 'POST']);
  await handlers.beforeRead?.(req, services, undefined);
  const collection = handlers.records ? undefined : collectionOf(path.type);
  const records = collection ? (options: QueryOptions) => filterCandidates(services.store, path.type, collection, options.filter) : recordsOf(path.type, services);
  return query(req, services, path.type, records, path.count, path.type.set);
}

/** `records`: the set's records, or the ones a query's filter can match (from an index). */
function query(req: ApiRequest, services: Services, type: EntityTypeDef, source: Iterable<JsonRecord> | ((options: QueryOptions) => Iterable<JsonRecord>), count: boolean, selfHref: string): ApiResult {
  const options = parseQueryOptions(req.rawQuery, type, { maxTop: services.config.limits.maxPageSize });
  const records = typeof source === 'function' ? source(options) : source;
  if (count) {
    const result = applyQuery(records, { ...options, top: undefined, skip: 0, inlineCount: true }, type, Number.MAX_SAFE_INTEGER);
    return { kind: 'count', count: result.count ?? result.items.length };
  }
  const result = applyQuery(records, options, type, services.config.limits.maxPageSize);
  const select = options.select ? selectedProperties(options, type) : undefined;
  return { kind: 'feed', type, records: result.items, count: result.count, select, selfHref };
}

async function entity(req: ApiRequest, services: Services, path: Extract<ODataPath, { kind: 'entity' }>): Promise<ApiResult> {
  const handlers = handlersOf(path.type);
  switch (req.method) {
    case 'GET':
    case 'HEAD': {
      await handlers.beforeRead?.(req, services, path.key);
      const record = findRecord(path.type, path.key, services);
      if (path.property) {
        const property = path.type.properties.find((p) => p.name === path.property)!;
        return { kind: 'property', type: path.type, property, value: record[property.name], raw: path.rawValue };
      }
      const options = parseQueryOptions(req.rawQuery, path.type);
      return { kind: 'entity', type: path.type, record, status: 200, select: options.select ? selectedProperties(options, path.type) : undefined };
    }
    case 'MERGE':
    case 'PATCH':
    case 'PUT':
      if (path.property) throw methodNotAllowed('Update the entity, not one of its properties');
      if (!handlers.update) throw methodNotAllowed(`${path.type.set} is read-only`);
      return handlers.update(req, services, path.key);
    case 'DELETE':
      if (path.property) throw methodNotAllowed('Delete the entity, not one of its properties');
      if (!handlers.remove) throw methodNotAllowed(`${path.type.set} is read-only`);
      return handlers.remove(req, services, path.key);
    default:
      throw methodNotAllowed(`${req.method} is not allowed on an entity; use GET, MERGE or DELETE`);
  }
}

function findRecord(type: EntityTypeDef, key: string, services: Services): JsonRecord {
  checkKey(type, key);
  const collection = collectionOf(type);
  const record = collection
    ? services.store.get(collection, canonicalId(type, key))
    : [...recordsOf(type, services)].find((r) => String(r[type.key]).toLowerCase() === key.toLowerCase());
  if (!record) throw notFound(`No ${type.name} with ${type.key} '${key}' was found`);
  return record;
}

function navigation(req: ApiRequest, services: Services, path: Extract<ODataPath, { kind: 'navigation' }>): ApiResult {
  const source = findRecord(path.type, path.key, services);
  const resolver = resolveNavigation(path.type, path.nav);
  if (!resolver) throw notImplemented(`${path.type.set}('<id>')/${path.nav.name} is not implemented by the emulator`);
  const related = resolver(services.store, source, services);
  const target = ENTITY_TYPES.find((t) => t.set === path.nav.target)!;
  if (!path.nav.many) {
    const record = related[0];
    if (!record) throw notFound(`${path.type.name} '${path.key}' has no ${path.nav.name}`);
    return { kind: 'entity', type: target, record, status: 200 };
  }
  return query(req, services, target, related, path.count, `${entityPath(path.type, String(source[path.type.key]))}/${path.nav.name}`);
}

function links(req: ApiRequest, services: Services, path: Extract<ODataPath, { kind: 'links' }>): ApiResult | Promise<ApiResult> {
  const area = DELIVERY_AREA.links.find(([type, nav]) => type === path.type && nav === path.nav.name);
  if (area) return area[2](req, services, path);
  if (path.type !== Asset) throw badRequest(`$links on ${path.type.set} are not supported: the emulator links Assets to ContentKeys only`);
  // A malformed id anywhere in the request is a 400 before any lookup, as the service answered:
  // 404 is only for a well-formed id that names nothing.
  checkKey(path.type, path.key);
  const target = entityTypeOfSet(path.nav.target);
  if (target && path.targetKey !== undefined) checkKey(target, path.targetKey);
  switch (req.method) {
    case 'GET':
    case 'HEAD':
      return listAssetKeyLinks(req, services, path.key, path.nav, path.targetKey);
    case 'POST':
      if (path.targetKey !== undefined) throw badRequest("POST the link to Assets('<id>')/$links/ContentKeys with the key's URI in the body");
      return addAssetKeyLink(req, services, path.key, path.nav);
    case 'DELETE':
      return removeAssetKeyLink(req, services, path.key, path.nav, path.targetKey);
    default:
      throw methodNotAllowed(`${req.method} is not allowed on $links; use GET, POST or DELETE`);
  }
}

function allow(method: HttpMethod, allowed: readonly HttpMethod[]): void {
  if (!allowed.includes(method)) throw methodNotAllowed(`${method} is not allowed here; allowed: ${allowed.join(', ')}`);
}

let metadataCache: string | undefined;
function metadataDocument(): string {
  metadataCache ??= writeMetadataDocument(ENTITY_TYPES, FUNCTIONS);
  return metadataCache;
}
