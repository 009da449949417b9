/**
 * `npm run bench:client`: the reference client's encrypted upload and download of 1 GiB, each as a
 * ratio to moving the same bytes with `@azure/storage-blob` alone (same block size, same
 * parallelism, same Azurite, same run), and the client's peak RSS in each.
 *
 * The emulator runs as its own process (the `ams-emulator` bin) with a file-mode location, so its
 * embedded Azurite keeps blobs on disk (in-memory Azurite reads 1 GiB back ~8x slower) and this
 * process's RSS and CPU are the client's alone. Targets: ratio >= 0.95, peak RSS < 300 MB.
 *
 * Each ratio is the median of the rounds' ratios, and it is judged only when the rounds agree. A
 * round is two passes, each timing both sides back to back, the encrypted side first in one and
 * second in the other; its ratio is the plain total over the encrypted total of the two (see
 * `crossoverRatios`), so that what running second costs is paid by both sides alike.
 * BENCH_SIZE_MB (default 1024), BENCH_PARALLEL (default 4), BENCH_BLOCK_MB (default 4) and
 * BENCH_ROUNDS (default 5) override the shape.
 */
import { rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { BlobServiceClient } from '@azure/storage-blob';
import { AmsClient, download, uploadEncrypted } from '../client/src/index.js';
import { startEmulatorProcess, type EmulatorProcess } from './lib/emulator-process.js';
import { createScratchDir, firstDifference, writeRandomFile } from './lib/files.js';
import { settleDisk, settleMachine } from './lib/settle.js';
import { measurePeakRss } from './lib/peak-rss.js';
import { plainDownload, plainUpload } from './lib/plain-transfer.js';
import { describeRounds, formatResult, machineLine, MiB, mib, mibPerSecond, resultOfRounds } from './lib/report.js';
import { collectGarbage, crossoverRatios, inTurn, timeOnce } from './lib/timing.js';
import { intEnv } from './lib/load.js';

const SIZE = intEnv('BENCH_SIZE_MB', 1024) * MiB;
const PARALLEL = intEnv('BENCH_PARALLEL', 4);
const BLOCK = intEnv('BENCH_BLOCK_MB', 4) * MiB;
const ROUNDS = intEnv('BENCH_ROUNDS', 5);
const RSS_TARGET = 300 * 1000 * 1000;
const RATIO_TARGET = 0.95;

interface Measured {
  seconds: number;
  /** CPU of this process, worker threads included (the client's side of the leg). */
  cpuSeconds: number;
  peakRss: number;
}

/** One timed phase, from a collected heap, a settled disk and a quiet machine, with its own peak RSS and CPU. */
async function measure(work: () => Promise<unknown>): Promise<Measured> {
  settleDisk();
  collectGarbage();
  await settleMachine();
  const rss = measurePeakRss();
  const cpu = process.cpuUsage();
  const seconds = await timeOnce(work);
  const used = process.cpuUsage(cpu);
  return { seconds, cpuSeconds: (used.user + used.system) / 1e6, peakRss: rss.stop() };
}


async function main(): Promise<void> {
  const scratch = createScratchDir('ams-bench-client-');
  let emulator: EmulatorProcess | undefined;
  try {
    console.log(
      `bench:client: ${mib(SIZE)}, blocks of ${mib(BLOCK)}, ${PARALLEL} in parallel, ${ROUNDS} rounds of two passes (one in each order); scratch ${scratch.path}`,
    );
    console.log(machineLine());
    const source = join(scratch.path, 'source.bin');
    await writeRandomFile(source, SIZE);
    emulator = await startEmulatorProcess(join(scratch.path, 'emulator'));
    const running = emulator;
    const client = new AmsClient({ endpoint: emulator.api, auth: { kind: 'static', token: 'bench' } });
    const container = BlobServiceClient.fromConnectionString(emulator.storageConnectionString).getContainerClient('bench-plain');
    await container.create();

    const results: Record<'plainUp' | 'encUp' | 'plainDown' | 'encDown', Measured[]> = { plainUp: [], encUp: [], plainDown: [], encDown: [] };
    for (let pass = 0; pass < 2 * ROUNDS; pass++) {
      const blob = container.getBlockBlobClient(`plain-${pass}.bin`);
      const plainOut = join(scratch.path, 'plain.out');
      const encryptedOut = join(scratch.path, 'encrypted.out');

      let assetId = '';
      let verification = '';
      await inTurn(
        pass,
        async () => {
          results.plainUp.push(await measure(() => plainUpload(blob, source, BLOCK, PARALLEL)));
        },
        async () => {
          results.encUp.push(await measure(async () => {
            assetId = (await uploadEncrypted(client, [source], { blockSize: BLOCK, parallelism: PARALLEL })).assetId;
          }));
          // The emulator decrypt-verifies the upload in the background (it reads the gigabyte back
          // from Azurite): waited for here, untimed, so that it competes with no leg for the CPU.
          // Left to run, it landed in the plain upload whenever that came second, which made the
          // plain upload half as slow again in every other round.
          verification = await verificationOf(running, assetId);
        },
      );

      await inTurn(
        pass,
        async () => {
          results.plainDown.push(await measure(() => plainDownload(blob, SIZE, plainOut, BLOCK, PARALLEL)));
        },
        async () => {
          results.encDown.push(await measure(() => download(client, assetId, 'source.bin', encryptedOut, { blockSize: BLOCK, parallelism: PARALLEL })));
        },
      );

      for (const [what, path] of [['plain', plainOut], ['encrypted', encryptedOut]] as const) {
        const differs = await firstDifference(source, path);
        if (differs !== -1) throw new Error(`the ${what} download differs from the source at byte ${differs}`);
      }
      const last = (runs: Measured[]): string => `${runs.at(-1)!.seconds.toFixed(2)} s (CPU ${runs.at(-1)!.cpuSeconds.toFixed(2)} s)`;
      const order = pass % 2 === 0 ? 'plain first' : 'encrypted first';
      console.log(`round ${(pass >> 1) + 1}, pass ${(pass % 2) + 1} (${order}): upload plain ${last(results.plainUp)}, encrypted ${last(results.encUp)}; download plain ${last(results.plainDown)}, encrypted ${last(results.encDown)}`);
      console.log(`  both downloads match the source byte for byte; the emulator's verification of the upload: ${verification}`);
      await Promise.all([blob.delete(), client.deleteAsset(assetId), rm(plainOut), rm(encryptedOut)]);
    }

    const { plainUp, encUp, plainDown, encDown } = results;
    const seconds = (runs: Measured[]): number[] => runs.map((m) => m.seconds);
    const rates = (runs: Measured[]): string => `${describeRounds(runs.map((m) => mibPerSecond(SIZE, m.seconds)), 1)} MiB/s`;
    for (const [name, enc, plain] of [['upload', encUp, plainUp], ['download', encDown, plainDown]] as const) {
      console.log(formatResult(resultOfRounds({
        name: `encrypted ${name} vs plain @azure/storage-blob ${name}`,
        value: `${rates(enc)} vs ${rates(plain)}`,
        note: 'plain time / encrypted time',
        target: RATIO_TARGET,
        direction: '>=',
      }, crossoverRatios(seconds(plain), seconds(enc)))));
    }
    const cpu = (runs: Measured[]): string => describeRounds(runs.map((m) => m.cpuSeconds), 2);
    console.log(
      `  client CPU seconds per leg (this process, its threads included; Azurite's and the emulator's not), median (min..max): ` +
        `upload ${cpu(encUp)} encrypted vs ${cpu(plainUp)} plain, download ${cpu(encDown)} vs ${cpu(plainDown)}. ` +
        'The encrypted upload also hashes the clear bytes (MD5, for the ContentChecksum) and encrypts them on one worker thread, up to two blocks ahead of the Put Blocks under way; a plain upload does neither.',
    );
    for (const [name, runs, plain] of [['encrypted upload', encUp, plainUp], ['encrypted download', encDown, plainDown]] as const) {
      const worst = Math.max(...runs.map((m) => m.peakRss));
      console.log(formatResult(resultOfRounds({
        name: `peak RSS, ${name}`,
        value: `${mib(worst)} worst (${(worst / 1e6).toFixed(0)} MB; plain: ${mib(Math.max(...plain.map((m) => m.peakRss)))})`,
        note: 'of 300 MB',
        target: 1,
        direction: '<=',
        // Memory does not jitter like time: a spread here is a real difference between rounds.
        tolerance: 0.25,
      }, runs.map((m) => m.peakRss / RSS_TARGET))));
    }
    console.log(`source file: ${mib((await stat(source)).size)}`);
  } finally {
    await emulator?.stop();
    scratch.remove();
  }
}

/** The status the emulator's decrypt verification gives the asset's file, once it has one. */
async function verificationOf(emulator: EmulatorProcess, assetId: string): Promise<string> {
  const response = await fetch(`${emulator.base}_emulator/verifications?wait=300&assetId=${encodeURIComponent(assetId)}`);
  const body = (await response.json()) as { verifications: Array<{ status: string; reason: string }> };
  return body.verifications.map((v) => `${v.status} (${v.reason})`).join('; ') || 'none';
}


main().catch((err: unknown) => {
  console.error(`bench:client failed: ${(err as Error).stack ?? String(err)}`);
  process.exit(1);
});
