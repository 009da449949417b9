import { Asset, ENTITY_ACTIONS, ENTITY_TYPES, entityTypeOfSet, FUNCTIONS, type EntityTypeDef, type NavigationDef } from '../odata/edm.js';
import { badRequest, methodNotAllowed, notFound, notImplemented } from '../odata/errors.js';
import { applyQuery, parseQueryOptions, selectedProperties, type QueryOptions } from '../odata/query/index.js';
import { canonicalId, checkKey, type ResourcePath } from '../odata/uri.js';
import { entityPath, entityUrl } from '../odata/urls.js';
import { writeMetadataDocument } from '../odata/metadata-document.js';
import { collectionOfSet } from '../model/collections.js';
import type { JsonRecord, StoreReader } from '../store/types.js';
import type { Services } from '../app/services.js';
import type { ApiRequest, ApiResult, HttpMethod } from './context.js';
import { addAssetKeyLink, listAssetKeyLinks, removeAssetKeyLink } from './links.js';
import { present } from './present.js';
import { filterCandidates } from './query-plan.js';

export type Handler = (req: ApiRequest, services: Services) => ApiResult | Promise<ApiResult>;
export type KeyHandler = (req: ApiRequest, services: Services, key: string) => ApiResult | Promise<ApiResult>;

/** What an entity set supports beyond reading. */
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

/** Records a navigation property leads to from one entity. */
export type NavigationResolver = (reader: StoreReader, source: JsonRecord, services: Services) => JsonRecord[];

export interface EntitySetRoute {
  type: EntityTypeDef;
  handlers: EntitySetHandlers;
}
export interface FunctionRoute {
  name: string;
  handler: Handler;
}
export interface NavigationRoute {
  type: EntityTypeDef;
  nav: string;
  resolve: NavigationResolver;
}
/**
 * An action bound to one entity, `POST <Set>('<id>')/<name>` (`ContentKeys('…')/GetKeyDeliveryUrl`):
 * the URI parser knows it from `odata/edm.ts` ENTITY_ACTIONS; the handler gets the entity's key
 * as written in the URL and reads its parameters itself.
 */
export interface ActionRoute {
  type: EntityTypeDef;
  name: string;
  handler: KeyHandler;
}
/** `<Set>('…')/$links/<nav>` served by an area's own link handlers (Asset -> ContentKeys is the router's own). */
export interface LinkRoute {
  type: EntityTypeDef;
  nav: string;
  handler: LinkHandler;
}
export type LinkHandler = (req: ApiRequest, services: Services, path: Extract<ResourcePath, { kind: 'links' }>) => ApiResult | Promise<ApiResult>;

/** What one emulator serves under `/api/`: given whole to `createApiRouter`, never added to later. */
export interface ApiRoutes {
  sets: readonly EntitySetRoute[];
  functions: readonly FunctionRoute[];
  navigations: readonly NavigationRoute[];
  /** Entity-bound actions; an emulator without any leaves it out. */
  actions?: readonly ActionRoute[];
  /** `$links` of navigations beyond Assets -> ContentKeys. */
  links?: readonly LinkRoute[];
}

export interface ApiRouter {
  /** Route a parsed request to its handler and present the result. */
  route(req: ApiRequest, services: Services): Promise<ApiResult>;
  /** The resolver of a navigation property, or undefined when the emulator does not serve it. */
  navigation(type: EntityTypeDef, nav: NavigationDef): NavigationResolver | undefined;
}

/**
 * The router of one emulator, over exactly the routes it is given (`app/compose.ts` lists them).
 * Two emulators in one process each have their own: nothing here is shared or registered later.
 */
export function createApiRouter(routes: ApiRoutes): ApiRouter {
  const table: RouteTable = {
    sets: uniqueMap(routes.sets.map((r) => [r.type.set, r.handlers]), 'entity set'),
    functions: uniqueMap(routes.functions.map((r) => [r.name, r.handler]), 'function'),
    navigations: uniqueMap(routes.navigations.map((r) => [`${r.type.set}/${r.nav}`, r.resolve]), 'navigation'),
    actions: uniqueMap((routes.actions ?? []).map((r) => [`${r.type.set}/${r.name}`, r.handler]), 'action'),
    links: uniqueMap((routes.links ?? []).map((r) => [`${r.type.set}/${r.nav}`, r.handler]), '$links route'),
    metadata: undefined,
  };
  return {
    route: async (req, services) => present(await dispatch(table, req, services), req, services),
    navigation: (type, nav) => table.navigations.get(`${type.set}/${nav.name}`),
  };
}

interface RouteTable {
  sets: ReadonlyMap<string, EntitySetHandlers>;
  functions: ReadonlyMap<string, Handler>;
  navigations: ReadonlyMap<string, NavigationResolver>;
  /** By `<set>/<action name>`. */
  actions: ReadonlyMap<string, KeyHandler>;
  /** By `<set>/<navigation name>`. */
  links: ReadonlyMap<string, LinkHandler>;
  /** The $metadata document, written on first request. */
  metadata: string | undefined;
}

/** A composition that names one route twice is a programming error: fail at start-up, not on a request. */
function uniqueMap<V>(entries: [string, V][], what: string): ReadonlyMap<string, V> {
  const map = new Map<string, V>();
  for (const [name, value] of entries) {
    if (map.has(name)) throw new Error(`the ${what} ${name} is routed twice`);
    map.set(name, value);
  }
  return map;
}

/** The collection name a set's records are stored under. */
export function collectionOf(type: EntityTypeDef): string | undefined {
  return collectionOfSet(type.set);
}

async function dispatch(table: RouteTable, req: ApiRequest, services: Services): Promise<ApiResult> {
  const path = req.path;
  switch (path.kind) {
    case 'serviceDocument':
      allow(req.method, ['GET', 'HEAD']);
      return { kind: 'serviceDocument', sets: ENTITY_TYPES.filter((t) => table.sets.has(t.set)).map((t) => t.set) };
    case 'metadata':
      allow(req.method, ['GET', 'HEAD']);
      table.metadata ??= writeMetadataDocument(ENTITY_TYPES, FUNCTIONS, ENTITY_ACTIONS);
      return { kind: 'document', contentType: 'application/xml;charset=utf-8', body: table.metadata };
    case 'function': {
      // The service declared these as GET; some clients POST CreateFileInfos or CancelJob.
      allow(req.method, ['GET', 'HEAD', 'POST']);
      const handler = table.functions.get(path.fn.name);
      if (!handler) throw notImplemented(`${path.fn.name} is not implemented by the emulator`);
      return handler(req, services);
    }
    case 'collection':
      return collection(table, req, services, path);
    case 'entity':
      return entity(table, req, services, path);
    case 'navigation':
      allow(req.method, ['GET', 'HEAD']);
      await handlersOf(table, path.type).beforeRead?.(req, services, path.key);
      return navigation(table, req, services, path);
    case 'links':
      return links(table, req, services, path);
    case 'action': {
      allow(req.method, ['POST']);
      const handler = table.actions.get(`${path.type.set}/${path.action.name}`);
      if (!handler) throw notImplemented(`${path.type.set}('<id>')/${path.action.name} is not implemented by the emulator`);
      return handler(req, services, path.key);
    }
  }
}

function handlersOf(table: RouteTable, type: EntityTypeDef): EntitySetHandlers {
  const handlers = table.sets.get(type.set);
  if (!handlers) throw notImplemented(`The entity set ${type.set} is not implemented by the emulator`);
  return handlers;
}

function recordsOf(table: RouteTable, type: EntityTypeDef, services: Services): Iterable<JsonRecord> {
  const handlers = handlersOf(table, type);
  if (handlers.records) return handlers.records(services);
  const collection = collectionOf(type);
  return collection ? services.store.values(collection) : [];
}

async function collection(table: RouteTable, req: ApiRequest, services: Services, path: Extract<ResourcePath, { kind: 'collection' }>): Promise<ApiResult> {
  const handlers = handlersOf(table, path.type);
  if (req.method === 'POST') {
    if (path.count) throw methodNotAllowed('POST to $count is not allowed');
    if (!handlers.create) throw methodNotAllowed(`${path.type.set} is read-only`);
    return handlers.create(req, services);
  }
  allow(req.method, ['GET', 'HEAD', 'POST']);
  await handlers.beforeRead?.(req, services, undefined);
  const collection = handlers.records ? undefined : collectionOf(path.type);
  const records = collection ? (options: QueryOptions) => filterCandidates(services.store, path.type, collection, options.filter) : recordsOf(table, path.type, services);
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

async function entity(table: RouteTable, req: ApiRequest, services: Services, path: Extract<ResourcePath, { kind: 'entity' }>): Promise<ApiResult> {
  const handlers = handlersOf(table, path.type);
  switch (req.method) {
    case 'GET':
    case 'HEAD': {
      await handlers.beforeRead?.(req, services, path.key);
      const record = findRecord(table, path.type, path.key, services);
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

function findRecord(table: RouteTable, type: EntityTypeDef, key: string, services: Services): JsonRecord {
  checkKey(type, key);
  const collection = collectionOf(type);
  const record = collection
    ? services.store.get(collection, canonicalId(type, key))
    : [...recordsOf(table, type, services)].find((r) => String(r[type.key]).toLowerCase() === key.toLowerCase());
  if (!record) throw notFound(`No ${type.name} with ${type.key} '${key}' was found`);
  return record;
}

function navigation(table: RouteTable, req: ApiRequest, services: Services, path: Extract<ResourcePath, { kind: 'navigation' }>): ApiResult {
  const source = findRecord(table, path.type, path.key, services);
  const resolver = table.navigations.get(`${path.type.set}/${path.nav.name}`);
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

function links(table: RouteTable, req: ApiRequest, services: Services, path: Extract<ResourcePath, { kind: 'links' }>): ApiResult | Promise<ApiResult> {
  const handler = table.links.get(`${path.type.set}/${path.nav.name}`);
  if (handler) return handler(req, services, path);
  // A malformed id anywhere in the request is a 400 before any lookup, as the service answered:
  // 404 is only for a well-formed id that names nothing.
  checkKey(path.type, path.key);
  const target = entityTypeOfSet(path.nav.target);
  if (target && path.targetKey !== undefined) checkKey(target, path.targetKey);
  if (path.type !== Asset || path.nav.name !== 'ContentKeys') return derivedLinks(table, req, services, path, target);
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

/**
 * `$links` of a navigation the model derives rather than keeps as a link (an asset's ParentAssets,
 * Files or Locators, a job's Tasks): GET lists the related entities' URIs, as WCF Data Services
 * answered `$links` of any navigation property. They change only through the entities themselves,
 * so nothing else is allowed.
 */
async function derivedLinks(
  table: RouteTable,
  req: ApiRequest,
  services: Services,
  path: Extract<ResourcePath, { kind: 'links' }>,
  target: EntityTypeDef | undefined,
): Promise<ApiResult> {
  const resolver = table.navigations.get(`${path.type.set}/${path.nav.name}`);
  if (!resolver || !target) throw notImplemented(`${path.type.set}('<id>')/$links/${path.nav.name} is not implemented by the emulator`);
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    throw methodNotAllowed(`${path.type.set}('<id>')/$links/${path.nav.name} can only be read (GET): these links follow from the ${path.nav.target} themselves`);
  }
  await handlersOf(table, path.type).beforeRead?.(req, services, path.key);
  const source = findRecord(table, path.type, path.key, services);
  let ids = resolver(services.store, source, services).map((record) => String(record[target.key]));
  if (path.targetKey !== undefined) {
    const wanted = canonicalId(target, path.targetKey);
    ids = ids.filter((id) => canonicalId(target, id) === wanted);
    if (ids.length === 0) throw notFound(`The ${target.name} '${path.targetKey}' is not among the ${path.nav.name} of the ${path.type.name} '${path.key}'`);
  }
  const single = path.targetKey !== undefined || !path.nav.many;
  if (single && ids.length === 0) throw notFound(`${path.type.name} '${path.key}' has no ${path.nav.name}`);
  return { kind: 'links', type: path.type, nav: path.nav, uris: ids.map((id) => entityUrl(req.serviceRoot, target, id)), single };
}

function allow(method: HttpMethod, allowed: readonly HttpMethod[]): void {
  if (!allowed.includes(method)) throw methodNotAllowed(`${method} is not allowed here; allowed: ${allowed.join(', ')}`);
}
