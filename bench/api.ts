/**
 * `npm run bench:api`: the emulator's write path, measured against Azurite in the same run.
 *
 * 1. Latency as the state grows: 10,000 sequential `POST Assets` (each creates a container) on a
 *    fresh file-mode emulator; p50/p99 of the first and the last 1,000 (target: last <= 1.5x first).
 * 2. Throughput: `POST Assets` at a fixed concurrency as a ratio to Azurite's own create-container
 *    throughput, same Azurite, same concurrency, same run (target >= 0.5).
 * 3. Start-up with that state: time from spawn to a healthy emulator.
 *
 * The emulator runs as its own process (the `ams-emulator` bin, as `npm start` runs it) so the
 * client's work does not share its event loop. BENCH_API_TOTAL, BENCH_API_N and
 * BENCH_API_CONCURRENCY override the sizes for quick runs.
 */
import { performance } from 'node:perf_hooks';
import { join } from 'node:path';
import { BlobServiceClient } from '@azure/storage-blob';
import { startEmulatorProcess, type EmulatorProcess } from './lib/emulator-process.js';
import { createScratchDir } from './lib/files.js';
import { concurrently, intEnv, percentile } from './lib/load.js';
import { formatResult } from './lib/report.js';

const TOTAL = intEnv('BENCH_API_TOTAL', 10_000);
const WINDOW = Math.min(1000, Math.floor(TOTAL / 4));
const N = intEnv('BENCH_API_N', 2000);
const CONCURRENCY = intEnv('BENCH_API_CONCURRENCY', 16);
const HEADERS = { Authorization: 'Bearer bench', 'x-ms-version': '2.19', Accept: 'application/json', 'Content-Type': 'application/json' };

async function main(): Promise<void> {
  const scratch = createScratchDir('ams-bench-api-');
  let emulator: EmulatorProcess | undefined;
  try {
    console.log(`bench:api: ${TOTAL} sequential creates, then ${N} at concurrency ${CONCURRENCY} vs Azurite; data dir ${scratch.path}`);
    emulator = await startEmulatorProcess(join(scratch.path, 'emulator'));

    const latencies: number[] = [];
    for (let i = 0; i < TOTAL; i++) latencies.push(await timedCreate(emulator.api, i));
    const first = latencies.slice(0, WINDOW);
    const last = latencies.slice(-WINDOW);
    const [p50First, p99First, p50Last, p99Last] = [percentile(first, 50), percentile(first, 99), percentile(last, 50), percentile(last, 99)];
    console.log(`latency, first ${WINDOW} creates: p50 ${p50First.toFixed(2)} ms, p99 ${p99First.toFixed(2)} ms`);
    console.log(`latency, last ${WINDOW} creates (state holds ${TOTAL - WINDOW}+ assets): p50 ${p50Last.toFixed(2)} ms, p99 ${p99Last.toFixed(2)} ms`);
    console.log(formatResult({ name: 'POST Assets p50, last vs first', value: `${p50Last.toFixed(2)} ms vs ${p50First.toFixed(2)} ms`, ratio: p50Last / p50First, target: 1.5, direction: '<=' }));
    console.log(formatResult({ name: 'POST Assets p99, last vs first', value: `${p99Last.toFixed(2)} ms vs ${p99First.toFixed(2)} ms`, ratio: p99Last / p99First, target: 1.5, direction: '<=' }));

    const blobs = BlobServiceClient.fromConnectionString(emulator.storageConnectionString);
    let best = { emulator: Infinity, azurite: Infinity };
    for (let round = 0; round < 2; round++) {
      const e = await timed(() => concurrently(N, CONCURRENCY, (i) => create(emulator!.api, `tp-${round}-${i}`)));
      const a = await timed(() => concurrently(N, CONCURRENCY, (i) => blobs.getContainerClient(`bench-${round}-${i}-${Date.now()}`).create().then(() => undefined)));
      best = { emulator: Math.min(best.emulator, e), azurite: Math.min(best.azurite, a) };
    }
    const emulatorRate = N / best.emulator;
    const azuriteRate = N / best.azurite;
    console.log(formatResult({
      name: `POST Assets throughput vs Azurite create-container (concurrency ${CONCURRENCY})`,
      value: `${emulatorRate.toFixed(0)}/s vs ${azuriteRate.toFixed(0)}/s`,
      ratio: emulatorRate / azuriteRate,
      target: 0.5,
      direction: '>=',
    }));

    const assets = TOTAL + 2 * N + 50;
    await emulator.stop();
    emulator = await startEmulatorProcess(join(scratch.path, 'emulator'));
    console.log(`start-up with ${assets} assets in the state: ${emulator.startedInMs.toFixed(0)} ms to a healthy emulator (target < 2000 ms) ${emulator.startedInMs < 2000 ? 'PASS' : 'BELOW TARGET'}`);
  } finally {
    if (emulator) await emulator.stop();
    scratch.remove();
  }
}

async function create(api: string, name: string): Promise<void> {
  const res = await fetch(`${api}Assets`, { method: 'POST', headers: HEADERS, body: JSON.stringify({ Name: name }) });
  await res.arrayBuffer();
  if (res.status !== 201) throw new Error(`POST Assets answered ${res.status}`);
}

async function timedCreate(api: string, i: number): Promise<number> {
  const start = performance.now();
  await create(api, `seq-${i}`);
  return performance.now() - start;
}

async function timed(work: () => Promise<void>): Promise<number> {
  const start = performance.now();
  await work();
  return (performance.now() - start) / 1000;
}




main().catch((err: unknown) => {
  console.error(`bench:api failed: ${(err as Error).stack ?? String(err)}`);
  process.exit(1);
});
