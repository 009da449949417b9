/**
 * `node dist/bench/scale.js`: the emulator with 10,000 storage-encrypted assets, each with its own
 * content key (linked) and one encrypted file, built through the API as a client would.
 *
 * 1. Create latency as the state grows: each request of the storage-encryption workflow (POST
 *    ContentKeys, POST Assets, POST $links, POST Files), sent one at a time; p50/p99 of the first
 *    WINDOW sets (state empty) against the last WINDOW (state at TOTAL), fifth by fifth of the
 *    windows. Target: last <= 1.5x first.
 * 2. List latency at 100 assets against TOTAL: paging, `$filter`, navigation (p50 of REPEAT, in
 *    ROUNDS rounds, round r at TOTAL against round r at 100). Target: <= 1.5x. `startswith` is
 *    there to show what a filter no index can serve costs: it reads every asset.
 * 3. Start-up with that state, spawn to healthy, ROUNDS times each: after a clean stop (snapshot)
 *    and after kill -9 (journal replayed). Target: < 1.5 s.
 * Every ratio is a median of its rounds and is judged only when they agree.
 *
 * Between the windows the state is filled at a fixed concurrency (its throughput is printed), and
 * every measurement starts once the background verification of new files has caught up. The
 * emulator runs as its own process, file mode, with its embedded Azurite, whose own
 * create-container latency at both sizes is printed for reference. BENCH_SCALE_TOTAL,
 * BENCH_SCALE_WINDOW, BENCH_SCALE_CONCURRENCY, BENCH_SCALE_REPEAT and BENCH_ROUNDS (default 5)
 * override the sizes.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { BlobServiceClient } from '@azure/storage-blob';
import { contentKeyChecksum, formatIv, formatKeyId, randomIv, wrapContentKey } from '../client/src/crypto/index.js';
import { startEmulatorProcess, type EmulatorProcess } from './lib/emulator-process.js';
import { createScratchDir } from './lib/files.js';
import { concurrently, intEnv, percentile, percentileRatiosBySlice } from './lib/load.js';
import { formatResult, machineLine, resultOfRounds, underCeiling, verdictOf, type BenchResult } from './lib/report.js';
import { ratiosOf } from './lib/timing.js';

const TOTAL = intEnv('BENCH_SCALE_TOTAL', 10_000);
const WINDOW = Math.min(intEnv('BENCH_SCALE_WINDOW', 500), Math.floor(TOTAL / 4));
const CONCURRENCY = intEnv('BENCH_SCALE_CONCURRENCY', 16);
const REPEAT = intEnv('BENCH_SCALE_REPEAT', 200);
const ROUNDS = intEnv('BENCH_ROUNDS', 5);
const SMALL = 100;
const TARGET_RATIO = 1.5;
const TARGET_STARTUP_MS = 1500;
const HEADERS = { Authorization: 'Bearer bench', 'x-ms-version': '2.19', Accept: 'application/json', 'Content-Type': 'application/json', DataServiceVersion: '3.0', MaxDataServiceVersion: '3.0' };

interface Protection {
  thumbprint: string;
  certificate: string;
}

/** One asset of the workflow, as made. */
interface MadeSet {
  assetId: string;
  name: string;
}

const REQUESTS = ['POST ContentKeys', 'POST Assets', 'POST $links', 'POST Files'] as const;
type RequestName = (typeof REQUESTS)[number];
type Latencies = Record<RequestName, number[]>;

async function main(): Promise<void> {
  const scratch = createScratchDir('ams-bench-scale-');
  let emulator: EmulatorProcess | undefined;
  const results: BenchResult[] = [];
  try {
    console.log(`bench:scale: ${TOTAL} storage-encrypted assets (key + asset + link + file each), windows of ${WINDOW}, fill at concurrency ${CONCURRENCY}, ${ROUNDS} rounds; data dir ${scratch.path}`);
    console.log(machineLine());
    emulator = await startEmulatorProcess(scratch.path);
    const protection = await protectionKey(emulator.api);
    // One wrapped key for all: RSA-OAEP per key would time the bench, not the emulator.
    const key = randomBytes(32);
    const wrapped = wrapContentKey(protection.certificate, key).toString('base64');
    const made: MadeSet[] = [];
    const first = emptyLatencies();
    const small = Math.min(SMALL, WINDOW);
    let atSmall: Record<string, number[]> = {};
    const azuriteFirst = await azuriteCreateLatency(emulator.storageConnectionString, 'first');
    for (let i = 0; i < WINDOW; i++) {
      made.push(await createSet(emulator.api, protection, key, wrapped, i, first));
      if (made.length === small) {
        await settle(emulator.base);
        atSmall = await listLatencies(emulator.api, made);
      }
    }

    const fillFrom = made.length;
    const fillTo = TOTAL - WINDOW;
    const fillStart = performance.now();
    await concurrently(fillTo - fillFrom, CONCURRENCY, async (i) => {
      made[fillFrom + i] = await createSet(emulator!.api, protection, key, wrapped, fillFrom + i, undefined);
    });
    const fillSeconds = (performance.now() - fillStart) / 1000;
    console.log(`fill: ${fillTo - fillFrom} sets (${4 * (fillTo - fillFrom)} requests) at concurrency ${CONCURRENCY} in ${fillSeconds.toFixed(1)} s: ${((4 * (fillTo - fillFrom)) / fillSeconds).toFixed(0)} requests/s`);
    // Each new file is verified in the background (a storage read); a fill at concurrency 16 leaves a
    // backlog that would otherwise be measured as the cost of the next requests.
    await settle(emulator.base);

    const last = emptyLatencies();
    for (let i = fillTo; i < TOTAL; i++) made.push(await createSet(emulator.api, protection, key, wrapped, i, last));
    const azuriteLast = await azuriteCreateLatency(emulator.storageConnectionString, 'last');
    await settle(emulator.base);
    const atLarge = await listLatencies(emulator.api, made);

    console.log(`\ncreate latency, one request at a time: first ${WINDOW} sets (state 0..${WINDOW}) vs last ${WINDOW} (state ${TOTAL - WINDOW}..${TOTAL})`);
    for (const name of REQUESTS) {
      for (const p of [50, 99] as const) {
        const [a, b] = [percentile(first[name], p), percentile(last[name], p)];
        // A p99 of a fifth of a window is a handful of requests: it may spread more than a p50.
        results.push(resultOfRounds({ name: `${name} p${p}, at ${TOTAL} vs at 0`, value: `${b.toFixed(2)} ms vs ${a.toFixed(2)} ms`, target: TARGET_RATIO, direction: '<=', note: 'fifths of the windows as rounds', tolerance: p === 99 ? 0.3 : 0.1 }, percentileRatiosBySlice(last[name], first[name], p)));
        console.log(formatResult(results.at(-1)!));
      }
    }

    console.log(`(for reference, the embedded Azurite's own create-container p50: ${azuriteLast.toFixed(2)} ms with ${TOTAL} containers vs ${azuriteFirst.toFixed(2)} ms with none, ratio ${(azuriteLast / azuriteFirst).toFixed(2)})`);

    console.log(`\nlist latency (p50 of ${REPEAT}, ${ROUNDS} rounds): at ${TOTAL} assets vs at ${small}`);
    for (const [name, atFew] of Object.entries(atSmall)) {
      const large = atLarge[name]!;
      const ms = (values: number[]): string => `${percentile(values, 50).toFixed(2)} ms`;
      results.push(resultOfRounds({ name: `${name}, at ${TOTAL} vs at ${small}`, value: `${ms(large)} vs ${ms(atFew)} (medians)`, target: TARGET_RATIO, direction: '<=' }, ratiosOf(large, atFew)));
      console.log(formatResult(results.at(-1)!));
    }

    const stateBytes = statSync(join(scratch.path, 'state.json')).size;
    const clean: number[] = [];
    const afterKill: number[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      await emulator.stop();
      emulator = await startEmulatorProcess(scratch.path);
      clean.push(emulator.startedInMs);
      await emulator.kill();
      emulator = await startEmulatorProcess(scratch.path);
      afterKill.push(emulator.startedInMs);
    }
    console.log(`\nstart-up with ${TOTAL} assets, ${TOTAL} keys, ${TOTAL} links and ${TOTAL} files (state.json ${(stateBytes / 1024 / 1024).toFixed(1)} MiB), spawn to healthy:`);
    for (const [how, ms] of [['after a clean stop', clean], ['after kill -9', afterKill]] as const) {
      results.push(underCeiling(`start-up ${how}`, ms, TARGET_STARTUP_MS));
      console.log(formatResult(results.at(-1)!));
    }
    const verdicts = results.map(verdictOf);
    const count = (verdict: string): number => verdicts.filter((v) => v === verdict).length;
    const notPassed = results.flatMap((r, i) => (verdicts[i] === 'PASS' ? [] : [`${r.name} (${verdicts[i]})`]));
    console.log(`\n${count('PASS')} of ${results.length} PASS, ${count('BELOW TARGET')} below target, ${count('TOO NOISY TO JUDGE')} too noisy to judge${notPassed.length > 0 ? `; not passed: ${notPassed.join('; ')}` : ''}`);
  } finally {
    if (emulator) await emulator.stop();
    scratch.remove();
  }
}

function emptyLatencies(): Latencies {
  return { 'POST ContentKeys': [], 'POST Assets': [], 'POST $links': [], 'POST Files': [] };
}

/** Key, asset, link, file: the storage-encryption workflow's writes for one asset. */
async function createSet(api: string, protection: Protection, key: Buffer, wrapped: string, index: number, latencies: Latencies | undefined): Promise<MadeSet> {
  const keyId = formatKeyId(randomUUID());
  const name = `scale-${String(index).padStart(6, '0')}`;
  const timed = async (request: RequestName, path: string, body: unknown, status: number) => {
    const started = performance.now();
    const res = await fetch(`${api}${path}`, { method: 'POST', headers: HEADERS, body: JSON.stringify(body) });
    const text = await res.text();
    latencies?.[request].push(performance.now() - started);
    if (res.status !== status) throw new Error(`${request} answered ${res.status}: ${text.slice(0, 300)}`);
    return text === '' ? {} : (JSON.parse(text) as Record<string, unknown>);
  };
  await timed('POST ContentKeys', 'ContentKeys', { Id: keyId, ContentKeyType: 1, EncryptedContentKey: wrapped, ProtectionKeyId: protection.thumbprint, ProtectionKeyType: 0, Checksum: contentKeyChecksum(key, keyId) }, 201);
  const asset = await timed('POST Assets', 'Assets', { Name: name, Options: 1 }, 201);
  const assetId = String(asset['Id']);
  await timed('POST $links', `Assets('${encodeURIComponent(assetId)}')/$links/ContentKeys`, { uri: `${api}ContentKeys('${encodeURIComponent(keyId)}')` }, 204);
  await timed('POST Files', 'Files', {
    Name: 'movie.mp4',
    ParentAssetId: assetId,
    IsEncrypted: true,
    EncryptionScheme: 'StorageEncryption',
    EncryptionVersion: '1.0',
    EncryptionKeyId: keyId,
    InitializationVector: formatIv(randomIv()),
    MimeType: 'video/mp4',
  }, 201);
  return { assetId, name };
}

/** Waits until no file verification is pending. */
async function settle(base: string): Promise<void> {
  for (;;) {
    const res = await fetch(`${base}_emulator/verifications?wait=60&status=pending`);
    const body = (await res.json()) as { idle?: boolean };
    if (body.idle === true) return;
  }
}

/** p50 of creating (then deleting) containers straight in the emulator's Azurite: the storage's own cost at this size. */
async function azuriteCreateLatency(connectionString: string, tag: string): Promise<number> {
  const blobs = BlobServiceClient.fromConnectionString(connectionString);
  const times: number[] = [];
  for (let i = 0; i < REPEAT; i++) {
    const container = blobs.getContainerClient(`bench-${tag}-${i}-${randomUUID().slice(0, 8)}`);
    const started = performance.now();
    await container.create();
    times.push(performance.now() - started);
    await container.delete();
  }
  return percentile(times, 50);
}

/** p50 of each listing over the state as it is, once per round. */
async function listLatencies(api: string, made: readonly MadeSet[]): Promise<Record<string, number[]>> {
  const middle = made[Math.floor(made.length / 2)]!;
  const queries: Record<string, string> = {
    'GET Assets $top=100': 'Assets?$top=100',
    // Half way in at 10,000; at 100 a full page needs $skip=0: compare pages of the same size.
    'GET Assets $top=100 $skip=half': `Assets?$top=100&$skip=${Math.max(0, Math.min(Math.floor(made.length / 2), made.length - 100))}`,
    'GET Assets $filter=Name eq': `Assets?$filter=${encodeURIComponent(`Name eq '${middle.name}'`)}`,
    'GET Files $filter=ParentAssetId eq': `Files?$filter=${encodeURIComponent(`ParentAssetId eq '${middle.assetId}'`)}`,
    'GET Assets(id)/Files': `Assets('${encodeURIComponent(middle.assetId)}')/Files`,
    'GET Assets(id)/ContentKeys': `Assets('${encodeURIComponent(middle.assetId)}')/ContentKeys`,
    'GET Assets $filter=startswith $top=10': `Assets?$filter=${encodeURIComponent(`startswith(Name,'${middle.name}')`)}&$top=10`,
  };
  const out: Record<string, number[]> = {};
  // Rounds in which the queries take turns: a burst of load elsewhere on the machine then skews
  // one round of one query, which the median of the rounds leaves out.
  for (let round = 0; round < ROUNDS; round++) {
    for (const [name, path] of Object.entries(queries)) {
      const times: number[] = [];
      for (let i = 0; i < REPEAT; i++) {
        const started = performance.now();
        const res = await fetch(`${api}${path}`, { headers: HEADERS });
        await res.arrayBuffer();
        times.push(performance.now() - started);
        if (res.status !== 200) throw new Error(`${name} answered ${res.status}`);
      }
      (out[name] ??= []).push(percentile(times, 50));
    }
  }
  return out;
}

async function protectionKey(api: string): Promise<Protection> {
  const get = async (path: string) => {
    const res = await fetch(`${api}${path}`, { headers: HEADERS });
    if (res.status !== 200) throw new Error(`GET ${path} answered ${res.status}`);
    return String(((await res.json()) as { value: unknown }).value);
  };
  const thumbprint = await get('GetProtectionKeyId?contentKeyType=1');
  return { thumbprint, certificate: await get(`GetProtectionKey?ProtectionKeyId='${thumbprint}'`) };
}

main().catch((err: unknown) => {
  console.error(`bench:scale failed: ${(err as Error).stack ?? String(err)}`);
  process.exit(1);
});
