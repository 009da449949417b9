import { randomUUID } from 'node:crypto';
import request from 'supertest';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createTokenIssuer } from '../../src/auth/tokens.js';
import { defaultConfig } from '../../src/config.js';
import { ContentKeyOpener } from '../../src/domain/content-keys.js';
import { createApp } from '../../src/http/app.js';
import { composeApiRouter } from '../../src/app/compose.js';
import { JobRunner } from '../../src/jobs/runner.js';
import { RequestLog } from '../../src/http/request-log.js';
import { createIdGenerator } from '../../src/ids.js';
import { NO_EVENTS, type Services } from '../../src/app/services.js';
import { loadOrCreateSecrets } from '../../src/secrets/index.js';
import { openStore } from '../../src/store/index.js';
import { EMULATOR_NAME, EMULATOR_VERSION } from '../../src/version.js';
import { formatNbId } from '../../../client/src/crypto/index.js';
import { startTestAzurite, type TestAzurite } from '../../../test/support/azurite.js';
import { AMS_HEADERS, entityPath, rawRequest, startTestEmulator, type JsonBody, type TestEmulator } from '../../../test/support/emulator.js';
import { createAsset, createFile, createPolicy, errorMessage } from '../helpers/api-fixtures.js';

/**
 * The protocol around the entities: status codes and error bodies in each format, the headers the
 * service sent and read, the verbs and the X-HTTP-Method tunnel, the three JSON flavours and the odd
 * URL shapes real clients put on the wire.
 */

let emu: TestEmulator;

beforeAll(async () => {
  emu = await startTestEmulator();
});
afterAll(() => emu.close());
beforeEach(() => emu.reset());

const unknownId = (tag: string) => formatNbId(tag, randomUUID());

describe('status codes', () => {
  it.each(['Assets', 'Files', 'ContentKeys', 'AccessPolicies', 'Locators'])('%s: 400 for a malformed id, 404 for an unknown well-formed one', async (set) => {
    const tag = { Assets: 'cid', Files: 'cid', ContentKeys: 'kid', AccessPolicies: 'pid', Locators: 'lid' }[set]!;
    for (const method of ['GET', 'MERGE', 'DELETE']) {
      const malformed = await emu.ams(method, `${set}('notAValidId')`, method === 'MERGE' ? { body: {} } : {});
      expect(malformed.status, `${method} malformed`).toBe(400);
      expect(errorMessage(malformed.body)).toMatch(new RegExp(`nb:${tag}:UUID:<guid>`));
      const missing = await emu.ams(method, entityPath(set, unknownId(tag)), method === 'MERGE' ? { body: { Name: 'x' } } : {});
      expect(missing.status, `${method} unknown`).toBe(404);
      expect(errorMessage(missing.body)).toMatch(/was found/);
    }
  });

  it('answers 204 with no body for MERGE and DELETE, 201 with Location and the entity for a create', async () => {
    const created = await emu.ams('POST', 'Assets', { body: { Name: 'a' } });
    expect(created.status).toBe(201);
    expect(created.headers.get('location')).toBe(`${emu.url}${entityPath('Assets', created.body.Id)}`);
    const merge = await emu.ams('MERGE', entityPath('Assets', created.body.Id), { body: { Name: 'b' } });
    expect(merge.status).toBe(204);
    expect(merge.text).toBe('');
    const del = await emu.ams('DELETE', entityPath('Assets', created.body.Id));
    expect(del.status).toBe(204);
    expect(del.text).toBe('');
  });

  it('honours Prefer: return-no-content on a create', async () => {
    const res = await emu.ams('POST', 'AccessPolicies', { body: { Name: 'p', DurationInMinutes: 5, Permissions: 1 }, headers: { Prefer: 'return-no-content' } });
    expect(res.status).toBe(204);
    expect(res.headers.get('location')).toMatch(/AccessPolicies\('nb%3Apid%3AUUID%3A/);
  });

  it('answers 404 with a hint for an unknown entity set, and outside /api/', async () => {
    const res = await emu.ams('GET', 'assets');
    expect(res.status).toBe(404);
    expect(errorMessage(res.body)).toMatch(/did you mean 'Assets'/);
    const outside = await request(emu.origin).get('/elsewhere').set(AMS_HEADERS);
    expect(outside.status).toBe(404);
  });

  it('answers 405 for a verb a resource does not take, 415 for a body it cannot read, 400 for broken JSON', async () => {
    expect((await emu.ams('DELETE', 'Assets')).status).toBe(405);
    expect((await emu.ams('POST', 'MediaProcessors', { body: { Name: 'x' } })).status).toBe(405);
    const form = await emu.ams('POST', 'Assets', { body: 'Name=x', headers: { 'Content-Type': 'text/plain' } });
    expect(form.status).toBe(415);
    const broken = await emu.ams('POST', 'Assets', { body: '{"Name":', headers: { 'Content-Type': 'application/json' } });
    expect(broken.status).toBe(400);
    expect(errorMessage(broken.body)).toMatch(/not valid JSON/);
    const unknownProperty = await emu.ams('POST', 'Assets', { body: { Nmae: 'typo' } });
    expect(unknownProperty.status).toBe(400);
    expect(errorMessage(unknownProperty.body)).toMatch(/Make sure to only use property names that are defined by the type.*'Nmae'/);
    expect((await emu.ams('GET', '$batch')).status).toBe(405); // $batch takes a POST
  });
});

describe('error bodies', () => {
  it("are odata.error in minimal JSON, with a message that says what to fix", async () => {
    const res = await emu.ams('GET', "Assets('bad')");
    expect(res.headers.get('content-type')).toMatch(/^application\/json;odata=minimalmetadata/);
    expect(res.body).toEqual({ 'odata.error': { code: '', message: { lang: 'en-US', value: expect.stringMatching(/expected nb:cid:UUID:<guid>/) } } });
  });

  it('are error in verbose JSON', async () => {
    const res = await emu.ams('GET', "Assets('bad')", { headers: { Accept: 'application/json;odata=verbose' } });
    expect(res.status).toBe(400);
    expect(res.body).toEqual({ error: { code: '', message: { lang: 'en-US', value: expect.stringMatching(/expected nb:cid:UUID:<guid>/) } } });
  });

  it('are <error> in the metadata namespace for Atom/XML clients', async () => {
    const res = await emu.ams('GET', entityPath('Assets', unknownId('cid')), { headers: { Accept: 'application/atom+xml' } });
    expect(res.status).toBe(404);
    expect(res.headers.get('content-type')).toMatch(/^application\/xml/);
    expect(res.text).toMatch(/<error xmlns="http:\/\/schemas.microsoft.com\/ado\/2007\/08\/dataservices\/metadata"><code\/?>(<\/code>)?<message xml:lang="en-US">No Asset with Id '[^']+' was found<\/message><\/error>/);
  });

  it('escape what the client sent when they echo it', async () => {
    const res = await emu.ams('GET', "Assets('<script>&amp;')", { headers: { Accept: 'application/xml' } });
    expect(res.status).toBe(400);
    expect(res.text).not.toContain('<script>');
    expect(res.text).toContain('&lt;script&gt;');
  });
});

describe('headers', () => {
  it('refuses a request without x-ms-version (400), as the service did', async () => {
    const res = await emu.ams('GET', 'Assets', { headers: { 'x-ms-version': undefined } });
    expect(res.status).toBe(400);
    expect(errorMessage(res.body)).toMatch(/x-ms-version.*2\.19/);
  });

  it('serves every version from 2.0 to 2.19 without a finding', async () => {
    for (let minor = 0; minor <= 19; minor++) {
      const res = await emu.ams('GET', 'Assets', { headers: { 'x-ms-version': `2.${minor}` } });
      expect(res.status, `2.${minor}`).toBe(200);
    }
    expect((await emu.admin('GET', 'findings')).body.findings).toEqual([]);
  });

  it('serves an unknown version in compat mode, with an unsupported-api-version warning', async () => {
    const res = await emu.ams('GET', 'Assets', { headers: { 'x-ms-version': '3.0', 'User-Agent': 'version-tester/1.0' } });
    expect(res.status).toBe(200);
    const findings = (await emu.admin('GET', 'findings')).body.findings as JsonBody[];
    expect(findings).toHaveLength(1);
    expect(findings[0]).toMatchObject({ rule: 'unsupported-api-version', severity: 'warning', requestId: res.headers.get('x-ms-request-id'), client: 'version-tester/1.0' });
    expect(findings[0]!.message).toMatch(/"3\.0"/);
  });

  it('puts x-ms-request-id and the emulator header on every response, success or not', async () => {
    const responses = [
      await emu.ams('GET', 'Assets'),
      await emu.ams('GET', "Assets('bad')"),
      await emu.ams('GET', 'Assets', { headers: { Authorization: undefined } }),
      await emu.admin('GET', 'health'),
      await emu.ams('GET', 'nothing-here'),
    ];
    const root = await request(emu.origin).get('/').redirects(0);
    const token = await request(emu.origin).post('/v2/OAuth2-13').type('form').send({ grant_type: 'client_credentials', client_id: 'a', client_secret: 'b' });
    const ids = new Set<string>();
    for (const res of responses) {
      const id = res.headers.get('x-ms-request-id');
      expect(id).toMatch(/^[0-9a-f-]{36}$/);
      ids.add(id!);
      expect(res.headers.get('x-ams-emulator')).toBe(`${EMULATOR_NAME}/${EMULATOR_VERSION}`);
    }
    for (const res of [root, token]) {
      expect(res.headers['x-ms-request-id']).toMatch(/^[0-9a-f-]{36}$/);
      expect(res.headers['x-ams-emulator']).toBe(`${EMULATOR_NAME}/${EMULATOR_VERSION}`);
    }
    expect(ids.size).toBe(responses.length);
  });

  it('echoes client-request-id and x-ms-client-request-id', async () => {
    const res = await emu.ams('GET', 'Assets', { headers: { 'client-request-id': 'abc-123', 'x-ms-client-request-id': 'def-456' } });
    expect(res.headers.get('client-request-id')).toBe('abc-123');
    expect(res.headers.get('x-ms-client-request-id')).toBe('def-456');
    const failed = await emu.ams('GET', "Assets('bad')", { headers: { 'x-ms-client-request-id': 'on-error-too' } });
    expect(failed.headers.get('x-ms-client-request-id')).toBe('on-error-too');
  });

  it('sends DataServiceVersion by response kind, never above the client\'s MaxDataServiceVersion', async () => {
    const asset = await createAsset(emu, { Name: 'dsv' });
    expect((await emu.ams('GET', entityPath('Assets', asset.Id))).headers.get('dataserviceversion')).toBe('3.0;');
    const verbose = { Accept: 'application/json;odata=verbose' };
    expect((await emu.ams('GET', entityPath('Assets', asset.Id), { headers: verbose })).headers.get('dataserviceversion')).toBe('1.0;');
    expect((await emu.ams('GET', 'Assets', { headers: verbose })).headers.get('dataserviceversion')).toBe('2.0;');
    expect((await emu.ams('GET', 'Assets', { headers: { MaxDataServiceVersion: '2.0;NetFx' } })).headers.get('dataserviceversion')).toBe('2.0;');
    expect((await emu.ams('DELETE', entityPath('Assets', asset.Id))).headers.get('dataserviceversion')).toBe('1.0;');
  });
});

describe('verbs', () => {
  it('updates with MERGE, PATCH, PUT and POST + X-HTTP-Method: MERGE (the Java SDK)', async () => {
    const asset = await createAsset(emu, { Name: 'v0' });
    const path = entityPath('Assets', asset.Id);
    const name = async () => (await emu.ams('GET', path)).body.Name;
    expect((await emu.ams('MERGE', path, { body: { Name: 'v1' } })).status).toBe(204);
    expect(await name()).toBe('v1');
    expect((await emu.ams('PATCH', path, { body: { Name: 'v2' } })).status).toBe(204);
    expect(await name()).toBe('v2');
    expect((await emu.ams('PUT', path, { body: { Name: 'v3' } })).status).toBe(204);
    expect(await name()).toBe('v3');
    expect((await emu.ams('POST', path, { body: { Name: 'v4' }, headers: { 'X-HTTP-Method': 'MERGE' } })).status).toBe(204);
    expect(await name()).toBe('v4');
    // supertest speaks MERGE too.
    const st = await request(emu.url).merge(path).set(AMS_HEADERS).send({ Name: 'v5' });
    expect(st.status).toBe(204);
    expect(await name()).toBe('v5');
  });

  it('tunnels DELETE through POST, and refuses a tunnel of anything else (400)', async () => {
    const asset = await createAsset(emu, { Name: 'gone' });
    const bad = await emu.ams('POST', entityPath('Assets', asset.Id), { headers: { 'X-HTTP-Method': 'GET' } });
    expect(bad.status).toBe(400);
    expect(errorMessage(bad.body)).toMatch(/X-HTTP-Method/);
    expect((await emu.ams('POST', entityPath('Assets', asset.Id), { headers: { 'X-HTTP-Method': 'DELETE' } })).status).toBe(204);
    expect((await emu.ams('GET', entityPath('Assets', asset.Id))).status).toBe(404);
  });

  it('answers HEAD with the headers of a GET and no body', async () => {
    const asset = await createAsset(emu);
    const res = await emu.ams('HEAD', entityPath('Assets', asset.Id));
    expect(res.status).toBe(200);
    expect(res.text).toBe('');
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
  });
});

describe('JSON formats', () => {
  it('minimal metadata is the default, for application/json and for no Accept at all', async () => {
    const asset = await createAsset(emu, { Name: 'fmt' });
    for (const accept of ['application/json', undefined, '*/*']) {
      const res = await emu.ams('GET', entityPath('Assets', asset.Id), { headers: { Accept: accept } });
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toBe('application/json;odata=minimalmetadata;streaming=true;charset=utf-8');
      expect(res.body['odata.metadata']).toBe(`${emu.url}$metadata#Assets/@Element`);
      expect(res.body.Created).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{7}Z$/);
    }
  });

  it('verbose: {"d": ...} with __metadata, __deferred navigation and \\/Date(ms)\\/ dates', async () => {
    const asset = await createAsset(emu, { Name: 'verbose' });
    const res = await emu.ams('GET', entityPath('Assets', asset.Id), { headers: { Accept: 'application/json;odata=verbose' } });
    expect(res.headers.get('content-type')).toBe('application/json;odata=verbose;charset=utf-8');
    const uri = `${emu.url}${entityPath('Assets', asset.Id)}`;
    expect(res.body.d.__metadata).toEqual({ id: uri, uri, type: 'Microsoft.Cloud.Media.Vod.Rest.Data.Models.Asset' });
    expect(res.body.d.Files).toEqual({ __deferred: { uri: `${uri}/Files` } });
    expect(res.body.d.ContentKeys).toEqual({ __deferred: { uri: `${uri}/ContentKeys` } });
    expect(res.body.d.Locators).toEqual({ __deferred: { uri: `${uri}/Locators` } });
    const ms = Date.parse(asset.Created);
    expect(res.text).toContain(`"Created":"\\/Date(${ms})\\/"`);
    expect(res.body.d.Created).toBe(`/Date(${ms})/`);
  });

  it('verbose collections are {"d":{"results":[...]}}, empty ones included', async () => {
    const empty = await emu.ams('GET', 'Locators', { headers: { Accept: 'application/json;odata=verbose' } });
    expect(empty.text).toBe('{"d":{"results":[]}}');
    await createPolicy(emu, 1);
    const one = await emu.ams('GET', 'AccessPolicies', { headers: { Accept: 'application/json;odata=verbose' } });
    expect(one.body.d.results).toHaveLength(1);
    expect(one.text).toContain('"DurationInMinutes":60.0');
  });

  it('verbose request bodies ({"d": {...}} or plain, with __metadata) are read', async () => {
    const res = await emu.ams('POST', 'Assets', {
      headers: { 'Content-Type': 'application/json;odata=verbose', Accept: 'application/json;odata=verbose' },
      body: { __metadata: { type: 'Microsoft.Cloud.Media.Vod.Rest.Data.Models.Asset' }, Name: 'fritzy', Options: '0' },
    });
    expect(res.status, res.text).toBe(201);
    expect(res.body.d.Name).toBe('fritzy');
  });

  it('nometadata: the properties alone', async () => {
    const asset = await createAsset(emu, { Name: 'bare' });
    const res = await emu.ams('GET', entityPath('Assets', asset.Id), { headers: { Accept: 'application/json;odata=nometadata' } });
    expect(res.headers.get('content-type')).toMatch(/^application\/json;odata=nometadata/);
    expect(Object.keys(res.body).some((k) => k.startsWith('odata.'))).toBe(false);
    expect(res.body.Name).toBe('bare');
    const list = await emu.ams('GET', 'Assets', { headers: { Accept: 'application/json;odata=nometadata' } });
    expect(Object.keys(list.body)).toEqual(['value']);
  });

  it('Atom: entries and feeds for the XML SDKs', async () => {
    const asset = await createAsset(emu, { Name: 'atom' });
    const entry = await emu.ams('GET', entityPath('Assets', asset.Id), { headers: { Accept: 'application/atom+xml' } });
    expect(entry.headers.get('content-type')).toMatch(/^application\/atom\+xml;type=entry/);
    expect(entry.text).toContain('<d:Name>atom</d:Name>');
    const feed = await emu.ams('GET', 'Assets', { headers: { Accept: 'application/atom+xml' } });
    expect(feed.headers.get('content-type')).toMatch(/^application\/atom\+xml;type=feed/);
    expect(feed.text).toContain('<feed');
  });

  it('406 for an Accept it cannot produce', async () => {
    expect((await emu.ams('GET', 'Assets', { headers: { Accept: 'image/png' } })).status).toBe(406);
  });
});

describe('URL shapes real clients send', () => {
  it("decodes percent-encoded quotes and colons in keys (fritzy's Locators(%27nb:lid:...%27))", async () => {
    const asset = await createAsset(emu);
    for (const path of [
      `/api/Assets(%27${asset.Id}%27)`,
      `/api/Assets('${encodeURIComponent(asset.Id)}')`,
      `/api/Assets('${asset.Id}')`,
      `/api/Assets(Id='${asset.Id}')`,
    ]) {
      const res = await rawRequest(emu.baseUrl, 'GET', path);
      expect(res.status, path).toBe(200);
      expect(JSON.parse(res.text).Id).toBe(asset.Id);
    }
  });

  it("takes amspy's wholly percent-encoded path and fritzy's double slash", async () => {
    const asset = await createAsset(emu);
    await createFile(emu, { Name: 'f.mp4', ParentAssetId: asset.Id });
    const encoded = `/${encodeURIComponent(`API/Assets('${asset.Id}')/Files`)}`;
    const res = await rawRequest(emu.baseUrl, 'GET', encoded);
    expect(res.status, res.text).toBe(200);
    expect(JSON.parse(res.text).value).toHaveLength(1);
    const doubled = await rawRequest(emu.baseUrl, 'GET', `/api//Assets('${asset.Id}')//Files`);
    expect(doubled.status).toBe(200);
  });

  it('refuses a malformed escape with 400, not a crash', async () => {
    const res = await rawRequest(emu.baseUrl, 'GET', '/api/Assets(%E0%A4%A)');
    expect(res.status).toBe(400);
  });

  it('writes URLs on the Host the client used', async () => {
    const asset = await createAsset(emu);
    const res = await rawRequest(emu.baseUrl, 'GET', `/api/Assets('${encodeURIComponent(asset.Id)}')`, { ...AMS_HEADERS, Host: 'myaccount.restv2.local.test:1234' });
    expect(JSON.parse(res.text)['odata.metadata']).toBe('http://myaccount.restv2.local.test:1234/api/$metadata#Assets/@Element');
  });
});

describe('createApp, served by supertest without a listening emulator', () => {
  let azurite: TestAzurite;
  let app: ReturnType<typeof createApp>;
  const access: string[] = [];
  const debug: Record<string, unknown>[] = [];
  const errors: string[] = [];

  beforeAll(async () => {
    azurite = await startTestAzurite();
    const config = defaultConfig({ port: 0, silent: true });
    const secrets = await loadOrCreateSecrets(undefined);
    const services: Services = {
      config,
      store: await openStore({}),
      storage: azurite.storage,
      secrets,
      keys: new ContentKeyOpener(secrets.protectionPrivateKey),
      ids: createIdGenerator(42),
      now: () => new Date(),
      events: NO_EVENTS,
    };
    const requests = new RequestLog(10);
    app = createApp({
      services,
      router: composeApiRouter({ jobs: new JobRunner(services, { log: () => undefined }) }),
      tokens: createTokenIssuer(secrets.tokenSigningKey, config.auth),
      requests,
      control: [],
      accessLog: (line) => access.push(line),
      debugLog: (entry) => debug.push(entry),
      logError: (message) => errors.push(message),
    });
  });
  afterAll(() => azurite.stop());

  it('serves the API, logs one access line per request and redacts the token in the debug log', async () => {
    const res = await request(app).post('/api/Assets').set({ ...AMS_HEADERS, Authorization: 'Bearer very-secret-token' }).send({ Name: 'st' });
    expect(res.status).toBe(201);
    // Seeded ids are deterministic: the first GUID of seed 42 is always the same.
    expect(res.body.Id).toBe(`nb:cid:UUID:${createIdGenerator(42).guid()}`);
    await new Promise((r) => setTimeout(r, 20));
    expect(access.some((l) => l.includes('"POST /api/Assets" 201'))).toBe(true);
    const entry = debug.find((e) => e['url'] === '/api/Assets');
    expect(entry).toBeDefined();
    expect(JSON.stringify(entry)).not.toContain('very-secret-token');
    expect((entry!['requestHeaders'] as Record<string, string>)['authorization']).toBe('Bearer <redacted>');
    expect(errors).toEqual([]);
  });
});
