import {
  ATOM_NS,
  DATA_NS,
  METADATA_NS,
  RELATED_REL,
  entityTypeOfSet,
  navigationOf,
  propertyOf,
  qualifiedName,
  type ComplexTypeDef,
  type EntitySetName,
  type EntityTypeDef,
  type PropertyDef,
} from '../edm.js';
import { badRequest, type ODataError } from '../errors.js';
import { edmTypeName } from '../property-types.js';
import type { XmlLimits } from './limits.js';
import { isBlank, parseXmlBody, qname, type XmlElement } from './xml-parse.js';

/**
 * Atom request bodies (create, MERGE, `$links`) as the SDKs sent them, whatever prefixes they used:
 * .NET/WCF `d:`/`m:`, Java/JAXB `ns2:`/`ns3:`, PHP `data:`/`meta:`, or default namespaces. Names are
 * matched by namespace URI, never by prefix. Values stay text; the caller coerces them.
 */

/** A structured value read from Atom, as text leaves: complex values as records, collections as arrays. */
export type AtomTree = string | null | AtomTree[] | { [name: string]: AtomTree };

export type AtomPropertyValue =
  | { text: string | null; type?: string }
  | { elements: Record<string, AtomTree>[]; type?: string }
  | { tree: AtomTree; type?: string };

export interface AtomEntryBody {
  /**
   * Property values as text (null for `m:null="true"`), keyed by local name; complex collections as
   * arrays of records of text. A declared `m:type` is kept (it has already been checked against the model).
   */
  properties: Record<string, AtomPropertyValue>;
  /** Navigation bindings: rel `…/related/<Nav>` -> href (absolute or relative, as sent). */
  links: { navigation: string; href: string }[];
  /**
   * New entities sent inside a link (`<m:inline>` holding a feed of entries, or one entry): deep
   * insert, read only for the navigations the caller allows. Each entry is read against the
   * navigation's target type, without deep insert of its own. Absent when there are none.
   */
  inline?: { navigation: string; entries: AtomEntryBody[] }[];
}

export interface AtomReadOptions {
  /** Navigation properties that may carry new entities inline (deep insert); any other inline content is refused. */
  inline?: readonly string[];
}

export function readAtomEntry(body: Buffer | string, type: EntityTypeDef, limits?: XmlLimits, options: AtomReadOptions = {}): AtomEntryBody {
  const root = parseXmlBody(body, limits);
  if (root.uri !== ATOM_NS || root.local !== 'entry') {
    throw badRequest(`The request body must be an Atom entry: expected <entry> in the namespace ${ATOM_NS}, found ${describe(root)}`);
  }
  return readEntry(root, type, new Set(options.inline ?? []));
}

function readEntry(root: XmlElement, type: EntityTypeDef, inlineAllowed: ReadonlySet<string>): AtomEntryBody {
  expectNoText(root, 'an Atom <entry>');
  const links: AtomEntryBody['links'] = [];
  const inline: NonNullable<AtomEntryBody['inline']> = [];
  const found: XmlElement[] = [];
  for (const child of root.children) {
    if (child.uri === ATOM_NS && child.local === 'link') {
      const link = readLink(child, type, inlineAllowed);
      if (link && 'entries' in link) inline.push(link);
      else if (link) links.push(link);
    } else if (child.uri === ATOM_NS && child.local === 'content') {
      const properties = readContent(child);
      if (properties) found.push(properties);
    } else if (child.local === 'properties') {
      // Media-link entries carry m:properties beside <content src=…>.
      found.push(checkPropertiesElement(child));
    }
    // Anything else (id, title, updated, author, category, m:action, extensions) says nothing the server uses.
  }
  if (found.length > 1) throw badRequest(`The Atom entry has more than one m:properties element (${at(found[1]!)})`);
  const properties = found[0] ? readProperties(found[0], type) : {};
  return inline.length > 0 ? { properties, links, inline } : { properties, links };
}

/** The `$links` body: `<uri xmlns="…/dataservices">URL</uri>`, or a `<links>` wrapper holding exactly one `<uri>`. */
export function readLinkUri(body: Buffer | string, limits?: XmlLimits): string {
  const root = parseXmlBody(body, limits);
  let uri = root;
  if (root.uri === DATA_NS && root.local === 'links') {
    expectNoText(root, '<links>');
    if (root.children.length !== 1) throw badRequest(`A $links body holds exactly one <uri>, found ${root.children.length} elements in <links>`);
    uri = root.children[0]!;
  }
  if (uri.uri !== DATA_NS || uri.local !== 'uri') {
    throw badRequest(`The $links body must be <uri xmlns="${DATA_NS}">URL</uri>: expected <uri> in the namespace ${DATA_NS}, found ${describe(uri)}`);
  }
  if (uri.children.length > 0) throw badRequest(`<uri> must contain only the URL, found <${q(uri.children[0]!)}> (${at(uri.children[0]!)})`);
  const text = uri.text.trim();
  if (text === '') throw badRequest('The $links <uri> is empty');
  return text;
}

function readContent(content: XmlElement): XmlElement | undefined {
  const type = attribute(content, '', 'type');
  if (type !== undefined && type.split(';')[0]!.trim().toLowerCase() !== 'application/xml') {
    throw badRequest(`Atom <content> of an OData entry must have type="application/xml", found type="${clip(type)}" (${at(content)})`);
  }
  expectNoText(content, 'Atom <content>');
  let properties: XmlElement | undefined;
  for (const child of content.children) {
    if (child.local !== 'properties') {
      throw badRequest(`Atom <content> may only contain m:properties, found ${describe(child)} (${at(child)})`);
    }
    if (properties) throw badRequest(`Atom <content> has more than one m:properties element (${at(child)})`);
    properties = checkPropertiesElement(child);
  }
  return properties;
}

function checkPropertiesElement(element: XmlElement): XmlElement {
  if (element.uri !== METADATA_NS) {
    throw badRequest(`<${q(element)}> must be in the namespace ${METADATA_NS} (m:properties), found ${namespaceOf(element)} (${at(element)})`);
  }
  return element;
}

function readProperties(container: XmlElement, type: EntityTypeDef): Record<string, AtomPropertyValue> {
  expectNoText(container, 'm:properties');
  const properties: Record<string, AtomPropertyValue> = {};
  for (const child of container.children) {
    expectDataNamespace(child);
    const property = propertyOf(type, child.local);
    if (!property) throw unknownProperty(child.local, type.name, child);
    if (Object.hasOwn(properties, child.local)) throw badRequest(`The property ${clip(child.local)} appears more than once (${at(child)})`);
    properties[child.local] = property.complexCollection
      ? readCollection(child, property, property.complexCollection)
      : property.complex || property.primitiveCollection
        ? { tree: readStructured(child, property, property.name) }
        : readPrimitive(child, property);
  }
  return properties;
}

function readPrimitive(element: XmlElement, property: Pick<PropertyDef, 'name' | 'type'>): { text: string | null; type?: string } {
  const { isNull, declared } = metadataAttributes(element);
  if (declared !== undefined && declared !== property.type) {
    throw badRequest(`m:type="${clip(declared)}" does not match the type of the property ${property.name} (${property.type}) (${at(element)})`);
  }
  if (element.children.length > 0) {
    throw badRequest(`The property ${property.name} is a primitive ${property.type}; found the element <${q(element.children[0]!)}> inside it (${at(element.children[0]!)})`);
  }
  if (isNull && !isBlank(element.text)) throw badRequest(`The property ${property.name} has m:null="true" and a value (${at(element)})`);
  const text = isNull ? null : element.text;
  return declared === undefined ? { text } : { text, type: declared };
}

function readCollection(element: XmlElement, property: PropertyDef, complex: ComplexTypeDef): AtomPropertyValue {
  const expected = `Collection(${qualifiedName(complex)})`;
  const { isNull, declared } = metadataAttributes(element);
  if (declared !== undefined && declared !== expected) {
    throw badRequest(`m:type="${clip(declared)}" does not match the type of the property ${property.name} (${expected}) (${at(element)})`);
  }
  expectNoText(element, `the collection ${property.name}`);
  const typed = <T extends object>(value: T): T & { type?: string } => (declared === undefined ? value : { ...value, type: declared });
  if (isNull) {
    if (element.children.length > 0) throw badRequest(`The property ${property.name} has m:null="true" and a value (${at(element)})`);
    return typed({ text: null });
  }
  const elements = element.children.map((item) => {
    if (item.uri !== DATA_NS || item.local !== 'element') {
      throw badRequest(`Items of the collection ${property.name} must be <d:element> in the namespace ${DATA_NS}, found ${describe(item)} (${at(item)})`);
    }
    const itemType = metadataAttributes(item).declared;
    if (itemType !== undefined && itemType !== qualifiedName(complex)) {
      throw badRequest(`m:type="${clip(itemType)}" does not match the item type of ${property.name} (${qualifiedName(complex)}) (${at(item)})`);
    }
    expectNoText(item, `an item of ${property.name}`);
    const record: Record<string, AtomTree> = {};
    for (const field of item.children) {
      expectDataNamespace(field);
      const fieldDef = complex.properties.find((p) => p.name === field.local);
      if (!fieldDef) throw unknownProperty(field.local, qualifiedName(complex), field);
      if (Object.hasOwn(record, field.local)) throw badRequest(`The property ${property.name}/${clip(field.local)} appears more than once in one item (${at(field)})`);
      record[field.local] = readField(field, fieldDef, `${property.name}/${field.local}`);
    }
    return record;
  });
  return typed({ elements });
}

/** A field of a complex value: a primitive's text, or a nested structure. */
function readField(element: XmlElement, def: PropertyDef, label: string): AtomTree {
  if (def.complexCollection) {
    const value = readCollection(element, { ...def, name: label }, def.complexCollection);
    return 'elements' in value ? value.elements : null;
  }
  if (def.complex || def.primitiveCollection) return readStructured(element, def, label);
  return readPrimitive(element, { name: label, type: def.type }).text;
}

/**
 * A complex value (`<d:CacheControl m:type="ns.CacheControl"><d:MaxAge>…</d:MaxAge></d:CacheControl>`)
 * or a collection of primitives. Items of a primitive collection may have any name in the data
 * namespace: WCF writes `<d:element>`, the Java SDK `<d:CustomHostName>`.
 */
function readStructured(element: XmlElement, def: PropertyDef, label: string): AtomTree {
  const expected = edmTypeName(def);
  const { isNull, declared } = metadataAttributes(element);
  if (declared !== undefined && declared !== expected) {
    throw badRequest(`m:type="${clip(declared)}" does not match the type of the property ${label} (${expected}) (${at(element)})`);
  }
  expectNoText(element, `the property ${label}`);
  if (isNull) {
    if (element.children.length > 0) throw badRequest(`The property ${label} has m:null="true" and a value (${at(element)})`);
    return null;
  }
  if (def.primitiveCollection) {
    return element.children.map((item) => {
      expectDataNamespace(item);
      return readPrimitive(item, { name: `${label} item`, type: def.type }).text;
    });
  }
  const complex = def.complex!;
  const record: { [name: string]: AtomTree } = {};
  for (const field of element.children) {
    expectDataNamespace(field);
    const fieldDef = complex.properties.find((p) => p.name === field.local);
    if (!fieldDef) throw unknownProperty(field.local, qualifiedName(complex), field);
    if (Object.hasOwn(record, field.local)) throw badRequest(`The property ${label}/${clip(field.local)} appears more than once (${at(field)})`);
    record[field.local] = readField(field, fieldDef, `${label}/${field.local}`);
  }
  return record;
}

function readLink(
  link: XmlElement,
  type: EntityTypeDef,
  inlineAllowed: ReadonlySet<string>,
): { navigation: string; href: string } | NonNullable<AtomEntryBody['inline']>[number] | undefined {
  const rel = attribute(link, '', 'rel');
  if (rel === undefined || !rel.startsWith(RELATED_REL)) return undefined; // edit, self, relatedlinks: not bindings
  const name = rel.slice(RELATED_REL.length);
  const navigation = navigationOf(type, name);
  if (!navigation) {
    throw badRequest(
      `Parsing request content failed due to: Make sure to only use property names that are defined by the type. ` +
        `'${clip(name)}' is not a navigation property of ${qualifiedName(type)} (${at(link)})`,
    );
  }
  if (link.children.length > 0) {
    if (!inlineAllowed.has(name)) {
      throw badRequest(`Deep insert (an entry or feed inside <link rel="${clip(rel)}">) is not supported: create the entity first and bind it by URL (${at(link)})`);
    }
    return { navigation: name, entries: readInline(link, navigation.target) };
  }
  const href = attribute(link, '', 'href')?.trim();
  if (!href) throw badRequest(`The navigation link ${clip(name)} has no href (${at(link)})`);
  return { navigation: name, href };
}

/**
 * `<m:inline>` inside a link: a `<feed>` of entries (collection navigation), one `<entry>`, or
 * nothing. Feed-level elements other than entries (id, title, updated, author, links) carry nothing
 * the server uses.
 */
function readInline(link: XmlElement, targetSet: EntitySetName): AtomEntryBody[] {
  expectNoText(link, 'a navigation <link>');
  const target = entityTypeOfSet(targetSet)!;
  if (link.children.length !== 1 || link.children[0]!.uri !== METADATA_NS || link.children[0]!.local !== 'inline') {
    const first = link.children.find((c) => c.uri !== METADATA_NS || c.local !== 'inline') ?? link.children[1]!;
    throw badRequest(`A navigation <link> may only contain one m:inline element, found ${describe(first)} (${at(first)})`);
  }
  const inline = link.children[0]!;
  expectNoText(inline, 'm:inline');
  if (inline.children.length > 1) throw badRequest(`m:inline holds one <feed> or one <entry>, found ${inline.children.length} elements (${at(inline)})`);
  const content = inline.children[0];
  if (!content) return [];
  if (content.uri === ATOM_NS && content.local === 'entry') return [readEntry(content, target, NO_INLINE)];
  if (content.uri !== ATOM_NS || content.local !== 'feed') {
    throw badRequest(`m:inline holds an Atom <feed> or <entry>, found ${describe(content)} (${at(content)})`);
  }
  expectNoText(content, 'an inline Atom <feed>');
  return content.children.filter((c) => c.uri === ATOM_NS && c.local === 'entry').map((entry) => readEntry(entry, target, NO_INLINE));
}

const NO_INLINE: ReadonlySet<string> = new Set();

/** `m:null` and `m:type`; the same names in any other namespace are a client mistake worth naming. */
function metadataAttributes(element: XmlElement): { isNull: boolean; declared?: string } {
  let isNull = false;
  let declared: string | undefined;
  for (const a of element.attributes) {
    if (a.local !== 'null' && a.local !== 'type') continue;
    if (a.uri !== METADATA_NS) {
      throw badRequest(`The attribute ${clip(a.prefix ? `${a.prefix}:${a.local}` : a.local)} on <${q(element)}> must be in the namespace ${METADATA_NS} (m:${a.local}) (${at(element)})`);
    }
    if (a.local === 'type') declared = a.value.trim();
    else if (a.value.trim() === 'true') isNull = true;
    else if (a.value.trim() !== 'false') throw badRequest(`m:null must be "true" or "false", found "${clip(a.value)}" (${at(element)})`);
  }
  return declared === undefined ? { isNull } : { isNull, declared };
}

function expectDataNamespace(element: XmlElement): void {
  if (element.uri !== DATA_NS) {
    throw badRequest(`The property <${q(element)}> must be in the namespace ${DATA_NS}, found ${namespaceOf(element)} (${at(element)})`);
  }
}

function expectNoText(element: XmlElement, what: string): void {
  if (!isBlank(element.text)) throw badRequest(`Unexpected text inside ${what} (${at(element)})`);
}

function unknownProperty(name: string, typeName: string, element: XmlElement): ODataError {
  // The service's own wording, then which property it was.
  return badRequest(
    `Parsing request content failed due to: Make sure to only use property names that are defined by the type. ` +
      `'${clip(name)}' is not a property of ${typeName} (${at(element)})`,
  );
}

function attribute(element: XmlElement, uri: string, local: string): string | undefined {
  return element.attributes.find((a) => a.uri === uri && a.local === local)?.value;
}

function describe(element: XmlElement): string {
  return `<${q(element)}> in ${namespaceOf(element)}`;
}

function namespaceOf(element: XmlElement): string {
  return element.uri === '' ? 'no namespace' : `the namespace ${clip(element.uri)}`;
}

/** Client-chosen names and values echoed in a message are cut short. */
function clip(text: string): string {
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

function q(element: XmlElement): string {
  return clip(qname(element));
}

function at(element: XmlElement): string {
  return `line ${element.line}, column ${element.column}`;
}
