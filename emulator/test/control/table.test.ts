import { describe, expect, it } from 'vitest';
import { controlRoutes, type ControlParts } from '../../src/control/table.js';

/**
 * The `/_emulator` route table says of each route whether it mutates; the exposure guard
 * (http/emulator-exposure.ts) decides by method. They must agree, or a mutating route would be
 * reachable by a cross-site page.
 */
// Building the table only closes over its parts; no handler runs here.
const routes = controlRoutes({} as ControlParts);

describe('the /_emulator route table', () => {
  it('marks exactly the routes the guard treats as mutating (every method but GET)', () => {
    for (const route of routes) expect(route.mutates, `${route.method} ${route.path}`).toBe(route.method !== 'GET');
  });

  it('lists each method and path once', () => {
    const keys = routes.map((r) => `${r.method} ${r.path}`);
    expect(new Set(keys).size).toBe(keys.length);
  });

  it('serves the routes the README documents', () => {
    const keys = new Set(routes.map((r) => `${r.method} ${r.path}`));
    for (const key of ['GET /health', 'POST /reset', 'GET /findings', 'DELETE /findings', 'GET /rules', 'GET /requests', 'DELETE /requests', 'GET /state', 'POST /faults', 'GET /faults', 'DELETE /faults', 'DELETE /faults/:id', 'POST /files/:fileId/verify', 'POST /assets/:assetId/verify', 'GET /files/:fileId/verification', 'POST /files/:fileId/expect', 'GET /verifications']) {
      expect(keys.has(key), key).toBe(true);
    }
  });
});
