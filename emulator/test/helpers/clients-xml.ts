/**
 * Reading the emulator's Atom/XML answers the way the Atom clients do: properties by local name
 * whatever the prefix, related links resolved against `xml:base`, function results as the root's
 * text. Parsed with saxes, independently of the emulator's own reader.
 */
import { parseWritten, type Node } from '../fixtures/atom/support.js';

export const ATOM_NS = 'http://www.w3.org/2005/Atom';
export const DATA_NS = 'http://schemas.microsoft.com/ado/2007/08/dataservices';
export const METADATA_NS = 'http://schemas.microsoft.com/ado/2007/08/dataservices/metadata';
export const XML_NS = 'http://www.w3.org/XML/1998/namespace';
export const RELATED = 'http://schemas.microsoft.com/ado/2007/08/dataservices/related/';

export type { Node };

export function parseXml(text: string): Node {
  return parseWritten(text).root;
}

/** The entries of a feed, or the entry itself. */
export function atomEntries(root: Node): Node[] {
  if (root.uri === ATOM_NS && root.local === 'entry') return [root];
  if (root.uri === ATOM_NS && root.local === 'feed') return root.children.filter((c) => c.uri === ATOM_NS && c.local === 'entry');
  throw new Error(`not an Atom entry or feed: {${root.uri}}${root.local}`);
}

/** `m:properties` of an entry: text by property name, null for `m:null="true"`. */
export function atomProperties(entry: Node): Record<string, string | null> {
  const content = entry.children.find((c) => c.uri === ATOM_NS && c.local === 'content');
  const properties = content?.children.find((c) => c.uri === METADATA_NS && c.local === 'properties');
  if (!properties) throw new Error('the entry has no content/m:properties');
  const out: Record<string, string | null> = {};
  for (const p of properties.children) {
    if (p.uri !== DATA_NS) throw new Error(`property ${p.local} is not in the data namespace`);
    out[p.local] = p.attrs[`{${METADATA_NS}}null`] === 'true' ? null : p.text;
  }
  return out;
}

/** `m:type` of each property that has one. */
export function atomPropertyTypes(entry: Node): Record<string, string> {
  const content = entry.children.find((c) => c.uri === ATOM_NS && c.local === 'content')!;
  const properties = content.children.find((c) => c.uri === METADATA_NS && c.local === 'properties')!;
  const out: Record<string, string> = {};
  for (const p of properties.children) {
    const type = p.attrs[`{${METADATA_NS}}type`];
    if (type !== undefined) out[p.local] = type;
  }
  return out;
}

/** The `xml:base` in scope at the document root. */
export function xmlBase(root: Node): string {
  const base = root.attrs[`{${XML_NS}}base`];
  if (base === undefined) throw new Error('the document has no xml:base');
  return base;
}

/** The absolute href of `<link rel=".../related/<nav>">`, resolved as the Java SDK does (against xml:base). */
export function relatedHref(root: Node, entry: Node, navigation: string): string {
  const link = entry.children.find((c) => c.uri === ATOM_NS && c.local === 'link' && c.attrs['rel'] === RELATED + navigation);
  if (!link) throw new Error(`the entry has no related/${navigation} link`);
  return new URL(link.attrs['href']!, xmlBase(root)).toString();
}

/** The one element a function result, `$links` single link or error is. */
export function rootText(root: Node, local: string, uri: string): string {
  if (root.local !== local || root.uri !== uri) throw new Error(`expected {${uri}}${local}, found {${root.uri}}${root.local}`);
  return root.text;
}

export function childText(node: Node, local: string): string | undefined {
  return node.children.find((c) => c.local === local)?.text;
}
