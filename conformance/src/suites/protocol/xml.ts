import { SaxesParser, type SaxesTagNS } from 'saxes';

/** A namespace-resolved element of a response document. */
export interface XmlNode {
  uri: string;
  local: string;
  attributes: Array<{ uri: string; local: string; value: string }>;
  children: XmlNode[];
  /** Text directly inside this element (not its children's). */
  text: string;
}

export const ATOM_NS = 'http://www.w3.org/2005/Atom';
export const DATA_NS = 'http://schemas.microsoft.com/ado/2007/08/dataservices';
export const METADATA_NS = 'http://schemas.microsoft.com/ado/2007/08/dataservices/metadata';
const XMLNS_NS = 'http://www.w3.org/2000/xmlns/';

/** Parse a response body; a document that is not well-formed XML throws with saxes' reason. */
export function parseXml(text: string): XmlNode {
  const parser = new SaxesParser({ xmlns: true });
  const stack: XmlNode[] = [];
  let root: XmlNode | undefined;
  let failure: Error | undefined;
  parser.on('error', (err: Error) => {
    failure ??= err;
  });
  parser.on('opentag', (tag: SaxesTagNS) => {
    const node: XmlNode = {
      uri: tag.uri,
      local: tag.local,
      attributes: Object.values(tag.attributes)
        .filter((a) => a.uri !== XMLNS_NS)
        .map((a) => ({ uri: a.uri, local: a.local, value: a.value })),
      children: [],
      text: '',
    };
    const parent = stack[stack.length - 1];
    if (parent) parent.children.push(node);
    else root = node;
    stack.push(node);
  });
  parser.on('closetag', () => {
    stack.pop();
  });
  const append = (data: string): void => {
    const current = stack[stack.length - 1];
    if (current) current.text += data;
  };
  parser.on('text', append);
  parser.on('cdata', append);
  parser.write(text).close();
  if (failure) throw new Error(`the body is not well-formed XML: ${failure.message}`);
  if (!root) throw new Error('the body holds no XML element');
  return root;
}

export function child(node: XmlNode, uri: string, local: string): XmlNode | undefined {
  return node.children.find((c) => c.uri === uri && c.local === local);
}

export function children(node: XmlNode, uri: string, local: string): XmlNode[] {
  return node.children.filter((c) => c.uri === uri && c.local === local);
}

export function attribute(node: XmlNode, local: string, uri = ''): string | undefined {
  return node.attributes.find((a) => a.local === local && a.uri === uri)?.value;
}
