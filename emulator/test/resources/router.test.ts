import { describe, expect, it } from 'vitest';
import { API_FUNCTIONS, ENTITY_SETS } from '../../src/app/compose.js';
import type { Services } from '../../src/app/services.js';
import { Asset, ContentKey, ENTITY_ACTIONS, Job, navigationOf } from '../../src/odata/edm.js';
import { parseODataPath, type ResourcePath } from '../../src/odata/uri.js';
import type { ApiRequest } from '../../src/resources/context.js';
import { DELIVERY_AREA } from '../../src/resources/delivery-sets.js';
import { ENTITY_NAVIGATIONS } from '../../src/resources/navigation.js';
import { createApiRouter, type ApiRoutes } from '../../src/resources/router.js';
import { STREAMING_AREA } from '../../src/resources/streaming-sets.js';

/** A router serves exactly the routes it was built from: nothing is registered behind its back. */
const core: ApiRoutes = { sets: ENTITY_SETS, functions: API_FUNCTIONS, navigations: ENTITY_NAVIGATIONS };
const jobTasks = navigationOf(Job, 'Tasks')!;
const assetFiles = navigationOf(Asset, 'Files')!;

describe('createApiRouter', () => {
  it('gives each router its own routes: one built with a navigation does not lend it to another', () => {
    const withJobs = createApiRouter({ ...core, navigations: [...ENTITY_NAVIGATIONS, { type: Job, nav: 'Tasks', resolve: () => [] }] });
    const without = createApiRouter(core);
    expect(withJobs.navigation(Job, jobTasks)).toBeTypeOf('function');
    expect(without.navigation(Job, jobTasks)).toBeUndefined();
    expect(without.navigation(Asset, assetFiles)).toBeTypeOf('function');
  });

  it('refuses a composition that routes one entity set, function, action or navigation twice', () => {
    expect(() => createApiRouter({ ...core, sets: [...ENTITY_SETS, ENTITY_SETS[0]!] })).toThrow(/entity set Assets is routed twice/);
    expect(() => createApiRouter({ ...core, functions: [...API_FUNCTIONS, API_FUNCTIONS[0]!] })).toThrow(/function GetProtectionKeyId is routed twice/);
    expect(() => createApiRouter({ ...core, actions: [...STREAMING_AREA.actions, STREAMING_AREA.actions[0]!] })).toThrow(/action StreamingEndpoints\/Start is routed twice/);
    expect(() => createApiRouter({ ...core, navigations: [...ENTITY_NAVIGATIONS, ENTITY_NAVIGATIONS[0]!] })).toThrow(/navigation Assets\/Files is routed twice/);
    expect(() => createApiRouter({ ...core, actions: [...DELIVERY_AREA.actions, DELIVERY_AREA.actions[0]!] })).toThrow(/action ContentKeys\/GetKeyDeliveryUrl is routed twice/);
    expect(() => createApiRouter({ ...core, links: [...DELIVERY_AREA.links, DELIVERY_AREA.links[0]!] })).toThrow(/\$links route Assets\/DeliveryPolicies is routed twice/);
  });

  it('serves an entity-bound action only when its composition lists it: declared but not composed is a 501', async () => {
    const path = parseODataPath(`${ContentKey.set}('nb:kid:UUID:6f0bd7c4-0b3e-4a54-a2d4-7d2c1e58a9b1')/GetKeyDeliveryUrl`) as ResourcePath;
    expect(path.kind).toBe('action');
    // The 501 and the 405 come before any state is read: the router needs no services for them.
    const noServices = {} as Services;
    const request = (method: ApiRequest['method']): ApiRequest => ({
      method, path, rawQuery: '', body: Buffer.alloc(0), contentType: undefined, serviceRoot: 'http://h/api/', baseUrl: 'http://h/',
      info: { method, path: '/api/', requestId: 'r', client: 'test' },
    });
    await expect(createApiRouter(core).route(request('POST'), noServices)).rejects.toMatchObject({ status: 501 });
    await expect(createApiRouter({ ...core, actions: DELIVERY_AREA.actions }).route(request('GET'), noServices)).rejects.toMatchObject({ status: 405 });
  });

  it('serves every declared entity action, and declares every one it serves (one list each, both areas)', () => {
    const declared = ENTITY_ACTIONS.map((a) => `${a.set}/${a.name}`).sort();
    const composed = [...DELIVERY_AREA.actions, ...STREAMING_AREA.actions].map((r) => `${r.type.set}/${r.name}`).sort();
    expect(composed).toEqual(declared);
    expect(declared).toEqual(expect.arrayContaining(['ContentKeys/GetKeyDeliveryUrl', 'StreamingEndpoints/Start', 'StreamingEndpoints/Stop', 'StreamingEndpoints/Scale']));
  });
});
