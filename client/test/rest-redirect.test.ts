import { afterEach, describe, expect, it } from 'vitest';
import { AmsClient, AmsRequestError, baseAfterRedirect } from '../src/rest/index.js';
import { assetProperties, minimalCollection, minimalEntity } from './helpers/ams-json.js';
import { sendJson, startTestServer, type TestServer } from './helpers/http-server.js';

const servers: TestServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

/** The AMS cluster the legacy root points at: answers assets and echoes nothing else. */
async function startCluster(): Promise<TestServer> {
  const cluster = await startTestServer((req, res) => {
    if (req.method === 'POST' && req.url === '/api/Assets') {
      sendJson(res, 201, minimalEntity('c', 'Assets', assetProperties(JSON.parse(req.body) as Record<string, unknown>)));
    } else if (req.method === 'GET' && req.url.startsWith('/api/Assets')) {
      sendJson(res, 200, minimalCollection('c', 'Assets', [assetProperties()]));
    } else {
      sendJson(res, 404, { 'odata.error': { code: '', message: { lang: 'en-US', value: `no route ${req.method} ${req.url}` } } });
    }
  });
  servers.push(cluster);
  return cluster;
}

/** `https://media.windows.net/`: every call gets 301 to the cluster, with the "Object moved" page. */
async function startLegacyRoot(location: (requestUrl: string) => string): Promise<TestServer> {
  const root = await startTestServer((req, res) => {
    res.writeHead(301, { Location: location(req.url), 'Content-Type': 'text/html; charset=utf-8' });
    res.end('<html><head><title>Object moved</title></head><body><h2>Object moved to <a href="x">here</a>.</h2></body></html>');
  });
  servers.push(root);
  return root;
}

function clientAt(endpoint: string): AmsClient {
  return new AmsClient({ endpoint, auth: { kind: 'static', token: 't' }, retry: { baseDelayMs: 1 } });
}

describe('first-call 301', () => {
  it('re-issues a POST with its body at the new base and keeps the new base', async () => {
    const cluster = await startCluster();
    const root = await startLegacyRoot(() => `${cluster.origin}/api/`);
    const client = clientAt(`${root.origin}/`);

    const asset = await client.createAsset({ Name: 'moved', Options: 1 });
    expect(asset.Name).toBe('moved');
    expect(client.baseUri).toBe(`${cluster.origin}/api/`);
    await client.listAssets();

    expect(root.requests.map((r) => `${r.method} ${r.url}`)).toEqual(['POST /Assets']);
    expect(cluster.requests.map((r) => `${r.method} ${r.url}`)).toEqual(['POST /api/Assets', 'GET /api/Assets']);
    expect(JSON.parse(cluster.requests[0]!.body)).toEqual({ Name: 'moved', Options: 1 });
    expect(cluster.requests[0]!.headers.authorization).toBe('Bearer t');
    expect(cluster.requests[0]!.headers['x-ms-client-request-id']).toBe(root.requests[0]!.headers['x-ms-client-request-id']);
  });

  it('re-issues a GET, also when Location names the resource itself rather than the new root', async () => {
    const cluster = await startCluster();
    const root = await startLegacyRoot((url) => `${cluster.origin}/api${url}`);
    const client = clientAt(`${root.origin}/`);
    const assets = await client.listAssets({ $top: 2 });
    expect(assets).toHaveLength(1);
    expect(client.baseUri).toBe(`${cluster.origin}/api/`);
    expect(cluster.requests.map((r) => r.url)).toEqual(['/api/Assets?$top=2']);
  });

  it('gives up after a redirect loop with the 301 as the error', async () => {
    const loop: TestServer = await startTestServer((req, res) => {
      res.writeHead(301, { Location: `${loop.origin}/api/` });
      res.end();
    });
    servers.push(loop);
    const error = await clientAt(`${loop.origin}/api/`).listAssets().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AmsRequestError);
    expect((error as AmsRequestError).status).toBe(301);
    expect(loop.requests.length).toBe(6);
  });
});

describe('baseAfterRedirect', () => {
  it('takes a Location naming the root as the root', () => {
    expect(baseAfterRedirect('https://wamsbayclus001rest-hs.cloudapp.net/api/', 'https://media.windows.net/Assets', 'Assets')).toBe(
      'https://wamsbayclus001rest-hs.cloudapp.net/api/',
    );
  });
  it('cuts the resource off a Location naming the resource, query included or not', () => {
    expect(baseAfterRedirect("https://c.example/api/Assets('x')?$top=1", 'https://r.example/Assets', "Assets('x')?$top=1")).toBe('https://c.example/api/');
    expect(baseAfterRedirect('https://c.example/api/Assets', 'https://r.example/Assets?$top=1', 'Assets?$top=1')).toBe('https://c.example/api/');
  });
  it('resolves a relative Location against the request', () => {
    expect(baseAfterRedirect('/api/', 'https://media.windows.net/Assets', 'Assets')).toBe('https://media.windows.net/api/');
  });
});
