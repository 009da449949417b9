/**
 * The one place response XML is turned into text. Every character of data goes through
 * `escapeText` or `escapeAttribute`; element and attribute names come from the model and are
 * checked, so the output is well-formed whatever the stored values contain.
 *
 * Why not xmlbuilder2: 4.0.3 leaves `&` unescaped when it is followed by something that looks like
 * an entity (its text escaping skips `/&(?![A-Za-z]+;|#\d+;)/`), so a stored Name `a &amp; b` comes
 * back to the client as `a & b`, and `x &foo; y` makes the document malformed
 * (oozcitak/xmlbuilder2#110, #117). It also writes CR, TAB and LF raw into attributes and CR raw
 * into text, which parsers normalise away.
 */

export type XmlNode = XmlElementNode | string;

export interface XmlElementNode {
  readonly name: string;
  readonly attributes: readonly (readonly [string, string])[];
  readonly children: readonly XmlNode[];
}

/** An element; attributes whose value is undefined are left out, the rest keep their order. */
export function el(name: string, attributes: Readonly<Record<string, string | undefined>> = {}, children: readonly XmlNode[] = []): XmlElementNode {
  assertName(name);
  const attrs: [string, string][] = [];
  for (const [key, value] of Object.entries(attributes)) {
    if (value === undefined) continue;
    assertName(key);
    attrs.push([key, value]);
  }
  return { name, attributes: attrs, children };
}

export const XML_DECLARATION = '<?xml version="1.0" encoding="utf-8" standalone="yes"?>';

/** The whole document: the declaration the service wrote, then the element, without indentation. */
export function serializeDocument(root: XmlElementNode): string {
  const out: string[] = [XML_DECLARATION];
  writeElement(root, out);
  return out.join('');
}

function writeElement(element: XmlElementNode, out: string[]): void {
  out.push('<', element.name);
  for (const [key, value] of element.attributes) out.push(' ', key, '="', escapeAttribute(value), '"');
  const children = element.children.filter((c) => c !== '');
  if (children.length === 0) {
    out.push('/>');
    return;
  }
  out.push('>');
  for (const child of children) {
    if (typeof child === 'string') out.push(escapeText(child));
    else writeElement(child, out);
  }
  out.push('</', element.name, '>');
}

/** Character data: `&`, `<`, `>` (so `]]>` cannot occur) and CR (which parsers would turn into LF). */
export function escapeText(value: string): string {
  return escape(value, false);
}

/** Attribute values: also `"` and TAB/LF/CR, which attribute-value normalisation would turn into spaces. */
export function escapeAttribute(value: string): string {
  return escape(value, true);
}

const REPLACEMENT = '\uFFFD';

/** Most values need no escaping; one native scan decides that before the character loop. */
const TEXT_SPECIAL = /[&<>\r\u0000-\u0008\u000B\u000C\u000E-\u001F\uD800-\uDFFF\uFFFE\uFFFF]/;
const ATTRIBUTE_SPECIAL = /[&<>"\t\n\r\u0000-\u001F\uD800-\uDFFF\uFFFE\uFFFF]/;

function escape(value: string, attribute: boolean): string {
  if (!(attribute ? ATTRIBUTE_SPECIAL : TEXT_SPECIAL).test(value)) return value;
  let out = '';
  let from = 0;
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    let replacement: string | undefined;
    if (c === 0x26) replacement = '&amp;';
    else if (c === 0x3c) replacement = '&lt;';
    else if (c === 0x3e) replacement = '&gt;';
    else if (c === 0x0d) replacement = '&#xD;';
    else if (attribute && c === 0x22) replacement = '&quot;';
    else if (attribute && c === 0x0a) replacement = '&#xA;';
    else if (attribute && c === 0x09) replacement = '&#x9;';
    else if (c < 0x20 && c !== 0x09 && c !== 0x0a) replacement = REPLACEMENT;
    else if (c === 0xfffe || c === 0xffff) replacement = REPLACEMENT;
    else if (c >= 0xd800 && c <= 0xdbff) {
      const next = value.charCodeAt(i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) {
        i += 1; // a well-formed pair: copied as is
        continue;
      }
      replacement = REPLACEMENT;
    } else if (c >= 0xdc00 && c <= 0xdfff) replacement = REPLACEMENT;
    if (replacement === undefined) continue;
    // Characters XML 1.0 cannot carry at all (C0 controls, lone surrogates, U+FFFE/F) become U+FFFD:
    // a stored value must never make a response unparseable.
    out += value.slice(from, i) + replacement;
    from = i + 1;
  }
  return from === 0 ? value : out + value.slice(from);
}

const checkedNames = new Set<string>();

/** Names are ours (model and protocol), never client data; a bad one is a bug in the caller. */
function assertName(name: string): void {
  if (checkedNames.has(name)) return;
  checkName(name);
  // Bounded: only names that passed, and those come from code.
  if (checkedNames.size < 10_000) checkedNames.add(name);
}

function checkName(name: string): void {
  let colons = 0;
  for (let i = 0; i < name.length; i++) {
    const c = name.charCodeAt(i);
    const letter = (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a) || c === 0x5f;
    const other = (c >= 0x30 && c <= 0x39) || c === 0x2d || c === 0x2e;
    if (c === 0x3a) {
      colons += 1;
      if (i === 0 || i === name.length - 1 || colons > 1) throw new TypeError(`Not an XML name: ${JSON.stringify(name)}`);
      continue;
    }
    const first = i === 0 || name.charCodeAt(i - 1) === 0x3a;
    if (!(letter || (!first && other))) throw new TypeError(`Not an XML name: ${JSON.stringify(name)}`);
  }
  if (name.length === 0) throw new TypeError('Not an XML name: ""');
}
