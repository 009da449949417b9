/**
 * One HTTP/1.1 exchange written byte for byte on a fresh TCP connection, for the fuzz and limits
 * tests: fetch, supertest and node:http all refuse to send what a broken client sends (unknown
 * methods, CR/LF or bytes above 0x7f in headers, a Content-Length the body does not have, headers
 * beyond Node's limit, a body cut short). The request is always `Connection: close`, so the answer
 * is everything read until the server closes; `closedWithoutAnswer` tells a connection the server
 * dropped from one it answered.
 */
import { connect, type Socket } from 'node:net';

export interface WireRequest {
  method: string;
  /** The request target as sent: path and query, not encoded any further. */
  target: string;
  /** In order, sent as given (a value may hold any byte when given as a Buffer). */
  headers: readonly (readonly [string, string | Buffer])[];
  body?: Buffer;
  /**
   * The Content-Length to declare: `auto` the body's length (when there is a body), `none` no
   * header at all, or a number that may differ from the body (a truncated or padded body).
   */
  contentLength?: 'auto' | 'none' | number;
  /** Send the body with Transfer-Encoding: chunked, in chunks of this size (0 chunk added). */
  chunked?: number;
  /** Raw bytes appended after the body, before the half-close (pipelined junk, a bad chunk). */
  trailer?: Buffer;
  /** Leave out the Host header (HTTP/1.1 requires one: Node refuses the request). */
  omitHost?: boolean;
  /**
   * Close the sending side once written, as a client that gives up does. Only for requests cut
   * short: Node's server aborts a request whose client half-closed before it was answered.
   */
  halfClose?: boolean;
}

export interface WireResponse {
  /** 0 when the connection closed without a parsable status line. */
  status: number;
  /** Lower-cased names; a repeated header keeps its last value. */
  headers: Record<string, string>;
  body: Buffer;
  /** The server closed (or reset) the connection without sending a status line. */
  closedWithoutAnswer: boolean;
  /** Milliseconds from the first byte written to the connection's close. */
  ms: number;
}

export interface WireOptions {
  /** Give up (and report) after this long: a server that holds a connection open is a hang. */
  timeoutMs?: number;
  /**
   * Write the request in pieces, cut at these byte offsets, each after the previous one was sent
   * and a short pause: the server reads them as separate packets, as a client writing its head
   * and body separately (or a slow network) makes it.
   */
  splitAt?: readonly number[];
}

export class WireTimeoutError extends Error {
  constructor(
    readonly request: string,
    readonly timeoutMs: number,
  ) {
    super(`no answer and no close within ${timeoutMs} ms for ${request}`);
    this.name = 'WireTimeoutError';
  }
}

/** The bytes `send` writes, for messages and for tests of the wire format itself. */
export function serializeRequest(req: WireRequest, hostHeader: string): Buffer {
  const lines: Buffer[] = [Buffer.from(`${req.method} ${req.target} HTTP/1.1\r\n`, 'latin1')];
  if (!req.omitHost) lines.push(Buffer.from(`Host: ${hostHeader}\r\n`, 'latin1'));
  for (const [name, value] of req.headers) {
    lines.push(Buffer.from(`${name}: `, 'latin1'), typeof value === 'string' ? Buffer.from(value, 'latin1') : value, Buffer.from('\r\n', 'latin1'));
  }
  const body = req.body ?? Buffer.alloc(0);
  if (req.chunked !== undefined) {
    lines.push(Buffer.from('Transfer-Encoding: chunked\r\n', 'latin1'));
  } else {
    const declared = req.contentLength ?? 'auto';
    if (declared === 'auto' && (req.body !== undefined || ['POST', 'PUT', 'MERGE', 'PATCH'].includes(req.method))) lines.push(Buffer.from(`Content-Length: ${body.length}\r\n`, 'latin1'));
    else if (typeof declared === 'number') lines.push(Buffer.from(`Content-Length: ${declared}\r\n`, 'latin1'));
  }
  lines.push(Buffer.from('Connection: close\r\n\r\n', 'latin1'));
  if (req.chunked !== undefined) {
    const size = Math.max(1, req.chunked);
    for (let offset = 0; offset < body.length; offset += size) {
      const chunk = body.subarray(offset, offset + size);
      lines.push(Buffer.from(`${chunk.length.toString(16)}\r\n`, 'latin1'), chunk, Buffer.from('\r\n', 'latin1'));
    }
    lines.push(Buffer.from('0\r\n\r\n', 'latin1'));
  } else {
    lines.push(body);
  }
  if (req.trailer) lines.push(req.trailer);
  return Buffer.concat(lines);
}

/** A short, printable description of a request (for failure messages and fast-check's reports). */
export function describeRequest(req: WireRequest): string {
  const head = `${printable(req.method, 40)} ${printable(req.target, 300)}`;
  const headers = req.headers.map(([n, v]) => `${printable(n, 40)}: ${printable(typeof v === 'string' ? v : v.toString('latin1'), 120)}`).join(' | ');
  const body = req.body === undefined ? 'no body' : `body ${req.body.length} B ${JSON.stringify(printable(req.body.subarray(0, 160).toString('latin1'), 160))}`;
  const framing = req.chunked !== undefined ? `chunked(${req.chunked})` : req.contentLength === undefined || req.contentLength === 'auto' ? '' : `Content-Length ${req.contentLength}`;
  return [head, headers, body, framing, req.omitHost ? 'no Host' : ''].filter((s) => s !== '').join(' ; ');
}

function printable(text: string, max: number): string {
  const clipped = text.length > max ? `${text.slice(0, max)}…(${text.length} chars)` : text;
  return clipped.replace(/[\u0000-\u001f\u007f-\u00ff]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
}

/** Send one request on a new connection and read until the server closes it. */
export function send(baseUrl: string, req: WireRequest, options: WireOptions = {}): Promise<WireResponse> {
  const url = new URL(baseUrl);
  const port = Number(url.port);
  const bytes = serializeRequest(req, url.host);
  const timeoutMs = options.timeoutMs ?? 20_000;
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const chunks: Buffer[] = [];
    const socket = connect({ host: url.hostname, port, allowHalfOpen: true });
    let settled = false;
    const timer = setTimeout(() => {
      if (settled) return;
      settled = true;
      socket.destroy();
      reject(new WireTimeoutError(describeRequest(req), timeoutMs));
    }, timeoutMs);
    const finish = () => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve(parseResponse(Buffer.concat(chunks), performance.now() - started));
    };
    socket.on('data', (chunk: Buffer) => {
      chunks.push(chunk);
      // A server may answer early (413) and keep reading a body it was promised: the answer is
      // complete once its head and Content-Length bytes are in, whether or not it closes.
      if (answerComplete(Buffer.concat(chunks), req.method)) {
        finish();
        socket.destroy();
      }
    });
    // A reset after (or instead of) the answer is a way of closing: what arrived is the answer.
    socket.on('error', finish);
    socket.on('close', finish);
    socket.on('end', () => socket.end());
    socket.on('connect', () => {
      void writePieces(socket, bytes, options.splitAt ?? []).then(
        () => {
          if (req.halfClose) socket.end();
        },
        () => undefined,
      );
    });
  });
}

async function writePieces(socket: Socket, bytes: Buffer, cuts: readonly number[]): Promise<void> {
  const offsets = [0, ...cuts.filter((c) => c > 0 && c < bytes.length), bytes.length];
  for (let i = 1; i < offsets.length; i++) {
    if (i > 1) await new Promise((resolve) => setTimeout(resolve, 30));
    if (socket.destroyed) return;
    await new Promise<void>((resolve, reject) => socket.write(bytes.subarray(offsets[i - 1], offsets[i]), (err) => (err ? reject(err) : resolve())));
  }
}

/** The bytes after any interim (1xx) answers, e.g. the `100 Continue` to an `Expect` header. */
function finalAnswer(raw: Buffer): Buffer {
  let rest = raw;
  while (/^HTTP\/1\.[01] 1\d\d/.test(rest.subarray(0, 16).toString('latin1'))) {
    const end = rest.indexOf('\r\n\r\n');
    if (end < 0) return rest;
    rest = rest.subarray(end + 4);
  }
  return rest;
}

/** Whether `raw` holds a whole answer with a known length (a Content-Length, or no body by its status or method). */
function answerComplete(raw: Buffer, method: string): boolean {
  const answer = finalAnswer(raw);
  const headEnd = answer.indexOf('\r\n\r\n');
  if (headEnd < 0) return false;
  const head = answer.subarray(0, headEnd).toString('latin1');
  const status = /^HTTP\/1\.[01] (\d{3})/.exec(head);
  if (!status || status[1]!.startsWith('1')) return false;
  const code = Number(status[1]);
  if (method === 'HEAD' || code === 204 || code === 304) return true;
  const length = /\r\ncontent-length:\s*(\d+)\s*(?:\r\n|$)/i.exec(head);
  return length !== null && answer.length - (headEnd + 4) >= Number(length[1]);
}

/** Parse a complete HTTP/1.1 answer (interim answers skipped; the body is what follows the head, up to its length). */
export function parseResponse(raw: Buffer, ms: number): WireResponse {
  const answer = finalAnswer(raw);
  const headEnd = answer.indexOf('\r\n\r\n');
  const statusLine = /^HTTP\/1\.[01] (\d{3})/.exec(answer.subarray(0, Math.min(answer.length, 64)).toString('latin1'));
  if (!statusLine || headEnd < 0) return { status: 0, headers: {}, body: raw, closedWithoutAnswer: true, ms };
  const headers: Record<string, string> = {};
  for (const line of answer.subarray(0, headEnd).toString('latin1').split('\r\n').slice(1)) {
    const colon = line.indexOf(':');
    if (colon > 0) headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  let body = answer.subarray(headEnd + 4);
  if (/chunked/i.test(headers['transfer-encoding'] ?? '')) body = dechunk(body);
  else if (headers['content-length'] !== undefined && /^\d+$/.test(headers['content-length'])) body = body.subarray(0, Number(headers['content-length']));
  return { status: Number(statusLine[1]), headers, body, closedWithoutAnswer: false, ms };
}

function dechunk(data: Buffer): Buffer {
  const out: Buffer[] = [];
  let offset = 0;
  while (offset < data.length) {
    const lineEnd = data.indexOf('\r\n', offset);
    if (lineEnd < 0) break;
    const size = Number.parseInt(data.subarray(offset, lineEnd).toString('latin1'), 16);
    if (!Number.isFinite(size) || size === 0) break;
    out.push(data.subarray(lineEnd + 2, lineEnd + 2 + size));
    offset = lineEnd + 2 + size + 2;
  }
  return Buffer.concat(out);
}
