import { ATOM_NS, DATA_NS, METADATA_NS, type EdmPrimitive, type PropertyDef } from '../edm.js';
import { formatEdmValue } from './edm-text.js';
import { isStructured } from '../property-types.js';
import { propertyElement, rootOf, type AtomWriteContext } from './entry-writer.js';
import { el, serializeDocument } from './xml-writer.js';

/** The small XML documents around the entity payloads: function results, errors, `$links`, the service document. */

const APP_NS = 'http://www.w3.org/2007/app';

/**
 * A function (service operation) result: `<GetProtectionKeyId xmlns="…/dataservices">7D9B…</GetProtectionKeyId>`,
 * what the Java SDK's JAXB types and the PHP SDK's `simplexml_load_string` read. `value` is the
 * text already formatted for its type; non-string types carry `m:type` as WCF wrote them.
 */
export function writeFunctionResult(name: string, value: string | null, edmType: EdmPrimitive | string = 'Edm.String'): string {
  const typed = edmType !== 'Edm.String';
  const attributes: Record<string, string | undefined> = {
    xmlns: DATA_NS,
    'xmlns:m': typed || value === null ? METADATA_NS : undefined,
    'm:type': typed ? edmType : undefined,
    'm:null': value === null ? 'true' : undefined,
  };
  return serializeDocument(el(name, attributes, value === null ? [] : [value]));
}

/**
 * `GET <Set>('..')/<Property>`: a primitive as one element in the data namespace (the form of a
 * function result); a complex collection (`Tasks('..')/ErrorDetails`) as the element it is inside
 * `m:properties`, with its `m:type="Collection(..)"` and `<d:element>` items.
 */
export function writePropertyDocument(property: PropertyDef, value: unknown): string {
  if (!isStructured(property)) return writeFunctionResult(property.name, formatEdmValue(property.type, value, property.name), property.type);
  const element = propertyElement(property, value, property.name);
  const namespaces: [string, string][] = [
    ['xmlns:d', DATA_NS],
    ['xmlns:m', METADATA_NS],
  ];
  return serializeDocument({ ...element, attributes: [...namespaces, ...element.attributes] });
}

/** `<error xmlns="…/metadata"><code/><message xml:lang="en-US">…</message></error>` (Java `ErrorType`, WCF). */
export function writeAtomError(code: string, message: string): string {
  return serializeDocument(el('error', { xmlns: METADATA_NS }, [el('code', {}, [code]), el('message', { 'xml:lang': 'en-US' }, [message])]));
}

/** `GET …/$links/Nav`: `<links xmlns="…/dataservices"><uri>…</uri></links>`; relative URIs are made absolute. */
export function writeLinksDocument(ctx: AtomWriteContext, uris: readonly string[]): string {
  const root = rootOf(ctx);
  return serializeDocument(el('links', { xmlns: DATA_NS }, uris.map((uri) => el('uri', {}, [absolute(root, uri)]))));
}

/** `GET …/$links/Nav` of a single-valued navigation: one `<uri xmlns="…/dataservices">`. */
export function writeSingleLink(uri: string): string {
  return serializeDocument(el('uri', { xmlns: DATA_NS }, [uri]));
}

/** The AtomPub service document: one `<collection>` per entity set, in the order given. */
export function writeServiceDocument(ctx: AtomWriteContext, sets: readonly string[]): string {
  const root = rootOf(ctx);
  const collections = sets.map((set) => el('collection', { href: set }, [el('atom:title', {}, [set])]));
  return serializeDocument(
    el('service', { 'xml:base': root, xmlns: APP_NS, 'xmlns:atom': ATOM_NS }, [el('workspace', {}, [el('atom:title', {}, ['Default']), ...collections])]),
  );
}

function absolute(root: string, uri: string): string {
  const lower = uri.slice(0, 8).toLowerCase();
  return lower.startsWith('http://') || lower.startsWith('https://') ? uri : root + uri;
}
