import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { BlobServiceClient } from '@azure/storage-blob';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmbeddedAzurite, type StartedEmbeddedAzurite } from '../../src/storage/azurite.js';
import { entityPath, quoted, startTestEmulator, type AmsResponse, type TestEmulator } from '../../../test/support/emulator.js';
import { consistencyProblems, fetchState } from '../helpers/reliability-consistency.js';
import { streamInTheClear } from '../helpers/api-fixtures.js';
import { admin, findingsOf, mp4Like, uploadFile, verificationOf, type Upload } from '../helpers/upload-workflow.js';
import { withinMs } from '../../../test/support/timing.js';

/**
 * Azurite stopped in the middle of a run and started again on the same port and disk location,
 * without restarting the emulator. While it is down, what needs storage answers 503 with a message
 * saying so, within seconds (no 500, no hang); what needs only the emulator's state works; health
 * says storage is down. When it is back everything works again, and a verification the outage
 * interrupted ends verified, never as a finding against the client.
 */

/** A liveness bound, not a speed target: the gateway fails fast (~0.2 s); a hang would take minutes. */
const ANSWER_WITHIN_MS = withinMs(10_000);
const LOAD_CLIENTS = 8;

let location: string;
let azurite: StartedEmbeddedAzurite | undefined;
let port = 0;
let emu: TestEmulator;

async function startStorage(): Promise<void> {
  azurite = await startEmbeddedAzurite({ port, location: join(location, 'azurite') });
  port = azurite.port;
}

beforeAll(async () => {
  location = await mkdtemp(join(tmpdir(), 'ams-reliability-storage-'));
  await startStorage();
  emu = await startTestEmulator({ location: join(location, 'emulator'), storageConnectionString: azurite!.connectionString });
}, 120_000);

afterAll(async () => {
  await emu?.close();
  await azurite?.stop();
  await rm(location, { recursive: true, force: true });
});

interface Timed {
  res: AmsResponse;
  ms: number;
}

async function timed(method: string, path: string, body?: unknown): Promise<Timed> {
  const started = performance.now();
  const res = await emu.ams(method, path, body === undefined ? {} : { body });
  return { res, ms: performance.now() - started };
}

/** The slowest 503 seen, for the figures. */
let slowest503Ms = 0;

/** 503, an OData error naming storage, a Retry-After, and an answer in bounded time. */
function expectStorageDown({ res, ms }: Timed, what: string): void {
  slowest503Ms = Math.max(slowest503Ms, ms);
  expect(res.status, `${what}: ${res.text}`).toBe(503);
  expect(res.headers.get('retry-after'), what).toBeTruthy();
  expect(String(res.body?.['odata.error']?.message?.value), what).toMatch(/storage/i);
  expect(ms, what).toBeLessThan(ANSWER_WITHIN_MS);
}

function expectStatus({ res, ms }: Timed, status: number, what: string): void {
  expect(res.status, `${what}: ${res.text}`).toBe(status);
  expect(ms, what).toBeLessThan(ANSWER_WITHIN_MS);
}

/** Clients that keep working through the outage: every answer is counted, and none may be a 500 or hang. */
function backgroundLoad(): { stop(): Promise<{ statuses: Map<number, number>; slowestMs: number; unexpected: string[] }> } {
  let stopped = false;
  const statuses = new Map<number, number>();
  const unexpected: string[] = [];
  let slowestMs = 0;
  const note = (what: string, t: Timed, allowed: readonly number[]) => {
    statuses.set(t.res.status, (statuses.get(t.res.status) ?? 0) + 1);
    slowestMs = Math.max(slowestMs, t.ms);
    if (t.res.status === 503) slowest503Ms = Math.max(slowest503Ms, t.ms);
    if (!allowed.includes(t.res.status) && unexpected.length < 20) unexpected.push(`${what} -> ${t.res.status} ${t.res.text.slice(0, 200)}`);
  };
  const client = async (index: number) => {
    for (let i = 0; !stopped; i++) {
      // Needs storage (a container): 201, or 503 while storage is down.
      const asset = await timed('POST', 'Assets', { Name: `load-${index}-${i}` });
      note('POST Assets', asset, [201, 503]);
      // Needs only the state.
      note('GET Assets', await timed('GET', `Assets?$top=5&$filter=startswith(Name,'load-${index}-')`), [200]);
      if (asset.res.status === 201) note('MERGE Assets', await timed('MERGE', entityPath('Assets', String(asset.res.body.Id)), { AlternateId: `merged-${i}` }), [204]);
    }
  };
  const clients = Array.from({ length: LOAD_CLIENTS }, (_, i) => client(i));
  return {
    async stop() {
      stopped = true;
      await Promise.all(clients);
      return { statuses, slowestMs, unexpected };
    },
  };
}

async function until(check: () => Promise<boolean>, what: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('Azurite stopped in the middle of a run', () => {
  it('answers 503 fast for what needs storage, serves what needs only state, and recovers without a restart', async () => {
    // Before the outage: an upload waiting for its completing MERGE, a SAS and an origin locator.
    const upload: Upload = await uploadFile(emu, { data: mp4Like(300_000), contentChecksum: true, contentFileSize: 'omit' });
    expect(await verificationOf(emu, upload.fileId)).toMatchObject({ status: 'skipped', reasonCode: 'awaiting-content-file-size' });
    const readPolicy = await emu.ams('POST', 'AccessPolicies', { body: { Name: 'read', DurationInMinutes: 60, Permissions: 1 } });
    expect(readPolicy.status, readPolicy.text).toBe(201);
    const sas = await emu.ams('POST', 'Locators', { body: { AssetId: upload.assetId, AccessPolicyId: readPolicy.body.Id, Type: 1 } });
    expect(sas.status, sas.text).toBe(201);
    await streamInTheClear(emu, upload.assetId);
    const origin = await emu.ams('POST', 'Locators', { body: { AssetId: upload.assetId, AccessPolicyId: readPolicy.body.Id, Type: 2 } });
    expect(origin.status, origin.text).toBe(201);
    const spare = await emu.ams('POST', 'Assets', { body: { Name: 'to-delete' } });
    expect(spare.status, spare.text).toBe(201);

    const load = backgroundLoad();
    await new Promise((r) => setTimeout(r, 300));
    await azurite!.stop();
    azurite = undefined;
    let storageDown = true;
    try {
      const health = await admin(emu, 'GET', 'health');
      expect(health.status).toBe(503);
      expect(health.body).toMatchObject({ status: 'unhealthy', storage: 'down' });
      expect(String(health.body.message)).toMatch(/unreachable|ECONNREFUSED/);

      // What needs storage: 503, and the state stays as it was.
      expectStorageDown(await timed('POST', 'Assets', { Name: 'during' }), 'POST Assets');
      expectStorageDown(await timed('DELETE', entityPath('Assets', String(spare.body.Id))), 'DELETE Assets');
      expectStatus(await timed('GET', entityPath('Assets', String(spare.body.Id))), 200, 'the asset whose DELETE failed is still there');
      expectStorageDown(await timed('POST', 'Locators', { AssetId: upload.assetId, AccessPolicyId: readPolicy.body.Id, Type: 1 }), 'POST Locators (SAS)');
      expectStorageDown(await timed('DELETE', entityPath('Locators', String(sas.body.Id))), 'DELETE Locators (SAS)');
      expectStatus(await timed('GET', entityPath('Locators', String(sas.body.Id))), 200, 'the locator whose DELETE failed is still there');
      expectStorageDown(await timed('GET', `CreateFileInfos?assetid=${quoted(upload.assetId)}`), 'CreateFileInfos');
      const started = performance.now();
      const stream = await fetch(`${String(origin.body.Path)}${upload.name}`);
      expect(stream.status, await stream.text()).toBe(503);
      expect(performance.now() - started).toBeLessThan(ANSWER_WITHIN_MS);

      // What needs only the state: as always.
      expectStatus(await timed('GET', 'Assets'), 200, 'GET Assets');
      expectStatus(await timed('GET', `${entityPath('Assets', upload.assetId)}/Files`), 200, 'GET Assets/Files');
      expectStatus(await timed('GET', 'ContentKeys'), 200, 'GET ContentKeys');
      expectStatus(await timed('MERGE', entityPath('Assets', upload.assetId), { Name: 'renamed during the outage' }), 204, 'MERGE Assets');
      expectStatus(await timed('POST', 'AccessPolicies', { Name: 'during', DurationInMinutes: 5, Permissions: 1 }), 201, 'POST AccessPolicies');

      // The MERGE completing the upload needs no storage in compat mode; its verification waits for storage.
      expectStatus(await timed('MERGE', entityPath('Files', upload.fileId), { ContentFileSize: String(upload.size) }), 204, 'the completing MERGE');
      await until(async () => (await admin(emu, 'GET', `files/${encodeURIComponent(upload.fileId)}/verification`)).body['reasonCode'] === 'storage-unavailable', 'the verification to wait for storage');
      expect((await admin(emu, 'GET', `files/${encodeURIComponent(upload.fileId)}/verification`)).body).toMatchObject({ status: 'pending' });

      await startStorage();
      storageDown = false;
    } finally {
      if (storageDown) await startStorage();
    }

    // Back without restarting the emulator.
    await until(async () => (await admin(emu, 'GET', 'health')).status === 200, 'health to say storage is up');
    expectStatus(await timed('POST', 'Assets', { Name: 'after' }), 201, 'POST Assets after');
    expectStatus(await timed('DELETE', entityPath('Locators', String(sas.body.Id))), 204, 'DELETE Locators after');
    expectStatus(await timed('POST', 'Locators', { AssetId: upload.assetId, AccessPolicyId: readPolicy.body.Id, Type: 1 }), 201, 'POST Locators after');
    expectStatus(await timed('GET', `CreateFileInfos?assetid=${quoted(upload.assetId)}`), 204, 'CreateFileInfos after');
    expectStatus(await timed('DELETE', entityPath('Assets', String(spare.body.Id))), 204, 'DELETE Assets after');
    const blobs = BlobServiceClient.fromConnectionString(azurite!.connectionString);
    expect(await blobs.getContainerClient(String(spare.body.Uri).split('/').pop()!).exists()).toBe(false);
    const streamed = await fetch(`${String(origin.body.Path)}${upload.name}`);
    expect(streamed.status).toBe(200);
    expect(Buffer.from(await streamed.arrayBuffer()).length).toBe(upload.size);

    // The interrupted verification was retried, and the client is not blamed for the outage.
    expect(await verificationOf(emu, upload.fileId)).toMatchObject({ status: 'verified', reasonCode: 'verified' });
    expect(await findingsOf(emu, upload.fileId)).toEqual([]);

    await new Promise((r) => setTimeout(r, 300));
    const { statuses, slowestMs, unexpected } = await load.stop();
    expect(unexpected).toEqual([]);
    expect(statuses.get(503) ?? 0, 'the load saw the outage').toBeGreaterThan(0);
    expect(slowestMs).toBeLessThan(ANSWER_WITHIN_MS);
    expect(consistencyProblems(await fetchState(emu.baseUrl))).toEqual([]);
    console.log(`reliability: storage outage: slowest 503 ${slowest503Ms.toFixed(0)} ms; load of ${LOAD_CLIENTS} clients saw ${[...statuses].map(([s, n]) => `${n}x${s}`).join(', ')}, slowest answer ${slowestMs.toFixed(0)} ms; recovered without a restart`);
  }, 120_000);
});
