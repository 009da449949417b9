import type { IncomingMessage, ServerResponse } from 'node:http';
import type { RequestInfo } from '../domain/findings.js';
import type { WireFormat } from '../odata/format.js';

/**
 * The API's requests are served on Node's own request and response, not Express's (app.ts says why),
 * so what the API's code reads of a request goes through these, which work on both.
 */

/** A request header as Express's `req.get` reads it (Referer and Referrer are one). */
export function header(req: IncomingMessage, name: string): string | undefined {
  const lower = name.toLowerCase();
  const value = lower === 'referer' || lower === 'referrer' ? req.headers['referrer'] || req.headers['referer'] : req.headers[lower];
  // Only Set-Cookie comes as an array, and no client sends it in a request; read it as Node joins others.
  return Array.isArray(value) ? value.join(', ') : value;
}

/** The URL the client asked for: Express's `originalUrl` (which a mounted router does not rewrite), else Node's. */
export function requestUrl(req: IncomingMessage): string {
  return (req as IncomingMessage & { originalUrl?: string }).originalUrl ?? req.url ?? '/';
}

/** Per-request values the middleware chain shares, typed (express's `res.locals` is `any`). */
export interface RequestLocals {
  requestId: string;
  startedAt: number;
  /** The negotiated response format, once known; errors before that are written as JSON. */
  format?: WireFormat;
}

const LOCALS = Symbol('ams-emulator-locals');

export function locals(res: ServerResponse): RequestLocals {
  const holder = res as ServerResponse & { [LOCALS]?: RequestLocals };
  holder[LOCALS] ??= { requestId: '', startedAt: Date.now() };
  return holder[LOCALS];
}

export function requestInfo(req: IncomingMessage, res: ServerResponse): RequestInfo {
  return {
    requestId: locals(res).requestId,
    client: (header(req, 'user-agent') ?? '').slice(0, 300),
    method: req.method ?? '',
    path: requestUrl(req).slice(0, 500),
  };
}

/** A Host header is echoed into bodies and Location: accept only a plausible host[:port]. */
const HOST = /^(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*\.?|\[[0-9A-Fa-f:.]+\])(?::\d{1,5})?$/;

/**
 * `http(s)://<Host>/api/`: URLs the emulator writes follow the Host the client used, so a client
 * that reaches it under another name (e.g. `<account>.restv2.<region>.media.azure.net` mapped in
 * a hosts file, which the .NET SDK insists on) gets links it can follow.
 */
export function serviceRootOf(req: IncomingMessage): string {
  return `${baseUrlOf(req)}api/`;
}

export function baseUrlOf(req: IncomingMessage): string {
  const host = header(req, 'host');
  const scheme = req.socket && 'encrypted' in req.socket && (req.socket as { encrypted?: boolean }).encrypted ? 'https' : 'http';
  const safeHost = host && HOST.test(host) ? host : localHost(req);
  return `${scheme}://${safeHost}/`;
}

function localHost(req: IncomingMessage): string {
  const address = req.socket.localAddress ?? '127.0.0.1';
  const port = req.socket.localPort ?? 80;
  const host = address.includes(':') && !address.startsWith('::ffff:') ? `[${address}]` : address.replace(/^::ffff:/, '');
  return `${host}:${port}`;
}
