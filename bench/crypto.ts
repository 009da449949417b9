import { createCipheriv, generateKeyPairSync, randomBytes, type KeyObject } from 'node:crypto';
import { cpus } from 'node:os';
import { join } from 'node:path';
import forge from 'node-forge';
import { AmsCtr, ivToBytes, randomIv, unwrapContentKey, wrapContentKey } from '../client/src/crypto/index.js';
import { createScratchDir, firstDifference, writeBuffer, writeRandomFile } from './lib/files.js';
import { formatResult, mib, MiB, mibPerSecond, type BenchResult } from './lib/report.js';
import { bestOfInterleaved, opsPerSecond } from './lib/timing.js';
import { opensslVersion, runLibraryStreamEncrypt, runOpensslEncrypt, type StreamChildReport } from './lib/streaming.js';

/**
 * `npm run bench:crypto`: is the storage-encryption library as fast as the primitives under it?
 * Not part of `npm test`: timings depend on the machine, so they are reported, not asserted.
 * BENCH_SIZE_MB overrides the 256 MiB data set; BENCH_LARGE=1 adds a 1 GiB streaming run.
 */

const CHUNK = MiB;
const ROUNDS = 3;
const RSA_SECONDS = 2;
const MEMORY_GROWTH_LIMIT = 64 * MiB;
const LARGE_SIZE = 1024 * MiB;

const key = randomBytes(32);
const keyHex = key.toString('hex');
const iv = randomIv();
// Block index 0 in the low half: OpenSSL's 128-bit counter then agrees with the AMS 64-bit one.
const counter0 = Buffer.concat([ivToBytes(iv), Buffer.alloc(8)]);

let failed = false;
const print = (line: string): void => void process.stdout.write(`${line}\n`);
const report = (result: BenchResult): void => print(formatResult(result));

async function main(): Promise<void> {
  const size = envInt('BENCH_SIZE_MB', 256) * MiB;
  const openssl = opensslVersion();
  print(`bench:crypto  node ${process.version}, ${openssl ?? 'no openssl'}, ${cpus()[0]?.model ?? 'unknown CPU'} x${cpus().length}, data ${mib(size)}, IV ${iv}`);
  const scratch = createScratchDir('ams-bench-crypto-');
  try {
    let data: Buffer | undefined = randomBytes(size);
    report(await inMemoryCtr(data));
    const plainFile = join(scratch.path, 'plain.bin');
    await writeBuffer(plainFile, data);
    data = undefined; // the file holds it now; free the copy before the later steps
    await streamingStep(plainFile, scratch.path, size, ROUNDS, openssl !== undefined);
    report(rsaUnwrap());
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

/** 1. AmsCtr.update against the raw cipher it wraps, same 1 MiB chunks. */
async function inMemoryCtr(data: Buffer): Promise<BenchResult> {
  const chunks: Buffer[] = [];
  for (let at = 0; at < data.length; at += CHUNK) chunks.push(data.subarray(at, at + CHUNK));
  let produced = 0; // consumed so the work cannot be optimised away
  const best = await bestOfInterleaved(ROUNDS, {
    library: () => {
      const ctr = new AmsCtr(key, iv);
      for (const chunk of chunks) produced += ctr.update(chunk).length;
    },
    node: () => {
      const cipher = createCipheriv('aes-256-ctr', key, counter0);
      for (const chunk of chunks) produced += cipher.update(chunk).length;
    },
  });
  if (produced !== 2 * ROUNDS * data.length) throw new Error(`the ciphers produced ${produced} bytes`);
  const library = mibPerSecond(data.length, best.library);
  const node = mibPerSecond(data.length, best.node);
  return {
    name: `in-memory CTR, AmsCtr.update vs createCipheriv aes-256-ctr (1 MiB chunks, best of ${ROUNDS})`,
    value: `${library.toFixed(0)} MiB/s vs ${node.toFixed(0)} MiB/s`,
    ratio: library / node,
    target: 0.95,
    direction: '>=',
  };
}

/** 2 and 4. File to file through AmsCtrTransform against `openssl enc`, and the child's peak RSS. */
async function streamingStep(plainFile: string, dir: string, size: number, rounds: number, haveOpenssl: boolean): Promise<void> {
  const libraryOut = join(dir, 'library.enc');
  const opensslOut = join(dir, 'openssl.enc');
  const label = `${mib(size)} file`;
  const runs = rounds === 1 ? '1 run' : `best of ${rounds}`;
  let bestLibrary: StreamChildReport | undefined;
  let bestOpenssl = Infinity;
  let worstPeakRss = 0;
  for (let round = 0; round < rounds; round++) {
    const child = await runLibraryStreamEncrypt(plainFile, libraryOut, keyHex, iv);
    if (!bestLibrary || child.seconds < bestLibrary.seconds) bestLibrary = child;
    worstPeakRss = Math.max(worstPeakRss, child.peakRss);
    if (haveOpenssl) bestOpenssl = Math.min(bestOpenssl, await runOpensslEncrypt(plainFile, opensslOut, keyHex, counter0.toString('hex')));
  }
  const library = mibPerSecond(size, bestLibrary!.seconds);
  if (haveOpenssl) {
    const openssl = mibPerSecond(size, bestOpenssl);
    report({
      name: `file-to-file streaming encrypt, AmsCtrTransform vs openssl enc (${label}, ${runs})`,
      value: `${library.toFixed(0)} MiB/s vs ${openssl.toFixed(0)} MiB/s`,
      ratio: library / openssl,
      target: 0.6,
      direction: '>=',
    });
    const difference = await firstDifference(libraryOut, opensslOut);
    if (difference === -1) print(`streaming output vs openssl enc -aes-256-ctr (${label}): byte-identical PASS`);
    else {
      failed = true;
      print(`streaming output vs openssl enc -aes-256-ctr (${label}): DIFFERS at byte ${difference} FAIL`);
    }
  } else {
    print(`file-to-file streaming encrypt (${label}): ${library.toFixed(0)} MiB/s; openssl is not on PATH, so the comparison is skipped`);
  }
  // The child's RSS at start is an idle Node with the library loaded; what streaming adds is the point.
  const growth = worstPeakRss - bestLibrary!.rssAtStart;
  report({
    name: `streaming peak RSS (${label}, ${rounds === 1 ? '1 run' : `worst of ${rounds}`})`,
    value: `${mib(worstPeakRss)} peak, ${mib(bestLibrary!.rssAtStart)} before streaming`,
    note: `growth ${mib(growth)} of a ${mib(MEMORY_GROWTH_LIMIT)} allowance`,
    ratio: growth / MEMORY_GROWTH_LIMIT,
    target: 1,
    direction: '<=',
  });
}

/** 3. RSA-OAEP-SHA1 unwrap of a 32-byte content key, 2048-bit key, Node against node-forge. */
function rsaUnwrap(): BenchResult {
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

  const node = opsPerSecond(() => nodeUnwrap(privateKey), RSA_SECONDS);
  const forgeOps = opsPerSecond(forgeUnwrap, RSA_SECONDS);
  return {
    name: `RSA-OAEP-2048 unwrap, Node (cached KeyObject) vs node-forge (~${RSA_SECONDS} s each)`,
    value: `${node.toFixed(0)} ops/s vs ${forgeOps.toFixed(1)} ops/s`,
    ratio: node / forgeOps,
    target: 10,
    direction: '>=',
  };
}

function envInt(name: string, fallback: number): number {
  const text = process.env[name];
  if (text === undefined || text === '') return fallback;
  if (!/^[1-9][0-9]*$/.test(text)) throw new Error(`${name} must be a positive whole number of MiB, got ${JSON.stringify(text)}`);
  return Number(text);
}

try {
  await main();
} catch (err) {
  process.stderr.write(`bench:crypto: ${err instanceof Error ? err.message : String(err)}\n`);
  if (process.env.AMS_DEBUG === '1' && err instanceof Error) process.stderr.write(`${err.stack}\n`);
  process.exitCode = 1;
}
