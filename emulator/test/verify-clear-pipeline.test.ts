import { createHash, randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { AmsCtr, MAX_IV, randomIv } from '../../client/src/crypto/index.js';
import { createClearPipeline, type ClearPipeline } from '../src/verify/clear-pipeline.js';

/**
 * The main pass' decrypt-and-hash pipeline, on this thread (small blobs) and in its worker (8 MiB
 * and up), against the crypto library's AmsCtr and Node's hashes: same clear bytes, in order,
 * whatever the chunking; same digests.
 */

const BIG = 9 * 1024 * 1024 + 13;

async function run(pipeline: ClearPipeline, stored: Buffer, chunkSizes: number[]): Promise<void> {
  let at = 0;
  let i = 0;
  while (at < stored.length) {
    const size = chunkSizes[i++ % chunkSizes.length]!;
    const wait = pipeline.update(stored.subarray(at, at + size));
    if (wait) await wait;
    at += size;
  }
}

describe.each([
  { where: 'inline', size: 300_000 },
  { where: 'worker', size: BIG },
])('$where', ({ size }) => {
  it.each([
    { iv: 0n, label: 'IV 0' },
    { iv: MAX_IV, label: 'the largest IV' },
    { iv: randomIv(), label: 'a random IV' },
  ])('decrypts like AmsCtr and hashes the clear bytes ($label)', async ({ iv }) => {
    const key = randomBytes(32);
    const clear = randomBytes(size);
    const stored = new AmsCtr(key, iv).update(clear);
    const seen: Buffer[] = [];
    const pipeline = createClearPipeline({ encryption: { key, iv }, algorithms: ['md5', 'sha256'], expectedBytes: size, onClear: (c) => seen.push(Buffer.from(c)) });
    await run(pipeline, stored, [65_536, 1, 300_001, 16, 4_194_304]);
    const digests = await pipeline.finish();
    expect(Buffer.concat(seen).equals(clear)).toBe(true);
    expect(digests).toEqual({ md5: createHash('md5').update(clear).digest('hex'), sha256: createHash('sha256').update(clear).digest('hex') });
  });

  it('passes clear blobs through', async () => {
    const clear = randomBytes(size);
    const seen: Buffer[] = [];
    const pipeline = createClearPipeline({ algorithms: ['md5'], expectedBytes: size, onClear: (c) => seen.push(Buffer.from(c)) });
    await run(pipeline, clear, [1_000_003]);
    expect(await pipeline.finish()).toEqual({ md5: createHash('md5').update(clear).digest('hex') });
    expect(Buffer.concat(seen).equals(clear)).toBe(true);
  });
});

it('a failing consumer fails the worker pipeline instead of hanging it', async () => {
  const pipeline = createClearPipeline({
    algorithms: [],
    expectedBytes: BIG,
    onClear: () => {
      throw new Error('probe failed');
    },
  });
  const outcome = (async () => {
    await run(pipeline, randomBytes(BIG), [1_048_576]);
    return pipeline.finish();
  })();
  await expect(outcome).rejects.toThrow('probe failed');
  pipeline.close();
});
