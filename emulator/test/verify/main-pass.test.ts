import { createHash, randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AmsCtr, MAX_IV, randomIv } from '../../../client/src/crypto/index.js';
import { toStorageError } from '../../src/storage/storage-errors.js';
import { StorageRequestError, StorageUnavailableError, type BlobStorage, type DirectRead } from '../../src/storage/types.js';
import { sdkUsesProxyFor } from '../../src/storage/proxy-env.js';
import { ContentProbe } from '../../src/verify/content-probe.js';
import { declaredType } from '../../src/verify/content-types.js';
import { runMainPass, THREADED_PASS_MIN_BYTES } from '../../src/verify/main-pass.js';
import { runThreadedPass, SLOT_BYTES } from '../../src/verify/threaded-pass.js';
import { startTestAzurite, type TestAzurite } from '../../../test/support/azurite.js';

/**
 * Verification's main pass: on the event loop for small blobs, in threads (reader, one per digest)
 * from THREADED_PASS_MIN_BYTES up. Both against real Azurite and the crypto library's AmsCtr: the
 * same clear bytes, in order, and the same digests. The threaded reader's own HTTP (resume after a
 * cut body, If-Match, tries, timeouts) against a loopback server that misbehaves on purpose.
 */

const BIG = THREADED_PASS_MIN_BYTES + SLOT_BYTES * 2 + 13;
const CONTAINER = 'main-pass';

let azurite: TestAzurite;
beforeAll(async () => {
  azurite = await startTestAzurite();
  await azurite.storage.createContainer(CONTAINER);
});
afterAll(() => azurite?.stop());

const md5 = (bytes: Buffer): string => createHash('md5').update(bytes).digest('hex');
const sha256 = (bytes: Buffer): string => createHash('sha256').update(bytes).digest('hex');

async function stored(name: string, bytes: Buffer): Promise<{ name: string; size: number }> {
  await azurite.storage.uploadBlob(CONTAINER, name, bytes);
  return { name, size: bytes.length };
}

/** How the reader thread reads `name` from the test's Azurite. */
function direct(name: string): DirectRead {
  const read = azurite.storage.directRead(CONTAINER, name, 60_000);
  if (!read) throw new Error('directRead is undefined: is HTTPS_PROXY, ALL_PROXY or HTTP_PROXY set without NO_PROXY naming 127.0.0.1?');
  return read;
}

/** Every clear byte `onClear` saw, copied (the pass reuses its slots). */
function collector(): { onClear(clear: Buffer): void; bytes(): Buffer } {
  const seen: Buffer[] = [];
  return { onClear: (clear) => void seen.push(Buffer.from(clear)), bytes: () => Buffer.concat(seen) };
}

describe('against Azurite', () => {
  it.each([
    { iv: 0n, label: 'IV 0' },
    { iv: MAX_IV, label: 'the largest IV' },
    { iv: randomIv(), label: 'a random IV' },
  ])('the threads decrypt like AmsCtr and hash the clear bytes ($label)', async ({ iv }) => {
    const key = randomBytes(32);
    const clear = randomBytes(BIG);
    const blob = await stored(`iv-${iv}.bin`, new AmsCtr(key, iv).update(clear));
    const seen = collector();
    const result = await runThreadedPass({ read: direct(blob.name), encryption: { key, iv }, algorithms: ['md5', 'sha256'], onClear: seen.onClear });
    expect(result).toEqual({ bytes: BIG, digests: { md5: md5(clear), sha256: sha256(clear) } });
    expect(seen.bytes().equals(clear)).toBe(true);
  });

  it('pass clear blobs through, with no digest asked for', async () => {
    const clear = randomBytes(BIG);
    const blob = await stored('clear.bin', clear);
    const seen = collector();
    expect(await runThreadedPass({ read: direct(blob.name), algorithms: [], onClear: seen.onClear })).toEqual({ bytes: BIG, digests: {} });
    expect(seen.bytes().equals(clear)).toBe(true);
  });

  it.each([
    { where: 'on the event loop', size: 300_007 },
    { where: 'in threads', size: BIG },
  ])('runMainPass gives the probe and the digests the clear bytes $where', async ({ size }) => {
    const key = randomBytes(32);
    const iv = randomIv();
    const clear = Buffer.concat([Buffer.from('{"text": "'), Buffer.alloc(size - 12, 'a'), Buffer.from('"}')]);
    const blob = await stored(`probe-${size}.json`, new AmsCtr(key, iv).update(clear));
    const probe = new ContentProbe(declaredType('application/json', blob.name), size);
    const result = await runMainPass(azurite.storage, CONTAINER, blob, { encryption: { key, iv }, algorithms: ['md5'], probe });
    expect(result).toEqual({ bytes: size, digests: { md5: md5(clear) } });
    expect(probe.result().status).toBe('passed');
  });

  it('runMainPass reads a large blob on the event loop when storage has no direct read (a proxy is in use)', async () => {
    const clear = randomBytes(BIG);
    const blob = await stored('proxied.bin', clear);
    let readBlobCalls = 0;
    const proxied: BlobStorage = Object.create(azurite.storage, {
      directRead: { value: () => undefined },
      readBlob: { value: (...args: Parameters<BlobStorage['readBlob']>) => (readBlobCalls++, azurite.storage.readBlob(...args)) },
    });
    const probe = new ContentProbe(declaredType('application/octet-stream', blob.name), BIG);
    expect(await runMainPass(proxied, CONTAINER, blob, { algorithms: ['sha256'], probe })).toEqual({ bytes: BIG, digests: { sha256: sha256(clear) } });
    expect(readBlobCalls).toBe(1);
  });

  it('a failing consumer fails the pass instead of hanging it', async () => {
    const blob = await stored('consumer.bin', randomBytes(BIG));
    const pass = runThreadedPass({
      read: direct(blob.name),
      algorithms: ['md5'],
      onClear: () => {
        throw new Error('probe failed');
      },
    });
    await expect(pass).rejects.toThrow('probe failed');
  });

  it('a missing blob is storage refusing the read (404), as readBlob says it', async () => {
    const pass = runThreadedPass({ read: direct('no-such-blob'), algorithms: ['md5'], onClear: () => undefined });
    await expect(pass).rejects.toSatisfy((err: unknown) => err instanceof StorageRequestError && err.statusCode === 404);
  });

  it('stops at once when its signal aborts, with the signal\'s reason', async () => {
    const blob = await stored('abort.bin', randomBytes(BIG));
    const controller = new AbortController();
    const reason = new Error('deadline');
    const pass = runThreadedPass({
      read: direct(blob.name),
      algorithms: ['md5'],
      onClear: () => controller.abort(reason),
      signal: controller.signal,
    });
    await expect(pass).rejects.toBe(reason);
  });
});

/** A loopback blob endpoint whose behaviour each test scripts, recording the requests it gets. */
class ScriptedStorage {
  readonly requests: Array<{ range?: string; ifMatch?: string }> = [];
  private server!: Server;
  constructor(private readonly respond: (req: IncomingMessage, res: ServerResponse, index: number) => void) {}
  async start(): Promise<string> {
    this.server = createServer((req, res) => {
      this.requests.push({ range: req.headers.range, ifMatch: req.headers['if-match'] as string | undefined });
      this.respond(req, res, this.requests.length - 1);
    });
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/devstoreaccount1/c/blob?sig=x`;
  }
  stop(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

function scriptedRead(url: string, overrides: Partial<DirectRead> = {}): DirectRead {
  const context = { endpoint: new URL(url).origin, requestTimeoutMs: overrides.requestTimeoutMs ?? 2_000 };
  return { url, version: '2021-08-06', requestTimeoutMs: 2_000, maxTries: 3, resumeTries: 2, toError: (failure) => toStorageError(failure, context), ...overrides };
}

/** Serves `blob` (ETag "v1"), honouring `bytes=N-` ranges and If-Match. */
function serve(req: IncomingMessage, res: ServerResponse, blob: Buffer, options: { cutAfter?: number; etag?: string } = {}): void {
  const etag = options.etag ?? '"v1"';
  const ifMatch = req.headers['if-match'];
  if (ifMatch && ifMatch !== etag) {
    res.writeHead(412, { 'x-ms-error-code': 'ConditionNotMet' }).end();
    return;
  }
  const from = Number(/^bytes=(\d+)-$/.exec(req.headers.range ?? '')?.[1] ?? 0);
  const body = blob.subarray(from);
  res.writeHead(req.headers.range ? 206 : 200, { 'content-length': body.length, etag, ...(req.headers.range ? { 'content-range': `bytes ${from}-${blob.length - 1}/${blob.length}` } : {}) });
  if (options.cutAfter === undefined) {
    res.end(body);
    return;
  }
  res.write(body.subarray(0, options.cutAfter), () => res.destroy());
}

describe('the reader thread\'s HTTP', () => {
  it('resumes a body cut off mid-stream from where it stopped, If-Match the first ETag (property)', async () => {
    const blob = randomBytes(3 * SLOT_BYTES + 101);
    const key = randomBytes(32);
    const iv = randomIv();
    const encrypted = new AmsCtr(key, iv).update(blob);
    await fc.assert(
      fc.asyncProperty(fc.uniqueArray(fc.integer({ min: 1, max: blob.length - 1 }), { minLength: 1, maxLength: 2 }).map((cuts) => cuts.sort((a, b) => a - b)), async (cuts) => {
        // Each response is cut at the next absolute offset; the last one runs to the end.
        const storage = new ScriptedStorage((req, res, index) => {
          const from = Number(/^bytes=(\d+)-$/.exec(req.headers.range ?? '')?.[1] ?? 0);
          const cut = cuts[index];
          serve(req, res, encrypted, cut === undefined ? {} : { cutAfter: cut - from });
        });
        const url = await storage.start();
        try {
          const seen = collector();
          const result = await runThreadedPass({ read: scriptedRead(url), encryption: { key, iv }, algorithms: ['md5'], onClear: seen.onClear });
          expect(result).toEqual({ bytes: blob.length, digests: { md5: md5(blob) } });
          expect(seen.bytes().equals(blob)).toBe(true);
          expect(storage.requests).toEqual([{}, ...cuts.map((cut) => ({ range: `bytes=${cut}-`, ifMatch: '"v1"' }))]);
        } finally {
          await storage.stop();
        }
      }),
      { numRuns: 12 },
    );
  });

  it('gives up after resumeTries cuts, as storage being unreachable', async () => {
    const blob = randomBytes(2 * SLOT_BYTES);
    const storage = new ScriptedStorage((req, res) => serve(req, res, blob, { cutAfter: 1000 }));
    const url = await storage.start();
    try {
      const pass = runThreadedPass({ read: scriptedRead(url, { resumeTries: 2 }), algorithms: [], onClear: () => undefined });
      await expect(pass).rejects.toBeInstanceOf(StorageUnavailableError);
      expect(storage.requests).toHaveLength(3);
    } finally {
      await storage.stop();
    }
  });

  it('a blob replaced between the first request and a resume fails with 412, not a spliced blob', async () => {
    const blob = randomBytes(2 * SLOT_BYTES);
    const storage = new ScriptedStorage((req, res, index) => (index === 0 ? serve(req, res, blob, { cutAfter: 5000 }) : serve(req, res, blob, { etag: '"v2"' })));
    const url = await storage.start();
    try {
      const pass = runThreadedPass({ read: scriptedRead(url), algorithms: ['md5'], onClear: () => undefined });
      await expect(pass).rejects.toSatisfy((err: unknown) => err instanceof StorageRequestError && err.statusCode === 412 && err.code === 'ConditionNotMet');
    } finally {
      await storage.stop();
    }
  });

  it('retries a 503 and then reads the blob', async () => {
    const blob = randomBytes(SLOT_BYTES + 5);
    const storage = new ScriptedStorage((req, res, index) => (index < 2 ? res.writeHead(503).end() : serve(req, res, blob)));
    const url = await storage.start();
    try {
      const seen = collector();
      expect(await runThreadedPass({ read: scriptedRead(url, { maxTries: 3 }), algorithms: [], onClear: seen.onClear })).toEqual({ bytes: blob.length, digests: {} });
      expect(seen.bytes().equals(blob)).toBe(true);
      expect(storage.requests).toHaveLength(3);
    } finally {
      await storage.stop();
    }
  });

  it('storage that keeps answering 503 is unavailable after maxTries', async () => {
    const storage = new ScriptedStorage((_req, res) => res.writeHead(503).end());
    const url = await storage.start();
    try {
      await expect(runThreadedPass({ read: scriptedRead(url, { maxTries: 2 }), algorithms: [], onClear: () => undefined })).rejects.toBeInstanceOf(StorageUnavailableError);
      expect(storage.requests).toHaveLength(2);
    } finally {
      await storage.stop();
    }
  });

  it('storage that never answers is unavailable after maxTries x requestTimeoutMs', async () => {
    const storage = new ScriptedStorage(() => undefined);
    const url = await storage.start();
    try {
      const started = Date.now();
      const pass = runThreadedPass({ read: scriptedRead(url, { maxTries: 2, requestTimeoutMs: 200 }), algorithms: [], onClear: () => undefined });
      await expect(pass).rejects.toThrow(/ETIMEDOUT/);
      expect(Date.now() - started).toBeLessThan(5_000);
      expect(storage.requests).toHaveLength(2);
    } finally {
      await storage.stop();
    }
  });

  it('nothing listening is unavailable (ECONNREFUSED)', async () => {
    const storage = new ScriptedStorage(() => undefined);
    const url = await storage.start();
    await storage.stop();
    await expect(runThreadedPass({ read: scriptedRead(url, { maxTries: 2 }), algorithms: [], onClear: () => undefined })).rejects.toThrow(/ECONNREFUSED/);
  });

  it('a resume answered with the whole blob (Range ignored) is refused rather than read twice', async () => {
    const blob = randomBytes(2 * SLOT_BYTES);
    const storage = new ScriptedStorage((req, res, index) => {
      if (index === 0) return serve(req, res, blob, { cutAfter: 4096 });
      res.writeHead(200, { 'content-length': blob.length }).end(blob);
    });
    const url = await storage.start();
    try {
      const pass = runThreadedPass({ read: scriptedRead(url), algorithms: [], onClear: () => undefined });
      await expect(pass).rejects.toThrow(/200/);
    } finally {
      await storage.stop();
    }
  });
});

describe('sdkUsesProxyFor: the SDK\'s proxy rules, so the reader thread never reads around a proxy', () => {
  const endpoint = 'https://acct.blob.core.windows.net/';
  it.each([
    [{}, false],
    [{ HTTPS_PROXY: 'http://proxy:3128' }, true],
    [{ https_proxy: 'http://proxy:3128' }, true],
    [{ ALL_PROXY: 'http://proxy:3128' }, true],
    [{ HTTP_PROXY: 'http://proxy:3128' }, true],
    [{ HTTP_PROXY: 'http://proxy:3128', NO_PROXY: 'acct.blob.core.windows.net' }, false],
    [{ HTTP_PROXY: 'http://proxy:3128', NO_PROXY: 'localhost, .core.windows.net' }, false],
    [{ HTTP_PROXY: 'http://proxy:3128', no_proxy: '.blob.core.windows.net' }, false],
    [{ HTTP_PROXY: 'http://proxy:3128', NO_PROXY: 'core.windows.net' }, true],
    [{ HTTP_PROXY: 'http://proxy:3128', NO_PROXY: '*' }, true],
  ] as Array<[NodeJS.ProcessEnv, boolean]>)('%j -> %s', (env, expected) => {
    expect(sdkUsesProxyFor(endpoint, env)).toBe(expected);
  });

  it('loopback Azurite is proxied unless NO_PROXY names it, as the SDK does', () => {
    expect(sdkUsesProxyFor('http://127.0.0.1:10000/devstoreaccount1', { HTTP_PROXY: 'http://proxy:3128' })).toBe(true);
    expect(sdkUsesProxyFor('http://127.0.0.1:10000/devstoreaccount1', { HTTP_PROXY: 'http://proxy:3128', NO_PROXY: '127.0.0.1' })).toBe(false);
  });
});
