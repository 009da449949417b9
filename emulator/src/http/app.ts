import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import express, { type Express } from 'express';
import type { TokenIssuer } from '../auth/tokens.js';
import { FaultInjector } from '../faults/injector.js';
import { faultMiddleware } from '../faults/middleware.js';
import { controlPlane } from '../control/mount.js';
import type { ControlRoute } from '../control/table.js';
import type { Services } from '../app/services.js';
import type { ApiRouter } from '../resources/router.js';
import { EMULATOR_NAME, EMULATOR_VERSION } from '../version.js';
import { apiHandler, splitUrl } from './api-handler.js';
import { refuseDeclaredOversizedBody } from './body-limit.js';
import { requestTimeout } from './request-timeout.js';
import { errorHandler, type ErrorLogger } from './error-handler.js';
import { isWatchPoll, WATCH_HEADER, type RequestLog } from './request-log.js';
import { legacyRootRedirect } from './legacy-root.js';
import { header, locals, requestInfo, requestUrl } from './request-context.js';
import { tokenRouter } from './token-endpoints.js';
import { readApiBody } from './request-body.js';
import { sequence } from './sequence.js';

export interface AppOptions {
  services: Services;
  /** What `/api/` serves: this emulator's router (app/compose.ts). */
  router: ApiRouter;
  tokens: TokenIssuer;
  requests: RequestLog;
  /** Fault rules users set through /_emulator/faults to test their retry code (default: none yet). */
  faults?: FaultInjector;
  /** The `/_emulator` routes (control/table.ts); none for an app that only serves the API. */
  control: readonly ControlRoute[];
  /** One line per request (the access log), unless silent. */
  accessLog?: (line: string) => void;
  /** Debug log sink (request and response headers, redacted), when --debug is given. */
  debugLog?: (entry: Record<string, unknown>) => void;
  logError: ErrorLogger;
  /** Extra routers mounted before `/api` (origin delivery). */
  extraRoutes?: (app: Express) => void;
}

/** What serves the emulator's port: Node's request listener (`http.createServer(listener)`, supertest). */
export type AppListener = (req: IncomingMessage, res: ServerResponse) => void;

/**
 * The emulator's HTTP front: API requests (`/api/...`) go straight to the API's middlewares on
 * Node's own request and response; everything else (token endpoints, `/_emulator`, origin and key
 * delivery, the legacy root's redirects) goes through Express. Express's per-request set-up (it
 * swaps the prototypes of Node's request and response, which turns property reads all over Node's
 * HTTP code megamorphic) and its router walking the layers before `/api` took about a quarter of
 * the emulator's CPU per `POST Assets`; on a 2-core machine shared with Azurite that CPU is
 * throughput.
 */
export function createApp(options: AppOptions): AppListener {
  const { services } = options;
  const faults = options.faults ?? new FaultInjector();
  const onError = errorHandler(options.logError);
  const api = sequence<IncomingMessage, ServerResponse>([
    requestTimeout(services.config.limits.requestTimeoutMs),
    faultMiddleware(faults),
    refuseDeclaredOversizedBody(services.config.limits.maxBodyBytes),
    readApiBody(services.config.limits.maxBodyBytes),
    apiHandler(services, options.tokens, options.logError, options.router),
  ]);

  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  app.set('query parser', 'simple');
  app.use(tokenRouter(options.tokens, services.config.auth));
  app.use('/_emulator', controlPlane(services.config.host, options.control));
  options.extraRoutes?.(app);
  // The legacy root: `/`, `/api` without its slash, and entity sets under the root answer 301 to `/api/`.
  app.use(legacyRootRedirect('64kb'));
  // Whatever no route took is answered by the API handler (a 404 in the client's format).
  app.use(api);
  app.use(onError);

  return (req, res) => {
    begin(options, req, res);
    if (!isApiPath(req.url ?? '')) {
      app(req, res);
      return;
    }
    api(req, res, (err?: unknown) => {
      // The API handler answers or fails; a chain that ends without either is a bug, answered as one.
      const failure = err ?? new Error(`no API middleware answered ${req.method} ${req.url}`);
      try {
        onError(failure, req, res, () => undefined);
      } catch (error) {
        options.logError(`the error handler failed on ${req.method} ${req.url?.slice(0, 200)}`, error);
        res.destroy();
      }
    });
  };
}

/**
 * A path under `/api/` that no route before the API's would take: the token endpoints' `/{tenant}/oauth2/...`
 * takes `api` as a tenant name, so `/api/oauth2...` goes the long way; `/_emulator`, `/origin`,
 * `/keydelivery` and the legacy root's redirects never start with `/api/`.
 */
export function isApiPath(url: string): boolean {
  return url.startsWith('/api/') && !/^\/api\/oauth2/i.test(url);
}

/** What every request gets first: its id and the emulator's headers, and a line in the request log once answered. */
function begin(options: AppOptions, req: IncomingMessage, res: ServerResponse): void {
  const l = locals(res);
  l.requestId = randomUUID();
  l.startedAt = performance.now();
  res.setHeader('x-ms-request-id', l.requestId);
  res.setHeader('request-id', l.requestId);
  res.setHeader('X-AMS-Emulator', `${EMULATOR_NAME}/${EMULATOR_VERSION}`);
  res.setHeader('Server', `${EMULATOR_NAME}/${EMULATOR_VERSION}`);
  for (const name of ['client-request-id', 'x-ms-client-request-id']) {
    const value = header(req, name);
    if (value !== undefined) res.setHeader(name, value.slice(0, 2048));
  }
  res.on('finish', () => logRequest(options, req, res));
}

function logRequest(options: AppOptions, req: IncomingMessage, res: ServerResponse): void {
  const l = locals(res);
  const latencyMs = Math.round((performance.now() - l.startedAt) * 10) / 10;
  const info = requestInfo(req, res);
  const url = requestUrl(req);
  const method = req.method ?? '';
  const { path } = splitUrl(url);
  if (!isWatchPoll(method, path, header(req, WATCH_HEADER))) {
    const range = header(req, 'range');
    options.requests.add({ time: new Date().toISOString(), method, path: path.slice(0, 500), status: res.statusCode, latencyMs, requestId: l.requestId, client: info.client, ...(range ? { range: range.slice(0, 200) } : {}) });
  }
  options.accessLog?.(`${req.socket.remoteAddress ?? '-'} "${method} ${url.slice(0, 300)}" ${res.statusCode} ${latencyMs}ms ${l.requestId}`);
  options.debugLog?.({
    time: new Date().toISOString(),
    requestId: l.requestId,
    method,
    url,
    status: res.statusCode,
    latencyMs,
    requestHeaders: redact(req.headers),
    responseHeaders: res.getHeaders(),
  });
}

function redact(headers: IncomingMessage['headers']): Record<string, unknown> {
  const out: Record<string, unknown> = { ...headers };
  if (out['authorization']) out['authorization'] = String(out['authorization']).replace(/(Bearer\s+)\S+/i, '$1<redacted>');
  return out;
}
