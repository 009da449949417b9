import { createCipheriv, generateKeyPairSync, randomBytes, webcrypto, type KeyObject } from 'node:crypto';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import forge from 'node-forge';
import { AmsCtr, CTR_SLICE_BYTES, ivToBytes, randomIv, unwrapContentKey, wrapContentKey } from '../client/src/crypto/index.js';
import { createScratchDir, firstDifference, writeRandomFile } from './lib/files.js';
import { intEnv } from './lib/load.js';
import { describeRounds, formatResult, machineLine, median, mib, MiB, mibPerSecond, resultOfRounds, type BenchResult } from './lib/report.js';
import { interleavedRounds, opsPerSecond, ratiosOf } from './lib/timing.js';
import { opensslSpeed, opensslVersion, runLibraryStreamEncrypt, runNodeCipherChild, runOpensslEncrypt, type StreamChildReport } from './lib/streaming.js';

/**
 * `npm run bench:crypto`: is the storage-encryption library as fast as the primitives under it?
 * Not part of `npm test`: timings depend on the machine, so they are reported, not asserted.
 * BENCH_SIZE_MB overrides the 256 MiB streamed file, BENCH_CTR_MB the 512 MiB each in-memory
 * contender processes per round, BENCH_ROUNDS the 5 rounds; BENCH_LARGE=1 adds a 1 GiB streaming run.
 *
 * The anchor of AES-CTR in memory is `openssl speed -evp aes-256-ctr` at the same buffer size, run
 * in every round between the library's runs. It encrypts one buffer over and over in place, in
 * cache, with no allocation: the machine's ceiling; the library's contenders are fed the same way.
 * Node's `Cipher.update` allocates a fresh output on every call, which is what the library works
 * around (client/src/crypto/allocator.ts, CTR_SLICE_BYTES in client/src/crypto/ctr.ts). Data that
 * is not in cache is the streaming step's: a file through AmsCtrTransform against `openssl enc`.
 */

const ROUNDS = intEnv('BENCH_ROUNDS', 5);
const RSA_SECONDS = 0.4;
const MEMORY_GROWTH_LIMIT = 64 * MiB;
const LARGE_SIZE = 1024 * MiB;
/** AES-CTR against OpenSSL, same buffer size (issue 18). */
const CTR_TARGET = 0.4;
/** Bytes each in-memory AES-CTR contender processes per round (BENCH_CTR_MB). */
const CTR_WORK = intEnv('BENCH_CTR_MB', 512) * MiB;

const key = randomBytes(32);
const keyHex = key.toString('hex');
const iv = randomIv();
// Block index 0 in the low half: OpenSSL's 128-bit counter then agrees with the AMS 64-bit one.
const counter0 = Buffer.concat([ivToBytes(iv), Buffer.alloc(8)]);

let failed = false;
const print = (line: string): void => void process.stdout.write(`${line}\n`);
const report = (result: BenchResult): void => print(formatResult(result));

async function main(): Promise<void> {
  const size = intEnv('BENCH_SIZE_MB', 256) * MiB;
  const openssl = opensslVersion();
  print(`bench:crypto  ${openssl ?? 'no openssl'}, data ${mib(size)}, ${ROUNDS} rounds, IV ${iv}`);
  print(machineLine());
  const scratch = createScratchDir('ams-bench-crypto-');
  try {
    await inMemoryCtr(CTR_WORK, openssl !== undefined);
    const plainFile = join(scratch.path, 'plain.bin');
    await writeRandomFile(plainFile, size);
    await streamingStep(plainFile, scratch.path, size, ROUNDS, openssl !== undefined);
    report(await rsaUnwrap());
    if (process.env.BENCH_LARGE === '1') {
      const largeFile = join(scratch.path, 'large.bin');
      await writeRandomFile(largeFile, LARGE_SIZE);
      await streamingStep(largeFile, scratch.path, LARGE_SIZE, 1, openssl !== undefined);
    }
  } finally {
    scratch.remove();
  }
  if (failed) process.exitCode = 1;
}

/** What one in-memory contender is: a way to run AES-CTR, at one buffer size. */
type CtrPath = 'update' | 'slices' | 'inPlace' | 'node' | 'webcrypto' | 'openssl' | 'nodePrimedChild' | 'nodeUnprimedChild';
const CTR_SIZES = [64 * 1024, MiB] as const;
const LIBRARY_PATHS: readonly CtrPath[] = ['update', 'slices', 'inPlace'];
const PATH_LABELS: Record<CtrPath, string> = {
  update: 'AmsCtr.update (one new buffer per call; verification\'s main pass)',
  slices: `AmsCtr.updateSlices (${CTR_SLICE_BYTES / 1024} KiB slices; AmsCtrTransform: origin, jobs, CLI)`,
  inPlace: `AmsCtr.updateInPlace (${CTR_SLICE_BYTES / 1024} KiB slices; the client's blocks)`,
  node: "Node's createCipheriv().update, this process (the ceiling of the three above)",
  webcrypto: 'WebCrypto AES-CTR, length 64 (the AMS counter as is)',
  openssl: 'openssl speed -evp aes-256-ctr',
  nodePrimedChild: "Node's createCipheriv().update, fresh process, allocator primed",
  nodeUnprimedChild: "Node's createCipheriv().update, fresh process, not primed",
};
const kib = (bytes: number): string => (bytes >= MiB ? `${bytes / MiB} MiB` : `${bytes / 1024} KiB`);

/**
 * 1. AES-CTR in memory, the way `openssl speed` measures it: one buffer of the given size, over
 * and over (so it stays in cache), `workBytes` per run. Every way the library offers, Node's own
 * cipher under it, WebCrypto, and OpenSSL at the same buffer size, all interleaved round by round;
 * plus Node's cipher in fresh processes with and without the library's allocator primer, which is
 * what made the library's throughput steady (client/src/crypto/allocator.ts).
 */
async function inMemoryCtr(workBytes: number, haveOpenssl: boolean): Promise<void> {
  const subtleKey = await webcrypto.subtle.importKey('raw', key, 'AES-CTR', false, ['encrypt']);
  let produced = 0; // consumed so the work cannot be optimised away
  const contenders: Record<string, () => unknown> = {};
  const rates: Record<string, number[]> = {};
  const name = (path: CtrPath, bytes: number): string => `${path}@${bytes}`;
  const timedPass = (path: CtrPath, bytes: number, pass: () => unknown): void => {
    rates[name(path, bytes)] = [];
    contenders[name(path, bytes)] = async () => {
      const start = performance.now();
      await pass();
      rates[name(path, bytes)]!.push(mibPerSecond(workBytes, (performance.now() - start) / 1000));
    };
  };
  const reported = (path: CtrPath, bytes: number, measure: () => Promise<number>): void => {
    rates[name(path, bytes)] = [];
    contenders[name(path, bytes)] = async () => void rates[name(path, bytes)]!.push(await measure());
  };
  for (const bytes of CTR_SIZES) {
    const buffer = randomBytes(bytes);
    const calls = Math.ceil(workBytes / bytes);
    timedPass('update', bytes, () => {
      const ctr = new AmsCtr(key, iv);
      for (let i = 0; i < calls; i++) produced += ctr.update(buffer).length;
    });
    timedPass('slices', bytes, () => {
      const ctr = new AmsCtr(key, iv);
      for (let i = 0; i < calls; i++) ctr.updateSlices(buffer, (slice) => (produced += slice.length));
    });
    // Run after run the buffer toggles between clear and encrypted: the same work every time.
    timedPass('inPlace', bytes, () => {
      const ctr = new AmsCtr(key, iv);
      for (let i = 0; i < calls; i++) produced += ctr.updateInPlace(buffer).length;
    });
    timedPass('node', bytes, () => {
      const cipher = createCipheriv('aes-256-ctr', key, counter0);
      for (let i = 0; i < calls; i++) produced += cipher.update(buffer).length;
    });
    timedPass('webcrypto', bytes, async () => {
      for (let i = 0; i < calls; i++) produced += (await webcrypto.subtle.encrypt({ name: 'AES-CTR', counter: counter0, length: 64 }, subtleKey, buffer)).byteLength;
    });
    reported('nodePrimedChild', bytes, () => runNodeCipherChild('primed', bytes, workBytes));
    reported('nodeUnprimedChild', bytes, () => runNodeCipherChild('unprimed', bytes, workBytes));
    if (haveOpenssl) reported('openssl', bytes, () => opensslSpeed(bytes));
  }
  await interleavedRounds(ROUNDS, contenders);
  if (produced === 0) throw new Error('the ciphers produced nothing');
  const rate = (path: CtrPath, bytes: number): number[] => rates[name(path, bytes)]!;

  print(`in-memory AES-CTR, one buffer over and over (as openssl speed does), ${mib(workBytes)} a run, MiB/s, median (min..max) of ${ROUNDS} interleaved rounds:`);
  for (const bytes of CTR_SIZES) {
    for (const path of Object.keys(PATH_LABELS) as CtrPath[]) {
      if (rates[name(path, bytes)]) print(`  ${`${PATH_LABELS[path]}, ${kib(bytes)}`.padEnd(96)} ${describeRounds(rate(path, bytes), 0)}`);
    }
  }
  if (!haveOpenssl) {
    print('openssl is not on PATH: no anchor, so no verdict on AES-CTR throughput');
  } else {
    for (const bytes of CTR_SIZES) {
      for (const path of LIBRARY_PATHS) {
        report(resultOfRounds({
          name: `${PATH_LABELS[path]} vs ${PATH_LABELS.openssl}, ${kib(bytes)} buffer`,
          value: `${describeRounds(rate(path, bytes), 0)} vs ${describeRounds(rate('openssl', bytes), 0)} MiB/s`,
          target: CTR_TARGET,
          direction: '>=',
        }, ratiosOf(rate(path, bytes), rate('openssl', bytes))));
      }
    }
  }
  // Why this design, from this run's own numbers.
  const medianOf = (path: CtrPath, bytes: number): number => median(rate(path, bytes));
  for (const bytes of CTR_SIZES) {
    const primer = median(ratiosOf(rate('nodePrimedChild', bytes), rate('nodeUnprimedChild', bytes)));
    const slowestLibrary = Math.min(...LIBRARY_PATHS.map((path) => medianOf(path, bytes)));
    print(
      `why, at ${kib(bytes)}: the allocator primer makes Node's cipher ${primer.toFixed(2)}x as fast in a fresh process ` +
        `(${medianOf('nodePrimedChild', bytes).toFixed(0)} vs ${medianOf('nodeUnprimedChild', bytes).toFixed(0)} MiB/s)` +
        (primer >= 1.05 ? '' : ': NOT borne out in this run') +
        `; the slowest library path ${slowestLibrary.toFixed(0)} MiB/s vs WebCrypto ${medianOf('webcrypto', bytes).toFixed(0)} ` +
        '(asynchronous, a new ArrayBuffer per call)' +
        (slowestLibrary > medianOf('webcrypto', bytes) ? ': Node\'s cipher borne out.' : ': NOT borne out (a noisy run, or a machine where the choice should be revisited).'),
    );
  }
}

/** 2 and 4. File to file through AmsCtrTransform against `openssl enc`, and the child's peak RSS. */
async function streamingStep(plainFile: string, dir: string, size: number, rounds: number, haveOpenssl: boolean): Promise<void> {
  const libraryOut = join(dir, 'library.enc');
  const opensslOut = join(dir, 'openssl.enc');
  const label = `${mib(size)} file`;
  const children: StreamChildReport[] = [];
  const opensslSeconds: number[] = [];
  for (let round = 0; round < rounds; round++) {
    children.push(await runLibraryStreamEncrypt(plainFile, libraryOut, keyHex, iv));
    if (haveOpenssl) opensslSeconds.push(await runOpensslEncrypt(plainFile, opensslOut, keyHex, counter0.toString('hex')));
  }
  const library = children.map((child) => mibPerSecond(size, child.seconds));
  if (haveOpenssl) {
    const openssl = opensslSeconds.map((seconds) => mibPerSecond(size, seconds));
    report(resultOfRounds({
      name: `file-to-file streaming encrypt, AmsCtrTransform vs openssl enc (${label})`,
      value: `${describeRounds(library, 0)} vs ${describeRounds(openssl, 0)} MiB/s`,
      target: 0.6,
      direction: '>=',
    }, ratiosOf(library, openssl)));
    const difference = await firstDifference(libraryOut, opensslOut);
    if (difference === -1) print(`streaming output vs openssl enc -aes-256-ctr (${label}): byte-identical PASS`);
    else {
      failed = true;
      print(`streaming output vs openssl enc -aes-256-ctr (${label}): DIFFERS at byte ${difference} FAIL`);
    }
  } else {
    print(`file-to-file streaming encrypt (${label}): ${describeRounds(library, 0)} MiB/s; openssl is not on PATH, so the comparison is skipped`);
  }
  // The child's RSS at start is an idle Node with the library loaded; what streaming adds is the point.
  const growths = children.map((child) => (child.peakRss - child.rssAtStart) / MEMORY_GROWTH_LIMIT);
  report(resultOfRounds({
    name: `streaming peak RSS growth (${label})`,
    value: `${mib(Math.max(...children.map((c) => c.peakRss)))} worst peak, ${mib(children[0]!.rssAtStart)} before streaming`,
    note: `of a ${mib(MEMORY_GROWTH_LIMIT)} allowance`,
    target: 1,
    direction: '<=',
    // Memory does not jitter like time: a spread here is a real difference between runs.
    tolerance: 0.25,
  }, growths));
}

/** 3. RSA-OAEP-SHA1 unwrap of a 32-byte content key, 2048-bit key, Node against node-forge. */
async function rsaUnwrap(): Promise<BenchResult> {
  const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const contentKey = randomBytes(32);
  const wrapped = wrapContentKey(publicKey, contentKey);
  const forgeKey = forge.pki.privateKeyFromPem(privateKey.export({ type: 'pkcs1', format: 'pem' }).toString()) as forge.pki.rsa.PrivateKey;
  const wrappedBinary = wrapped.toString('binary');
  const forgeUnwrap = (): string =>
    forgeKey.decrypt(wrappedBinary, 'RSA-OAEP', { md: forge.md.sha1.create(), mgf1: { md: forge.md.sha1.create() } });
  const nodeUnwrap = (k: KeyObject): Buffer => unwrapContentKey(k, wrapped);

  // A benchmark of a wrong answer is worthless: both must open the key first.
  if (!nodeUnwrap(privateKey).equals(contentKey)) throw new Error('Node unwrap returned the wrong key');
  if (!Buffer.from(forgeUnwrap(), 'binary').equals(contentKey)) throw new Error('node-forge unwrap returned the wrong key');

  const ops: Record<'node' | 'forge', number[]> = { node: [], forge: [] };
  await interleavedRounds(ROUNDS, {
    node: () => void ops.node.push(opsPerSecond(() => nodeUnwrap(privateKey), RSA_SECONDS)),
    forge: () => void ops.forge.push(opsPerSecond(forgeUnwrap, RSA_SECONDS)),
  });
  return resultOfRounds({
    name: `RSA-OAEP-2048 unwrap, Node (cached KeyObject) vs node-forge (~${RSA_SECONDS} s each per round)`,
    value: `${describeRounds(ops.node, 0)} ops/s vs ${describeRounds(ops.forge, 1)} ops/s`,
    target: 10,
    direction: '>=',
    // Two orders of magnitude apart: only a spread that large could flip the verdict.
    tolerance: 0.5,
  }, ratiosOf(ops.node, ops.forge));
}

try {
  await main();
} catch (err) {
  process.stderr.write(`bench:crypto: ${err instanceof Error ? err.message : String(err)}\n`);
  if (process.env.AMS_DEBUG === '1' && err instanceof Error) process.stderr.write(`${err.stack}\n`);
  process.exitCode = 1;
}
