import { badRequest } from '../odata/errors.js';

/**
 * MIME multipart/mixed as OData v3 `$batch` uses it (RFC 2046 §5.1), both directions, and the
 * `application/http` messages inside it. Bodies are bytes (`Content-Transfer-Encoding: binary`);
 * line breaks may be CRLF, or bare LF as some hand-written clients send.
 */

/** Header fields in the order sent; names keep their spelling, look-ups ignore case. */
export type HeaderList = readonly (readonly [string, string])[];

export interface MimePart {
  headers: HeaderList;
  body: Buffer;
}

export interface HttpRequestMessage {
  method: string;
  /** The request target as written: absolute URL, absolute path, or relative to the service root. */
  url: string;
  headers: HeaderList;
  body: Buffer;
}

/** Bounds on a part's header block, so a hostile batch cannot make the parser do unbounded work per part. */
const MAX_HEADERS = 100;
const MAX_HEADER_BYTES = 16 * 1024;

export function header(headers: HeaderList, name: string): string | undefined {
  const lower = name.toLowerCase();
  return headers.find(([n]) => n.toLowerCase() === lower)?.[1];
}

/** The `boundary` parameter of a `multipart/mixed` Content-Type, or undefined when it is not one. */
export function multipartBoundary(contentType: string | undefined): string | undefined {
  if (!contentType) return undefined;
  const [type, ...params] = contentType.split(';');
  if (type?.trim().toLowerCase() !== 'multipart/mixed') return undefined;
  for (const param of params) {
    const eq = param.indexOf('=');
    if (eq < 0 || param.slice(0, eq).trim().toLowerCase() !== 'boundary') continue;
    const value = param.slice(eq + 1).trim().replace(/^"(.*)"$/, '$1');
    // RFC 2046: 1 to 70 characters.
    return value.length >= 1 && value.length <= 70 ? value : undefined;
  }
  return undefined;
}

/**
 * The body parts between `--boundary` lines (preamble and epilogue ignored). At most `maxParts`;
 * a body that never closes with `--boundary--` is refused, since its last part may be cut short.
 */
export function parseMultipart(body: Buffer, boundary: string, maxParts: number, what: string): MimePart[] {
  const delimiter = Buffer.from(`--${boundary}`, 'latin1');
  let at = findDelimiter(body, delimiter, 0);
  if (at === undefined) throw badRequest(`${what} has no boundary line --${boundary}: check the boundary in its Content-Type`);
  const parts: MimePart[] = [];
  for (;;) {
    if (at.close) return parts;
    const start = at.next;
    const following = findDelimiter(body, delimiter, start);
    if (following === undefined) throw badRequest(`${what} does not end with --${boundary}--: the request may be cut short`);
    if (parts.length >= maxParts) throw badRequest(`${what} has more than ${maxParts} parts, the emulator's limit`);
    // The line break before a delimiter belongs to the delimiter, not to the part.
    let end = following.start;
    if (end > start && body[end - 1] === 0x0a) end--;
    if (end > start && body[end - 1] === 0x0d) end--;
    parts.push(parsePart(body.subarray(start, Math.max(start, end)), what));
    at = following;
  }
}

interface Delimiter {
  /** Offset of the `--boundary`. */
  start: number;
  /** Offset just after its line (where the part's headers begin). */
  next: number;
  /** `--boundary--`: the last one. */
  close: boolean;
}

/** The next `--boundary` at the start of a line and followed by `--`, or by blanks up to the line end. */
function findDelimiter(body: Buffer, delimiter: Buffer, from: number): Delimiter | undefined {
  let i = body.indexOf(delimiter, from);
  while (i >= 0) {
    if (i === 0 || body[i - 1] === 0x0a) {
      let j = i + delimiter.length;
      if (body[j] === 0x2d && body[j + 1] === 0x2d) return { start: i, next: j + 2, close: true };
      while (body[j] === 0x20 || body[j] === 0x09) j++;
      if (body[j] === 0x0d) j++;
      if (body[j] === 0x0a) return { start: i, next: j + 1, close: false };
      if (j >= body.length) return { start: i, next: j, close: false };
    }
    i = body.indexOf(delimiter, i + 1);
  }
  return undefined;
}

/** Headers up to the first empty line, then the body. */
function parsePart(part: Buffer, what: string): MimePart {
  const { headers, rest } = splitHeaders(part, what);
  return { headers, body: rest };
}

/**
 * An `application/http` request: `METHOD URL HTTP/1.1`, headers, an empty line, the body. A
 * Content-Length, when given, bounds the body (the Java SDK sends one); one larger than the
 * bytes present is refused rather than guessed at.
 */
export function parseHttpRequest(message: Buffer, what: string): HttpRequestMessage {
  const lineEnd = message.indexOf(0x0a);
  const firstLine = message.subarray(0, lineEnd < 0 ? message.length : lineEnd).toString('latin1').replace(/\r$/, '');
  const m = /^([A-Za-z]+)[ \t]+(\S+)(?:[ \t]+HTTP\/\d\.\d)?[ \t]*$/.exec(firstLine);
  if (!m) throw badRequest(`${what} does not start with a request line such as "POST https://host/api/Assets HTTP/1.1": found ${JSON.stringify(firstLine.slice(0, 80))}`);
  const { headers, rest } = splitHeaders(lineEnd < 0 ? Buffer.alloc(0) : message.subarray(lineEnd + 1), what);
  let body = rest;
  const length = header(headers, 'content-length');
  if (length !== undefined) {
    if (!/^\s*\d+\s*$/.test(length)) throw badRequest(`${what} has an invalid Content-Length ${JSON.stringify(length.slice(0, 40))}`);
    const n = Number(length);
    if (n > rest.length) throw badRequest(`${what} says Content-Length: ${n} but holds ${rest.length} bytes of body`);
    body = rest.subarray(0, n);
  }
  return { method: m[1]!.toUpperCase(), url: m[2]!, headers, body };
}

function splitHeaders(block: Buffer, what: string): { headers: HeaderList; rest: Buffer } {
  const headers: [string, string][] = [];
  let pos = 0;
  for (;;) {
    if (pos >= block.length) return { headers, rest: Buffer.alloc(0) };
    const nl = block.indexOf(0x0a, pos);
    const lineEnd = nl < 0 ? block.length : nl;
    if (lineEnd - pos > MAX_HEADER_BYTES || pos > MAX_HEADER_BYTES * 4) throw badRequest(`${what} has a header block over ${MAX_HEADER_BYTES} bytes`);
    const line = block.subarray(pos, lineEnd).toString('latin1').replace(/\r$/, '');
    pos = nl < 0 ? block.length : nl + 1;
    if (line === '') return { headers, rest: block.subarray(pos) };
    if ((line.startsWith(' ') || line.startsWith('\t')) && headers.length > 0) {
      const last = headers[headers.length - 1]!;
      headers[headers.length - 1] = [last[0], `${last[1]} ${line.trim()}`];
      continue;
    }
    const colon = line.indexOf(':');
    if (colon <= 0) throw badRequest(`${what} has a malformed header line ${JSON.stringify(line.slice(0, 80))}: expected "Name: value"`);
    if (headers.length >= MAX_HEADERS) throw badRequest(`${what} has more than ${MAX_HEADERS} headers`);
    headers.push([line.slice(0, colon).trim(), line.slice(colon + 1).trim()]);
  }
}

/**
 * `--boundary`-separated parts with CRLF line breaks, ending at the close delimiter `--boundary--`
 * with nothing after it. The CRLF before a delimiter belongs to the delimiter (RFC 2046 §5.1.1), so
 * a changeset nested as a part is followed directly by the enclosing `CRLF --batchresponse_X--`:
 * `--changesetresponse_Y--` CRLF `--batchresponse_X--`, as WCF Data Services wrote it. Strict
 * client parsers (the PHP SDK's) read an empty line between the two as one more, empty, part.
 */
export function writeMultipart(boundary: string, parts: readonly MimePart[]): Buffer {
  const chunks: Buffer[] = [];
  for (const part of parts) {
    chunks.push(Buffer.from(`--${boundary}\r\n${headerLines(part.headers)}\r\n`, 'latin1'), part.body, Buffer.from('\r\n', 'latin1'));
  }
  chunks.push(Buffer.from(`--${boundary}--`, 'latin1'));
  return Buffer.concat(chunks);
}

/** An `application/http` response: status line, headers, empty line, body. */
export function writeHttpResponse(status: number, reason: string, headers: HeaderList, body: Buffer | undefined): Buffer {
  const head = Buffer.from(`HTTP/1.1 ${status} ${reason}\r\n${headerLines(headers)}\r\n`, 'latin1');
  return body ? Buffer.concat([head, body]) : head;
}

function headerLines(headers: HeaderList): string {
  // Values come from the emulator (and a client's Content-ID): no line breaks may reach the wire.
  return headers.map(([name, value]) => `${name}: ${value.replace(/[\r\n]+/g, ' ')}\r\n`).join('');
}
