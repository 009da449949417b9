/**
 * `npm run bench:api`: the emulator's write path, measured against Azurite in the same run.
 *
 * 0. Start-up of an empty emulator, spawn to healthy, STARTUP_ROUNDS times after one untimed
 *    start-up (target < 1 s).
 * 1. Latency as the state grows: 10,000 sequential `POST Assets` (each creates a container) on a
 *    fresh file-mode emulator; p50/p99 of the first and the last 1,000 (target: last <= 1.5x
 *    first), compared slice by slice (five slices of each window are the rounds).
 * 2. Throughput: `POST Assets` at a fixed concurrency as a ratio to Azurite's own create-container
 *    throughput, same Azurite, same concurrency, ROUNDS rounds of two passes, one with each side
 *    first, each round's ratio of the two passes' total times (target >= 0.8). Both
 *    legs send through Node's http with a keep-alive agent (lib/http-client.ts says why not fetch),
 *    the Azurite leg as the emulator does: a Shared Key signed PUT per container.
 * 3. Start-up with that state, STARTUP_ROUNDS restarts (for the 1.5 s target with 10,000 full asset sets,
 *    see bench:scale).
 *
 * The emulator runs as its own process (the `ams-emulator` bin, as `npm start` runs it) so the
 * client's work does not share its event loop. BENCH_API_TOTAL, BENCH_API_N (creates per round),
 * BENCH_API_CONCURRENCY, BENCH_ROUNDS (default 5) and BENCH_STARTUP_ROUNDS (default 9) override the
 * sizes for quick runs.
 */
import { performance } from 'node:perf_hooks';
import { join } from 'node:path';
import { parseConnectionString } from '../emulator/src/storage/connection-string.js';
import { SignedRequests } from '../emulator/src/storage/signed-requests.js';
import { BenchHttp } from './lib/http-client.js';
import { startEmulatorProcess, type EmulatorProcess } from './lib/emulator-process.js';
import { createScratchDir } from './lib/files.js';
import { concurrently, intEnv, percentile, percentileRatiosBySlice } from './lib/load.js';
import { describeRounds, formatResult, machineLine, resultOfRounds, underCeiling } from './lib/report.js';
import { crossoverRatios, inTurn } from './lib/timing.js';
import { settleMachine } from './lib/settle.js';

const TOTAL = intEnv('BENCH_API_TOTAL', 10_000);
const WINDOW = Math.min(1000, Math.floor(TOTAL / 4));
// Two thousand creates a leg (over a second each): a hiccup of the machine weighs less in a longer leg.
const N = intEnv('BENCH_API_N', 2000);
const ROUNDS = intEnv('BENCH_ROUNDS', 5);
/** Start-ups are cheap: more rounds than the throughput's, so that one slow start moves the spread less. */
const STARTUP_ROUNDS = intEnv('BENCH_STARTUP_ROUNDS', Math.max(ROUNDS, 9));
const STARTUP_EMPTY_TARGET_MS = 1000;
const STARTUP_STATE_TARGET_MS = 1500;
const CONCURRENCY = intEnv('BENCH_API_CONCURRENCY', 16);
const HEADERS = { Authorization: 'Bearer bench', 'x-ms-version': '2.19', Accept: 'application/json', 'Content-Type': 'application/json' };

async function main(): Promise<void> {
  const scratch = createScratchDir('ams-bench-api-');
  let emulator: EmulatorProcess | undefined;
  try {
    console.log(`bench:api: ${TOTAL} sequential creates, then ${ROUNDS} rounds of ${N} at concurrency ${CONCURRENCY} vs Azurite; data dir ${scratch.path}`);
    console.log(machineLine());

    // A first start-up reads the emulator's and Azurite's code into the page cache (from disk on
    // a machine that has not run them lately); every later one, like every timed one, finds it there.
    const warmUp = await startEmulatorProcess(join(scratch.path, 'empty-warm-up'));
    await warmUp.stop();
    console.log(`a first, untimed start-up (code read into the page cache): ${warmUp.startedInMs.toFixed(0)} ms`);
    const emptyStarts: number[] = [];
    for (let round = 0; round < STARTUP_ROUNDS; round++) {
      const empty = await startEmulatorProcess(join(scratch.path, `empty-${round}`));
      emptyStarts.push(empty.startedInMs);
      await empty.stop();
    }
    console.log(formatResult(underCeiling('start-up of an empty emulator (a new protection key each time), spawn to healthy', emptyStarts, STARTUP_EMPTY_TARGET_MS)));

    emulator = await startEmulatorProcess(join(scratch.path, 'emulator'));
    const api = new BenchHttp(emulator.api);
    const latencies: number[] = [];
    for (let i = 0; i < TOTAL; i++) latencies.push(await timedCreate(api, i));
    const first = latencies.slice(0, WINDOW);
    const last = latencies.slice(-WINDOW);
    for (const p of [50, 99] as const) {
      const [a, b] = [percentile(first, p), percentile(last, p)];
      console.log(`latency p${p}: first ${WINDOW} creates ${a.toFixed(2)} ms, last ${WINDOW} (state holds ${TOTAL - WINDOW}+ assets) ${b.toFixed(2)} ms`);
      // A p99 of a fifth of a window is a handful of requests: it may spread more than a p50.
      console.log(formatResult(resultOfRounds({ name: `POST Assets p${p}, last vs first`, value: `${b.toFixed(2)} ms vs ${a.toFixed(2)} ms`, target: 1.5, direction: '<=', note: 'fifths of the windows as rounds', tolerance: p === 99 ? 0.3 : 0.1 }, percentileRatiosBySlice(last, first, p))));
    }

    // Tries as the emulator's own: a kept-alive connection Azurite closed between rounds is tried again.
    const storage = new SignedRequests({ ...parseConnectionString(emulator.storageConnectionString), requestTimeoutMs: 30_000, maxTries: 3 });
    // A round is two passes, one with each side first; its ratio is of the two passes' totals
    // (crossoverRatios), so that whatever the first leg leaves the second is paid by both sides.
    // One untimed leg of each first: the first timed pass was the slowest of the run in three runs
    // out of four (831-1137/s against 1200-1500/s after it), paying for what the sequential creates
    // left behind and for opening the connections.
    await concurrently(N, CONCURRENCY, (i) => create(api, `warm-${i}`));
    await concurrently(N, CONCURRENCY, (i) => createContainer(storage, `bench-warm-${i}-${Date.now()}`));
    const emulatorSeconds: number[] = [];
    const azuriteSeconds: number[] = [];
    for (let pass = 0; pass < 2 * ROUNDS; pass++) {
      await inTurn(
        pass,
        async () => emulatorSeconds.push(await timed(() => concurrently(N, CONCURRENCY, (i) => create(api, `tp-${pass}-${i}`)))),
        async () => azuriteSeconds.push(await timed(() => concurrently(N, CONCURRENCY, (i) => createContainer(storage, `bench-${pass}-${i}-${Date.now()}`)))),
      );
      const rate = (seconds: number[]): string => `${(N / seconds.at(-1)!).toFixed(0)}/s`;
      console.log(`round ${(pass >> 1) + 1}, pass ${(pass % 2) + 1} (${pass % 2 === 0 ? 'emulator' : 'Azurite'} first): POST Assets ${rate(emulatorSeconds)}, create-container ${rate(azuriteSeconds)}`);
    }
    const rates = (seconds: number[]): number[] => seconds.map((s) => N / s);
    console.log(formatResult(resultOfRounds({
      name: `POST Assets throughput vs Azurite create-container (concurrency ${CONCURRENCY})`,
      value: `${describeRounds(rates(emulatorSeconds), 0)}/s vs ${describeRounds(rates(azuriteSeconds), 0)}/s`,
      note: 'rates per pass; ratio of the rounds\' total times',
      target: 0.8,
      direction: '>=',
    }, crossoverRatios(azuriteSeconds, emulatorSeconds))));

    const assets = TOTAL + (2 * ROUNDS + 1) * N + 50;
    api.close();
    const withState: number[] = [];
    for (let round = 0; round < STARTUP_ROUNDS; round++) {
      await emulator.stop();
      emulator = await startEmulatorProcess(join(scratch.path, 'emulator'));
      withState.push(emulator.startedInMs);
    }
    console.log(formatResult(underCeiling(`start-up with ${assets} assets in the state, spawn to healthy`, withState, STARTUP_STATE_TARGET_MS)));
  } finally {
    if (emulator) await emulator.stop();
    scratch.remove();
  }
}

async function create(api: BenchHttp, name: string): Promise<void> {
  const res = await api.request('POST', 'Assets', HEADERS, JSON.stringify({ Name: name }));
  if (res.status !== 201) throw new Error(`POST Assets answered ${res.status}: ${res.body.toString().slice(0, 300)}`);
}

/** A new container, refusing one that exists: every anchor request must make one, as every POST Assets does. */
async function createContainer(storage: SignedRequests, name: string): Promise<void> {
  await storage.send('PUT', name, { restype: 'container' });
}

async function timedCreate(api: BenchHttp, i: number): Promise<number> {
  const start = performance.now();
  await create(api, `seq-${i}`);
  return performance.now() - start;
}

/** Seconds `work` takes, once what the previous leg left running (a journal compaction, Azurite saving its metadata, a GC) is done. */
async function timed(work: () => Promise<void>): Promise<number> {
  await settleMachine();
  const start = performance.now();
  await work();
  return (performance.now() - start) / 1000;
}




main().catch((err: unknown) => {
  console.error(`bench:api failed: ${(err as Error).stack ?? String(err)}`);
  process.exit(1);
});
