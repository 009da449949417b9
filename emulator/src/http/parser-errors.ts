/**
 * What happens to a request Node's HTTP parser (llhttp) refuses before Express sees it.
 *
 * Node 20's llhttp refuses obs-fold (a header continued on a line starting with SP/HTAB) with
 * HPE_INVALID_HEADER_TOKEN "Unexpected whitespace after header value"; the only switch that lets
 * it through, `insecureHTTPParser`, also lets through bare LF, conflicting Content-Length and
 * Transfer-Encoding and invalid header bytes (request smuggling). So the parser stays strict and
 * the refusal is the place to act: when the refused bytes are a request head with an obs-fold, the
 * connection is taken over, the head is unfolded (nothing else changed) and the connection is
 * handed back to the same HTTP server as a new one, whose parser then judges everything else as
 * strictly as before. Any other refusal is answered with its status and a plain-text body saying
 * what could not be parsed, and is logged and counted like a served request.
 *
 * Node reads a connection in C++ and hands the refusal only the packet it failed in (`rawPacket`),
 * so a head is unfolded when it starts in that packet (later packets are read here until its end):
 * a client that writes its head in one write, as HTTP libraries do, is always served. A fold whose
 * header began in an earlier packet cannot be recovered and is refused with that reason. Reading
 * every connection in JS to lift that would slow down and change every request, not just these.
 */
import { randomUUID } from 'node:crypto';
import type { Server } from 'node:http';
import { Duplex } from 'node:stream';
import { describeRawHead, startsFoldedHead, startsWithFoldContinuation, unfoldHead } from './obs-fold.js';

/** A request refused at the parser level, as the request log and debug log record it. */
export interface ParserRejection {
  time: string;
  requestId: string;
  status: number;
  /** llhttp's code (HPE_…) or Node's (ERR_HTTP_REQUEST_TIMEOUT). */
  code: string;
  /** What could not be parsed, as the client is told. */
  reason: string;
  method: string;
  target: string;
  client: string;
  /** The start of the refused bytes, printable, Authorization redacted. */
  rawHead: string;
}

export interface ParserErrorOptions {
  onRejected(rejection: ParserRejection): void;
  /** The event the server's HTTP side listens on: `connection` (HTTP) or `secureConnection` (HTTPS). */
  connectionEvent: 'connection' | 'secureConnection';
}

interface ClientError extends NodeJS.ErrnoException {
  rawPacket?: Buffer;
  reason?: string;
  bytesParsed?: number;
}

/** A head still incomplete past this is refused as too large (Node's own limit is 16 KiB). */
const MAX_HEAD_BYTES = 16 * 1024;
/** Node's default `headersTimeout`, for a server that has none set. */
const DEFAULT_HEAD_TIMEOUT_MS = 60_000;

export function handleParserErrors(server: Server, options: ParserErrorOptions): void {
  // Connections handed to a new parser: the refusing parser keeps complaining about them (later
  // bytes, the end, its timeouts), and those complaints are no longer about a live request.
  const takenOver = new WeakSet<Duplex>();

  server.on('clientError', (err: ClientError, socket: Duplex) => {
    if (takenOver.has(socket)) return;
    if (!socket.writable || err.code === 'ECONNRESET') {
      socket.destroy();
      return;
    }
    if (err.code === 'HPE_INVALID_HEADER_TOKEN' && err.rawPacket && startsFoldedHead(err.rawPacket)) {
      takenOver.add(socket);
      reparseUnfolded(server, socket, err.rawPacket, options);
      return;
    }
    refuse(socket, err, options);
  });
}

function reparseUnfolded(server: Server, socket: Duplex, first: Buffer, options: ParserErrorOptions): void {
  let pending = first;
  // Adding a 'data' listener makes Node feed the socket through JS; its own listener (the refusing
  // parser's) is removed so the bytes go only to the new connection.
  const nodeListeners = socket.listeners('data') as ((chunk: Buffer) => void)[];
  const collect = (chunk: Buffer) => {
    pending = Buffer.concat([pending, chunk]);
    start();
  };
  socket.on('data', collect);
  for (const listener of nodeListeners) socket.off('data', listener);
  // The refusing parser's head timeout no longer applies here (its complaints are ignored), so a
  // head that never ends is bounded by a timer of the same length.
  const timer = setTimeout(() => stop({ code: 'ERR_HTTP_REQUEST_TIMEOUT', reason: 'Request timeout' }), server.headersTimeout || DEFAULT_HEAD_TIMEOUT_MS);
  timer.unref();
  socket.once('close', () => clearTimeout(timer));

  function stop(refusal: { code: string; reason: string }): void {
    clearTimeout(timer);
    socket.off('data', collect);
    if (socket.writable) refuse(socket, Object.assign(new Error(refusal.reason), { ...refusal, rawPacket: pending }), options);
    else socket.destroy();
  }

  function start(): void {
    const unfolded = unfoldHead(pending);
    if (!unfolded) {
      if (pending.length > MAX_HEAD_BYTES) stop({ code: 'HPE_HEADER_OVERFLOW', reason: 'Header overflow' });
      return;
    }
    clearTimeout(timer);
    socket.off('data', collect);
    const inner = connectionOver(socket);
    server.emit(options.connectionEvent, inner);
    inner.push(unfolded.head);
    if (unfolded.rest.length > 0) inner.push(unfolded.rest);
  }
  start();
}

/**
 * A connection for the HTTP server that reads what `socket` receives (after what is pushed into it
 * first) and writes to `socket`, carrying the socket's addresses and timeouts.
 */
function connectionOver(socket: Duplex): Duplex {
  const inner = new Duplex({
    read() {
      socket.resume();
    },
    write(chunk: Buffer, _encoding, callback) {
      socket.write(chunk, callback);
    },
    final(callback) {
      socket.end(callback);
    },
    destroy(err, callback) {
      socket.destroy(err ?? undefined);
      callback(err);
    },
  });
  socket.on('data', (chunk: Buffer) => {
    if (!inner.push(chunk)) socket.pause();
  });
  socket.on('end', () => inner.push(null));
  socket.on('close', () => inner.destroy());
  socket.on('timeout', () => inner.emit('timeout'));
  const net = socket as Duplex & { remoteAddress?: string; remotePort?: number; localAddress?: string; localPort?: number; encrypted?: boolean; setTimeout?: (ms: number) => void };
  Object.assign(inner, {
    remoteAddress: net.remoteAddress,
    remotePort: net.remotePort,
    localAddress: net.localAddress,
    localPort: net.localPort,
    ...(net.encrypted ? { encrypted: true } : {}),
    setTimeout(ms: number) {
      net.setTimeout?.(ms);
      return inner;
    },
  });
  return inner;
}

function refuse(socket: Duplex, err: ClientError, options: ParserErrorOptions): void {
  const status = err.code === 'HPE_HEADER_OVERFLOW' ? 431 : err.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? 408 : 400;
  const reason = reasonOf(err);
  const requestId = randomUUID();
  const raw = err.rawPacket ?? Buffer.alloc(0);
  const described = describeRawHead(raw);
  const body = Buffer.from(`${status} ${STATUS_TEXT[status]}: the request could not be parsed as HTTP/1.1: ${reason}. Nothing was done (x-ms-request-id ${requestId}).\n`, 'utf8');
  const lines = [`HTTP/1.1 ${status} ${STATUS_TEXT[status]}`, 'Connection: close', 'Content-Type: text/plain; charset=utf-8', `Content-Length: ${body.length}`, `x-ms-request-id: ${requestId}`, `request-id: ${requestId}`];
  for (const name of ['client-request-id', 'x-ms-client-request-id']) {
    const value = described.headers[name];
    // Echoed only when it is plain text: it goes back into a head of our own.
    if (value !== undefined && /^[\x20-\x7e]{1,200}$/.test(value)) lines.push(`${name}: ${value}`);
  }
  socket.end(Buffer.concat([Buffer.from(`${lines.join('\r\n')}\r\n\r\n`, 'latin1'), body]));
  options.onRejected({
    time: new Date().toISOString(),
    requestId,
    status,
    code: err.code ?? 'unknown',
    reason,
    method: described.method,
    target: described.target,
    client: described.headers['user-agent'] ?? '',
    rawHead: printableHead(raw),
  });
}

const STATUS_TEXT: Record<number, string> = { 400: 'Bad Request', 408: 'Request Timeout', 431: 'Request Header Fields Too Large' };

function reasonOf(err: ClientError): string {
  if (err.code === 'ERR_HTTP_REQUEST_TIMEOUT') return 'the request head or body did not arrive in time';
  if (err.code === 'HPE_HEADER_OVERFLOW') return 'the request line and headers are larger than 16 KiB';
  if (err.code === 'HPE_INVALID_HEADER_TOKEN' && err.rawPacket && startsWithFoldContinuation(err.rawPacket)) {
    return 'a header continued on the next line (obs-fold) whose first line came in an earlier packet; the emulator unfolds a folded header only when the head starts in the packet that holds the fold: send the request head in one write';
  }
  const at = err.bytesParsed !== undefined ? ` at byte ${err.bytesParsed}` : '';
  return `${err.reason ?? err.message} (${err.code ?? 'parse error'}${at})`;
}

function printableHead(raw: Buffer): string {
  const end = raw.indexOf('\r\n\r\n');
  const head = raw.subarray(0, Math.min(end < 0 ? raw.length : end, 2048)).toString('latin1');
  return head.replace(/(authorization:\s*\S+\s+)\S+/gi, '$1<redacted>').replace(/[\u0000-\u0008\u000b-\u001f\u007f-\u00ff]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
}
