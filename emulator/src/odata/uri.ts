import { parseNbId, CryptoInputError } from '../../../client/src/crypto/index.js';
import {
  entitySetLike,
  entityTypeOfSet,
  FUNCTIONS,
  navigationOf,
  propertyOf,
  entityActionOf,
  type EntityActionDef,
  type EntityTypeDef,
  type FunctionDef,
  type NavigationDef,
} from './edm.js';
import { badRequest, notFound } from './errors.js';
import { isStructured, structureName } from './property-types.js';

/**
 * Request paths under the service root, parsed. Real clients send odd shapes (percent-encoded
 * quotes and colons in keys, `//`, a wholly percent-encoded path from amspy), so the path is
 * decoded once and `//` collapsed before it is parsed; quoted keys are tokenised, not split on `/`.
 */
export type ODataPath =
  | { kind: 'serviceDocument' }
  | { kind: 'metadata' }
  | { kind: 'batch' }
  | { kind: 'function'; fn: FunctionDef }
  | { kind: 'collection'; type: EntityTypeDef; count: boolean }
  | { kind: 'entity'; type: EntityTypeDef; key: string; property?: string; rawValue: boolean }
  | { kind: 'navigation'; type: EntityTypeDef; key: string; nav: NavigationDef; count: boolean }
  | { kind: 'links'; type: EntityTypeDef; key: string; nav: NavigationDef; targetKey?: string }
  | { kind: 'action'; type: EntityTypeDef; key: string; action: EntityActionDef };

/** A path a resource handler serves: every kind but `$batch`, which the HTTP layer runs itself. */
export type ResourcePath = Exclude<ODataPath, { kind: 'batch' }>;

/** Percent-decode a whole path once; a malformed escape is the client's mistake (400). */
export function decodePath(rawPath: string): string {
  let decoded: string;
  try {
    decoded = decodeURIComponent(rawPath);
  } catch {
    throw badRequest(`The request path is not valid percent-encoding: ${truncate(rawPath)}`);
  }
  return decoded.replace(/\/{2,}/g, '/');
}

/**
 * The path below the service root, or undefined when the path is not under `/api`. The `api`
 * segment is matched case-insensitively (amspy sends `API%2F...`).
 */
export function pathBelowServiceRoot(decodedPath: string): string | undefined {
  const trimmed = decodedPath.replace(/^\/+/, '');
  const m = /^api(?:\/|$)/i.exec(trimmed);
  if (!m) return undefined;
  return trimmed.slice(m[0].length);
}

/** Parse the path below `/api/` (already decoded, no query string). */
export function parseODataPath(below: string): ODataPath {
  const segments = splitSegments(below);
  if (segments.length === 0) return { kind: 'serviceDocument' };
  const [first, ...rest] = segments;
  if (first === '$metadata' && rest.length === 0) return { kind: 'metadata' };
  if (first === '$batch' && rest.length === 0) return { kind: 'batch' };

  const head = parseSegment(first!);
  const fn = FUNCTIONS.find((f) => f.name === head.name);
  if (fn) {
    if (head.key !== undefined || rest.length > 0) throw badRequest(`${fn.name} takes its parameters in the query string: ${fn.name}?${fn.parameters.map((p) => `${p.name}=...`).join('&')}`);
    return { kind: 'function', fn };
  }
  const type = entityTypeOfSet(head.name);
  if (!type) throw unknownResource(head.name);

  if (head.key === undefined) {
    if (rest.length === 0) return { kind: 'collection', type, count: false };
    if (rest.length === 1 && rest[0] === '$count') return { kind: 'collection', type, count: true };
    throw badRequest(`Segments after ${type.set} need an entity key first: ${type.set}('<id>')/${rest.join('/')}`);
  }
  const key = head.key;
  if (rest.length === 0) return { kind: 'entity', type, key, rawValue: false };

  const [second, ...more] = rest;
  if (second === '$links') {
    if (more.length !== 1) throw badRequest(`A $links path names one navigation property: ${type.set}('<id>')/$links/<Navigation>`);
    const target = parseSegment(more[0]!);
    const nav = navigationOf(type, target.name);
    if (!nav) throw badRequest(`${type.name} has no navigation property '${target.name}'${suggest(type.navigation.map((n) => n.name))}`);
    return { kind: 'links', type, key, nav, targetKey: target.key };
  }
  const segment = parseSegment(second!);
  const nav = navigationOf(type, segment.name);
  if (nav) {
    if (segment.key !== undefined) throw badRequest(`Address the entity directly instead of through ${type.set}('<id>')/${nav.name}(...): ${nav.target}(${quote(segment.key)})`);
    if (more.length === 0) return { kind: 'navigation', type, key, nav, count: false };
    if (more.length === 1 && more[0] === '$count' && nav.many) return { kind: 'navigation', type, key, nav, count: true };
    throw badRequest(`Unsupported path after ${type.set}('<id>')/${nav.name}: /${more.join('/')}`);
  }
  const action = entityActionOf(type, segment.name);
  if (action && segment.key === undefined && more.length === 0) return { kind: 'action', type, key, action };
  const property = propertyOf(type, segment.name);
  if (property && segment.key === undefined) {
    if (more.length === 0) return { kind: 'entity', type, key, property: property.name, rawValue: false };
    if (more.length === 1 && more[0] === '$value') {
      if (isStructured(property)) throw badRequest(`${type.name}.${property.name} is ${structureName(property)}, which has no raw $value: GET ${type.set}('<id>')/${property.name}`);
      return { kind: 'entity', type, key, property: property.name, rawValue: true };
    }
  }
  throw badRequest(`${type.name} has no property or navigation property '${segment.name}'${suggest([...type.navigation.map((n) => n.name), ...type.properties.map((p) => p.name)])}`);
}

/** Keys are checked and made canonical by the model, which stores records under that form. */
export { canonicalId, checkKey } from '../model/ids.js';

/**
 * Resolve an entity URL given in a body (`$links` uri, `__metadata.uri`, `@odata.bind`) to its set
 * and key. The host is ignored: the docs' own example points at another host than the request.
 */
export function resolveEntityReference(reference: string): { type: EntityTypeDef; key: string } {
  let path = reference.trim();
  const abs = /^[a-z][a-z0-9+.-]*:\/\/[^/]*(\/.*)?$/i.exec(path);
  if (abs) path = abs[1] ?? '/';
  const query = path.indexOf('?');
  if (query >= 0) path = path.slice(0, query);
  const decoded = closeUnterminatedKey(decodePath(path));
  const below = pathBelowServiceRoot(decoded) ?? decoded.replace(/^\/+/, '');
  let parsed: ODataPath;
  try {
    parsed = parseODataPath(below);
  } catch {
    throw badRequest(`The entity reference ${JSON.stringify(truncate(reference))} is not an entity URL such as https://host/api/ContentKeys('<id>')`);
  }
  if (parsed.kind !== 'entity' || parsed.property) {
    throw badRequest(`The entity reference ${JSON.stringify(truncate(reference))} does not address a single entity: use <Set>('<id>')`);
  }
  return { type: parsed.type, key: parsed.key };
}

/** The Java SDK writes OutputMediaAssets links as `Assets('<id>'`, without the closing parenthesis. */
function closeUnterminatedKey(path: string): string {
  const last = path.slice(path.lastIndexOf('/') + 1);
  return last.endsWith("'") && last.indexOf("('") > 0 && !last.includes(')') ? `${path})` : path;
}

interface Segment {
  name: string;
  key?: string;
}

/** Split on '/' outside quoted literals. */
function splitSegments(path: string): string[] {
  const out: string[] = [];
  let current = '';
  let inQuote = false;
  for (let i = 0; i < path.length; i++) {
    const c = path[i]!;
    if (c === "'") {
      if (inQuote && path[i + 1] === "'") {
        current += "''";
        i++;
        continue;
      }
      inQuote = !inQuote;
    }
    if (c === '/' && !inQuote) {
      if (current !== '') out.push(current);
      current = '';
      continue;
    }
    current += c;
  }
  if (inQuote) throw badRequest(`Unterminated quoted key in the request path: ${truncate(path)}`);
  if (current !== '') out.push(current);
  return out;
}

/** `Name`, `Name()`, `Name('key')`, `Name(Id='key')`. */
function parseSegment(segment: string): Segment {
  const open = segment.indexOf('(');
  if (open < 0) return { name: segment };
  if (!segment.endsWith(')')) throw badRequest(`Malformed path segment ${JSON.stringify(truncate(segment))}: expected Name('key')`);
  const name = segment.slice(0, open);
  let inner = segment.slice(open + 1, -1).trim();
  if (inner === '') return { name };
  const named = /^([A-Za-z_][A-Za-z0-9_]*)\s*=\s*/.exec(inner);
  if (named) inner = inner.slice(named[0].length);
  // An Edm.Guid key is a typed literal (`EncodingReservedUnitTypes(guid'…')`); checkKey checks its form.
  const guid = /^guid(?=')/i.exec(inner);
  if (guid) inner = inner.slice(guid[0].length);
  if (!(inner.length >= 2 && inner.startsWith("'") && inner.endsWith("'"))) {
    throw badRequest(`The key in ${JSON.stringify(truncate(segment))} must be a quoted string, e.g. ${name}('nb:cid:UUID:...')`);
  }
  const body = inner.slice(1, -1);
  if (/(^|[^'])'($|[^'])/.test(body.replace(/''/g, ''))) {
    throw badRequest(`Malformed key literal in ${JSON.stringify(truncate(segment))}: a quote inside a key is written ''`);
  }
  return { name, key: body.replace(/''/g, "'") };
}

function unknownResource(name: string) {
  const like = entitySetLike(name) ?? undefined;
  const fnLike = FUNCTIONS.find((f) => f.name.toLowerCase() === name.toLowerCase());
  const hint = like ? ` (did you mean '${like.set}'? names are case-sensitive)` : fnLike ? ` (did you mean '${fnLike.name}'?)` : '';
  return notFound(`Resource not found for the segment '${truncate(name)}'${hint}`);
}

function suggest(names: string[]): string {
  return names.length > 0 && names.length <= 20 ? `; valid: ${names.join(', ')}` : '';
}

function quote(key: string): string {
  return `'${key.replace(/'/g, "''")}'`;
}

export function truncate(text: string, max = 120): string {
  return text.length > max ? `${text.slice(0, max)}...` : text;
}
