import { afterEach, describe, expect, it } from 'vitest';
import { AmsClient, ContentKeyType } from '../src/rest/index.js';
import { assetProperties, ASSET_ID, KEY_ID, minimalCollection, minimalEntity } from './helpers/ams-json.js';
import { scripted, sendJson, startTestServer, type Handler, type TestServer } from './helpers/http-server.js';

let server: TestServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

async function clientFor(handler: Handler, options: Partial<ConstructorParameters<typeof AmsClient>[0]> = {}): Promise<{ client: AmsClient; server: TestServer }> {
  server = await startTestServer(handler);
  const client = new AmsClient({
    endpoint: `${server.origin}/api/`,
    auth: { kind: 'static', token: 'tok-123' },
    retry: { baseDelayMs: 1, maxDelayMs: 5 },
    ...options,
  });
  return { client, server };
}

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

describe('request headers', () => {
  it('sends the headers AMS requires, minimal-metadata JSON by default', async () => {
    const { client, server } = await clientFor((req, res) => sendJson(res, 201, minimalEntity('x', 'Assets', assetProperties())), { userAgent: 'my-tool/1.0' });
    await client.createAsset({ Name: 'a', Options: 1 });
    const h = server.requests[0]!.headers;
    expect(h.authorization).toBe('Bearer tok-123');
    expect(h['x-ms-version']).toBe('2.19');
    expect(h.dataserviceversion).toBe('3.0');
    expect(h.maxdataserviceversion).toBe('3.0');
    expect(h.accept).toBe('application/json');
    expect(h['content-type']).toBe('application/json');
    expect(h['user-agent']).toBe('my-tool/1.0');
    expect(h['x-ms-client-request-id']).toMatch(GUID);
  });

  it('asks for verbose JSON when told, and a chosen x-ms-version', async () => {
    const { client, server } = await clientFor((req, res) => sendJson(res, 200, { d: { results: [] } }), { format: 'verbose', apiVersion: '2.11' });
    await client.listAssets();
    const h = server.requests[0]!.headers;
    expect(h.accept).toBe('application/json;odata=verbose');
    expect(h['x-ms-version']).toBe('2.11');
    expect(h['content-type']).toBeUndefined();
  });

  it('uses a fresh client request id per call and keeps it across the retries of one call', async () => {
    const { client, server } = await clientFor(
      scripted(
        (req, res) => sendJson(res, 503, { 'odata.error': { code: '', message: { lang: 'en-US', value: 'Server is busy.' } } }),
        (req, res) => sendJson(res, 200, minimalCollection('x', 'Assets', [])),
      ),
    );
    await client.listAssets();
    await client.listAssets();
    const ids = server.requests.map((r) => r.headers['x-ms-client-request-id']);
    expect(ids).toHaveLength(3);
    expect(ids[0]).toBe(ids[1]);
    expect(ids[2]).not.toBe(ids[0]);
  });
});

describe('URLs and bodies', () => {
  it('percent-encodes ids inside the quotes of entity keys', async () => {
    const { client, server } = await clientFor((req, res) => sendJson(res, 200, minimalEntity('x', 'Assets', assetProperties())));
    await client.getAsset(ASSET_ID);
    expect(server.requests[0]!.url).toBe("/api/Assets('nb%3Acid%3AUUID%3A9bc8ff20-24fb-4fdb-9d7c-b04c7ee573a1')");
  });

  it('links a content key with a uri under the base URI', async () => {
    const { client, server } = await clientFor((req, res) => {
      res.writeHead(204);
      res.end();
    });
    await client.linkContentKey(ASSET_ID, KEY_ID);
    const request = server.requests[0]!;
    expect(request.method).toBe('POST');
    expect(request.url).toBe("/api/Assets('nb%3Acid%3AUUID%3A9bc8ff20-24fb-4fdb-9d7c-b04c7ee573a1')/$links/ContentKeys");
    expect(JSON.parse(request.body)).toEqual({ uri: `${server.origin}/api/ContentKeys('nb%3Akid%3AUUID%3A316d14d4-b603-4d90-b8db-0fede8aa48f8')` });
  });

  // The WHATWG URL parser (and so fetch) writes a quote in a query as %27; servers decode both forms.
  it('calls the protection-key functions with quoted, encoded parameters', async () => {
    const { client, server } = await clientFor((req, res) => sendJson(res, 200, { 'odata.metadata': 'x#Edm.String', value: 'V' }));
    await client.getProtectionKeyId(ContentKeyType.StorageEncryption);
    await client.getProtectionKey('7D9BB04D9D0A4A24800CADBFEF232689E048F69C');
    await client.rebindContentKey(KEY_ID);
    await client.rebindContentKey(KEY_ID, 'MIIB+/8=');
    expect(server.requests.map((r) => r.url)).toEqual([
      '/api/GetProtectionKeyId?contentKeyType=1',
      '/api/GetProtectionKey?ProtectionKeyId=%277D9BB04D9D0A4A24800CADBFEF232689E048F69C%27',
      '/api/RebindContentKey?id=%27nb%3Akid%3AUUID%3A316d14d4-b603-4d90-b8db-0fede8aa48f8%27&x509Certificate=%27%27',
      '/api/RebindContentKey?id=%27nb%3Akid%3AUUID%3A316d14d4-b603-4d90-b8db-0fede8aa48f8%27&x509Certificate=%27MIIB%2B%2F8%3D%27',
    ]);
  });

  it('passes OData query options through, with literals quoted', async () => {
    const { client, server } = await clientFor((req, res) => sendJson(res, 200, minimalCollection('x', 'Files', [])));
    await client.listAssetFiles(ASSET_ID, { $filter: "Name eq 'it''s.mp4'", $top: 5, $skip: 10 });
    expect(server.requests[0]!.url).toBe(
      "/api/Assets('nb%3Acid%3AUUID%3A9bc8ff20-24fb-4fdb-9d7c-b04c7ee573a1')/Files?$filter=Name%20eq%20%27it%27%27s.mp4%27&$top=5&$skip=10",
    );
  });

  it('sends MERGE with only the changed properties, Int64 as a string', async () => {
    const { client, server } = await clientFor((req, res) => {
      res.writeHead(204);
      res.end();
    });
    await client.updateFile('nb:cid:UUID:00000000-0000-0000-0000-000000000001', { ContentFileSize: 3186542n, ContentChecksum: 'abc' });
    const request = server.requests[0]!;
    expect(request.method).toBe('MERGE');
    expect(request.body).toBe('{"ContentFileSize":"3186542","ContentChecksum":"abc"}');
  });

  it('writes dates as ISO in minimal JSON and as \\/Date(ms)\\/ in verbose', async () => {
    const locator = { Id: 'nb:lid:UUID:1', AssetId: ASSET_ID, AccessPolicyId: 'nb:pid:UUID:1', Type: 1 };
    const start = new Date(Date.UTC(2015, 1, 4, 2, 37, 46));
    const minimal = await clientFor((req, res) => sendJson(res, 201, minimalEntity('x', 'Locators', locator)));
    await minimal.client.createLocator({ AccessPolicyId: 'nb:pid:UUID:1', AssetId: ASSET_ID, Type: 1, StartTime: start });
    expect(minimal.server.requests[0]!.body).toContain('"StartTime":"2015-02-04T02:37:46.000Z"');
    await minimal.server.close();
    const verbose = await clientFor((req, res) => sendJson(res, 201, { d: locator }), { format: 'verbose' });
    await verbose.client.createLocator({ AccessPolicyId: 'nb:pid:UUID:1', AssetId: ASSET_ID, Type: 1, StartTime: start });
    expect(verbose.server.requests[0]!.body).toContain(String.raw`"StartTime":"\/Date(1423017466000)\/"`);
  });

  it('binds job inputs the way each dialect wants', async () => {
    const job = { Id: 'nb:jid:UUID:1', State: 0, Created: '2015-02-04T02:37:46Z', LastModified: '2015-02-04T02:37:46Z' };
    const tasks = [{ MediaProcessorId: 'nb:mpid:UUID:aec03716-7c5e-4f68-b592-f4850eba9f10', TaskBody: '<taskBody/>' }];
    const minimal = await clientFor((req, res) => sendJson(res, 201, minimalEntity('x', 'Jobs', job)));
    await minimal.client.createJob({ Name: 'decrypt', InputAssetIds: [ASSET_ID], Tasks: tasks });
    const assetUri = `${minimal.server.origin}/api/Assets('nb%3Acid%3AUUID%3A9bc8ff20-24fb-4fdb-9d7c-b04c7ee573a1')`;
    expect(JSON.parse(minimal.server.requests[0]!.body)).toEqual({
      Name: 'decrypt',
      'InputMediaAssets@odata.bind': [assetUri],
      Tasks: [{ ...tasks[0], Configuration: '' }],
    });
    await minimal.server.close();
    const verbose = await clientFor((req, res) => sendJson(res, 201, { d: job }), { format: 'verbose' });
    await verbose.client.createJob({ Name: 'decrypt', InputAssetIds: [ASSET_ID], Tasks: tasks });
    const body = JSON.parse(verbose.server.requests[0]!.body) as { InputMediaAssets: unknown };
    expect(body.InputMediaAssets).toEqual([{ __metadata: { uri: assetUri.replace(minimal.server.origin, verbose.server.origin) } }]);
  });
});
