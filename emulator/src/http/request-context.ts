import type { Request, Response } from 'express';
import type { RequestInfo } from '../domain/findings.js';
import type { WireFormat } from '../odata/format.js';

/** Per-request values the middleware chain shares, typed (express's `res.locals` is `any`). */
export interface RequestLocals {
  requestId: string;
  startedAt: number;
  /** The negotiated response format, once known; errors before that are written as JSON. */
  format?: WireFormat;
}

const LOCALS = Symbol('ams-emulator-locals');

export function locals(res: Response): RequestLocals {
  const holder = res as Response & { [LOCALS]?: RequestLocals };
  holder[LOCALS] ??= { requestId: '', startedAt: Date.now() };
  return holder[LOCALS];
}

export function requestInfo(req: Request, res: Response): RequestInfo {
  return {
    requestId: locals(res).requestId,
    client: (req.get('user-agent') ?? '').slice(0, 300),
    method: req.method,
    path: req.originalUrl.slice(0, 500),
  };
}

/** A Host header is echoed into bodies and Location: accept only a plausible host[:port]. */
const HOST = /^(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*\.?|\[[0-9A-Fa-f:.]+\])(?::\d{1,5})?$/;

/**
 * `http(s)://<Host>/api/`: URLs the emulator writes follow the Host the client used, so a client
 * that reaches it under another name (e.g. `<account>.restv2.<region>.media.azure.net` mapped in
 * a hosts file, which the .NET SDK insists on) gets links it can follow.
 */
export function serviceRootOf(req: Request): string {
  return `${baseUrlOf(req)}api/`;
}

export function baseUrlOf(req: Request): string {
  const host = req.get('host');
  const scheme = req.socket && 'encrypted' in req.socket && (req.socket as { encrypted?: boolean }).encrypted ? 'https' : 'http';
  const safeHost = host && HOST.test(host) ? host : localHost(req);
  return `${scheme}://${safeHost}/`;
}

function localHost(req: Request): string {
  const address = req.socket.localAddress ?? '127.0.0.1';
  const port = req.socket.localPort ?? 80;
  const host = address.includes(':') && !address.startsWith('::ffff:') ? `[${address}]` : address.replace(/^::ffff:/, '');
  return `${host}:${port}`;
}
