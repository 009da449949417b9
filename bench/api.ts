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
import { spawn, type ChildProcess } from 'node:child_process';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { BlobServiceClient } from '@azure/storage-blob';
import { createScratchDir } from './lib/files.js';
import { formatResult } from './lib/report.js';

const TOTAL = intEnv('BENCH_API_TOTAL', 10_000);
const WINDOW = Math.min(1000, Math.floor(TOTAL / 4));
const N = intEnv('BENCH_API_N', 2000);
const CONCURRENCY = intEnv('BENCH_API_CONCURRENCY', 16);
const CLI = fileURLToPath(new URL('../emulator/src/cli.js', import.meta.url));

interface Running {
  child: ChildProcess;
  api: string;
  base: string;
  connectionString: string;
  startedInMs: number;
}

const HEADERS = { Authorization: 'Bearer bench', 'x-ms-version': '2.19', Accept: 'application/json', 'Content-Type': 'application/json' };

async function main(): Promise<void> {
  const scratch = createScratchDir('ams-bench-api-');
  let emulator: Running | undefined;
  try {
    console.log(`bench:api: ${TOTAL} sequential creates, then ${N} at concurrency ${CONCURRENCY} vs Azurite; data dir ${scratch.path}`);
    emulator = await startEmulator(scratch.path);

    const latencies: number[] = [];
    for (let i = 0; i < TOTAL; i++) latencies.push(await timedCreate(emulator.api, i));
    const first = latencies.slice(0, WINDOW);
    const last = latencies.slice(-WINDOW);
    const [p50First, p99First, p50Last, p99Last] = [percentile(first, 50), percentile(first, 99), percentile(last, 50), percentile(last, 99)];
    console.log(`latency, first ${WINDOW} creates: p50 ${p50First.toFixed(2)} ms, p99 ${p99First.toFixed(2)} ms`);
    console.log(`latency, last ${WINDOW} creates (state holds ${TOTAL - WINDOW}+ assets): p50 ${p50Last.toFixed(2)} ms, p99 ${p99Last.toFixed(2)} ms`);
    console.log(formatResult({ name: 'POST Assets p50, last vs first', value: `${p50Last.toFixed(2)} ms vs ${p50First.toFixed(2)} ms`, ratio: p50Last / p50First, target: 1.5, direction: '<=' }));
    console.log(formatResult({ name: 'POST Assets p99, last vs first', value: `${p99Last.toFixed(2)} ms vs ${p99First.toFixed(2)} ms`, ratio: p99Last / p99First, target: 1.5, direction: '<=' }));

    const blobs = BlobServiceClient.fromConnectionString(emulator.connectionString);
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
    await stop(emulator);
    emulator = await startEmulator(scratch.path);
    console.log(`start-up with ${assets} assets in the state: ${emulator.startedInMs.toFixed(0)} ms to a healthy emulator (target < 2000 ms) ${emulator.startedInMs < 2000 ? 'PASS' : 'BELOW TARGET'}`);
  } finally {
    if (emulator) await stop(emulator);
    scratch.remove();
  }
}

async function startEmulator(location: string): Promise<Running> {
  const started = performance.now();
  const child = spawn(process.execPath, [CLI, '--port', '0', '--azurite-port', '0', '--location', location, '--silent'], { stdio: ['ignore', 'pipe', 'pipe'] });
  const banner = await new Promise<string>((resolve, reject) => {
    let out = '';
    let err = '';
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      if (/Health:/.test(out)) resolve(out);
    });
    child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
    child.once('exit', (code) => reject(new Error(`ams-emulator exited with ${code}: ${err}`)));
  });
  const api = /API:\s+(\S+)/.exec(banner)![1]!;
  const base = api.replace(/api\/$/, '');
  for (;;) {
    const res = await fetch(`${base}_emulator/health`).catch(() => undefined);
    if (res?.ok) break;
    await new Promise((r) => setTimeout(r, 20));
  }
  const connectionString = /Storage connection:\s+(\S+)/.exec(banner)![1]!;
  return { child, api, base, connectionString, startedInMs: performance.now() - started };
}

async function stop(running: Running): Promise<void> {
  if (running.child.exitCode !== null) return;
  const exited = new Promise((r) => running.child.once('exit', r));
  running.child.kill('SIGTERM');
  await exited;
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

async function concurrently(count: number, concurrency: number, task: (i: number) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < count) await task(next++);
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
}

function percentile(values: readonly number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

function intEnv(name: string, fallback: number): number {
  const v = process.env[name];
  return v && /^\d+$/.test(v) ? Number(v) : fallback;
}

main().catch((err: unknown) => {
  console.error(`bench:api failed: ${(err as Error).stack ?? String(err)}`);
  process.exit(1);
});
