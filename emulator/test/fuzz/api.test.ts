import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createBlobStorage } from '../../src/storage/blob-storage.js';
import { entityPath, startTestEmulator, type TestEmulator } from '../../../test/support/emulator.js';
import { createAsset, createFile, createPolicy, createSasLocator, createStorageKey, encryptedFileBody, linkKey, protectionKey } from '../helpers/api-fixtures.js';
import { checkConsistency } from '../helpers/fuzz-consistency.js';
import { judge, judgeBatch } from '../helpers/fuzz-oracle.js';
import { fuzzCase, POOL_SETS, type FuzzCase, type FuzzPool, type PoolSet } from '../helpers/fuzz-requests.js';
import { describeRequest, send, serializeRequest, type WireRequest, type WireResponse } from '../helpers/fuzz-wire.js';
import { postJob, uploadEncryptedAsset } from '../helpers/jobs-fixtures.js';
import { mp4Like } from '../helpers/upload-workflow.js';

/**
 * The fuzz suite: at least 10,000 generated requests per run over real HTTP, against two emulators
 * (the default and `--strict`) in file mode with real (embedded) Azurites, across every surface and format, with valid
 * requests mixed in so junk meets real entities. It must answer every one of them — no 5xx, no
 * hang, no crash, each 4xx with its surface's error body in the requested format — and leave a
 * state that passes the consistency check. Rerun a failure with the seed it prints:
 *
 *   AMS_FUZZ_SEED=<seed> npx vitest run emulator/test/fuzz/api.test.ts
 *
 * AMS_FUZZ_RUNS raises (or, for a quick look, lowers) the number of requests.
 */
const MINIMUM_REQUESTS = 10_000;
const RUNS = Number(process.env['AMS_FUZZ_RUNS'] ?? MINIMUM_REQUESTS);
const SEED = process.env['AMS_FUZZ_SEED'] !== undefined ? Number(process.env['AMS_FUZZ_SEED']) : (Date.now() ^ (process.pid << 8)) >>> 0;
/** Longer than any request needs (the biggest bodies take tens of ms): only a hang reaches it. */
const REQUEST_TIMEOUT_MS = 15_000;
/** Node refuses a request head larger than this (its --max-http-header-size default is 16 KiB). */
const NODE_HEADER_LIMIT = 16 * 1024;
const POOL_CAP = 60;

/** An emulator under fuzz: its data directory, and the pool of its entities the cases pick from. */
interface Target {
  name: 'compat' | 'strict';
  emu: TestEmulator;
  location: string;
  pool: FuzzPool;
}

/** Three requests in four go to the default emulator, one to a `--strict` one (refusals, verification before commit). */
const targets: Target[] = [];
const crashes: string[] = [];
const loggedErrors: string[] = [];
const onRejection = (reason: unknown) => crashes.push(`unhandledRejection: ${(reason as Error)?.stack ?? String(reason)}`);
const onException = (err: Error) => crashes.push(`uncaughtException: ${err.stack ?? err.message}`);
const writeStderr = process.stderr.write.bind(process.stderr);

beforeAll(async () => {
  process.on('unhandledRejection', onRejection);
  process.on('uncaughtException', onException);
  // The emulator logs its own failures (500s, origin and job errors) to stderr: none may happen.
  process.stderr.write = ((chunk: string | Uint8Array, ...rest: unknown[]) => {
    const text = typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8');
    if (text.startsWith('ams-emulator:')) loggedErrors.push(text.slice(0, 2000));
    return (writeStderr as (...args: unknown[]) => boolean)(chunk, ...rest);
  }) as typeof process.stderr.write;

  for (const name of ['compat', 'strict'] as const) {
    const location = await mkdtemp(join(tmpdir(), `ams-fuzz-${name}-`));
    const emu = await startTestEmulator({ location, idSeed: SEED % 1_000_000_000, strict: name === 'strict' });
    targets.push({ name, emu, location, pool: await seedPool(emu) });
  }
}, 120_000);

afterAll(async () => {
  process.stderr.write = writeStderr;
  process.off('unhandledRejection', onRejection);
  process.off('uncaughtException', onException);
  for (const target of targets) {
    await target.emu.close();
    await rm(target.location, { recursive: true, force: true });
  }
});

/** One entity of each kind (an asset whose name amplifies filters), and an uploaded encrypted asset behind an origin locator. */
async function seedPool(emu: TestEmulator): Promise<FuzzPool> {
  const protection = await protectionKey(emu);
  const ids = Object.fromEntries(POOL_SETS.map((set) => [set, [] as string[]])) as Record<PoolSet, string[]>;
  const uploaded = await uploadEncryptedAsset(emu, [
    { name: 'clip.mp4', data: mp4Like(300_000) },
    { name: 'dir/ünï cödé.txt', data: Buffer.from('hello, origin\n'), mimeType: 'text/plain' },
  ]);
  const readPolicy = await createPolicy(emu, 1);
  const origin = await emu.ams('POST', 'Locators', { body: { AssetId: uploaded.assetId, AccessPolicyId: readPolicy.Id, Type: 2 } });
  expect(origin.status, origin.text).toBe(201);
  const guid = String(origin.body.Id).replace(/^nb:lid:UUID:/, '');

  const key = await createStorageKey(emu, protection);
  const asset = await createAsset(emu, { Name: 'a'.repeat(512), Options: 1 });
  await linkKey(emu, String(asset.Id), key.id);
  const file = await createFile(emu, encryptedFileBody(String(asset.Id), key.id, 'seed.mp4'));
  const writePolicy = await createPolicy(emu, 2);
  const sas = await createSasLocator(emu, String(asset.Id), String(writePolicy.Id));
  const job = await postJob(emu, [uploaded.assetId], 'minimal');
  expect(job.status, job.text).toBe(201);
  const tasks = await emu.ams('GET', `${entityPath('Jobs', String(job.body.Id))}/Tasks`);

  // The uploaded asset behind the origin locator stays out of the pool: its bytes must still be
  // servable at the end of the run (a fuzzed MERGE or DELETE of it would only make the origin 404).
  ids.Assets.push(String(asset.Id));
  ids.Files.push(String(file.Id));
  ids.ContentKeys.push(key.id);
  ids.AccessPolicies.push(String(writePolicy.Id));
  ids.Locators.push(String(sas.Id));
  ids.Jobs.push(String(job.body.Id));
  ids.Tasks.push(...((tasks.body?.value ?? []) as { Id: string }[]).map((t) => t.Id));
  // Running, so the origin keeps serving once the run's StreamingEndpoint creates end the compat mode.
  const endpoints = await emu.ams('GET', "StreamingEndpoints?$filter=Name eq 'default'");
  const streamingEndpointId = String(endpoints.body.value[0].Id);
  expect((await emu.ams('POST', `${entityPath('StreamingEndpoints', streamingEndpointId)}/Start`, { body: '' })).status).toBe(202);
  return {
    apiUrl: emu.url,
    protection,
    ids,
    streamingEndpointId,
    originFiles: uploaded.files.map((f) => ({ guid, name: f.name })),
  };
}

/** Requests sent, and statuses seen per family, for the figures and for the reach checks. */
let sent = 0;
const statuses = new Map<string, Map<number, number>>();
const timeByFamily = new Map<string, { ms: number; n: number }>();

function record(family: string, status: number): void {
  const byStatus = statuses.get(family) ?? new Map<number, number>();
  byStatus.set(status, (byStatus.get(status) ?? 0) + 1);
  statuses.set(family, byStatus);
}

function count(prefix: string, accept: (status: number) => boolean): number {
  let total = 0;
  for (const [family, byStatus] of statuses) {
    if (!family.startsWith(prefix)) continue;
    for (const [status, n] of byStatus) if (accept(status)) total += n;
  }
  return total;
}

/** A created entity's Id in any of the three formats. */
function createdId(res: WireResponse): string | undefined {
  const text = res.body.toString('utf8');
  return /"Id":"([^"]+)"/.exec(text)?.[1] ?? /<d:Id>([^<]+)<\/d:Id>/.exec(text)?.[1];
}

function remember(pool: FuzzPool, c: FuzzCase, request: WireRequest, res: WireResponse): void {
  if (res.status !== 201) return;
  const set = c.creates ?? (request.method === 'POST' ? (POOL_SETS as readonly string[]).find((s) => request.target === `/api/${s}`) : undefined);
  const id = createdId(res);
  if (!set || !id) return;
  const ids = pool.ids[set as PoolSet];
  ids.push(id);
  if (ids.length > POOL_CAP) ids.splice(1, 1);
}

async function exercise(c: FuzzCase, { emu, pool }: Target): Promise<void> {
  const request = c.build(pool);
  const head = serializeRequest({ ...request, body: undefined, trailer: undefined }, emu.origin.replace(/^http:\/\//, '')).length;
  // A head over Node's limit is refused before the app: 431 (a margin for what Node counts differently).
  const oversizedHead = !c.malformedHttp && head > NODE_HEADER_LIMIT + 512;
  const malformedHttp = c.malformedHttp || head > NODE_HEADER_LIMIT - 512;
  sent++;
  const res = await send(emu.baseUrl, request, { timeoutMs: REQUEST_TIMEOUT_MS });
  record(c.family, res.closedWithoutAnswer ? 0 : res.status);
  const time = timeByFamily.get(c.family) ?? { ms: 0, n: 0 };
  time.ms += res.ms;
  time.n++;
  timeByFamily.set(c.family, time);
  const problem = judge({ surface: c.surface, format: c.format, malformedHttp, bareStatus: oversizedHead ? 431 : undefined, method: request.method }, res) ?? (request.target.startsWith('/api/$batch') ? judgeBatch(res) : undefined);
  if (problem) throw new Error(`${problem}\n  family: ${c.family}\n  request: ${describeRequest(request)}`);
  remember(pool, c, request, res);
}

describe('fuzzing every route and format', () => {
  it(`answers at least ${MINIMUM_REQUESTS} generated requests without a 5xx, a hang or a crash, each error in its surface's format, and leaves a consistent state`, async () => {
    const started = performance.now();
    process.stdout.write(`fuzz: seed ${SEED}, ${RUNS} requests (rerun with AMS_FUZZ_SEED=${SEED})\n`);
    await fc.assert(
      fc.asyncProperty(fuzzCase, fc.nat(3), async (c, which) => {
        await exercise(c, targets[which === 0 ? 1 : 0]!);
      }),
      { numRuns: RUNS, seed: SEED, endOnFailure: false },
    );
    const seconds = (performance.now() - started) / 1000;

    // Still serving, nothing crashed or logged a failure of its own, and no fault rule slipped in.
    for (const { emu, name } of targets) {
      const health = await fetch(`${emu.baseUrl}_emulator/health`);
      expect(health.status, name).toBe(200);
      const faults = (await (await fetch(`${emu.baseUrl}_emulator/faults`)).json()) as { faults: unknown[] };
      expect(faults.faults, name).toEqual([]);
    }
    expect(crashes).toEqual([]);
    expect(loggedErrors).toEqual([]);

    // The count is of requests actually sent, valid ones included; the figures for the README.
    if (RUNS >= MINIMUM_REQUESTS) expect(sent).toBeGreaterThanOrEqual(MINIMUM_REQUESTS);
    const all = count('', () => true);
    const summary = [...statuses.entries()].map(([family, byStatus]) => `${family}: ${[...byStatus].map(([s, n]) => `${s}×${n}`).join(' ')}`).sort();
    process.stdout.write(`fuzz: ${sent} requests in ${seconds.toFixed(1)} s (${Math.round(sent / seconds)}/s), seed ${SEED}\n  ${summary.join('\n  ')}\n`);
    const slowest = [...timeByFamily].sort((a, b) => b[1].ms - a[1].ms).slice(0, 12).map(([f, t]) => `${f}: ${Math.round(t.ms)} ms over ${t.n} (${(t.ms / t.n).toFixed(1)} ms each)`);
    process.stdout.write(`fuzz: time by family\n  ${slowest.join('\n  ')}\n`);
    expect(all).toBe(sent);

    // The mix reached the deep paths: creates of every kind succeeded, batches ran, tokens were
    // issued, the origin served bytes, and every surface refused something.
    if (RUNS >= MINIMUM_REQUESTS) {
      for (const family of ['create-asset', 'create-key', 'link-key', 'create-file', 'create-policy', 'create-locator', 'create-job', 'create-envelope-key', 'create-delivery-policy', 'create-authorization-policy', 'create-option', 'link-delivery-policy', 'link-option', 'create-job-template']) {
        expect(count(`valid/${family}`, (s) => s === 201 || s === 204), family).toBeGreaterThan(0);
      }
      // An action, not a create: GetKeyDeliveryUrl answers 200 with the URL.
      expect(count('valid/get-key-delivery-url', (s) => s === 200), 'get-key-delivery-url').toBeGreaterThan(0);
      expect(count('batch/', (s) => s === 202)).toBeGreaterThan(0);
      expect(count('valid/streaming-endpoint', (s) => s === 202), 'streaming-endpoint').toBeGreaterThan(0);
      expect(count('token/', (s) => s === 200)).toBeGreaterThan(0);
      expect(count('origin/', (s) => s === 200 || s === 206)).toBeGreaterThan(0);
      for (const prefix of ['api/', 'batch/', 'token/', 'origin/', 'emulator/', 'http/', 'keydelivery/']) expect(count(prefix, (s) => s >= 400 && s < 500), prefix).toBeGreaterThan(0);
    }

    // Verifications and jobs the run started settle, then the state must be whole.
    for (const { emu, location, name } of targets) {
      await fetch(`${emu.baseUrl}_emulator/verifications?wait=30`);
      const storage = createBlobStorage(emu.emulator.storage.connectionString);
      expect(await checkConsistency({ baseUrl: emu.baseUrl, storage, location }), name).toEqual([]);
    }
  }, 900_000);
});
