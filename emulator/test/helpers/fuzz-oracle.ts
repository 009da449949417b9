/**
 * What a correct answer to a fuzz request looks like, whatever the request was: never a 5xx, never a
 * hang, and every 4xx with the error body of its surface — an OData error in the format the client
 * asked for on the API and `/_emulator`, an OAuth error on the token endpoints, the origin's small
 * JSON error on `/origin`. Malformed HTTP may instead get the parser-level refusal (a 400, 408 or
 * 431 with a plain-text reason, then a close) or a dropped connection. 2xx bodies must parse in
 * their content type.
 */
import { SaxesParser } from 'saxes';
import type { ExpectedFormat, Surface } from './fuzz-requests.js';
import type { WireResponse } from './fuzz-wire.js';

const METADATA_NS = 'http://schemas.microsoft.com/ado/2007/08/dataservices/metadata';

export interface Expectation {
  surface: Surface;
  format: ExpectedFormat;
  malformedHttp: boolean;
  /** The status Node's refusal must have, when the request is malformed in a known way (431: its head is too large). */
  bareStatus?: number;
  method: string;
}

/** Statuses Node itself answers malformed HTTP with (the emulator's clientError handler, or Node's own). */
const BARE_STATUSES = new Set([400, 408, 413, 414, 431, 505]);

/** undefined when the answer is acceptable, else what is wrong with it. */
export function judge(expect: Expectation, res: WireResponse): string | undefined {
  if (res.closedWithoutAnswer) {
    return expect.malformedHttp ? undefined : `the connection closed without an answer (${res.body.length} bytes received)`;
  }
  if (res.status >= 500) return `answered ${res.status}: ${res.body.toString('utf8').slice(0, 400)}`;
  const fromApplication = res.headers['x-ms-request-id'] !== undefined && !refusedByParser(res);
  if (!fromApplication) {
    if (!expect.malformedHttp) return `answered ${res.status} without passing through the application (no x-ms-request-id)`;
    if (!BARE_STATUSES.has(res.status)) return `Node answered malformed HTTP with ${res.status}`;
    if (expect.bareStatus !== undefined && res.status !== expect.bareStatus) return `Node refused the request with ${res.status}, not ${expect.bareStatus}`;
    return undefined;
  }
  if (res.status >= 400) return errorBodyProblem(expect, res);
  if (res.status >= 200 && res.status < 300 && expect.method !== 'HEAD') return successBodyProblem(res);
  return undefined;
}

/** The emulator's answer to bytes Node's HTTP parser refused: a plain-text reason, never empty. */
function refusedByParser(res: WireResponse): boolean {
  return /^text\/plain/i.test(res.headers['content-type'] ?? '') && /^\d{3} [^:]*: the request could not be parsed as HTTP\/1\.1: /.test(res.body.toString('utf8'));
}

function errorBodyProblem(expect: Expectation, res: WireResponse): string | undefined {
  if (expect.method === 'HEAD') return res.body.length === 0 ? undefined : 'a HEAD answer has a body';
  const text = res.body.toString('utf8');
  const type = res.headers['content-type'] ?? '';
  switch (expect.surface) {
    case 'oauth': {
      const body = parseJson(text);
      if (!isObject(body) || typeof body['error'] !== 'string' || typeof body['error_description'] !== 'string') return `a token endpoint answered ${res.status} without an OAuth error body: ${clip(text)}`;
      if (!/^application\/json/i.test(type)) return `a token endpoint's error has Content-Type ${type}`;
      return undefined;
    }
    case 'origin': {
      const body = parseJson(text);
      const error = isObject(body) ? body['error'] : undefined;
      if (!isObject(error) || typeof error['code'] !== 'string' || typeof error['message'] !== 'string') return `the origin answered ${res.status} without its error body: ${clip(text)}`;
      return undefined;
    }
    case 'odata': {
      const found = odataErrorFormat(text, type);
      if (found === undefined) return `answered ${res.status} without an OData error body (Content-Type ${type}): ${clip(text)}`;
      if (expect.format !== 'any' && found !== expect.format) return `answered ${res.status} with a ${found} error, but the client asked for ${expect.format}: ${clip(text)}`;
      return undefined;
    }
  }
}

/** The format of an OData error body, or undefined when the body is not one. */
export function odataErrorFormat(text: string, contentType: string): ExpectedFormat | undefined {
  if (/^application\/json/i.test(contentType)) {
    const body = parseJson(text);
    if (!isObject(body)) return undefined;
    const verbose = isObject(body['error']) && Object.keys(body).length === 1;
    const error = verbose ? body['error'] : body['odata.error'];
    if (!isObject(error) || typeof error['code'] !== 'string') return undefined;
    const message = error['message'];
    if (!isObject(message) || typeof message['value'] !== 'string' || message['value'] === '') return undefined;
    if (verbose) return /odata=verbose/i.test(contentType) ? 'json-verbose' : undefined;
    return /odata=nometadata/i.test(contentType) ? 'json-nometadata' : 'json-minimal';
  }
  if (/^application\/xml/i.test(contentType)) {
    const doc = xmlOutline(text);
    if (!doc || doc.root.name !== 'error' || doc.root.uri !== METADATA_NS) return undefined;
    if (!doc.children.has('code') || (doc.children.get('message') ?? '') === '') return undefined;
    return 'atom';
  }
  return undefined;
}

function successBodyProblem(res: WireResponse): string | undefined {
  const type = res.headers['content-type'] ?? '';
  const text = res.body.toString('utf8');
  if (res.body.length === 0) return undefined;
  if (/^application\/json/i.test(type) && parseJson(text) === undefined) return `a ${res.status} JSON body does not parse: ${clip(text)}`;
  if (/^application\/(atom\+|atomsvc\+)?xml/i.test(type) && !xmlRoot(text)) return `a ${res.status} XML body is not well-formed: ${clip(text)}`;
  return undefined;
}

/** The root element's local name and namespace, or undefined when the text is not well-formed XML. */
export function xmlRoot(text: string): { name: string; uri: string } | undefined {
  return xmlOutline(text)?.root;
}

/** The root element and the text of each of its children, by local name; undefined when not well-formed. */
function xmlOutline(text: string): { root: { name: string; uri: string }; children: Map<string, string> } | undefined {
  const parser = new SaxesParser({ xmlns: true });
  let root: { name: string; uri: string } | undefined;
  const children = new Map<string, string>();
  let depth = 0;
  let child: string | undefined;
  let failed = false;
  parser.on('error', () => {
    failed = true;
  });
  parser.on('opentag', (tag) => {
    depth++;
    if (depth === 1) root = { name: tag.local ?? tag.name, uri: tag.uri ?? '' };
    if (depth === 2) {
      child = tag.local ?? tag.name;
      children.set(child, '');
    }
  });
  parser.on('text', (t) => {
    if (depth === 2 && child !== undefined) children.set(child, (children.get(child) ?? '') + t);
  });
  parser.on('closetag', () => {
    depth--;
  });
  try {
    parser.write(text).close();
  } catch {
    return undefined;
  }
  return failed || !root ? undefined : { root, children };
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function clip(text: string): string {
  return JSON.stringify(text.length > 300 ? `${text.slice(0, 300)}…` : text);
}

/** The statuses of the operations inside a `$batch` answer (changeset answers included). */
export function batchStatuses(body: Buffer): { status: number; contentType: string; text: string }[] {
  const text = body.toString('utf8');
  const out: { status: number; contentType: string; text: string }[] = [];
  const re = /HTTP\/1\.1 (\d{3})[^\r\n]*\r\n([\s\S]*?)\r\n\r\n([\s\S]*?)(?=\r\n--)/g;
  for (let m = re.exec(text); m !== null; m = re.exec(text)) {
    const type = /(?:^|\r\n)content-type:\s*([^\r\n]*)/i.exec(m[2]!)?.[1] ?? '';
    out.push({ status: Number(m[1]), contentType: type, text: m[3]! });
  }
  return out;
}

/** What is wrong with the operations of a `$batch` answer: none may be a 5xx, and each 4xx is an OData error. */
export function judgeBatch(res: WireResponse): string | undefined {
  if (res.status !== 202) return undefined;
  for (const op of batchStatuses(res.body)) {
    if (op.status >= 500) return `a $batch operation answered ${op.status}: ${clip(op.text)}`;
    if (op.status >= 400 && odataErrorFormat(op.text, op.contentType) === undefined) return `a $batch operation answered ${op.status} without an OData error body: ${clip(op.text)}`;
  }
  return undefined;
}
