import { Readable } from 'node:stream';
import { ContentProbe, HEAD_BYTES, type ProbeStatus } from './content-probe.js';
import type { DeclaredType } from './content-types.js';
import { InlineDigestSink, type DigestAlgorithm, type Digests } from './digests.js';
import type { Hypothesis, MistakeId } from './hypotheses.js';
import { runPass, type Lane } from './pass.js';
import { EVIDENCE_HEAD_BYTES, type Diagnosis, type HypothesisTried, type VerifyLimits } from './types.js';

export interface DiagnoseInput {
  /** The raw (stored) bytes of the blob from `offset`. */
  readRaw(offset: number, count?: number): Promise<Readable>;
  size: number;
  hypotheses: readonly Hypothesis[];
  /** Digests the clear bytes must have (lowercase hex); empty: judge by the declared type's signature. */
  target: Digests;
  declared: DeclaredType;
  limits: VerifyLimits;
  signal?: AbortSignal;
}

interface Tried {
  hypothesis: Hypothesis;
  order: number;
  prefix: ProbeStatus;
  /** The first clear bytes under this hypothesis, hex (evidence to show). */
  head: string;
}

/**
 * Which client mistake explains the blob's bytes? Every hypothesis first decrypts the first bytes
 * (one small read) and is ranked by whether they look like the declared type. With a digest, the
 * ranked hypotheses then decrypt the whole blob, a few side by side per read, until one matches
 * the digest; only that confirms a mistake. Without a digest, a hypothesis is kept when its bytes
 * look like the declared type through the whole blob (where the format allows checking that).
 * Blobs above `verifyMaxRestreamBytes` get the first-bytes evidence only, and the diagnosis says so.
 */
export async function diagnose(input: DiagnoseInput): Promise<Diagnosis> {
  const { size, limits, declared } = input;
  const algorithms = Object.keys(input.target) as DigestAlgorithm[];
  const evidence = algorithms.includes('sha256') ? 'sha256' : algorithms.includes('md5') ? 'md5' : 'signature';
  const headBytes = Math.min(size, HEAD_BYTES);
  const head = headBytes > 0 ? await readAll(await input.readRaw(0, headBytes), input.signal) : Buffer.alloc(0);

  const tried: Tried[] = [];
  const confirmedOnHead: Tried[] = [];
  for (const [order, hypothesis] of input.hypotheses.entries()) {
    const probe = new ContentProbe(declared, size);
    const raw = hypothesis.ranges ? await readAll(readRanges(input, hypothesis.ranges, headBytes), input.signal) : head;
    const clear = hypothesis.open().update(raw);
    probe.update(clear);
    const entry: Tried = { hypothesis, order, prefix: probe.partialResult().status, head: clear.subarray(0, EVIDENCE_HEAD_BYTES).toString('hex') };
    tried.push(entry);
    // A blob no longer than its head is fully decrypted already.
    if (headBytes === size && matches(await digestsOf(clear, algorithms), input.target, algorithms, probe)) confirmedOnHead.push(entry);
  }
  if (headBytes === size) return conclude(input, tried, confirmedOnHead, tried.length, 0, evidence, 'whole-blob');

  const rank = (t: Tried) => (t.prefix === 'passed' ? 0 : t.prefix === 'inconclusive' ? 1 : 2);
  const ranked = [...tried].sort((a, b) => rank(a) - rank(b) || a.order - b.order);
  const candidates = algorithms.length > 0 ? ranked : ranked.filter((t) => t.prefix === 'passed');
  if (candidates.length === 0) return conclude(input, tried, [], tried.length, 0, evidence, 'whole-blob');

  if (size > limits.verifyMaxRestreamBytes) {
    const likely = ranked.filter((t) => t.prefix === 'passed');
    const note = `the blob (${mib(size)}) is larger than the re-stream bound (${mib(limits.verifyMaxRestreamBytes)}): only its first ${headBytes} bytes were tried under each hypothesis${algorithms.length > 0 ? ', not the digest' : ''}`;
    return { ...(await conclude(input, tried, likely, tried.length, 0, 'signature-prefix', 'first-bytes')), note };
  }

  const confirmed: Tried[] = [];
  let spent = 0;
  let index = 0;
  while (index < candidates.length) {
    if (algorithms.length > 0 && confirmed.length > 0) break;
    // Hypotheses that read the blob as stored share a pass; one that reads it in its own order has one.
    const ranges = candidates[index]!.hypothesis.ranges;
    const group = ranges ? [candidates[index]!] : sharedPass(candidates, index, limits.verifyLanesPerPass);
    if (spent + group.length * size > limits.verifyMaxDiagnosisBytes) break;
    index += group.length;
    spent += group.length * size;
    const lanes: Lane[] = group.map((t) => ({ decryptor: t.hypothesis.open(), digests: new InlineDigestSink(algorithms), probe: new ContentProbe(declared, size) }));
    await runPass(ranges ? readRanges(input, ranges) : await input.readRaw(0), lanes, input.signal);
    for (const [i, lane] of lanes.entries()) {
      if (matches(await lane.digests.finish(), input.target, algorithms, lane.probe)) confirmed.push(group[i]!);
    }
  }
  const untried = candidates.length - index;
  const diagnosis = await conclude(input, tried, confirmed, tried.length - untried, untried, evidence, 'whole-blob');
  if (untried > 0 && confirmed.length === 0) diagnosis.note = `${untried} hypotheses were not tried: decrypting the blob once per hypothesis reached the work bound (${mib(limits.verifyMaxDiagnosisBytes)})`;
  return diagnosis;
}

/** The candidates from `index` on that read the blob as stored, up to `max`. */
function sharedPass(candidates: readonly Tried[], index: number, max: number): Tried[] {
  const group: Tried[] = [];
  for (let i = index; i < candidates.length && group.length < max && !candidates[i]!.hypothesis.ranges; i++) group.push(candidates[i]!);
  return group;
}

/** The stored bytes of `ranges`, one after another, up to `limit` bytes in all: one range read each. */
function readRanges(input: DiagnoseInput, ranges: ReadonlyArray<{ offset: number; count: number }>, limit = Infinity): Readable {
  return Readable.from(
    (async function* () {
      let left = limit;
      for (const range of ranges) {
        if (left <= 0) return;
        const count = Math.min(range.count, left);
        left -= count;
        if (count > 0) yield* (await input.readRaw(range.offset, count)) as AsyncIterable<Buffer>;
      }
    })(),
  );
}

function matches(digests: Digests, target: Digests, algorithms: readonly DigestAlgorithm[], probe: ContentProbe): boolean {
  if (algorithms.length > 0) return algorithms.every((a) => digests[a] === target[a]);
  return probe.result().status === 'passed';
}

async function digestsOf(bytes: Buffer, algorithms: readonly DigestAlgorithm[]): Promise<Digests> {
  const sink = new InlineDigestSink(algorithms);
  sink.update(bytes);
  return sink.finish();
}

async function conclude(
  input: DiagnoseInput,
  all: readonly Tried[],
  confirmed: readonly Tried[],
  tried: number,
  untried: number,
  evidence: Diagnosis['evidence'],
  scope: Diagnosis['scope'],
): Promise<Diagnosis> {
  const [best, ...rest] = [...confirmed].sort((a, b) => a.order - b.order);
  if (!best) {
    const names = [...new Set(input.hypotheses.map((h) => h.mistake))].join(', ');
    return {
      id: 'unexplained',
      message: `no known client mistake explains the bytes (tried ${tried}: ${names || 'none applicable'}); check the key, the IV and the counter layout against the reference: AES-256-CTR, counter BE64(IV) || BE64(fileOffset / 16)`,
      evidence: 'none',
      scope: 'none',
      details: {},
      alsoConsistent: [],
      tried,
      untried,
      hypotheses: triedOnce(all),
    };
  }
  const alsoConsistent: MistakeId[] = [...new Set(rest.map((t) => t.hypothesis.mistake).filter((m) => m !== best.hypothesis.mistake))];
  return {
    id: best.hypothesis.mistake,
    message: best.hypothesis.message,
    evidence,
    scope,
    details: best.hypothesis.details,
    alsoConsistent,
    tried,
    untried,
    hypotheses: triedOnce(all),
    head: best.head,
    ...(best.hypothesis.layout ? { byteRanges: best.hypothesis.layout } : {}),
  };
}

/** Each mistake once (several keys or IVs may be tried for one), with the best its first bytes did. */
function triedOnce(all: readonly Tried[]): HypothesisTried[] {
  const rank: Record<ProbeStatus, number> = { passed: 0, inconclusive: 1, failed: 2 };
  const byMistake = new Map<HypothesisTried['mistake'], ProbeStatus>();
  for (const t of all) {
    const seen = byMistake.get(t.hypothesis.mistake);
    if (seen === undefined || rank[t.prefix] < rank[seen]) byMistake.set(t.hypothesis.mistake, t.prefix);
  }
  return [...byMistake].map(([mistake, firstBytes]) => ({ mistake, firstBytes }));
}

async function readAll(stream: Readable, signal?: AbortSignal): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream as AsyncIterable<Buffer>) {
    signal?.throwIfAborted();
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}

function mib(bytes: number): string {
  return `${Math.round((bytes / (1024 * 1024)) * 10) / 10} MiB`;
}
