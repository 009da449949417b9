/**
 * `npm run bench:verify`: what server-side decrypt verification costs, against a plain download
 * of the same blob from the same Azurite in the same run.
 *
 * An emulator starts in this process as `ams-emulator` runs by default (embedded Azurite in a child
 * process of its own, on disk; BENCH_AZURITE=in-process puts it in this process), a storage-encrypted MP4-shaped file
 * of 1 GiB is uploaded through a SAS locator in 4 MiB blocks with its ContentChecksum, and then,
 * interleaved over a few rounds:
 *   - download: the blob read through the emulator's storage gateway, bytes counted and dropped;
 *   - verify:   POST /_emulator/files/{id}/verify (range read, AES-CTR, MD5, the content probe
 *               over the whole file), timed to its answer;
 * and the same again with an expected SHA-256 registered, so the verification computes both digests.
 * Targets: verify <= 1.0x the download's time (the median of the rounds' ratios, judged only when
 * the rounds agree), and the process's peak RSS growth during a verification < 100 MB.
 * BENCH_SIZE_MB overrides the size, BENCH_ROUNDS the rounds (default 5).
 *
 * The anchor is the emulator's own storage read (`@azure/storage-blob`'s download on the event
 * loop, what every other read of the emulator uses). Verification of a large blob reads in threads
 * of its own (reader + AES-CTR, digests; see emulator/src/verify/threaded-pass.ts), which is why it
 * can come close to it: on the event loop, receiving a gigabyte costs more CPU than serving it,
 * in collections of the emulator's heap. For reference the bench also times that reader thread
 * alone (no decryption, no digest), the fastest this machine reads the blob in this process: the
 * ratio to it is the cost of the crypto itself.
 */
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { BlockBlobClient } from '@azure/storage-blob';
import { AmsCtr, contentKeyChecksum, formatIv, formatKeyId, randomIv, wrapContentKey } from '../client/src/crypto/index.js';
import { startEmulator, type RunningEmulator } from '../emulator/src/server.js';
import { createBlobStorage } from '../emulator/src/storage/blob-storage.js';
import { runThreadedPass } from '../emulator/src/verify/threaded-pass.js';
import { createScratchDir } from './lib/files.js';
import { settleDisk } from './lib/settle.js';
import { mp4LikeSource } from './lib/mp4-like.js';
import { describeRounds, formatResult, machineLine, mib, MiB, resultOfRounds } from './lib/report.js';
import { interleavedRounds, ratiosOf } from './lib/timing.js';
import { intEnv } from './lib/load.js';

const SIZE = intEnv('BENCH_SIZE_MB', 1024) * MiB;
const ROUNDS = intEnv('BENCH_ROUNDS', 5);
const BLOCK = 4 * MiB;
const PARALLEL_BLOCKS = 4;
const TIME_RATIO_TARGET = 1.0;
const RSS_GROWTH_TARGET = 100 * 1000 * 1000;

const print = (line: string): void => void process.stdout.write(`${line}\n`);
const HEADERS = { Authorization: 'Bearer bench', 'x-ms-version': '2.19', Accept: 'application/json', 'Content-Type': 'application/json', 'User-Agent': 'bench-verify' };

async function main(): Promise<void> {
  print(`bench:verify  blob ${mib(SIZE)}, ${ROUNDS} interleaved rounds`);
  print(machineLine());
  const scratch = createScratchDir('ams-bench-verify-');
  let emulator: RunningEmulator | undefined;
  try {
    emulator = await startEmulator({ port: 0, azuritePort: 0, silent: true, location: scratch.path, embeddedAzurite: process.env['BENCH_AZURITE'] === 'in-process' ? 'in-process' : 'child-process' });
    const api = apiCaller(emulator.url);
    const uploadStarted = Date.now();
    const file = await uploadEncrypted(api, emulator.url);
    print(`uploaded ${mib(SIZE)} in ${((Date.now() - uploadStarted) / 1000).toFixed(1)} s (${file.container}/${file.name})`);
    // The upload left its gigabyte dirty in the page cache: written back now, not in some round.
    settleDisk();
    const admin = `${emulator.baseUrl}_emulator/`;
    const fileRef = encodeURIComponent(file.id);
    const expectSha256 = async (sha256: string | null): Promise<void> => {
      await expectOk(await fetch(`${admin}files/${fileRef}/expect`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ sha256 }) }));
      // The new expectation verifies the file again in the background: let it end before timing.
      await expectOk(await fetch(`${admin}verifications?wait=600`));
    };
    await expectOk(await fetch(`${admin}verifications?wait=600`));

    const storage = createBlobStorage(emulator.storage.connectionString);
    const download = async (): Promise<void> => {
      let bytes = 0;
      for await (const chunk of await storage.readBlob(file.container, file.name)) bytes += (chunk as Buffer).length;
      if (bytes !== SIZE) throw new Error(`downloaded ${bytes} bytes, expected ${SIZE}`);
    };
    // The verification's own reader thread with nothing to decrypt and no digest: a bare GET.
    const readerOnly = async (): Promise<void> => {
      const read = storage.directRead(file.container, file.name, 3_600_000);
      if (!read) throw new Error('storage is reached through a proxy (HTTPS_PROXY, ALL_PROXY or HTTP_PROXY): verification reads on the event loop then; unset it, or add 127.0.0.1 to NO_PROXY, to bench the threaded read');
      const { bytes } = await runThreadedPass({ read, algorithms: [], onClear: () => undefined });
      if (bytes !== SIZE) throw new Error(`read ${bytes} bytes, expected ${SIZE}`);
    };
    const growths: number[] = [];
    let rssAtStart = 0;
    const verify = async (): Promise<void> => {
      const sampler = rssSampler();
      const res = await fetch(`${admin}files/${fileRef}/verify?wait=600`, { method: 'POST', headers: { 'X-AMS-Emulator': '1' } });
      const growth = sampler.stop();
      const body = (await res.json()) as { status?: string; reason?: string; checks?: Array<{ name: string; status: string }> };
      if (res.status !== 200 || body.status !== 'verified') throw new Error(`verification did not pass: ${res.status} ${JSON.stringify(body).slice(0, 500)}`);
      const failing = (body.checks ?? []).filter((c) => c.status !== 'passed');
      if (failing.length > 0) throw new Error(`checks not passed: ${JSON.stringify(failing)}`);
      growths.push(growth.peak - growth.start);
      rssAtStart = growth.start;
    };

    print('ContentChecksum (MD5), as the upload sent it:');
    await measure('verify (AES-CTR + MD5 + content probe) vs plain download', { download, verify, readerOnly });
    await expectSha256(file.sha256);
    print('ContentChecksum and an expected SHA-256 (POST /_emulator/files/{id}/expect):');
    await measure('verify (AES-CTR + MD5 + SHA-256 + content probe) vs plain download', { download, verify, readerOnly });
    print(formatResult(resultOfRounds({
      name: 'peak RSS growth during a verification',
      value: `${mib(Math.max(...growths))} worst, over ${mib(rssAtStart)}`,
      target: 1,
      direction: '<=',
      note: `of the ${RSS_GROWTH_TARGET / 1e6} MB target`,
      // A few MB either way is the sampler's timing, not a difference between runs.
      tolerance: 0.5,
    }, growths.map((g) => Math.max(g, 0) / RSS_GROWTH_TARGET))));
  } finally {
    await emulator?.close();
    scratch.remove();
  }
}

type Contender = 'download' | 'verify' | 'readerOnly';
const LABELS: Record<Contender, string> = { download: 'download', verify: 'verify', readerOnly: 'reader thread alone' };

/** ROUNDS of the contenders, interleaved; prints every run and the median ratio of the rounds. */
async function measure(label: string, contenders: Record<Contender, () => Promise<void>>): Promise<void> {
  const mainCpu: Record<Contender, Array<number | undefined>> = { download: [], verify: [], readerOnly: [] };
  const withMainCpu = (name: Contender) => async (): Promise<void> => {
    const before = mainThreadCpuSeconds();
    await contenders[name]();
    mainCpu[name].push(before === undefined ? undefined : mainThreadCpuSeconds()! - before);
  };
  const times = await interleavedRounds(
    ROUNDS,
    { download: withMainCpu('download'), verify: withMainCpu('verify'), readerOnly: withMainCpu('readerOnly') },
    (round, name, time) => {
      const main = mainCpu[name].at(-1);
      const onLoop = main === undefined ? '' : `, of which the event loop's thread ${main.toFixed(2)} s`;
      print(`  round ${round + 1}: ${LABELS[name]} ${time.seconds.toFixed(2)} s (${(SIZE / MiB / time.seconds).toFixed(0)} MiB/s), CPU ${time.cpuSeconds.toFixed(2)} s (all threads${onLoop})`);
    },
  );
  const seconds = (name: Contender): number[] => times[name].map((t) => t.seconds);
  print(formatResult(resultOfRounds({
    name: label,
    value: `${describeRounds(seconds('verify'))} s vs ${describeRounds(seconds('download'))} s`,
    target: TIME_RATIO_TARGET,
    direction: '<=',
    note: 'time ratio',
  }, ratiosOf(seconds('verify'), seconds('download')))));
  print(`  for reference, not a target: verify / the reader thread alone (${describeRounds(seconds('readerOnly'))} s) = ${describeRounds(ratiosOf(seconds('verify'), seconds('readerOnly')))}, the cost of AES-CTR and the digests over a bare read`);
  const cpu = (name: Contender): string => describeRounds(times[name].map((t) => t.cpuSeconds));
  print(`  CPU seconds of this process (all threads; Azurite's own process not included), median (min..max): verify ${cpu('verify')}, download ${cpu('download')}, reader thread alone ${cpu('readerOnly')}`);
}

type Api = (method: string, path: string, body?: unknown) => Promise<Record<string, unknown>>;

function apiCaller(url: string): Api {
  return async (method, path, body) => {
    const res = await fetch(url + path, { method, headers: HEADERS, body: body === undefined ? undefined : JSON.stringify(body) });
    const text = await res.text();
    if (res.status >= 400) throw new Error(`${method} ${path}: ${res.status} ${text.slice(0, 300)}`);
    return text ? (JSON.parse(text) as Record<string, unknown>) : {};
  };
}

/** The .NET SDK's flow: key, asset, link, file, write locator, blocks in parallel, MERGE. */
async function uploadEncrypted(api: Api, url: string): Promise<{ id: string; name: string; container: string; sha256: string }> {
  const thumbprint = String((await api('GET', 'GetProtectionKeyId?contentKeyType=1'))['value']);
  const certificate = String((await api('GET', `GetProtectionKey?ProtectionKeyId='${thumbprint}'`))['value']);
  const key = randomBytes(32);
  const keyId = formatKeyId(randomUUID());
  await api('POST', 'ContentKeys', { Id: keyId, ContentKeyType: 1, EncryptedContentKey: wrapContentKey(certificate, key).toString('base64'), ProtectionKeyId: thumbprint, ProtectionKeyType: 0, Checksum: contentKeyChecksum(key, keyId) });
  const asset = await api('POST', 'Assets', { Name: 'bench-verify', Options: 1 });
  const assetId = String(asset['Id']);
  await api('POST', `Assets('${encodeURIComponent(assetId)}')/$links/ContentKeys`, { uri: `${url}ContentKeys('${encodeURIComponent(keyId)}')` });
  const iv = randomIv();
  const name = 'bench.mp4';
  const file = await api('POST', 'Files', { Name: name, ParentAssetId: assetId, IsEncrypted: true, EncryptionScheme: 'StorageEncryption', EncryptionVersion: '1.0', EncryptionKeyId: keyId, InitializationVector: formatIv(iv), MimeType: 'video/mp4' });
  const policy = await api('POST', 'AccessPolicies', { Name: 'write', DurationInMinutes: 240, Permissions: 2 });
  const locator = await api('POST', 'Locators', { AccessPolicyId: policy['Id'], AssetId: assetId, Type: 1 });
  const blob = new BlockBlobClient(`${String(locator['BaseUri'])}/${name}${String(locator['ContentAccessComponent'])}`);

  const source = mp4LikeSource(SIZE);
  const md5 = createHash('md5');
  const sha256 = createHash('sha256');
  const ids: string[] = [];
  const inFlight = new Set<Promise<unknown>>();
  for (let offset = 0, index = 0; offset < SIZE; offset += BLOCK, index++) {
    const clear = source(offset, Math.min(BLOCK, SIZE - offset));
    md5.update(clear);
    sha256.update(clear);
    const id = Buffer.from(`BlockId${String(index).padStart(7, '0')}`).toString('base64');
    ids.push(id);
    const body = new AmsCtr(key, iv, offset).update(clear);
    const staged = blob.stageBlock(id, body, body.length).finally(() => inFlight.delete(staged));
    inFlight.add(staged);
    if (inFlight.size >= PARALLEL_BLOCKS) await Promise.race(inFlight);
  }
  await Promise.all(inFlight);
  await blob.commitBlockList(ids, { blobHTTPHeaders: { blobContentType: 'video/mp4' } });
  const fileId = String(file['Id']);
  await api('MERGE', `Files('${encodeURIComponent(fileId)}')`, { ContentFileSize: String(SIZE), ContentChecksum: md5.digest('hex') });
  const container = new URL(String(locator['BaseUri'])).pathname.split('/').filter(Boolean).pop()!;
  return { id: fileId, name, container, sha256: sha256.digest('hex') };
}

/**
 * CPU seconds of the event loop's own thread (Linux /proc; undefined elsewhere): what shows that
 * verification's extra work runs beside the download rather than on the thread that serves it.
 */
function mainThreadCpuSeconds(): number | undefined {
  try {
    const fields = readFileSync(`/proc/self/task/${process.pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return undefined;
  }
}

/** Samples this process's RSS every 10 ms until stopped (the timer runs between stream chunks). */
function rssSampler(): { stop(): { start: number; peak: number } } {
  const start = process.memoryUsage.rss();
  let peak = start;
  const timer = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage.rss());
  }, 10);
  return {
    stop() {
      clearInterval(timer);
      peak = Math.max(peak, process.memoryUsage.rss());
      return { start, peak };
    },
  };
}

async function expectOk(res: Response): Promise<void> {
  if (!res.ok) throw new Error(`${res.url}: ${res.status} ${(await res.text()).slice(0, 300)}`);
}


main().catch((err: unknown) => {
  process.stderr.write(`bench:verify failed: ${(err as Error).stack ?? String(err)}\n`);
  process.exitCode = 1;
});
