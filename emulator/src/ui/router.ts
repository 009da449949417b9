import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import express, { type Response, type Router } from 'express';
import { ODataError } from '../odata/errors.js';
import { DASHBOARD_CSS, DASHBOARD_HTML } from './page.js';

/**
 * The dashboard at `/_emulator/ui`: one HTML page, one stylesheet and the browser modules compiled
 * from `ui/browser/` (plain TypeScript, no framework). Everything is served from the package: the
 * Content-Security-Policy allows this origin only, so the page works offline and cannot be made to
 * load or send anything elsewhere. The page talks to `/_emulator/*` and `/api` like any other tool;
 * it sits behind the same Host and cross-site guard as the rest of `/_emulator`.
 */
export function dashboardRouter(): Router {
  const router = express.Router();
  const scripts = browserModules();

  router.get('/', (_req, res) => send(res, 'text/html; charset=utf-8', DASHBOARD_HTML));
  router.get('/style.css', (_req, res) => send(res, 'text/css; charset=utf-8', DASHBOARD_CSS));
  router.get('/js/:name', async (req, res) => {
    const name = req.params['name'] ?? '';
    // Only the compiled modules by their plain names: no path can leave the folder.
    if (!/^[a-z][a-z-]*\.js$/.test(name)) throw new ODataError(404, `no dashboard module ${JSON.stringify(name.slice(0, 100))}`, 'ResourceNotFound');
    const text = await readFile(new URL(name, scripts), 'utf8').catch(() => undefined);
    if (text === undefined) throw new ODataError(404, `no dashboard module ${name}${existsSync(scripts) ? '' : ': the browser code is not built (npm run build)'}`, 'ResourceNotFound');
    send(res, 'text/javascript; charset=utf-8', text);
  });
  return router;
}

/** Nothing but this origin; no inline script or style, no plugins, no framing, no form posts. */
export const DASHBOARD_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "media-src 'self'",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

function send(res: Response, type: string, body: string): void {
  res.setHeader('Content-Type', type);
  res.setHeader('Content-Security-Policy', DASHBOARD_CSP);
  res.setHeader('X-Content-Type-Options', 'nosniff');
  res.setHeader('Referrer-Policy', 'no-referrer');
  res.setHeader('Cache-Control', 'no-cache');
  res.status(200).send(body);
}

/**
 * Where the compiled browser modules are: beside this module once built (`dist/.../ui/browser/`);
 * when this module runs from source (tests through vitest), in the build output of the checkout.
 */
function browserModules(): URL {
  const beside = new URL('./browser/', import.meta.url);
  if (existsSync(fileURLToPath(new URL('main.js', beside)))) return beside;
  return new URL('../../../dist/emulator/src/ui/browser/', import.meta.url);
}
