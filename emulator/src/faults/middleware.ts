import type { IncomingMessage, ServerResponse } from 'node:http';
import { ODataError } from '../odata/errors.js';
import { negotiateFormat } from '../odata/format.js';
import { decodePath, pathBelowServiceRoot } from '../odata/uri.js';
import { splitUrl } from '../http/api-handler.js';
import { header, locals, requestUrl } from '../http/request-context.js';
import type { FaultInjector } from './injector.js';

/** Applies the fault rules to `/api` requests, before anything else looks at them. */
export function faultMiddleware(faults: FaultInjector) {
  return async (req: IncomingMessage, res: ServerResponse, next: (err?: unknown) => void): Promise<void> => {
    if (!faults.active) return next();
    const { path: rawPath, query } = splitUrl(requestUrl(req));
    let path: string;
    try {
      path = decodePath(rawPath);
    } catch {
      return next();
    }
    const below = pathBelowServiceRoot(path);
    if (below === undefined) return next();
    const entity = /^([^(/]*)/.exec(below)?.[1] || undefined;
    const decision = faults.decide({ method: header(req, 'x-http-method')?.toUpperCase() ?? req.method ?? '', path, entity });
    if (!decision) return next();
    if (decision.rule.latencyMs > 0) await new Promise((r) => setTimeout(r, decision.rule.latencyMs));
    if (decision.status === undefined) return next();
    try {
      locals(res).format = negotiateFormat(header(req, 'accept'), /(?:^|&)\$format=([^&]*)/.exec(query)?.[1]);
    } catch {
      locals(res).format = 'json-minimal';
    }
    res.setHeader('x-ams-emulator-fault', decision.rule.id);
    const headers: Record<string, string> = decision.status === 503 || decision.status === 429 ? { 'Retry-After': '1' } : {};
    next(new ODataError(decision.status, decision.rule.message, decision.rule.code, headers));
  };
}
