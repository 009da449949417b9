import express, { type Router } from 'express';
import { emulatorExposureGuard } from '../http/emulator-exposure.js';
import { readOtherBody } from '../express/read-body.js';
import { dashboardRouter } from '../ui/router.js';
import type { ControlRoute } from './table.js';

/**
 * The one mount of `/_emulator`: the exposure guard first (Host allow-list, deliberate requests
 * for anything but GET/HEAD/OPTIONS), then the route table, each route reading its own body.
 */
export function controlPlane(listenHost: string, routes: readonly ControlRoute[]): Router {
  const router = express.Router();
  router.use(emulatorExposureGuard(listenHost));
  for (const route of routes) {
    const method = route.method === 'GET' ? 'get' : route.method === 'POST' ? 'post' : 'delete';
    router[method](route.path, express.json({ limit: route.body.limit, strict: route.body.strict }), readOtherBody(route.body.limit), route.handler);
  }
  // The dashboard: static pages behind the same guard, talking to the routes above and to /api.
  router.use('/ui', dashboardRouter());
  // A path no route serves: its body is read and dropped like any other, and the API answers 404.
  router.use(express.json({ limit: '1mb' }), readOtherBody('1mb'));
  return router;
}
