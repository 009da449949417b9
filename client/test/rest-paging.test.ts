import { afterEach, describe, expect, it } from 'vitest';
import { AmsClient, listAll, pageThrough } from '../src/rest/index.js';
import { assetProperties, minimalCollection } from './helpers/ams-json.js';
import { sendJson, startTestServer, type TestServer } from './helpers/http-server.js';

let server: TestServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

/** An AMS endpoint holding `count` assets that, like the service, returns at most 1000 per response. */
async function startWithAssets(count: number): Promise<AmsClient> {
  const all = Array.from({ length: count }, (_, i) => assetProperties({ Id: `nb:cid:UUID:00000000-0000-0000-0000-${String(i).padStart(12, '0')}`, Name: `a${i}` }));
  server = await startTestServer((req, res) => {
    const query = new URL(req.url, 'http://x').searchParams;
    const skip = Number(query.get('$skip') ?? 0);
    const top = Math.min(Number(query.get('$top') ?? 1000), 1000);
    const filter = query.get('$filter');
    const matching = filter === "startswith(Name,'a1')" ? all.filter((a) => String(a.Name).startsWith('a1')) : all;
    sendJson(res, 200, minimalCollection('x', 'Assets', matching.slice(skip, skip + top)));
  });
  return new AmsClient({ endpoint: `${server.origin}/api/`, auth: { kind: 'static', token: 't' } });
}

describe('paging past the 1000-entity cap', () => {
  it('collects every entity with $skip/$top', async () => {
    const client = await startWithAssets(2500);
    const assets = await listAll((query, options) => client.listAssets(query, options));
    expect(assets).toHaveLength(2500);
    expect(new Set(assets.map((a) => a.Id)).size).toBe(2500);
    expect(server!.requests.map((r) => r.url)).toEqual([
      '/api/Assets?$top=1000&$skip=0',
      '/api/Assets?$top=1000&$skip=1000',
      '/api/Assets?$top=1000&$skip=2000',
    ]);
  });

  it('keeps the filter on every page and stops on a short page', async () => {
    const client = await startWithAssets(250);
    const names: string[] = [];
    for await (const asset of pageThrough((query, options) => client.listAssets(query, options), { $filter: "startswith(Name,'a1')" }, { pageSize: 50 })) {
      names.push(asset.Name!);
    }
    // a1, a10..a19, a100..a199
    expect(names).toHaveLength(111);
    expect(server!.requests).toHaveLength(3);
    expect(server!.requests.every((r) => r.url.includes('$filter=startswith(Name%2C%27a1%27)'))).toBe(true);
  });

  it('asks once more when the last page is exactly full', async () => {
    const client = await startWithAssets(2000);
    expect(await listAll((query, options) => client.listAssets(query, options))).toHaveLength(2000);
    expect(server!.requests).toHaveLength(3);
  });

  it('refuses page sizes above the service cap', async () => {
    const client = await startWithAssets(1);
    await expect(listAll((query, options) => client.listAssets(query, options), {}, { pageSize: 5000 })).rejects.toThrow(RangeError);
  });
});
