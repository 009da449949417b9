import { SaxesParser, type SaxesTagNS, type XMLDecl } from 'saxes';
import { badRequest, unsupportedMediaType, type ODataError } from '../errors.js';
import { resolveXmlLimits, type ResolvedXmlLimits, type XmlLimits } from './limits.js';
import { decodeXmlBody } from './xml-input.js';

/**
 * A namespace-resolved element tree of a request body, built by saxes under hard limits. Request
 * bodies are small (an entry, a `$links` uri), so a tree is simpler than streaming and the limits
 * keep it bounded.
 */
export interface XmlAttribute {
  uri: string;
  local: string;
  prefix: string;
  value: string;
}

export interface XmlElement {
  /** Namespace URI ('' when the element is in no namespace). */
  uri: string;
  local: string;
  prefix: string;
  attributes: XmlAttribute[];
  children: XmlElement[];
  /** All character data directly inside the element (text and CDATA), entities expanded. */
  text: string;
  /** Where the start tag ends, for error messages. */
  line: number;
  column: number;
}

const XMLNS_NS = 'http://www.w3.org/2000/xmlns/';

/** saxes is fed this much at a time so that an oversized token is noticed after at most one chunk. */
const CHUNK_CHARS = 64 * 1024;

/**
 * Source characters a single token (text run, attribute value, comment, declaration) may span before
 * parsing stops. Escaped markup makes source longer than the text it yields (`&lt;` is four
 * characters for one), so this allows twice the text limit; it exists to stop a 50 MB text node
 * after a bounded amount of work instead of accumulating all of it.
 */
function tokenBudget(limits: ResolvedXmlLimits): number {
  return limits.maxTextLength * 2 + 4096;
}

/** Decode and parse a request body; every refusal is an ODataError (400, or 415 for a foreign encoding). */
export function parseXmlBody(body: Buffer | string, limits?: XmlLimits): XmlElement {
  return parseXml(decodeXmlBody(body), limits);
}

export function parseXml(text: string, limits?: XmlLimits): XmlElement {
  const max = resolveXmlLimits(limits);
  if (isBlank(text)) throw badRequest('The request body is empty; an XML document was expected');

  const parser = new SaxesParser({ xmlns: true, position: true });
  const stack: XmlElement[] = [];
  let root: XmlElement | undefined;
  let elements = 0;
  let attributes = 0;
  let lastEventAt = 0;
  const mark = (): void => {
    lastEventAt = parser.position;
  };
  const here = (): string => `line ${parser.line}, column ${parser.column + 1}`;

  parser.on('error', (err: Error) => {
    // saxes prefixes "line:column: "; say it in words instead.
    const prefix = `${parser.line}:${parser.column}: `;
    const reason = err.message.startsWith(prefix) ? err.message.slice(prefix.length) : err.message;
    throw badRequest(`The request body is not well-formed XML (${here()}): ${reason}`);
  });
  // No DTD is ever processed: no entity expansion (billion laughs), no external entities (XXE).
  parser.on('doctype', () => {
    throw badRequest(`DTDs are not allowed (${here()})`);
  });
  parser.on('xmldecl', (decl: XMLDecl) => {
    checkDeclaredEncoding(decl.encoding);
    mark();
  });
  parser.on('opentagstart', () => {
    elements += 1;
    if (elements > max.maxElements) throw tooMuch(`more than ${max.maxElements} elements`, here());
    if (stack.length + 1 > max.maxDepth) throw tooMuch(`elements nested deeper than ${max.maxDepth} levels`, here());
    attributes = 0;
    mark();
  });
  parser.on('attribute', () => {
    attributes += 1;
    if (attributes > max.maxAttributes) throw tooMuch(`an element with more than ${max.maxAttributes} attributes`, here());
    mark();
  });
  parser.on('opentag', (tag: SaxesTagNS) => {
    const element: XmlElement = {
      uri: tag.uri,
      local: tag.local,
      prefix: tag.prefix,
      attributes: Object.values(tag.attributes)
        .filter((a) => a.uri !== XMLNS_NS)
        .map((a) => ({ uri: a.uri, local: a.local, prefix: a.prefix, value: a.value })),
      children: [],
      text: '',
      line: parser.line,
      column: parser.column + 1,
    };
    const parent = stack[stack.length - 1];
    if (parent) parent.children.push(element);
    else root = element;
    stack.push(element);
    mark();
  });
  parser.on('closetag', () => {
    stack.pop();
    mark();
  });
  const appendText = (data: string): void => {
    const current = stack[stack.length - 1];
    // Outside the root only whitespace can occur (saxes refuses anything else).
    if (current) {
      current.text += data;
      if (current.text.length > max.maxTextLength) {
        throw tooMuch(`more than ${max.maxTextLength} characters of text in <${qname(current).slice(0, 80)}>`, here());
      }
    }
    mark();
  };
  parser.on('text', appendText);
  parser.on('cdata', appendText);
  parser.on('comment', mark);
  parser.on('processinginstruction', mark);

  const budget = tokenBudget(max);
  for (let i = 0; i < text.length; i += CHUNK_CHARS) {
    parser.write(text.slice(i, i + CHUNK_CHARS));
    if (parser.position - lastEventAt > budget) {
      throw tooMuch(`a single text node, attribute value, comment or declaration longer than ${max.maxTextLength} characters`, here());
    }
  }
  parser.close();
  if (!root) throw badRequest('The request body has no root element');
  return root;
}

/** The body is already decoded; a declaration naming another encoding means the client encoded it otherwise. */
function checkDeclaredEncoding(encoding: string | undefined): void {
  if (encoding === undefined) return;
  const name = encoding.toLowerCase();
  if (name === 'utf-8' || name === 'utf8') return;
  throw unsupportedMediaType(`The XML declaration says encoding="${encoding}"; only UTF-8 is supported`);
}

function tooMuch(what: string, where: string): ODataError {
  return badRequest(`The request body is too large or too complex: ${what} (${where})`);
}

export function qname(element: Pick<XmlElement, 'prefix' | 'local'>): string {
  return element.prefix ? `${element.prefix}:${element.local}` : element.local;
}

/** XML whitespace only (S production: space, tab, CR, LF). */
export function isBlank(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c !== 0x20 && c !== 0x09 && c !== 0x0a && c !== 0x0d) return false;
  }
  return true;
}
