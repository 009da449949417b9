import {
  ATOM_NS,
  DATA_NS,
  METADATA_NS,
  RELATED_REL,
  SCHEME_URI,
  qualifiedName,
  type ComplexTypeDef,
  type EntityTypeDef,
  type PropertyDef,
} from '../edm.js';
import { entityPath, entityUrl } from '../urls.js';
import { canonicalDateTime, formatAtomUpdated, formatEdmValue } from './edm-text.js';
import { el, serializeDocument, type XmlElementNode, type XmlNode } from './xml-writer.js';

/**
 * Atom entries and feeds as the service wrote them (captured .NET SDK traffic, NET/LOG): Atom as
 * the default namespace, `d:`/`m:` prefixes, `xml:base` on the root, relative `edit` and
 * navigation hrefs, properties in model order with `m:type` on every non-string.
 */

export interface AtomWriteContext {
  /** `http://127.0.0.1:10010/api/`, following the request's Host; a missing final `/` is added. */
  serviceRoot: string;
  /** The time for `<updated>` where the record has no LastModified; defaults to the current time. */
  now?: Date;
}

export interface AtomEntryOptions {
  /** `$select`: only these properties (and navigation links); `*` selects everything. */
  select?: readonly string[];
}

export interface AtomFeedOptions extends AtomEntryOptions {
  /** `$inlinecount=allpages`: written as `<m:count>`. */
  count?: number;
  /** The feed's own path under the service root: `Assets`, `Assets('..')/Files`. Defaults to the set. */
  selfHref?: string;
}

export function writeAtomEntry(ctx: AtomWriteContext, type: EntityTypeDef, record: Readonly<Record<string, unknown>>, options: AtomEntryOptions = {}): string {
  const root = rootOf(ctx);
  return serializeDocument(entryElement(root, ctx, type, record, selection(options.select), true));
}

export function writeAtomFeed(
  ctx: AtomWriteContext,
  type: EntityTypeDef,
  records: readonly Readonly<Record<string, unknown>>[],
  options: AtomFeedOptions = {},
): string {
  const root = rootOf(ctx);
  const selfHref = options.selfHref ?? type.set;
  const title = feedTitle(selfHref);
  const selected = selection(options.select);
  const children: XmlNode[] = [
    el('id', {}, [root + selfHref]),
    el('title', { type: 'text' }, [title]),
    el('updated', {}, [formatAtomUpdated(ctx.now ?? new Date())]),
    el('link', { rel: 'self', title, href: selfHref }),
  ];
  if (options.count !== undefined) {
    if (!Number.isSafeInteger(options.count) || options.count < 0) throw new TypeError(`Feed count must be a non-negative integer, got ${options.count}`);
    children.push(el('m:count', {}, [String(options.count)]));
  }
  for (const record of records) children.push(entryElement(root, ctx, type, record, selected, false));
  return serializeDocument(el('feed', namespaceAttributes(root), children));
}

type Selection = (name: string) => boolean;

function selection(select: readonly string[] | undefined): Selection {
  if (!select || select.includes('*')) return () => true;
  const names = new Set(select);
  return (name) => names.has(name);
}

function namespaceAttributes(root: string): Record<string, string> {
  return { 'xml:base': root, xmlns: ATOM_NS, 'xmlns:d': DATA_NS, 'xmlns:m': METADATA_NS };
}

function entryElement(
  root: string,
  ctx: AtomWriteContext,
  type: EntityTypeDef,
  record: Readonly<Record<string, unknown>>,
  selected: Selection,
  isDocument: boolean,
): XmlElementNode {
  const key = record[type.key];
  if (typeof key !== 'string' || key === '') throw new TypeError(`Cannot write a ${type.name} without its key ${type.key}`);
  const path = entityPath(type, key);
  const children: XmlNode[] = [
    el('id', {}, [entityUrl(root, type, key)]),
    el('category', { term: qualifiedName(type), scheme: SCHEME_URI }),
    el('link', { rel: 'edit', title: type.name, href: path }),
  ];
  for (const nav of type.navigation) {
    if (!selected(nav.name)) continue;
    children.push(
      el('link', {
        rel: RELATED_REL + nav.name,
        type: nav.many ? 'application/atom+xml;type=feed' : 'application/atom+xml;type=entry',
        title: nav.name,
        href: `${path}/${nav.name}`,
      }),
    );
  }
  children.push(
    el('title'),
    el('updated', {}, [formatAtomUpdated(updatedOf(type, record, ctx))]),
    el('author', {}, [el('name')]),
    el('content', { type: 'application/xml' }, [
      el(
        'm:properties',
        {},
        type.properties.filter((p) => selected(p.name)).map((p) => propertyElement(p, record[p.name], `${type.name}.${p.name}`)),
      ),
    ]),
  );
  return el('entry', isDocument ? namespaceAttributes(root) : {}, children);
}

/** `<d:Name>` of one property, as inside `m:properties` (the caller declares the `d:`/`m:` prefixes). */
export function propertyElement(property: PropertyDef, value: unknown, what: string): XmlElementNode {
  if (property.complexCollection) return collectionElement(property, property.complexCollection, value, what);
  if (property.complex) return complexElement(`d:${property.name}`, property.complex, value, what);
  if (property.primitiveCollection) return primitiveCollectionElement(property, value, what);
  return primitiveElement(`d:${property.name}`, property.type, formatEdmValue(property.type, value, what));
}

function primitiveElement(name: string, type: PropertyDef['type'], text: string | null): XmlElementNode {
  // Strings carry no m:type, as the service wrote them; every other type does, null or not.
  const typeAttribute = type === 'Edm.String' ? undefined : type;
  if (text === null) return el(name, { 'm:type': typeAttribute, 'm:null': 'true' });
  return el(name, { 'm:type': typeAttribute }, [text]);
}

/** `<d:CacheControl m:type="ns.CacheControl"><d:MaxAge m:type="Edm.Int64">…</d:MaxAge></d:CacheControl>`; fields nest. */
function complexElement(name: string, complex: ComplexTypeDef, value: unknown, what: string): XmlElementNode {
  if (value === null || value === undefined) return el(name, { 'm:type': qualifiedName(complex), 'm:null': 'true' });
  if (typeof value !== 'object' || Array.isArray(value)) throw new TypeError(`Cannot write ${what}: a ${complex.name} must be stored as an object`);
  const fields = value as Record<string, unknown>;
  return el(name, { 'm:type': qualifiedName(complex) }, complex.properties.map((p) => propertyElement(p, fields[p.name], `${what}.${p.name}`)));
}

/**
 * `<d:ErrorDetails m:type="Collection(ns.ErrorDetail)"><d:element>...</d:element></d:ErrorDetails>`.
 * A collection is never null in OData v3 (the .NET reader refuses `m:null` on one), so a missing
 * value is written as an empty collection.
 */
function collectionElement(property: PropertyDef, complex: ComplexTypeDef, value: unknown, what: string): XmlElementNode {
  if (value !== null && value !== undefined && !Array.isArray(value)) {
    throw new TypeError(`Cannot write ${what}: a collection of ${complex.name} must be stored as an array`);
  }
  const items: unknown[] = value ?? [];
  const elements = items.map((item, index) => {
    if (typeof item !== 'object' || item === null || Array.isArray(item)) {
      throw new TypeError(`Cannot write ${what}[${index}]: each ${complex.name} must be stored as an object`);
    }
    const fields = item as Record<string, unknown>;
    return el('d:element', {}, complex.properties.map((p) => propertyElement(p, fields[p.name], `${what}[${index}].${p.name}`)));
  });
  return el(`d:${property.name}`, { 'm:type': `Collection(${qualifiedName(complex)})` }, elements);
}

/** `<d:CustomHostNames m:type="Collection(Edm.String)"><d:element>…</d:element></d:CustomHostNames>`; never null, as above. */
function primitiveCollectionElement(property: PropertyDef, value: unknown, what: string): XmlElementNode {
  if (value !== null && value !== undefined && !Array.isArray(value)) throw new TypeError(`Cannot write ${what}: a collection must be stored as an array`);
  const items: unknown[] = value ?? [];
  return el(
    `d:${property.name}`,
    { 'm:type': `Collection(${property.type})` },
    items.map((item, index) => primitiveElement('d:element', property.type, formatEdmValue(property.type, item, `${what}[${index}]`))),
  );
}

function updatedOf(type: EntityTypeDef, record: Readonly<Record<string, unknown>>, ctx: AtomWriteContext): Date {
  // The entry's <updated> is the entity's LastModified where its type declares one.
  const lastModified = type.properties.find((p) => p.name === 'LastModified');
  if (lastModified) {
    const iso = canonicalDateTime(record[lastModified.name]);
    if (iso !== undefined) return new Date(iso);
  }
  return ctx.now ?? new Date();
}

/** The title WCF gave a feed: the last path segment without its key (`Files` for `Assets('..')/Files`). */
function feedTitle(selfHref: string): string {
  const last = selfHref.slice(selfHref.lastIndexOf('/') + 1);
  const paren = last.indexOf('(');
  return paren >= 0 ? last.slice(0, paren) : last;
}

export function rootOf(ctx: AtomWriteContext): string {
  return ctx.serviceRoot.endsWith('/') ? ctx.serviceRoot : `${ctx.serviceRoot}/`;
}
