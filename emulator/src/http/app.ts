import { randomUUID } from 'node:crypto';
import express, { type Express, type NextFunction, type Request, type Response } from 'express';
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
import { locals, requestInfo } from './request-context.js';
import { tokenRouter } from './token-endpoints.js';

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

export function createApp(options: AppOptions): Express {
  const { services } = options;
  const faults = options.faults ?? new FaultInjector();
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  app.set('query parser', 'simple');

  app.use((req: Request, res: Response, next: NextFunction) => {
    const l = locals(res);
    l.requestId = randomUUID();
    l.startedAt = performance.now();
    res.setHeader('x-ms-request-id', l.requestId);
    res.setHeader('request-id', l.requestId);
    res.setHeader('X-AMS-Emulator', `${EMULATOR_NAME}/${EMULATOR_VERSION}`);
    res.setHeader('Server', `${EMULATOR_NAME}/${EMULATOR_VERSION}`);
    for (const name of ['client-request-id', 'x-ms-client-request-id']) {
      const value = req.get(name);
      if (value !== undefined) res.setHeader(name, value.slice(0, 2048));
    }
    res.on('finish', () => logRequest(options, req, res));
    next();
  });

  app.use(tokenRouter(options.tokens, services.config.auth));
  app.use('/_emulator', controlPlane(services.config.host, options.control));
  options.extraRoutes?.(app);

  // The legacy root: `/`, `/api` without its slash, and entity sets under the root answer 301 to `/api/`.
  app.use(legacyRootRedirect('64kb'));

  app.use(
    requestTimeout(services.config.limits.requestTimeoutMs),
    faultMiddleware(faults),
    refuseDeclaredOversizedBody(services.config.limits.maxBodyBytes),
    express.raw({ type: () => true, limit: services.config.limits.maxBodyBytes }),
    apiHandler(services, options.tokens, options.logError, options.router),
  );
  app.use(errorHandler(options.logError));
  return app;
}

function logRequest(options: AppOptions, req: Request, res: Response): void {
  const l = locals(res);
  const latencyMs = Math.round((performance.now() - l.startedAt) * 10) / 10;
  const info = requestInfo(req, res);
  const { path } = splitUrl(req.originalUrl);
  if (!isWatchPoll(req.method, path, req.get(WATCH_HEADER))) {
    const range = req.get('range');
    options.requests.add({ time: new Date().toISOString(), method: req.method, path: path.slice(0, 500), status: res.statusCode, latencyMs, requestId: l.requestId, client: info.client, ...(range ? { range: range.slice(0, 200) } : {}) });
  }
  options.accessLog?.(`${req.socket.remoteAddress ?? '-'} "${req.method} ${req.originalUrl.slice(0, 300)}" ${res.statusCode} ${latencyMs}ms ${l.requestId}`);
  options.debugLog?.({
    time: new Date().toISOString(),
    requestId: l.requestId,
    method: req.method,
    url: req.originalUrl,
    status: res.statusCode,
    latencyMs,
    requestHeaders: redact(req.headers),
    responseHeaders: res.getHeaders(),
  });
}

function redact(headers: Request['headers']): Record<string, unknown> {
  const out: Record<string, unknown> = { ...headers };
  if (out['authorization']) out['authorization'] = String(out['authorization']).replace(/(Bearer\s+)\S+/i, '$1<redacted>');
  return out;
}
