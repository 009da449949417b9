import { isIP } from 'node:net';
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { ODataError } from '../odata/errors.js';

/**
 * Who may use `/_emulator`: it has no auth (it is the test harness's, like LocalStack's
 * `/_localstack`), and `POST /_emulator/reset` wipes everything. Two things stop a web page the
 * user happens to visit from using it:
 *
 * - Mutating routes need a request a page cannot send without CORS permission, which
 *   `/_emulator` never grants: `Content-Type: application/json` or an `X-AMS-Emulator` header.
 *   A `text/plain` or form POST (a "simple" request) is refused.
 * - DNS rebinding gives the page's own name a loopback address; its Host header still carries
 *   that name. While the emulator listens on a specific interface, `/_emulator` answers only Host
 *   names that are loopback or that interface. Listening on every interface (`--host 0.0.0.0`)
 *   exposes it to the network anyway: any Host is answered, and the banner warns.
 *
 * `/api` is not limited by Host: clients pointed at the emulator through a hosts-file entry for
 * `*.media.azure.net` are legitimate, and `/api` has its own auth.
 */

/** The request header that marks a deliberate call (any non-empty value). */
export const EMULATOR_CALL_HEADER = 'X-AMS-Emulator';

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

export function emulatorExposureGuard(listenHost: string): RequestHandler {
  return (req: Request, _res: Response, next: NextFunction) => {
    const host = hostName(req.get('host'));
    if (host !== undefined && !answersHost(listenHost, host)) {
      next(
        new ODataError(
          403,
          `/_emulator answers only loopback Host names (localhost, 127.0.0.1, [::1]) or the interface it listens on (${listenHost}), not ${JSON.stringify(host.slice(0, 100))}: a foreign Host is how a web page reaches it through DNS rebinding. Call it at http://127.0.0.1:<port>/_emulator`,
          'ForeignHost',
        ),
      );
      return;
    }
    if (!SAFE_METHODS.has(req.method) && !deliberate(req)) {
      next(
        new ODataError(
          403,
          `${req.method} /_emulator${req.path} needs Content-Type: application/json or an ${EMULATOR_CALL_HEADER} header (e.g. ${EMULATOR_CALL_HEADER}: 1), which a cross-site web page cannot send; e.g. curl -X ${req.method} -H '${EMULATOR_CALL_HEADER}: 1' ...`,
          'CrossSiteProtection',
        ),
      );
      return;
    }
    next();
  };
}

/** A request no page can make cross-site without a CORS preflight, which /_emulator never passes. */
function deliberate(req: Request): boolean {
  if ((req.get(EMULATOR_CALL_HEADER) ?? '').trim() !== '') return true;
  const mediaType = (req.get('content-type') ?? '').split(';')[0]!.trim().toLowerCase();
  return mediaType === 'application/json';
}

/** Whether an emulator listening on `listenHost` answers `/_emulator` for the Host name `host`. */
export function answersHost(listenHost: string, host: string): boolean {
  if (listensOnEveryInterface(listenHost)) return true;
  const name = host.toLowerCase();
  return isLoopbackName(name) || name === bareHost(listenHost).toLowerCase();
}

/** Whether the interface reaches beyond this machine: what the banner warns about. */
export function listensBeyondLoopback(listenHost: string): boolean {
  return !isLoopbackName(bareHost(listenHost).toLowerCase());
}

function listensOnEveryInterface(listenHost: string): boolean {
  const bare = bareHost(listenHost);
  return bare === '' || bare === '0.0.0.0' || bare === '::' || bare === '0:0:0:0:0:0:0:0';
}

function isLoopbackName(name: string): boolean {
  if (name === 'localhost' || name.endsWith('.localhost')) return true;
  if (isIP(name) === 4) return name.startsWith('127.');
  if (isIP(name) === 6) return name === '::1' || name === '0:0:0:0:0:0:0:1' || /^::ffff:127\./.test(name);
  return false;
}

/** The name of a Host header without its port or IPv6 brackets; undefined when there is none. */
function hostName(header: string | undefined): string | undefined {
  if (header === undefined || header.trim() === '') return undefined;
  const text = header.trim();
  const bracketed = /^\[([^\]]*)\](?::\d*)?$/.exec(text);
  if (bracketed) return bracketed[1]!;
  const colon = text.lastIndexOf(':');
  return colon >= 0 && text.indexOf(':') === colon ? text.slice(0, colon) : text;
}

function bareHost(host: string): string {
  return host.replace(/^\[(.*)\]$/, '$1');
}
