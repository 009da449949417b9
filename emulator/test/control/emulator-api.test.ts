import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BlobServiceClient } from '@azure/storage-blob';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LATEST_API_VERSION } from '../../src/http/api-version.js';
import { AZURITE_VERSION } from '../../src/server.js';
import { EMULATOR_NAME, EMULATOR_VERSION } from '../../src/version.js';
import { startTestAzurite, type TestAzurite } from '../../../test/support/azurite.js';
import { entityPath, startTestEmulator, type JsonBody, type TestEmulator } from '../../../test/support/emulator.js';
import { createAsset, createFile, createPolicy, createSasLocator, encryptedAsset, protectionKey } from '../helpers/api-fixtures.js';
import { withinMs } from '../../../test/support/timing.js';

/**
 * The emulator's own endpoints under /_emulator/: health (and 503 when storage is down), reset,
 * the request ring buffer, and the state dump (which must never carry private key material).
 */

let emu: TestEmulator;
let dataDir: string;

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'ams-emulator-api-'));
  emu = await startTestEmulator({ location: dataDir, requestLogSize: 5 });
});
afterAll(async () => {
  await emu?.close();
  await rm(dataDir, { recursive: true, force: true });
});

describe('health', () => {
  it('is 200 with the versions once storage answers', async () => {
    const res = await emu.admin('GET', 'health');
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ status: 'healthy', storage: 'up', versions: { emulator: `${EMULATOR_NAME}/${EMULATOR_VERSION}`, api: LATEST_API_VERSION, azurite: AZURITE_VERSION } });
  });

  it('is 503 when the storage account stops answering, and the API answers 503 (not 500) meanwhile', async () => {
    const azurite: TestAzurite = await startTestAzurite();
    const external = await startTestEmulator({ storageConnectionString: azurite.connectionString });
    try {
      expect((await external.admin('GET', 'health')).status).toBe(200);
      expect((await external.admin('GET', 'health')).body.versions.azurite).toBeUndefined();
      await azurite.stop();
      const started = Date.now();
      const down = await external.admin('GET', 'health');
      expect(down.status).toBe(503);
      expect(down.body).toMatchObject({ status: 'unhealthy', storage: 'down' });
      expect(typeof down.body.message).toBe('string');
      expect(Date.now() - started).toBeLessThan(15_000);
      const create = await external.ams('POST', 'Assets', { body: { Name: 'while down' } });
      expect(create.status).toBe(503);
      expect(create.headers.get('retry-after')).toBeTruthy();
      expect(create.body['odata.error'].message.value).toMatch(/Storage is unavailable/);
      // Nothing half-made: the asset was not stored.
      expect((await external.ams('GET', 'Assets')).body.value).toEqual([]);
    } finally {
      await external.close();
      await azurite.stop();
    }
  });
});

describe('reset', () => {
  it('removes all state and the asset containers, keeps the protection key, and is fast', async () => {
    const protection = await protectionKey(emu);
    const { asset, key } = await encryptedAsset(emu, protection);
    await createFile(emu, { Name: 'f.mp4', ParentAssetId: asset.Id });
    await createSasLocator(emu, asset.Id, (await createPolicy(emu, 2)).Id);
    await createAsset(emu, { Name: 'second', Options: 0 });
    await emu.ams('POST', 'ContentKeys', { body: { Id: 'nb:kid:UUID:00000000-0000-4000-8000-000000000001', ContentKeyType: 1, EncryptedContentKey: 'junk' } });
    expect(((await emu.admin('GET', 'findings')).body.findings as JsonBody[]).length).toBeGreaterThan(0);

    const started = performance.now();
    const res = await emu.admin('POST', 'reset');
    const elapsed = performance.now() - started;
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ reset: true, containersDeleted: 2 });
    expect(elapsed).toBeLessThan(withinMs(2000));

    for (const set of ['Assets', 'Files', 'ContentKeys', 'AccessPolicies', 'Locators']) expect((await emu.ams('GET', set)).body.value, set).toEqual([]);
    expect((await emu.admin('GET', 'findings')).body.findings).toEqual([]);
    expect((await emu.ams('GET', entityPath('ContentKeys', key.id))).status).toBe(404);
    const blobs = BlobServiceClient.fromConnectionString(emu.emulator.storage.connectionString);
    const containers: string[] = [];
    for await (const c of blobs.listContainers({ prefix: 'asset-' })) containers.push(c.name);
    expect(containers).toEqual([]);
    // The protection key survives: keys wrapped before the reset still open after it.
    expect((await protectionKey(emu)).thumbprint).toBe(protection.thumbprint);
    expect(emu.emulator.protectionKeyId).toBe(protection.thumbprint);
    // And reset() from the library is the same operation.
    await createAsset(emu);
    await emu.reset();
    expect((await emu.ams('GET', 'Assets')).body.value).toEqual([]);
  });
});

describe('requests', () => {
  it('keeps the last N calls with method, path, status, latency, request id, client and Range', async () => {
    await emu.admin('DELETE', 'requests');
    const responses = [];
    for (let i = 0; i < 7; i++) responses.push(await emu.ams('GET', i % 2 ? 'Assets' : "Assets('bad')", { headers: { 'User-Agent': `agent-${i}` } }));
    const res = await emu.admin('GET', 'requests');
    expect(res.status).toBe(200);
    expect(res.body.capacity).toBe(5);
    // The ring holds the 5 newest calls: the DELETE that cleared it (logged as it finished) and 7 GETs.
    expect(res.body.total).toBe(8);
    const entries = res.body.requests as JsonBody[];
    expect(entries.map((e) => e.client)).toEqual(['agent-2', 'agent-3', 'agent-4', 'agent-5', 'agent-6']);
    for (const [i, e] of entries.entries()) {
      const n = i + 2;
      expect(e.method).toBe('GET');
      expect(e.path).toBe(n % 2 ? '/api/Assets' : "/api/Assets('bad')");
      expect(e.status).toBe(n % 2 ? 200 : 400);
      expect(e.requestId).toBe(responses[n]!.headers.get('x-ms-request-id'));
      expect(typeof e.latencyMs).toBe('number');
      expect(e.latencyMs).toBeGreaterThanOrEqual(0);
      expect(Date.parse(e.time)).not.toBeNaN();
    }
    // A Range header is kept with its call (a player's seek on the origin shows where it went).
    expect(entries.every((e) => !('range' in e))).toBe(true);
    await emu.ams('GET', 'Assets', { headers: { Range: 'bytes=1024-' } });
    expect(((await emu.admin('GET', 'requests')).body.requests as JsonBody[]).at(-1)).toMatchObject({ path: '/api/Assets', range: 'bytes=1024-' });
    expect((await emu.admin('DELETE', 'requests')).status).toBe(204);
    const cleared = (await emu.admin('GET', 'requests')).body.requests as JsonBody[];
    expect(cleared.map((e) => `${e.method} ${e.path}`)).toEqual(['DELETE /_emulator/requests']);
  });
});

describe('state', () => {
  it('dumps every collection, and no private key material', async () => {
    await emu.reset();
    const protection = await protectionKey(emu);
    const { asset, key } = await encryptedAsset(emu, protection);
    await createFile(emu, { Name: 'f.mp4', ParentAssetId: asset.Id });
    const token = await fetch(`${emu.baseUrl}v2/OAuth2-13`, { method: 'POST', body: new URLSearchParams({ grant_type: 'client_credentials', client_id: 'a', client_secret: 'b' }) });
    expect(token.status).toBe(200);

    const res = await emu.admin('GET', 'state');
    expect(res.status).toBe(200);
    expect(res.body.location).toBe(dataDir);
    expect((res.body.state.assets as JsonBody[]).map((a) => a.Id)).toEqual([asset.Id]);
    expect((res.body.state.contentKeys as JsonBody[]).map((k) => k.Id)).toEqual([key.id]);
    expect(res.body.state.files).toHaveLength(1);
    expect(res.body.state.assetContentKeys).toHaveLength(1);

    const privatePem = await readFile(join(dataDir, 'protection-key.pem'), 'utf8');
    const tokenKey = (await readFile(join(dataDir, 'token-signing.key'), 'utf8')).trim();
    const pemBody = privatePem.split('\n').filter((l) => l && !l.startsWith('-----'));
    expect(pemBody.length).toBeGreaterThan(10);
    const everything = [res.text, (await emu.admin('GET', 'findings')).text, (await emu.admin('GET', 'requests')).text, (await emu.admin('GET', 'health')).text];
    for (const text of everything) {
      expect(text).not.toContain(tokenKey);
      expect(text).not.toContain('PRIVATE KEY');
      for (const line of pemBody) expect(text).not.toContain(line);
    }
    // The clear content key is not in the dump either: only its wrapped form.
    expect(res.text).not.toContain(key.key.toString('base64'));
  });
});
