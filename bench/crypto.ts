import { createCipheriv, generateKeyPairSync, randomBytes, webcrypto, type KeyObject } from 'node:crypto';
import { join } from 'node:path';
import forge from 'node-forge';
import { AmsCtr, CTR_SLICE_BYTES, ivToBytes, randomIv, unwrapContentKey, wrapContentKey } from '../client/src/crypto/index.js';
import { createScratchDir, firstDifference, writeBuffer, writeRandomFile } from './lib/files.js';
import { intEnv } from './lib/load.js';
import { describeRounds, formatResult, machineLine, median, mib, MiB, mibPerSecond, resultOfRounds, type BenchResult } from './lib/report.js';
import { interleavedRounds, opsPerSecond, ratiosOf } from './lib/timing.js';
import { opensslSpeed, opensslVersion, runLibraryStreamEncrypt, runOpensslEncrypt, type StreamChildReport } from './lib/streaming.js';

/**
 * `npm run bench:crypto`: is the storage-encryption library as fast as the primitives under it?
 * Not part of `npm test`: timings depend on the machine, so they are reported, not asserted.
 * BENCH_SIZE_MB overrides the 256 MiB data set, BENCH_ROUNDS the 5 rounds; BENCH_LARGE=1 adds a
 * 1 GiB streaming run.
 *
 * The anchor of AES-CTR is `openssl speed -evp aes-256-ctr` at the same buffer size, run in every
 * round between the library's runs. It encrypts one buffer over and over in place, in cache, with
 * no allocation: the machine's ceiling. Node's `Cipher.update` allocates a fresh output on every
 * call, which is what the library works around (see CTR_SLICE_BYTES in client/src/crypto/ctr.ts).
 */

const ROUNDS = intEnv('BENCH_ROUNDS', 5);
const RSA_SECONDS = 0.4;
const MEMORY_GROWTH_LIMIT = 64 * MiB;
const LARGE_SIZE = 1024 * MiB;
/** AES-CTR against OpenSSL, same buffer size (issue 18). */
const CTR_TARGET = 0.4;

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
    let data: Buffer | undefined = randomBytes(size);
    await inMemoryCtr(data, openssl !== undefined);
    const plainFile = join(scratch.path, 'plain.bin');
    await writeBuffer(plainFile, data);
    data = undefined; // the file holds it now; free the copy before the later steps
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

type CtrContender = 'inPlace' | 'slices' | 'update64k' | 'update1m' | 'node64k' | 'node1m' | 'webcrypto1m' | 'openssl64k' | 'openssl1m';

/**
 * 1. AES-CTR over the data set in memory, every way the library offers and the alternatives it was
 * chosen over, against OpenSSL at the same buffer size, all interleaved round by round.
 */
async function inMemoryCtr(data: Buffer, haveOpenssl: boolean): Promise<void> {
  const chunksOf = (bytes: number): Buffer[] => {
    const chunks: Buffer[] = [];
    for (let at = 0; at < data.length; at += bytes) chunks.push(data.subarray(at, at + bytes));
    return chunks;
  };
  const megs = chunksOf(MiB);
  const smalls = chunksOf(CTR_SLICE_BYTES);
  const subtleKey = await webcrypto.subtle.importKey('raw', key, 'AES-CTR', false, ['encrypt']);
  let produced = 0; // consumed so the work cannot be optimised away
  const opensslRates: Record<'openssl64k' | 'openssl1m', number[]> = { openssl64k: [], openssl1m: [] };
  const contenders: Partial<Record<CtrContender, () => unknown>> = {
    // In place over the data set: run after run it toggles between clear and encrypted, which is
    // the same work every time.
    inPlace: () => {
      const ctr = new AmsCtr(key, iv);
      for (const chunk of megs) produced += ctr.updateInPlace(chunk).length;
    },
    slices: () => {
      const ctr = new AmsCtr(key, iv);
      for (const chunk of megs) ctr.updateSlices(chunk, (slice) => (produced += slice.length));
    },
    update64k: () => {
      const ctr = new AmsCtr(key, iv);
      for (const chunk of smalls) produced += ctr.update(chunk).length;
    },
    update1m: () => {
      const ctr = new AmsCtr(key, iv);
      for (const chunk of megs) produced += ctr.update(chunk).length;
    },
    node64k: () => {
      const cipher = createCipheriv('aes-256-ctr', key, counter0);
      for (const chunk of smalls) produced += cipher.update(chunk).length;
    },
    node1m: () => {
      const cipher = createCipheriv('aes-256-ctr', key, counter0);
      for (const chunk of megs) produced += cipher.update(chunk).length;
    },
    // WebCrypto's AES-CTR with `length: 64` is exactly the AMS counter (no wrap handling needed).
    webcrypto1m: async () => {
      for (const chunk of megs) produced += (await webcrypto.subtle.encrypt({ name: 'AES-CTR', counter: counter0, length: 64 }, subtleKey, chunk)).byteLength;
    },
  };
  if (haveOpenssl) {
    contenders.openssl64k = async () => void opensslRates.openssl64k.push(await opensslSpeed(CTR_SLICE_BYTES));
    contenders.openssl1m = async () => void opensslRates.openssl1m.push(await opensslSpeed(MiB));
  }
  const times = await interleavedRounds(ROUNDS, contenders as Record<CtrContender, () => unknown>);
  const rate = (name: CtrContender): number[] =>
    name === 'openssl64k' || name === 'openssl1m' ? opensslRates[name] : times[name].map((t) => mibPerSecond(data.length, t.seconds));
  const labels: Record<CtrContender, string> = {
    inPlace: 'AmsCtr.updateInPlace, 1 MiB buffers (64 KiB slices; the client\'s blocks)',
    slices: 'AmsCtr.updateSlices, 1 MiB chunks (64 KiB slices; AmsCtrTransform: origin, jobs, CLI)',
    update64k: 'AmsCtr.update, 64 KiB chunks (socket-sized: verification\'s main pass)',
    update1m: 'AmsCtr.update, 1 MiB chunks (one new 1 MiB buffer each)',
    node64k: 'Node createCipheriv().update, 64 KiB chunks',
    node1m: 'Node createCipheriv().update, 1 MiB chunks',
    webcrypto1m: 'WebCrypto AES-CTR length 64, 1 MiB chunks',
    openssl64k: 'openssl speed -evp aes-256-ctr -bytes 65536',
    openssl1m: 'openssl speed -evp aes-256-ctr -bytes 1048576',
  };
  print(`in-memory AES-CTR over ${mib(data.length)}, MiB/s, median (min..max) of ${ROUNDS} interleaved rounds:`);
  for (const name of Object.keys(contenders) as CtrContender[]) print(`  ${labels[name].padEnd(92)} ${describeRounds(rate(name), 0)}`);
  if (!haveOpenssl) {
    print('openssl is not on PATH: no anchor, so no verdict on AES-CTR throughput');
    return;
  }
  const against = (name: CtrContender, anchor: 'openssl64k' | 'openssl1m'): void => {
    report(resultOfRounds({ name: `${labels[name]} vs ${labels[anchor]}`, value: `${describeRounds(rate(name), 0)} vs ${describeRounds(rate(anchor), 0)} MiB/s`, target: CTR_TARGET, direction: '>=' }, ratiosOf(rate(name), rate(anchor))));
  };
  against('inPlace', 'openssl1m');
  against('slices', 'openssl1m');
  against('update64k', 'openssl64k');
  const medianOf = (name: CtrContender): number => median(rate(name));
  const [slicing, inPlace, subtle, node1m] = [medianOf('slices'), medianOf('inPlace'), medianOf('webcrypto1m'), medianOf('node1m')];
  const bornOut = Math.min(slicing, inPlace) > Math.max(subtle, node1m);
  print(
    `why Node's cipher in ${CTR_SLICE_BYTES / 1024} KiB slices: WebCrypto is asynchronous and allocates a new ArrayBuffer per call, and ` +
      "Node's large outputs are fresh memory (page faults, cache misses) on every call. In this run: slices " +
      `${slicing.toFixed(0)} MiB/s, in place ${inPlace.toFixed(0)}, WebCrypto ${subtle.toFixed(0)}, Node at 1 MiB ${node1m.toFixed(0)}: ` +
      (bornOut ? 'borne out.' : 'NOT borne out (a noisy run, or a machine where the choice should be revisited).'),
  );
  if (produced === 0) throw new Error('the ciphers produced nothing');
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
