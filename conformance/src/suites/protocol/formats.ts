import { encodeBody, isJsonObject, type JsonObject, type JsonValue } from '../../../../client/src/rest/wire-format.js';
import { ATOM_NS, attribute, child, children, DATA_NS, METADATA_NS, parseXml, type XmlNode } from './xml.js';

/**
 * The three wire formats of AMS v2 (OData v3): JSON with minimal metadata, verbose JSON, and
 * Atom/XML. Each knows how to write an entity body and how to read what the service sends back:
 * entities, feeds, function values, `$links` and errors. Readers throw when a body does not have
 * the shape its format prescribes; that is what the protocol suite checks.
 */
export type FormatId = 'minimal' | 'verbose' | 'atom';

export type EdmType = 'Edm.String' | 'Edm.Int32' | 'Edm.Int64' | 'Edm.Double' | 'Edm.Boolean' | 'Edm.DateTime';
export type TypedValue =
  | { type: 'Edm.String'; value: string | null }
  | { type: 'Edm.Int32' | 'Edm.Double'; value: number }
  | { type: 'Edm.Int64'; value: bigint }
  | { type: 'Edm.Boolean'; value: boolean }
  | { type: 'Edm.DateTime'; value: Date };
export type Properties = Record<string, TypedValue>;

/** Navigation content of a create: entities bound by URI, or created inline (a job's tasks). */
export interface EntityExtras {
  bind?: Record<string, string[]>;
  inline?: Record<string, Properties[]>;
}

/** An entity as read back: its properties as text (null for null), and its URI when the format gives one. */
export interface ReadEntity {
  properties: Record<string, string | null>;
  uri: string | undefined;
}

export interface WireFormatSpec {
  id: FormatId;
  title: string;
  accept: string;
  contentType: string;
  /** Content-Type of entity and feed responses. */
  responseType: RegExp;
  /** Content-Type of error, function and `$links` responses. */
  documentType: RegExp;
  encodeEntity(properties: Properties, extras?: EntityExtras): string;
  encodeLink(uri: string): string;
  readEntity(text: string): ReadEntity;
  readFeed(text: string): ReadEntity[];
  /** The `$inlinecount=allpages` count of a feed; throws when the feed has none. */
  readInlineCount(text: string): number;
  readFunctionValue(text: string, name: string): string | null;
  readLinks(text: string): string[];
  /** The error message; throws when the body is not this format's error document. */
  readError(text: string): string;
}

const minimal: WireFormatSpec = {
  id: 'minimal',
  title: 'JSON minimal metadata',
  accept: 'application/json',
  contentType: 'application/json',
  responseType: /^application\/json/i,
  documentType: /^application\/json/i,
  encodeEntity: (properties, extras) => {
    const body: Record<string, unknown> = jsonProperties(properties);
    for (const [nav, uris] of Object.entries(extras?.bind ?? {})) body[`${nav}@odata.bind`] = uris;
    for (const [nav, entries] of Object.entries(extras?.inline ?? {})) body[nav] = entries.map(jsonProperties);
    return encodeBody(body, 'json');
  },
  encodeLink: (uri) => JSON.stringify({ uri }),
  readEntity: (text) => {
    const body = jsonObject(text);
    if ('d' in body) throw new Error('a minimal-metadata entity came in verbose form ({"d": ...})');
    if (typeof body['odata.metadata'] !== 'string') throw new Error('a minimal-metadata entity has no odata.metadata');
    return { properties: textProperties(body), uri: undefined };
  },
  readFeed: (text) => {
    const body = jsonObject(text);
    if (typeof body['odata.metadata'] !== 'string') throw new Error('a minimal-metadata feed has no odata.metadata');
    return arrayOf(body['value'], 'value').map((item) => ({ properties: textProperties(objectOf(item, 'a feed member')), uri: undefined }));
  },
  readInlineCount: (text) => countOf(jsonObject(text)['odata.count'], 'odata.count'),
  readFunctionValue: (text) => scalarText(jsonObject(text)['value'], 'value'),
  // JSON light writes each link as {"url": ...} (verbose has "uri"); requests carry "uri", as the AMS docs send it.
  readLinks: (text) => arrayOf(jsonObject(text)['value'], 'value').map((item) => stringOf(objectOf(item, 'a link')['url'], 'url')),
  readError: (text) => {
    const error = objectOf(jsonObject(text)['odata.error'], 'odata.error');
    return errorMessage(error);
  },
};

const verbose: WireFormatSpec = {
  id: 'verbose',
  title: 'JSON verbose',
  accept: 'application/json;odata=verbose',
  contentType: 'application/json;odata=verbose',
  responseType: /^application\/json/i,
  documentType: /^application\/json/i,
  encodeEntity: (properties, extras) => {
    const body: Record<string, unknown> = jsonProperties(properties);
    for (const [nav, uris] of Object.entries(extras?.bind ?? {})) body[nav] = uris.map((uri) => ({ __metadata: { uri } }));
    for (const [nav, entries] of Object.entries(extras?.inline ?? {})) body[nav] = entries.map(jsonProperties);
    return encodeBody(body, 'verbose');
  },
  encodeLink: (uri) => JSON.stringify({ uri }),
  readEntity: (text) => verboseEntity(objectOf(jsonObject(text)['d'], 'd')),
  readFeed: (text) => {
    const d = jsonObject(text)['d'];
    const results = Array.isArray(d) ? d : arrayOf(objectOf(d, 'd')['results'], 'd.results');
    return results.map((item) => verboseEntity(objectOf(item, 'a feed member')));
  },
  readInlineCount: (text) => countOf(objectOf(jsonObject(text)['d'], 'd')['__count'], 'd.__count'),
  readFunctionValue: (text, name) => {
    const d = objectOf(jsonObject(text)['d'], 'd');
    return scalarText(d[name], `d.${name}`);
  },
  readLinks: (text) => {
    const d = jsonObject(text)['d'];
    const results = Array.isArray(d) ? d : arrayOf(objectOf(d, 'd')['results'], 'd.results');
    return results.map((item) => stringOf(objectOf(item, 'a link')['uri'], 'uri'));
  },
  readError: (text) => errorMessage(objectOf(jsonObject(text)['error'], 'error')),
};

const atom: WireFormatSpec = {
  id: 'atom',
  title: 'Atom/XML',
  accept: 'application/atom+xml',
  contentType: 'application/atom+xml',
  responseType: /^application\/atom\+xml/i,
  documentType: /^application\/(atom\+)?xml/i,
  encodeEntity: (properties, extras) => {
    const links: string[] = [];
    for (const [nav, uris] of Object.entries(extras?.bind ?? {})) {
      for (const uri of uris) links.push(`<link rel="${DATA_NS}/related/${nav}" type="application/atom+xml;type=entry" title="${nav}" href="${xmlEscape(uri)}"/>`);
    }
    for (const [nav, entries] of Object.entries(extras?.inline ?? {})) {
      const inner = entries.map((entry) => `<entry>${atomContent(entry)}</entry>`).join('');
      links.push(`<link rel="${DATA_NS}/related/${nav}" type="application/atom+xml;type=feed" title="${nav}"><m:inline><feed>${inner}</feed></m:inline></link>`);
    }
    return (
      `<?xml version="1.0" encoding="utf-8"?><entry xmlns="${ATOM_NS}" xmlns:d="${DATA_NS}" xmlns:m="${METADATA_NS}">` +
      `${links.join('')}<id/><title/><updated>${new Date().toISOString()}</updated><author><name/></author>${atomContent(properties)}</entry>`
    );
  },
  encodeLink: (uri) => `<?xml version="1.0" encoding="utf-8"?><uri xmlns="${DATA_NS}">${xmlEscape(uri)}</uri>`,
  readEntity: (text) => atomEntry(expectRoot(parseXml(text), ATOM_NS, 'entry')),
  readFeed: (text) => children(expectRoot(parseXml(text), ATOM_NS, 'feed'), ATOM_NS, 'entry').map(atomEntry),
  readInlineCount: (text) => countOf(child(expectRoot(parseXml(text), ATOM_NS, 'feed'), METADATA_NS, 'count')?.text, '<m:count>'),
  readFunctionValue: (text, name) => {
    const root = expectRoot(parseXml(text), DATA_NS, name);
    return attribute(root, 'null', METADATA_NS) === 'true' ? null : root.text;
  },
  readLinks: (text) => children(expectRoot(parseXml(text), DATA_NS, 'links'), DATA_NS, 'uri').map((u) => u.text.trim()),
  readError: (text) => {
    const root = expectRoot(parseXml(text), METADATA_NS, 'error');
    const message = child(root, METADATA_NS, 'message');
    if (!message) throw new Error('the <error> has no <message>');
    return message.text;
  },
};

export const FORMATS: readonly WireFormatSpec[] = [minimal, verbose, atom];

export function formatById(id: FormatId): WireFormatSpec {
  return FORMATS.find((f) => f.id === id)!;
}

function jsonProperties(properties: Properties): Record<string, unknown> {
  return Object.fromEntries(Object.entries(properties).map(([name, p]) => [name, p.value]));
}

function atomContent(properties: Properties): string {
  const fields = Object.entries(properties).map(([name, p]) => {
    if (p.value === null) return `<d:${name} m:null="true"/>`;
    const text = p.value instanceof Date ? p.value.toISOString() : String(p.value);
    const type = p.type === 'Edm.String' ? '' : ` m:type="${p.type}"`;
    return `<d:${name}${type}>${xmlEscape(text)}</d:${name}>`;
  });
  return `<content type="application/xml"><m:properties>${fields.join('')}</m:properties></content>`;
}

function atomEntry(entry: XmlNode): ReadEntity {
  const content = child(entry, ATOM_NS, 'content');
  const properties = content ? child(content, METADATA_NS, 'properties') : child(entry, METADATA_NS, 'properties');
  if (!properties) throw new Error('an Atom entry has no m:properties');
  const out: Record<string, string | null> = {};
  for (const p of properties.children) {
    if (p.uri !== DATA_NS) continue;
    out[p.local] = attribute(p, 'null', METADATA_NS) === 'true' ? null : p.text;
  }
  const id = child(entry, ATOM_NS, 'id');
  return { properties: out, uri: id?.text.trim() };
}

function verboseEntity(d: JsonObject): ReadEntity {
  const metadata = d['__metadata'];
  if (!isJsonObject(metadata)) throw new Error('a verbose entity has no __metadata');
  return { properties: textProperties(d), uri: typeof metadata['uri'] === 'string' ? metadata['uri'] : undefined };
}

function textProperties(body: JsonObject): Record<string, string | null> {
  const out: Record<string, string | null> = {};
  for (const [name, value] of Object.entries(body)) {
    if (name.includes('.') || name.startsWith('__') || isJsonObject(value) || Array.isArray(value)) continue;
    out[name] = value === null ? null : String(value);
  }
  return out;
}

/** OData v3 writes counts as text ("3"); a number is accepted too. */
function countOf(value: unknown, what: string): number {
  const text = typeof value === 'number' ? String(value) : value;
  if (typeof text !== 'string' || !/^\d+$/.test(text.trim())) throw new Error(`the feed has no ${what} count (got ${JSON.stringify(value) ?? 'nothing'})`);
  return Number(text);
}

function expectRoot(root: XmlNode, uri: string, local: string): XmlNode {
  if (root.uri !== uri || root.local !== local) throw new Error(`the document is <${root.local} xmlns="${root.uri}">, expected <${local} xmlns="${uri}">`);
  return root;
}

function jsonObject(text: string): JsonObject {
  let body: JsonValue;
  try {
    body = JSON.parse(text) as JsonValue;
  } catch {
    throw new Error(`the body is not JSON: ${JSON.stringify(text.slice(0, 80))}`);
  }
  return objectOf(body, 'the body');
}

function objectOf(value: JsonValue | undefined, what: string): JsonObject {
  if (!isJsonObject(value)) throw new Error(`${what} is not a JSON object`);
  return value;
}

function arrayOf(value: JsonValue | undefined, what: string): JsonValue[] {
  if (!Array.isArray(value)) throw new Error(`${what} is not a JSON array`);
  return value;
}

function stringOf(value: JsonValue | undefined, what: string): string {
  if (typeof value !== 'string') throw new Error(`${what} is not a string`);
  return value;
}

function scalarText(value: JsonValue | undefined, what: string): string | null {
  if (value === null) return null;
  if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') return String(value);
  throw new Error(`${what} is missing or not a single value`);
}

/** OData v3 errors: `message` is `{lang, value}` (the service's form) or a plain string. */
function errorMessage(error: JsonObject): string {
  if (!('code' in error)) throw new Error('the error has no code');
  const message = error['message'];
  if (typeof message === 'string') return message;
  return stringOf(objectOf(message, 'error.message')['value'], 'error.message.value');
}

export function xmlEscape(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}
