/**
 * `npm run bench:client`: the reference client's encrypted upload and download of 1 GiB, each as a
 * ratio to moving the same bytes with `@azure/storage-blob` alone (same block size, same
 * parallelism, same Azurite, same run), and the client's peak RSS in each.
 *
 * The emulator runs as its own process (the `ams-emulator` bin) with a file-mode location, so its
 * embedded Azurite keeps blobs on disk (in-memory Azurite reads 1 GiB back ~8x slower) and this
 * process's RSS and CPU are the client's alone. Targets: ratio >= 0.8, peak RSS < 300 MB.
 *
 * BENCH_SIZE_MB (default 1024), BENCH_PARALLEL (default 4), BENCH_BLOCK_MB (default 4) and
 * BENCH_ROUNDS (default 2; the best of the rounds counts, and every other round runs the encrypted
 * side first) override the shape.
 */
import { rm, stat } from 'node:fs/promises';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { BlobServiceClient } from '@azure/storage-blob';
import { AmsClient, download, uploadEncrypted } from '../client/src/index.js';
import { startEmulatorProcess, type EmulatorProcess } from './lib/emulator-process.js';
import { createScratchDir, firstDifference, writeRandomFile } from './lib/files.js';
import { measurePeakRss } from './lib/peak-rss.js';
import { plainDownload, plainUpload } from './lib/plain-transfer.js';
import { formatResult, MiB, mib, mibPerSecond } from './lib/report.js';
import { collectGarbage, timeOnce } from './lib/timing.js';
import { intEnv } from './lib/load.js';

const SIZE = intEnv('BENCH_SIZE_MB', 1024) * MiB;
const PARALLEL = intEnv('BENCH_PARALLEL', 4);
const BLOCK = intEnv('BENCH_BLOCK_MB', 4) * MiB;
const ROUNDS = Math.max(1, intEnv('BENCH_ROUNDS', 2));
const RSS_TARGET = 300 * 1000 * 1000;

interface Measured {
  seconds: number;
  peakRss: number;
}

/** One timed phase, from a collected heap, with its own peak RSS. */
async function measure(work: () => Promise<unknown>): Promise<Measured> {
  collectGarbage();
  const rss = measurePeakRss();
  const seconds = await timeOnce(work);
  return { seconds, peakRss: rss.stop() };
}

function best(a: Measured | undefined, b: Measured): Measured {
  return !a || b.seconds < a.seconds ? b : a;
}

async function main(): Promise<void> {
  const scratch = createScratchDir('ams-bench-client-');
  let emulator: EmulatorProcess | undefined;
  try {
    console.log(
      `bench:client: ${mib(SIZE)}, blocks of ${mib(BLOCK)}, ${PARALLEL} in parallel, best of ${ROUNDS} round${ROUNDS === 1 ? '' : 's'}; ` +
        `node ${process.version}, ${cpus().length} CPUs; scratch ${scratch.path}`,
    );
    const source = join(scratch.path, 'source.bin');
    await writeRandomFile(source, SIZE);
    emulator = await startEmulatorProcess(join(scratch.path, 'emulator'));
    const client = new AmsClient({ endpoint: emulator.api, auth: { kind: 'static', token: 'bench' } });
    const container = BlobServiceClient.fromConnectionString(emulator.storageConnectionString).getContainerClient('bench-plain');
    await container.create();

    const results: Partial<Record<'plainUp' | 'encUp' | 'plainDown' | 'encDown', Measured>> = {};
    for (let round = 0; round < ROUNDS; round++) {
      const blob = container.getBlockBlobClient(`plain-${round}.bin`);
      const plainOut = join(scratch.path, 'plain.out');
      const encryptedOut = join(scratch.path, 'encrypted.out');

      // Odd rounds run the encrypted side first, so neither side always gets the fresher machine.
      const inTurn = async (plain: () => Promise<void>, encrypted: () => Promise<void>): Promise<void> => {
        if (round % 2 === 0) {
          await plain();
          await encrypted();
        } else {
          await encrypted();
          await plain();
        }
      };
      let assetId = '';
      await inTurn(
        async () => {
          results.plainUp = best(results.plainUp, await measure(() => plainUpload(blob, source, BLOCK, PARALLEL)));
        },
        async () => {
          results.encUp = best(results.encUp, await measure(async () => {
            assetId = (await uploadEncrypted(client, [source], { blockSize: BLOCK, parallelism: PARALLEL })).assetId;
          }));
        },
      );
      // The emulator decrypt-verifies the upload in the background; let it finish so it does not
      // compete with the downloads for the CPU, and report what it found.
      const verification = await verificationOf(emulator, assetId);

      await inTurn(
        async () => {
          results.plainDown = best(results.plainDown, await measure(() => plainDownload(blob, SIZE, plainOut, BLOCK, PARALLEL)));
        },
        async () => {
          results.encDown = best(results.encDown, await measure(() => download(client, assetId, 'source.bin', encryptedOut, { blockSize: BLOCK, parallelism: PARALLEL })));
        },
      );

      for (const [what, path] of [['plain', plainOut], ['encrypted', encryptedOut]] as const) {
        const differs = await firstDifference(source, path);
        if (differs !== -1) throw new Error(`the ${what} download differs from the source at byte ${differs}`);
      }
      console.log(`round ${round + 1}: both downloads match the source byte for byte; the emulator's verification of the upload: ${verification}`);
      await Promise.all([blob.delete(), client.deleteAsset(assetId), rm(plainOut), rm(encryptedOut)]);
    }

    const { plainUp, encUp, plainDown, encDown } = results as Required<typeof results>;
    const rate = (m: Measured): string => `${mibPerSecond(SIZE, m.seconds).toFixed(1)} MiB/s`;
    console.log(formatResult({ name: 'encrypted upload vs plain @azure/storage-blob upload', value: `${rate(encUp)} vs ${rate(plainUp)}`, ratio: plainUp.seconds / encUp.seconds, target: 0.8, direction: '>=' }));
    console.log(formatResult({ name: 'encrypted download vs plain @azure/storage-blob download', value: `${rate(encDown)} vs ${rate(plainDown)}`, ratio: plainDown.seconds / encDown.seconds, target: 0.8, direction: '>=' }));
    for (const [name, m, plain] of [['encrypted upload', encUp, plainUp], ['encrypted download', encDown, plainDown]] as const) {
      const verdict = m.peakRss < RSS_TARGET ? 'PASS' : 'ABOVE TARGET';
      console.log(`peak RSS, ${name}: ${mib(m.peakRss)} (${(m.peakRss / 1e6).toFixed(0)} MB; plain: ${mib(plain.peakRss)}; target < 300 MB) ${verdict}`);
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
