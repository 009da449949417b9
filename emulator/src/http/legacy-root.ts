import type { NextFunction, Request, Response } from 'express';
import { entitySetLike, FUNCTIONS } from '../odata/edm.js';
import { splitUrl } from './api-handler.js';
import { readOtherBody } from '../express/read-body.js';
import { baseUrlOf } from './request-context.js';

/**
 * media.windows.net answered every call to the account root with `301 Moved Permanently` to the
 * cluster's `/api/`; clients re-issue the call there (same verb and body) and keep that address as
 * their base. The emulator does the same for what a client configured with the bare root, or with
 * the documented `.../API` (amspy), sends first: `/`, `/api` without its slash (any case), and an
 * entity set, function, `$metadata` or `$batch` directly under the root (`/Assets`, any case), with
 * its query string kept. Anything else under the root keeps its 404.
 */
export function legacyRootLocation(req: Request): string | undefined {
  const { path, query } = splitUrl(req.originalUrl);
  const search = query === '' ? '' : `?${query}`;
  const api = `${baseUrlOf(req)}api/`;
  if (path === '/') return api;
  if (/^\/api$/i.test(path)) return `${api}${search}`;
  const first = /^\/+([^/(]+)/.exec(safeDecode(path))?.[1];
  if (first === undefined || !servedUnderApi(first)) return undefined;
  return `${api}${path.replace(/^\/+/, '')}${search}`;
}

/** Answers the legacy root's 301, after reading any body (up to `bodyLimit`) so the connection stays usable. */
export function legacyRootRedirect(bodyLimit: string) {
  const readBody = readOtherBody(bodyLimit);
  return (req: Request, res: Response, next: NextFunction): void => {
    const location = legacyRootLocation(req);
    if (location === undefined) {
      next();
      return;
    }
    readBody(req, res, (err?: unknown) => {
      if (err) {
        next(err);
        return;
      }
      res.setHeader('Location', location);
      res.status(301).type('text/html').send(`<html><head><title>Object moved</title></head><body><h2>Object moved to <a href="${escapeHtml(location)}">here</a>.</h2></body></html>`);
    });
  };
}

const FIRST_SEGMENTS = new Set(['$metadata', '$batch', ...FUNCTIONS.map((f) => f.name.toLowerCase())]);

function servedUnderApi(segment: string): boolean {
  return FIRST_SEGMENTS.has(segment.toLowerCase()) || entitySetLike(segment) !== undefined;
}

function safeDecode(path: string): string {
  try {
    return decodeURIComponent(path);
  } catch {
    return path;
  }
}

function escapeHtml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}
