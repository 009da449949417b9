import type { IncomingMessage, ServerResponse } from 'node:http';
import { StrictRefusal } from '../domain/deviations.js';
import { recordFinding, type RequestInfo } from '../domain/findings.js';
import { ODataError, badRequest, methodNotAllowed, notFound } from '../odata/errors.js';
import { negotiateBatchFormat, negotiateFormat, negotiateTextFormat, type WireFormat } from '../odata/format.js';
import { parseQueryString } from '../odata/params.js';
import { decodePath, parseODataPath, pathBelowServiceRoot } from '../odata/uri.js';
import type { Services } from '../app/services.js';
import type { ApiRequest, HttpMethod } from '../resources/context.js';
import type { ApiRouter } from '../resources/router.js';
import { isKnownApiVersion } from './api-version.js';
import { executeBatch } from './batch.js';
import type { ErrorLogger } from './error-handler.js';
import { writeRendered, writeResult } from './respond.js';
import { recordRefusal } from './strict-refusal.js';
import { header, locals, requestInfo, requestUrl, serviceRootOf } from './request-context.js';
import type { TokenIssuer } from '../auth/tokens.js';

const METHODS: ReadonlySet<string> = new Set(['GET', 'HEAD', 'POST', 'PUT', 'MERGE', 'PATCH', 'DELETE']);
const TUNNELLED: ReadonlySet<string> = new Set(['MERGE', 'PATCH', 'PUT', 'DELETE']);

/**
 * Everything under `/api`: decode the path, negotiate the format, check version and token, parse
 * the OData path, run the resource handler and write its result. Errors go to the error handler,
 * which answers in the negotiated format.
 */
export function apiHandler(services: Services, tokens: TokenIssuer, logError: ErrorLogger, router: ApiRouter) {
  return async (req: IncomingMessage, res: ServerResponse, next: (err?: unknown) => void): Promise<void> => {
    const info = requestInfo(req, res);
    try {
      const { path: rawPath, query } = splitUrl(requestUrl(req));
      const below = pathBelowServiceRoot(decodePath(rawPath));
      if (below === undefined) throw notFound(`Nothing is served at ${rawPath.slice(0, 120)}: the Media Services API is under /api/`);
      const params = parseQueryString(query);
      const formatOption = params.find(([n]) => n === '$format')?.[1];
      const format = /^\$batch\/?$/.test(below)
        ? negotiateBatchFormat(header(req, 'accept'), formatOption)
        : /\/\$(?:count|value)\/?$/.test(below)
          ? negotiateTextFormat(header(req, 'accept'), formatOption)
          : negotiateFormat(header(req, 'accept'), formatOption);
      locals(res).format = format;
      const path = parseODataPath(below);
      const method = effectiveMethod(req);

      await checkAuth(req, services, tokens);
      const versionFinding = checkApiVersion(req, services, path.kind === 'metadata' ? params : undefined);

      const serviceRoot = serviceRootOf(req);
      const baseUrl = serviceRoot.replace(/api\/$/, '');
      const body = requestBody(req);
      const contentType = header(req, 'content-type');
      if (versionFinding) await recordVersionFinding(services, info, versionFinding);
      if (path.kind === 'batch') {
        if (method !== 'POST') throw methodNotAllowed(`${method} is not allowed on $batch; POST a multipart/mixed body`);
        const deadline = Date.now() + services.config.limits.requestTimeoutMs;
        const batch = { services, router, serviceRoot, baseUrl, info, outerHeader: (name: string) => header(req, name), resolveMethod, logError, deadline };
        writeRendered(res, await executeBatch(batch, body, contentType));
        return;
      }
      const apiRequest: ApiRequest = { method, path, rawQuery: query, body, contentType, serviceRoot, baseUrl, info };
      const result = await withTimeout(router.route(apiRequest, services), services.config.limits.requestTimeoutMs);
      writeResult(res, {
        format,
        serviceRoot: apiRequest.serviceRoot,
        maxDataServiceVersion: maxDataServiceVersion(req),
        preferNoContent: /return-no-content/i.test(header(req, 'prefer') ?? ''),
        head: method === 'HEAD',
        // Only queries can answer more than their request carried; a change's answer is bounded by its body.
        maxResponseBytes: method === 'GET' || method === 'HEAD' ? services.config.limits.maxResponseBytes : Infinity,
      }, result);
    } catch (err) {
      if (err instanceof StrictRefusal) await recordRefusal(services, info, err);
      next(err);
    }
  };
}

/** The body the API's body reader left on the request: empty when there was none. */
function requestBody(req: IncomingMessage): Buffer {
  const body = (req as IncomingMessage & { body?: unknown }).body;
  return Buffer.isBuffer(body) ? body : Buffer.alloc(0);
}

/** Raw path and query of the request URL, undecoded. */
export function splitUrl(url: string): { path: string; query: string } {
  const q = url.indexOf('?');
  return q < 0 ? { path: url, query: '' } : { path: url.slice(0, q), query: url.slice(q + 1) };
}

function effectiveMethod(req: IncomingMessage): HttpMethod {
  return resolveMethod(req.method ?? '', header(req, 'x-http-method'));
}

/** `X-HTTP-Method: MERGE` on a POST (the Java SDK's updates) is the MERGE it names. */
export function resolveMethod(method: string, tunnel: string | undefined): HttpMethod {
  if (tunnel !== undefined && method === 'POST') {
    const m = tunnel.trim().toUpperCase();
    if (!TUNNELLED.has(m)) throw badRequest(`X-HTTP-Method: ${tunnel} cannot be tunnelled through POST; use MERGE, PATCH, PUT or DELETE`);
    return m as HttpMethod;
  }
  if (!METHODS.has(method)) throw new ODataError(405, `${method.slice(0, 20)} is not supported; use GET, POST, MERGE, PATCH, PUT or DELETE`);
  return method as HttpMethod;
}

async function checkAuth(req: IncomingMessage, services: Services, tokens: TokenIssuer): Promise<void> {
  const mode = services.config.auth;
  if (mode === 'none') return;
  const authorization = header(req, 'authorization') ?? '';
  const m = /^Bearer\s+(\S+)\s*$/i.exec(authorization);
  const challenge = { 'WWW-Authenticate': 'Bearer realm="ams-v2-emulator"' };
  if (!m) {
    const message = authorization === ''
      ? 'The Authorization header is missing: send Authorization: Bearer <token> (get one from /v2/OAuth2-13 or /<tenant>/oauth2/token)'
      : 'The Authorization header must be "Bearer <token>"';
    throw new ODataError(401, message, 'Unauthorized', challenge);
  }
  if (mode === 'any') return;
  try {
    await tokens.verify(m[1]!);
  } catch (err) {
    throw new ODataError(401, `The token is refused: ${(err as Error).message}`, 'Unauthorized', { 'WWW-Authenticate': 'Bearer realm="ams-v2-emulator", error="invalid_token"' });
  }
}

/**
 * x-ms-version: required (400 when missing, as the service answered); 2.0-2.19 served; another
 * value is served as 2.19 with a warning finding, or refused with --strict. `$metadata` may name
 * the version in the query instead (`?api-version=2.x`), as the docs allowed for browsing it.
 */
function checkApiVersion(req: IncomingMessage, services: Services, metadataParams: [string, string][] | undefined): string | undefined {
  const given = header(req, 'x-ms-version') ?? metadataParams?.find(([n]) => n.toLowerCase() === 'api-version')?.[1];
  if (given === undefined || given.trim() === '') {
    throw badRequest('The x-ms-version header is required: send x-ms-version: 2.19', 'MissingApiVersion');
  }
  if (isKnownApiVersion(given)) return undefined;
  const version = given.slice(0, 40);
  if (services.config.strict) {
    const message = `x-ms-version ${JSON.stringify(version)} is not a Media Services API version: use 2.0 to 2.19`;
    throw new StrictRefusal(400, message, 'UnsupportedApiVersion', [{ rule: 'unsupported-api-version', message, details: { version } }]);
  }
  return version;
}

async function recordVersionFinding(services: Services, info: RequestInfo, version: string): Promise<void> {
  await services.store.transaction((tx) =>
    recordFinding(tx, info, {
      rule: 'unsupported-api-version',
      message: `x-ms-version ${JSON.stringify(version)} is not a Media Services API version (2.0 to 2.19); served as 2.19`,
      details: { version },
    }, services.ids.guid(), services.now()),
  );
}

function maxDataServiceVersion(req: IncomingMessage): number {
  const value = header(req, 'maxdataserviceversion');
  const m = value ? /^\s*(\d+)/.exec(value) : null;
  const v = m ? Number(m[1]) : 3;
  return v >= 1 && v <= 3 ? v : 3;
}

async function withTimeout<T>(work: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new ODataError(503, `The request did not complete within ${ms} ms; try again`, 'ServiceUnavailable', { 'Retry-After': '1' })), ms);
  });
  try {
    return await Promise.race([work, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

export type { WireFormat };
