import express, { type NextFunction, type Request, type Response, type Router } from 'express';
import type { AuthMode } from '../config.js';
import { AAD_RESOURCE, ACS_SCOPE } from '../auth/credentials.js';
import { devCredentialsMatch, type TokenIssuer } from '../auth/tokens.js';
import { readAndDropBody, readOtherBody } from '../express/read-body.js';

/**
 * Token endpoints on the emulator's own port: the ACS era's `POST /v2/OAuth2-13` and Azure AD's
 * v1 `POST /{tenant}/oauth2/token` and v2 `/{tenant}/oauth2/v2.0/token`, each answering in that
 * service's exact shape (the legacy Java SDK fails on any extra field in the ACS answer).
 */
export function tokenRouter(issuer: TokenIssuer, auth: AuthMode): Router {
  const router = express.Router();
  const form = express.urlencoded({ extended: false, limit: BODY_LIMIT });
  // A body of another type is read and dropped too: the client then gets the answer whole.
  const rest = readOtherBody(BODY_LIMIT);

  // OAuth clients parse OAuth errors: a wrong verb on a token URL is answered in that shape too.
  router.all(TOKEN_PATHS, (req, res, next) => {
    if (req.method === 'POST') return next();
    readAndDropBody(req, res, BODY_LIMIT).then(() => {
      res.setHeader('Allow', 'POST');
      oauthError(res, 405, 'invalid_request', `${req.method.slice(0, 20)} is not allowed on a token endpoint: POST an application/x-www-form-urlencoded body`);
    }, next);
  });

  router.post('/v2/OAuth2-13', form, rest, async (req, res) => {
    const params = formOf(req);
    const failure = checkClient(params, auth);
    if (failure) return oauthError(res, failure.status, failure.error, failure.description);
    const scope = params['scope'] || ACS_SCOPE;
    const { token, expiresIn } = await issuer.issue(params['client_id']!, ACS_SCOPE);
    // Exactly these four fields, as ACS answered.
    res.status(200).json({
      token_type: 'http://schemas.xmlsoap.org/ws/2009/11/swt-token-profile-1.0',
      access_token: token,
      expires_in: String(expiresIn),
      scope,
    });
  });

  router.post('/:tenant/oauth2/token', form, rest, async (req, res) => {
    const params = formOf(req);
    const failure = checkClient(params, auth);
    if (failure) return oauthError(res, failure.status, failure.error, failure.description);
    const resource = params['resource'] || AAD_RESOURCE;
    if (auth === 'strict' && resource.replace(/\/$/, '') !== AAD_RESOURCE) {
      return oauthError(res, 400, 'invalid_resource', `AADSTS500011: the resource '${resource}' is not Media Services; use resource=${AAD_RESOURCE}`);
    }
    const t = await issuer.issue(params['client_id']!, AAD_RESOURCE);
    res.status(200).json({
      token_type: 'Bearer',
      expires_in: String(t.expiresIn),
      ext_expires_in: String(t.expiresIn),
      expires_on: String(t.expiresOn),
      not_before: String(t.notBefore),
      resource,
      access_token: t.token,
    });
  });

  router.post('/:tenant/oauth2/v2.0/token', form, rest, async (req, res) => {
    const params = formOf(req);
    const failure = checkClient(params, auth);
    if (failure) return oauthError(res, failure.status, failure.error, failure.description);
    const scope = params['scope'] || `${AAD_RESOURCE}/.default`;
    if (auth === 'strict' && !scope.split(' ').some(isMediaServicesScope)) {
      return oauthError(res, 400, 'invalid_scope', `AADSTS70011: the scope '${scope}' is not Media Services; use scope=${AAD_RESOURCE}/.default`);
    }
    const t = await issuer.issue(params['client_id']!, AAD_RESOURCE);
    res.status(200).json({ token_type: 'Bearer', expires_in: t.expiresIn, ext_expires_in: t.expiresIn, access_token: t.token });
  });

  // A body that cannot be read (too large, compressed wrongly, an unknown charset) is still an OAuth error.
  router.use(TOKEN_PATHS, (err: unknown, req: Request, res: Response, next: NextFunction) => {
    const status = typeof err === 'object' && err !== null && 'status' in err && typeof err.status === 'number' ? err.status : undefined;
    if (status === undefined || status < 400 || status >= 500 || res.headersSent) return next(err);
    const type = (err as { type?: unknown }).type;
    const description =
      type === 'entity.too.large'
        ? 'the request body is larger than the limit of 64 KiB'
        : type === 'charset.unsupported' || type === 'encoding.unsupported'
          ? `the request body cannot be decoded: ${(err as Error).message}; send it in UTF-8, uncompressed or gzip`
          : `the request body cannot be read: ${(err as Error).message}`;
    oauthError(res, status, 'invalid_request', description);
  });

  return router;
}

const BODY_LIMIT = '64kb';

/**
 * `https://rest.media.azure.net/.default` (or `//.default`, or a permission after the resource):
 * the resource part must be exactly Media Services', so `https://rest.media.azure.net.evil/...`
 * is another resource.
 */
function isMediaServicesScope(scope: string): boolean {
  const resource = /^([a-z][a-z0-9+.-]*:\/\/[^/]*)(?:\/.*)?$/i.exec(scope)?.[1];
  return resource !== undefined && resource.toLowerCase() === AAD_RESOURCE;
}

/** The token URLs: ACS's and Azure AD's v1 and v2 (any tenant). */
const TOKEN_PATHS = ['/v2/OAuth2-13', '/:tenant/oauth2/token', '/:tenant/oauth2/v2.0/token'];

function formOf(req: Request): Record<string, string> {
  const body: unknown = req.body;
  const out: Record<string, string> = {};
  if (typeof body === 'object' && body !== null) {
    for (const [k, v] of Object.entries(body)) if (typeof v === 'string') out[k] = v;
  }
  return out;
}

function checkClient(params: Record<string, string>, auth: AuthMode): { status: number; error: string; description: string } | undefined {
  if (params['grant_type'] !== 'client_credentials') {
    return { status: 400, error: 'unsupported_grant_type', description: `grant_type must be client_credentials (got ${JSON.stringify(params['grant_type'] ?? '')}); send an application/x-www-form-urlencoded body` };
  }
  const id = params['client_id'];
  const secret = params['client_secret'];
  if (!id || !secret) return { status: 400, error: 'invalid_request', description: 'client_id and client_secret are required' };
  if (auth === 'strict' && !devCredentialsMatch(id, secret)) {
    return { status: 401, error: 'invalid_client', description: 'the client id or secret is wrong: use the emulator\'s development credentials (see the README)' };
  }
  return undefined;
}

function oauthError(res: Response, status: number, error: string, description: string): void {
  res.status(status).json({ error, error_description: description });
}
