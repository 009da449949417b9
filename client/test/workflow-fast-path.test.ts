import { spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { amsCtr, MAX_IV } from '../src/crypto/index.js';
import { createBlockCrypto, startCryptoThread, WORKER_THRESHOLD_BYTES, type BlockCryptoOptions, type CryptoThread } from '../src/workflows/block-crypto.js';
import { BlockPool, readFileBlocks } from '../src/workflows/blocks.js';

/**
 * The transfers' fast path. The crypto, on this thread (small files) and in a worker (large ones):
 * the library's AES-CTR bytes at every offset, the MD5 of what was hashed in order, and no damage
 * to memory the caller did not hand over. And files read in blocks into reused buffers.
 */

// A thread started ahead serves every file of the 'on a shared thread' variant, one after another.
let shared: CryptoThread | undefined;
afterAll(() => shared?.close());
const onSharedThread = (options: BlockCryptoOptions) => createBlockCrypto({ ...options, thread: (shared ??= startCryptoThread()) });

const REPO = join(dirname(fileURLToPath(import.meta.url)), '../..');

const variants = [
  ['on this thread', 0, createBlockCrypto],
  ['in a worker', WORKER_THRESHOLD_BYTES, createBlockCrypto],
  ['on a shared thread', WORKER_THRESHOLD_BYTES, onSharedThread],
] as const;

describe.each(variants)('BlockCrypto %s', (_where, expectedBytes, createBlockCrypto) => {
  it('encrypts like AmsCtr at any offset and hashes the clear bytes in order', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.uint8Array({ minLength: 32, maxLength: 32 }),
        fc.bigInt({ min: 0n, max: MAX_IV }),
        fc.array(fc.integer({ min: 0, max: 5000 }), { maxLength: 6 }),
        fc.integer({ min: 0, max: 2 ** 44 }),
        async (key, iv, sizes, start) => {
          const crypto = createBlockCrypto({ key, iv, expectedBytes });
          try {
            const blocks = sizes.map((n) => randomBytes(n));
            const expected = blocks.map((b, i) => amsCtr(key, iv, b, start + sizes.slice(0, i).reduce((a, c) => a + c, 0)));
            const md5 = createHash('md5');
            for (const b of blocks) md5.update(b);
            const wantDigest = md5.digest('hex');
            let offset = start;
            const results = await Promise.all(
              blocks.map((b) => {
                const at = offset;
                offset += b.length;
                // Hand over a copy the test owns, as the transfers hand over buffers they made.
                return crypto.hashAndTransform(Buffer.from(b), at);
              }),
            );
            results.forEach((r, i) => expect(r.equals(expected[i]!)).toBe(true));
            expect(await crypto.digest()).toBe(wantDigest);
          } finally {
            crypto.close();
          }
        },
      ),
      { numRuns: 40 },
    );
  });

  it('decrypts ranges in any order and hashes them in file order', async () => {
    const key = randomBytes(32);
    const clear = randomBytes(300_001);
    const stored = amsCtr(key, 42n, clear, 0);
    const ranges = [0, 65_536, 131_072, 196_608, 262_144].map((offset) => ({ offset, bytes: stored.subarray(offset, offset + 65_536) }));
    const crypto = createBlockCrypto({ key, iv: 42n, expectedBytes });
    try {
      const decrypted = await Promise.all([...ranges].reverse().map((r) => crypto.transform(Buffer.from(r.bytes), r.offset)));
      decrypted.reverse();
      expect(Buffer.concat(decrypted).equals(clear)).toBe(true);
      for (const part of decrypted) crypto.hash(part, { consume: true });
      expect(await crypto.digest()).toBe(createHash('md5').update(clear).digest('hex'));
    } finally {
      crypto.close();
    }
  });

  it('leaves buffers it may not consume, and Node\'s shared buffer pool, untouched', async () => {
    const crypto = createBlockCrypto({ key: randomBytes(32), iv: 1n, expectedBytes });
    try {
      const kept = randomBytes(10_000);
      const keptCopy = Buffer.from(kept);
      crypto.hash(kept, { consume: false });
      // Small buffers live inside one shared pool: a neighbour must survive its sibling being used.
      const pooled = Buffer.from('a small buffer in the pool');
      const neighbour = Buffer.from('its neighbour in the pool');
      await crypto.transform(pooled, 0);
      expect(kept.equals(keptCopy)).toBe(true);
      expect(neighbour.toString()).toBe('its neighbour in the pool');
      expect(await crypto.digest()).toBe(createHash('md5').update(keptCopy).digest('hex'));
    } finally {
      crypto.close();
    }
  });

  it('refuses to transform without a key, and every call after close', async () => {
    const keyless = createBlockCrypto({ expectedBytes });
    await expect(keyless.transform(Buffer.alloc(16), 0)).rejects.toThrow(/no key/);
    keyless.hash(Buffer.from('unencrypted files are hashed too'), { consume: true });
    expect(await keyless.digest()).toBe(createHash('md5').update('unencrypted files are hashed too').digest('hex'));
    keyless.close();

    const closed = createBlockCrypto({ key: randomBytes(32), iv: 1n, expectedBytes });
    closed.close();
    await expect(closed.transform(Buffer.alloc(16), 0)).rejects.toThrow(/closed/);
    await expect(closed.digest()).rejects.toThrow(/closed/);
  });
});

describe('CryptoThread', () => {
  it('keeps the keys, IVs and MD5s of files open side by side apart, and outlives a file that ends', async () => {
    const thread = startCryptoThread()!;
    try {
      const files = [1n, 2n, 3n].map((iv) => ({ key: randomBytes(32), iv, clear: [randomBytes(70_000), randomBytes(1_234)] }));
      const cryptos = files.map(({ key, iv }) => createBlockCrypto({ key, iv, expectedBytes: WORKER_THRESHOLD_BYTES, thread }));
      // Interleaved: block 0 of every file, then block 1 of every file.
      const encrypted = await Promise.all([0, 1].flatMap((block) => files.map((f, i) => cryptos[i]!.hashAndTransform(Buffer.from(f.clear[block]!), block === 0 ? 0 : 70_000))));
      files.forEach((f, i) => {
        expect(encrypted[i]!.equals(amsCtr(f.key, f.iv, f.clear[0]!, 0))).toBe(true);
        expect(encrypted[files.length + i]!.equals(amsCtr(f.key, f.iv, f.clear[1]!, 70_000))).toBe(true);
      });
      cryptos[0]!.close();
      await expect(cryptos[0]!.digest()).rejects.toThrow(/closed/);
      for (const i of [1, 2]) expect(await cryptos[i]!.digest()).toBe(createHash('md5').update(Buffer.concat(files[i]!.clear)).digest('hex'));
      expect(thread.closed).toBe(false);
      // A file opened after another ended starts with an MD5 of its own.
      const later = createBlockCrypto({ key: files[0]!.key, iv: 9n, expectedBytes: WORKER_THRESHOLD_BYTES, thread });
      later.hash(Buffer.from('later'), { consume: true });
      expect(await later.digest()).toBe(createHash('md5').update('later').digest('hex'));
    } finally {
      thread.close();
    }
  });

  it('leaves nothing waiting for a message it could not send, so an idle thread never holds the process', () => {
    // In a process of its own (the built library): it exits by itself only if no answer is awaited.
    const script = `
      import { startCryptoThread } from ${JSON.stringify(pathToFileURL(join(REPO, 'dist/client/src/workflows/block-crypto.js')).href)};
      const thread = startCryptoThread();
      await thread.request({ kind: 'end', file: 0 }, [new SharedArrayBuffer(8)], () => {}).then(
        () => { console.log('sent'); process.exitCode = 1; },
        (err) => console.log('refused:', err.message),
      );`;
    // A file, not -e: a module given with -e lets the process end with a thread still awaited.
    const file = join(mkdtempSync(join(tmpdir(), 'ams-crypto-thread-')), 'idle.mjs');
    writeFileSync(file, script);
    const run = spawnSync(process.execPath, [file], { encoding: 'utf8', timeout: 20_000 });
    rmSync(dirname(file), { recursive: true, force: true });
    expect(run.error).toBeUndefined();
    expect(run.stdout).toMatch(/^refused: /);
    expect(run.status).toBe(0);
  });

  it('fails what is pending on every file when it is closed, and files opened later work on their own thread', async () => {
    const thread = startCryptoThread()!;
    const key = randomBytes(32);
    const a = createBlockCrypto({ key, iv: 1n, expectedBytes: WORKER_THRESHOLD_BYTES, thread });
    const pending = a.hashAndTransform(Buffer.alloc(8 * 1024 * 1024), 0);
    thread.close();
    await expect(pending).rejects.toThrow(/closed/);
    expect(thread.closed).toBe(true);
    const b = createBlockCrypto({ key, iv: 1n, expectedBytes: WORKER_THRESHOLD_BYTES, thread });
    try {
      const clear = randomBytes(1000);
      expect((await b.transform(Buffer.from(clear), 0)).equals(amsCtr(key, 1n, clear, 0))).toBe(true);
    } finally {
      b.close();
    }
  });
});

describe('readFileBlocks', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'ams-file-blocks-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('cuts a file into full blocks and one short tail, reusing the buffers given back', async () => {
    let n = 0;
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 0, max: 5000 }), fc.integer({ min: 1, max: 64 }).map((k) => k * 16), async (size, blockSize) => {
        const path = join(dir, `f${n++}`);
        const data = randomBytes(size);
        await writeFile(path, data);
        const pool = new BlockPool(blockSize, 2);
        const copies: Buffer[] = [];
        const memory = new Set<ArrayBufferLike>();
        for await (const block of readFileBlocks(path, pool)) {
          copies.push(Buffer.from(block));
          memory.add(block.buffer);
          pool.give(block);
        }
        expect(Buffer.concat(copies).equals(data)).toBe(true);
        expect(copies.slice(0, -1).every((b) => b.length === blockSize)).toBe(true);
        expect(copies.length).toBe(Math.ceil(size / blockSize));
        // One buffer, handed back each time, serves the whole file.
        expect(memory.size).toBeLessThanOrEqual(1);
      }),
      { numRuns: 50 },
    );
  });

  it('keeps only whole buffers of the block size, up to its capacity', () => {
    const pool = new BlockPool(32, 1);
    const whole = pool.take();
    pool.give(whole.subarray(0, 16));
    expect(pool.take()).not.toBe(whole);
    pool.give(whole);
    pool.give(Buffer.allocUnsafeSlow(32));
    expect(pool.take()).toBe(whole);
  });
});
