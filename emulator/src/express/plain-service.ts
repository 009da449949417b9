import type { Request, Response } from 'express';

/**
 * What the emulator's plain-HTTP services (origin delivery, key delivery) share: they answer
 * browsers and players, not OData clients, so CORS for any origin, a preflight answered from the
 * methods they serve, a 405 for the others, and a small JSON error body `{"error":{code,message}}`.
 */

/** An answer other than success: the status, the body's code and message, and headers to send with it. */
export class PlainServiceError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly headers: Readonly<Record<string, string>> = {},
  ) {
    super(message);
  }
}

export interface MethodGate {
  /** The methods the service serves (OPTIONS, the preflight, is answered here besides). */
  methods: readonly string[];
  /** The request headers a browser may send (`Access-Control-Allow-Headers`). */
  requestHeaders: string;
  /** Said after "<METHOD> is not allowed: " in the 405. */
  hint: string;
}

/**
 * The gate in front of a service: `Access-Control-Allow-Origin: *`, a preflight answered 204 with
 * the methods and headers allowed, and a 405 (with `Allow`) for any other method. False when the
 * request is answered (a preflight); the caller serves it when true.
 */
export function passMethodGate(req: Request, res: Response, gate: MethodGate): boolean {
  res.setHeader('Access-Control-Allow-Origin', '*');
  const allow = [...gate.methods, 'OPTIONS'].join(', ');
  if (req.method === 'OPTIONS') {
    res.setHeader('Access-Control-Allow-Methods', allow);
    res.setHeader('Access-Control-Allow-Headers', gate.requestHeaders);
    res.status(204).end();
    return false;
  }
  if (!gate.methods.includes(req.method)) throw new PlainServiceError(405, 'MethodNotAllowed', `${req.method} is not allowed: ${gate.hint}`, { Allow: allow });
  return true;
}

/** Send an error as the JSON body (none for HEAD); an answer already under way can only be cut off. */
export function sendPlainError(req: Request, res: Response, error: PlainServiceError): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  for (const [name, value] of Object.entries(error.headers)) res.setHeader(name, value);
  const body = Buffer.from(JSON.stringify({ error: { code: error.code, message: error.message } }), 'utf8');
  res.status(error.status);
  res.setHeader('Content-Type', 'application/json; charset=utf-8');
  res.setHeader('Content-Length', String(body.length));
  res.end(req.method === 'HEAD' ? undefined : body);
}
