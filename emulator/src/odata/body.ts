import { entityTypeOfSet, propertyOf, type EntityTypeDef, type PropertyDef } from './edm.js';
import { badRequest, unsupportedMediaType } from './errors.js';
import { bodyCharset, bodyFormat } from './format.js';
import { toCanonical, type CanonicalValue } from './values.js';
import { checkPropertyLength } from './property-limits.js';
import { truncate } from './uri.js';
import { readAtomEntry, readLinkUri, type AtomEntryBody } from './atom/index.js';

/**
 * A request body for an entity (create, MERGE, PUT), whatever the wire format, reduced to what the
 * resources need: canonical property values and navigation bindings. Server-owned properties the
 * client sent (the .NET SDK sends all of them, with defaults) are dropped here, once.
 */
export interface EntityBody {
  values: Map<string, CanonicalValue>;
  /** Navigation bindings: Atom `related` links, verbose `{"__metadata":{"uri"}}`, `Nav@odata.bind`. */
  bindings: { navigation: string; reference: string }[];
  /** Server-owned properties that were present and ignored. */
  ignored: string[];
  /**
   * New entities sent inside the body (deep insert: a job's Tasks), per navigation, in the order
   * sent; only for the navigations the caller allowed (`BodyOptions.inline`), else always empty.
   */
  inline: { navigation: string; entries: EntityBody[] }[];
}

export interface BodyLimits {
  maxDepth: number;
}

export interface BodyOptions {
  /**
   * Navigation properties that may carry new entities inline: JSON objects without
   * `__metadata.uri`, Atom `<m:inline>` content. Any other navigation must bind by URL (400 otherwise).
   */
  inline?: readonly string[];
}

export function readEntityBody(raw: Buffer, contentType: string | undefined, type: EntityTypeDef, limits: BodyLimits, options: BodyOptions = {}): EntityBody {
  const kind = detect(raw, contentType);
  const inline = new Set(options.inline ?? []);
  if (kind === 'xml') return fromAtomEntry(readAtomEntry(raw, type, { maxDepth: limits.maxDepth }, { inline: [...inline] }), type);
  return fromJson(parseJsonObject(raw, contentType, limits), type, inline);
}

/** The `$links` body: `{"uri": "..."}` (JSON) or `<uri xmlns="...">...</uri>` (XML). */
export function readLinkBody(raw: Buffer, contentType: string | undefined, limits: BodyLimits): string {
  const kind = detect(raw, contentType);
  if (kind === 'xml') return readLinkUri(raw, { maxDepth: limits.maxDepth });
  const body = unwrapVerbose(parseJsonObject(raw, contentType, limits));
  const uri = body['uri'] ?? body['url'] ?? (body['__metadata'] as { uri?: unknown } | undefined)?.uri;
  if (typeof uri !== 'string' || uri.trim() === '') throw badRequest('The $links body must be {"uri": "https://<host>/api/<Set>(\'<id>\')"}');
  return uri;
}

/** A JSON body that must be an object (function bodies, emulator endpoints). */
export function parseJsonObject(raw: Buffer, contentType: string | undefined, limits: BodyLimits): Record<string, unknown> {
  const text = decodeText(raw, contentType);
  if (text.trim() === '') throw badRequest('The request body is empty; a JSON object was expected');
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw badRequest(`The request body is not valid JSON: ${(err as Error).message}`);
  }
  checkDepth(value, limits.maxDepth);
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw badRequest('The request body must be a JSON object');
  return value as Record<string, unknown>;
}

function detect(raw: Buffer, contentType: string | undefined): 'json' | 'xml' {
  const declared = bodyFormat(contentType);
  if (declared === 'json' || declared === 'xml') return declared;
  if (declared === 'other' || declared === 'form') {
    throw unsupportedMediaType(`Content-Type ${truncate(contentType ?? '', 80)} is not supported: send application/json, application/json;odata=verbose or application/atom+xml`);
  }
  // No Content-Type: look at the first non-blank byte, as lenient servers did.
  for (const byte of raw) {
    if (byte === 0x20 || byte === 0x09 || byte === 0x0a || byte === 0x0d || byte === 0xef || byte === 0xbb || byte === 0xbf) continue;
    return byte === 0x3c /* < */ ? 'xml' : 'json';
  }
  return 'json';
}

function decodeText(raw: Buffer, contentType: string | undefined): string {
  const charset = bodyCharset(contentType);
  if (charset !== 'utf-8' && charset !== 'utf8' && charset !== 'us-ascii') {
    throw unsupportedMediaType(`charset=${charset} is not supported: send the body in UTF-8`);
  }
  try {
    return new TextDecoder('utf-8', { fatal: true, ignoreBOM: false }).decode(raw);
  } catch {
    throw badRequest('The request body is not valid UTF-8');
  }
}

/** Iterative, so a hostile 100k-deep array cannot overflow the stack. */
export function checkDepth(value: unknown, maxDepth: number): void {
  const stack: [unknown, number][] = [[value, 1]];
  while (stack.length > 0) {
    const [v, depth] = stack.pop()!;
    if (typeof v !== 'object' || v === null) continue;
    if (depth > maxDepth) throw badRequest(`The request body nests deeper than ${maxDepth} levels`);
    for (const child of Array.isArray(v) ? v : Object.values(v)) stack.push([child, depth + 1]);
  }
}

function unwrapVerbose(body: Record<string, unknown>): Record<string, unknown> {
  const keys = Object.keys(body);
  if (keys.length === 1 && keys[0] === 'd' && typeof body['d'] === 'object' && body['d'] !== null && !Array.isArray(body['d'])) {
    return body['d'] as Record<string, unknown>;
  }
  return body;
}

const NO_INLINE: ReadonlySet<string> = new Set();

function fromJson(raw: Record<string, unknown>, type: EntityTypeDef, inline: ReadonlySet<string>): EntityBody {
  const body = unwrapVerbose(raw);
  const out: EntityBody = { values: new Map(), bindings: [], ignored: [], inline: [] };
  for (const [name, value] of Object.entries(body)) {
    if (name === '__metadata' || name.startsWith('odata.') || name.startsWith('@odata.')) continue;
    const bind = /^(.+)@odata\.bind$/.exec(name);
    if (bind) {
      addBindings(out, type, bind[1]!, value, (v) => (typeof v === 'string' ? v : undefined));
      continue;
    }
    if (name.includes('@')) continue; // other instance annotations
    const nav = type.navigation.find((n) => n.name === name);
    if (nav) {
      const target = entityTypeOfSet(nav.target)!;
      const entries: EntityBody[] = [];
      addBindings(out, type, nav.name, value, (v) => {
        const meta = typeof v === 'object' && v !== null ? (v as { __metadata?: { uri?: unknown } }).__metadata : undefined;
        if (typeof meta?.uri === 'string') return meta.uri;
        // An object that names no entity is a new one (deep insert), where the caller allows it.
        if (inline.has(nav.name) && typeof v === 'object' && v !== null && !Array.isArray(v)) {
          entries.push(fromJson(v as Record<string, unknown>, target, NO_INLINE));
          return null;
        }
        return undefined;
      });
      if (entries.length > 0) out.inline.push({ navigation: nav.name, entries });
      continue;
    }
    const property = propertyOf(type, name);
    if (!property) throw unknownProperty(type, name);
    if (property.serverOwned) {
      out.ignored.push(name);
      continue;
    }
    setValue(out, type, property, value);
  }
  return out;
}

/**
 * WCF Data Services clients (the .NET SDK) write every property of the entity: `m:null` on a
 * non-nullable property and DateTime.MinValue (`0001-01-01T00:00:00`) mean "not set", not a value.
 */
function setValue(out: EntityBody, type: EntityTypeDef, property: PropertyDef, value: unknown): void {
  if (value === null && !property.nullable) return;
  if (property.type === 'Edm.DateTime' && typeof value === 'string' && /^0001-01-01(?:[T ]00:00:00(?:\.0+)?)?(?:Z|[+-]00:?00)?$/.test(value.trim())) return;
  setChecked(out, type, property, toCanonical(property, value));
}

/** Every stored value passes here: the length bounds keep the state saveable (property-limits.ts). */
function setChecked(out: EntityBody, type: EntityTypeDef, property: PropertyDef, value: CanonicalValue): void {
  checkPropertyLength(type, property, value);
  out.values.set(property.name, value);
}

/** `referenceOf` gives the URL an item binds, undefined for an item that is not a binding (400), null for one it consumed otherwise. */
function addBindings(out: EntityBody, type: EntityTypeDef, navigation: string, value: unknown, referenceOf: (v: unknown) => string | null | undefined): void {
  if (!type.navigation.some((n) => n.name === navigation)) throw unknownProperty(type, navigation);
  // `{"__deferred": ...}` echoed back by a client is not a binding.
  if (typeof value === 'object' && value !== null && !Array.isArray(value) && '__deferred' in value) return;
  const items = Array.isArray(value)
    ? value
    : typeof value === 'object' && value !== null && Array.isArray((value as { results?: unknown }).results)
      ? (value as { results: unknown[] }).results
      : [value];
  for (const item of items) {
    const reference = referenceOf(item);
    if (reference === null) continue;
    if (reference === undefined) throw badRequest(`The navigation property '${navigation}' must bind entities by URL: {"__metadata":{"uri":"..."}} (verbose) or "${navigation}@odata.bind": "..."`);
    out.bindings.push({ navigation, reference });
  }
}

function fromAtomEntry(entry: AtomEntryBody, type: EntityTypeDef): EntityBody {
  const out: EntityBody = {
    values: new Map(),
    bindings: entry.links.map((l) => ({ navigation: l.navigation, reference: l.href })),
    ignored: [],
    inline: (entry.inline ?? [])
      .filter(({ entries }) => entries.length > 0)
      .map(({ navigation, entries }) => {
        const target = entityTypeOfSet(type.navigation.find((n) => n.name === navigation)!.target)!;
        return { navigation, entries: entries.map((e) => fromAtomEntry(e, target)) };
      }),
  };
  for (const [name, value] of Object.entries(entry.properties)) {
    const property = propertyOf(type, name);
    if (!property) throw unknownProperty(type, name);
    if (property.serverOwned) {
      out.ignored.push(name);
      continue;
    }
    if ('elements' in value) {
      setChecked(out, type, property, toCanonical(property, value.elements));
    } else if ('tree' in value) {
      setValue(out, type, property, value.tree);
    } else {
      setValue(out, type, property, value.text === null ? null : property.type === 'Edm.String' ? value.text : value.text.trim());
    }
  }
  for (const binding of out.bindings) {
    if (!type.navigation.some((n) => n.name === binding.navigation)) throw unknownProperty(type, binding.navigation);
  }
  return out;
}

function unknownProperty(type: EntityTypeDef, name: string): Error {
  return badRequest(`Parsing request content failed due to: Make sure to only use property names that are defined by the type. '${truncate(name, 60)}' is not a property of ${type.name}`);
}

/** Navigation bindings of one name resolved to keys of the expected set (400 on the wrong set). */
export function boundKeys(body: EntityBody, navigation: string, target: EntityTypeDef, resolve: (reference: string) => { type: EntityTypeDef; key: string }): string[] {
  const keys: string[] = [];
  for (const binding of body.bindings) {
    if (binding.navigation !== navigation) continue;
    const ref = resolve(binding.reference);
    if (ref.type !== target) throw badRequest(`The '${navigation}' link must point to ${target.set}, not ${ref.type.set}`);
    keys.push(ref.key);
  }
  return keys;
}

export function stringValue(values: ReadonlyMap<string, CanonicalValue>, name: string): string | undefined {
  const v = values.get(name);
  return typeof v === 'string' ? v : undefined;
}

export function numberValue(values: ReadonlyMap<string, CanonicalValue>, name: string): number | undefined {
  const v = values.get(name);
  return typeof v === 'number' ? v : undefined;
}
