import { access, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { AmsClient, AmsRequestError } from '../src/rest/index.js';
import { AmsCleanupError, AmsWorkflowError, BLOCKS_PREPARED_AHEAD, download, uploadEncrypted, type Leftover } from '../src/workflows/index.js';
import { bytesFor, collector, startWorkflowEnv, streamOf, type WorkflowEnv } from './helpers/workflow-env.js';

let env: WorkflowEnv;
let dir: string;
beforeAll(async () => {
  env = await startWorkflowEnv();
  dir = await mkdtemp(join(tmpdir(), 'ams-client-failures-'));
});
afterAll(async () => {
  await env?.stop();
  await rm(dir, { recursive: true, force: true });
});
afterEach(async () => {
  env.proxy.fault = undefined;
  env.proxy.delayMs = 0;
  await env.clearFaults();
});

/** Storage requests fail once, without the storage SDK's own (slow) retries. */
const noStorageRetry = { retryOptions: { maxTries: 1 } };
const KiB = 1024;

async function expectNoWriteAccessLeft(): Promise<void> {
  expect(await env.writeAccessLeft()).toEqual({ locators: [], accessPolicies: [] });
}

async function committedBlobs(assetId: string): Promise<string[]> {
  const names: string[] = [];
  for await (const blob of (await env.container(assetId)).listBlobsFlat()) names.push(blob.name);
  return names;
}

/** The entities the service deleted, in order, e.g. `/api/Locators('nb%3Alid...')`. */
async function deleted(): Promise<string[]> {
  return (await env.calls()).filter((c) => c.method === 'DELETE' && c.status === 204).map((c) => c.path);
}

/** Fail the `n`th (0-based) request of a kind, counting only that kind. */
function failNth(comp: string, method: string, n: number, status: number): void {
  let seen = 0;
  env.proxy.fault = (request) => (request.comp === comp && request.method === method && seen++ === n ? status : undefined);
}

describe('an upload interrupted half way', () => {
  it('storage failing on a Put Block: the storage error surfaces, nothing is committed, locator and policy are deleted', async () => {
    failNth('block', 'PUT', 2, 503);
    const data = bytesFor(10, 10 * 16 * KiB);
    const error = await uploadEncrypted(env.client, [{ name: 'a.mp4', stream: streamOf(data), size: data.length }], {
      blockSize: 16 * KiB,
      parallelism: 1,
      storageOptions: noStorageRetry,
    }).catch((e: unknown) => e);
    expect(error).toMatchObject({ statusCode: 503 });
    // One block at a time: nothing was sent after the failing block.
    expect(env.proxy.requests.filter((r) => r.comp === 'block').length).toBeLessThanOrEqual(3);
    expect(await committedBlobs(await env.newestAssetId())).toEqual([]);
    await expectNoWriteAccessLeft();
    const deletes = (await deleted()).map((path) => decodeURIComponent(path));
    const locatorDeletes = deletes.filter((d) => d.startsWith('/api/Locators('));
    expect(deletes.at(-1)).toMatch(/^\/api\/AccessPolicies\('nb:pid:UUID:/);
    expect(deletes.at(-2)).toBe(locatorDeletes.at(-1));
  });

  it('an abort that lands while the locator create is on the wire still removes the locator the server made', async () => {
    const controller = new AbortController();
    // Abort as the server receives POST Locators (the rule has matched it): the create happens once
    // the rule's delay is over, its answer is still to come.
    const hold = await env.addFault({ method: 'POST', entity: 'Locators', latencyMs: 300, count: 1 });
    const upload = uploadEncrypted(env.client, [{ name: 'race.mp4', stream: streamOf(bytesFor(13, 1000)), size: 1000 }], { signal: controller.signal }).catch((e: unknown) => e);
    let settled = false;
    void upload.finally(() => (settled = true));
    while (!settled && !controller.signal.aborted) {
      if ((await env.faults()).find((f) => f.id === hold.id)!.matched > 0) controller.abort();
      else await new Promise((resolve) => setTimeout(resolve, 5));
    }
    const error = await upload;
    expect(error).toMatchObject({ name: 'AbortError' });
    expect((await env.calls()).some((c) => c.method === 'POST' && c.path === '/api/Locators' && c.status === 201)).toBe(true);
    await expectNoWriteAccessLeft();
  });

  it('AMS failing the MERGE: the service error surfaces and the write access is still removed', async () => {
    await env.addFault({ method: 'MERGE', status: 500, message: 'An error has occurred.' });
    const error = await uploadEncrypted(env.client, [{ name: 'b.mp4', stream: streamOf(bytesFor(11, 1000)), size: 1000 }]).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AmsRequestError);
    // MERGE is idempotent: retried up to maxAttempts before giving up.
    expect(error).toMatchObject({ status: 500, method: 'MERGE', attempts: 4, serviceMessage: 'An error has occurred.' });
    await expectNoWriteAccessLeft();
  });

  it('a failing cleanup does not mask the error that stopped the upload; it is reported on the side', async () => {
    failNth('block', 'PUT', 0, 403);
    await env.addFault({ method: 'DELETE', entity: 'Locators', status: 500 });
    const cleanup: Array<{ error: unknown; leftover: Leftover }> = [];
    const error = await uploadEncrypted(env.client, [{ name: 'c.mp4', stream: streamOf(bytesFor(12, 5000)), size: 5000 }], {
      storageOptions: noStorageRetry,
      onCleanupError: (e, leftover) => cleanup.push({ error: e, leftover }),
    }).catch((e: unknown) => e);
    expect(error).toMatchObject({ statusCode: 403 });
    // The locator delete failed (500 after retries); the policy delete then failed because the locator still uses it.
    expect(cleanup.map((c) => c.leftover.entitySet)).toEqual(['Locators', 'AccessPolicies']);
    expect(cleanup[0]!.error).toMatchObject({ status: 500, method: 'DELETE' });
    expect(cleanup[1]!.error).toMatchObject({ status: 409, serviceMessage: expect.stringContaining('delete the locator first') });
    await env.clearFaults();
    for (const { leftover } of cleanup) {
      if (leftover.entitySet === 'Locators') await env.client.deleteLocator(leftover.id);
      else await env.client.deleteAccessPolicy(leftover.id);
    }
    await expectNoWriteAccessLeft();
  });

  it('a cleanup failure after a successful upload is an AmsCleanupError that carries the result', async () => {
    await env.addFault({ method: 'DELETE', entity: 'Locators', status: 400, message: 'no' });
    const error = await uploadEncrypted(env.client, [{ name: 'd.mp4', stream: streamOf(bytesFor(13, 100)), size: 100 }]).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AmsCleanupError);
    const cleanupError = error as AmsCleanupError;
    expect(cleanupError.result).toMatchObject({ assetId: await env.newestAssetId(), files: [{ name: 'd.mp4', size: 100 }] });
    expect(cleanupError.leftovers.map((l) => l.entitySet)).toEqual(['Locators', 'AccessPolicies']);
    await env.clearFaults();
    await env.client.deleteLocator(cleanupError.leftovers[0]!.id);
    await env.client.deleteAccessPolicy(cleanupError.leftovers[1]!.id);
  });

  it('abort stops the upload at once and still removes the write access', async () => {
    env.proxy.delayMs = 30;
    const controller = new AbortController();
    const reason = new Error('stop');
    const data = bytesFor(14, 40 * 16 * KiB);
    const started = Date.now();
    const error = await uploadEncrypted(env.client, [{ name: 'e.mp4', stream: streamOf(data), size: data.length }], {
      blockSize: 16 * KiB,
      parallelism: 2,
      signal: controller.signal,
      onProgress: () => controller.abort(reason),
    }).catch((e: unknown) => e);
    expect(error).toBe(reason);
    expect(Date.now() - started).toBeLessThan(2_000);
    expect(env.proxy.requests.filter((r) => r.comp === 'block').length).toBeLessThan(10);
    expect(await committedBlobs(await env.newestAssetId())).toEqual([]);
    await expectNoWriteAccessLeft();
  });

  it('a progress callback that throws stops the upload with its error', async () => {
    const mine = new Error('progress sink broke');
    const data = bytesFor(17, 8 * KiB);
    await expect(
      uploadEncrypted(env.client, [{ name: 'p.mp4', stream: streamOf(data), size: data.length }], {
        blockSize: KiB,
        onProgress: () => {
          throw mine;
        },
      }),
    ).rejects.toBe(mine);
    expect(await committedBlobs(await env.newestAssetId())).toEqual([]);
    await expectNoWriteAccessLeft();
  });

  it('a source stream failing half way stops the upload with its error', async () => {
    const broken = new Error('disk read error');
    let sent = 0;
    const source = new Readable({
      read() {
        if (sent >= 50 * KiB) {
          this.destroy(broken);
          return;
        }
        sent += 10 * KiB;
        this.push(Buffer.alloc(10 * KiB, 7));
      },
    });
    await expect(uploadEncrypted(env.client, [{ name: 'f.mp4', stream: source, size: 100 * KiB }], { blockSize: 16 * KiB })).rejects.toBe(broken);
    expect(await committedBlobs(await env.newestAssetId())).toEqual([]);
    await expectNoWriteAccessLeft();
  });

  it('a stream shorter or longer than declared is refused before the block list is committed', async () => {
    for (const [declared, actual] of [
      [1000, 999],
      [1000, 1001],
    ] as const) {
      const error = await uploadEncrypted(env.client, [{ name: 'g.mp4', stream: streamOf(Buffer.alloc(actual)), size: declared }], { blockSize: 256 }).catch(
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(AmsWorkflowError);
      expect(error).toMatchObject({ reason: 'size-mismatch' });
      expect(await committedBlobs(await env.newestAssetId())).toEqual([]);
    }
    await expectNoWriteAccessLeft();
  });

  it('bad inputs are refused before anything is created', async () => {
    await env.clearCalls();
    const refuse = (inputs: Parameters<typeof uploadEncrypted>[1]) => expect(uploadEncrypted(env.client, inputs)).rejects.toMatchObject({ reason: 'invalid-input' });
    await refuse([{ name: 'a:b.mp4', stream: streamOf(Buffer.alloc(1)), size: 1 }]);
    await refuse([{ name: 'same.mp4', stream: streamOf(Buffer.alloc(1)), size: 1 }, { name: 'same.mp4', stream: streamOf(Buffer.alloc(1)), size: 1 }]);
    await refuse([join(dir, 'does-not-exist.mp4')]);
    await refuse([]);
    await expect(uploadEncrypted(env.client, [{ name: 'x', stream: streamOf(Buffer.alloc(1)), size: 1 }], { blockSize: 1000 })).rejects.toThrow(RangeError);
    expect(await env.calls()).toEqual([]);
  });
});

describe('bounded memory', () => {
  it('has at most `parallelism` blocks in flight and reads the source only as far ahead as the blocks prepared behind them', async () => {
    env.proxy.delayMs = 50;
    env.proxy.maxConcurrent = 0;
    const blockSize = 16 * KiB;
    const parallelism = 3;
    const data = bytesFor(15, 30 * blockSize);
    let pulled = 0;
    let stored = 0;
    let maxAhead = 0;
    const source = new Readable({
      highWaterMark: 4 * KiB,
      read() {
        maxAhead = Math.max(maxAhead, pulled - stored);
        const chunk = data.subarray(pulled, pulled + 4 * KiB);
        pulled += chunk.length;
        this.push(chunk.length > 0 ? chunk : null);
      },
    });
    await uploadEncrypted(env.client, [{ name: 'h.mp4', stream: source, size: data.length }], {
      blockSize,
      parallelism,
      onProgress: (p) => {
        stored = p.fileBytes;
      },
    });
    expect(env.proxy.maxConcurrent).toBe(parallelism);
    // Blocks in flight and those prepared behind them, plus the block being filled and the stream's own small buffer.
    expect(maxAhead).toBeLessThanOrEqual((parallelism + BLOCKS_PREPARED_AHEAD + 1) * blockSize + 8 * KiB);
  });

  it('downloads with at most `parallelism` ranges in flight', async () => {
    const data = bytesFor(16, 20 * 8 * KiB);
    const { assetId } = await uploadEncrypted(env.client, [{ name: 'i.mp4', stream: streamOf(data), size: data.length }]);
    env.proxy.delayMs = 20;
    env.proxy.maxConcurrent = 0;
    const sink = collector();
    await download(env.client, assetId, 'i.mp4', sink.stream, { blockSize: 8 * KiB, parallelism: 4 });
    expect(sink.bytes().equals(data)).toBe(true);
    expect(env.proxy.maxConcurrent).toBe(4);
  });
});

describe('download failures', () => {
  let assetId: string;
  const data = bytesFor(20, 100 * KiB);
  beforeAll(async () => {
    ({ assetId } = await uploadEncrypted(env.client, [{ name: 'movie.mp4', stream: streamOf(data), size: data.length }]));
  });

  it('refuses bytes whose MD5 differs from ContentChecksum, and leaves no partial file', async () => {
    const [file] = await env.client.listAssetFiles(assetId);
    await env.client.updateFile(file!.Id, { ContentChecksum: '00112233445566778899aabbccddeeff' });
    const target = join(dir, 'tampered.mp4');
    try {
      await expect(download(env.client, assetId, 'movie.mp4', target)).rejects.toMatchObject({ reason: 'checksum-mismatch' });
    } finally {
      await env.client.updateFile(file!.Id, { ContentChecksum: file!.ContentChecksum! });
    }
    await expect(access(target)).rejects.toMatchObject({ code: 'ENOENT' });
    await expectNoWriteAccessLeft();
  });

  it('a storage failure mid-way leaves no partial file and no locator', async () => {
    failNth('', 'GET', 3, 403);
    const target = join(dir, 'partial.mp4');
    await expect(download(env.client, assetId, 'movie.mp4', target, { blockSize: 8 * KiB, parallelism: 2, storageOptions: noStorageRetry })).rejects.toMatchObject({
      statusCode: 403,
    });
    await expect(access(target)).rejects.toMatchObject({ code: 'ENOENT' });
    await expectNoWriteAccessLeft();
  });

  it('abort stops a download at once and cleans up', async () => {
    env.proxy.delayMs = 50;
    const controller = new AbortController();
    const target = join(dir, 'aborted.mp4');
    setTimeout(() => controller.abort(), 80);
    await expect(download(env.client, assetId, 'movie.mp4', target, { blockSize: 4 * KiB, parallelism: 2, signal: controller.signal })).rejects.toMatchObject({
      name: 'AbortError',
    });
    await expect(access(target)).rejects.toMatchObject({ code: 'ENOENT' });
    await expectNoWriteAccessLeft();
  });

  it('names a missing file', async () => {
    await expect(download(env.client, assetId, 'nope.mp4', collector().stream)).rejects.toMatchObject({ reason: 'file-not-found' });
  });

  it('refuses a file whose asset has no storage key', async () => {
    const asset = await env.client.createAsset({ Name: 'no key', Options: 1 });
    await env.client.createFile({ Name: 'x.mp4', ParentAssetId: asset.Id, IsEncrypted: true, EncryptionScheme: 'StorageEncryption', InitializationVector: '1' });
    await expect(download(env.client, asset.Id, 'x.mp4', collector().stream)).rejects.toMatchObject({ reason: 'no-storage-key' });
  });

  it('refuses a non-decimal InitializationVector with the crypto library\'s diagnosis', async () => {
    const [file] = await env.client.listAssetFiles(assetId);
    await env.client.updateFile(file!.Id, { InitializationVector: 'BYOCdGGFCrg=' });
    try {
      await expect(download(env.client, assetId, 'movie.mp4', collector().stream)).rejects.toThrow(/unusable InitializationVector.*looks like base64/);
    } finally {
      await env.client.updateFile(file!.Id, { InitializationVector: file!.InitializationVector! });
    }
  });
});

describe('the client against the emulator', () => {
  it('lists what an upload created, through the typed client', async () => {
    const client = new AmsClient({ endpoint: env.emu.url, auth: { kind: 'static', token: 't' }, format: 'json' });
    const { assetId, contentKeyId, files } = await uploadEncrypted(client, [{ name: 'j.mp4', stream: streamOf(bytesFor(30, 10)), size: 10 }]);
    const [key] = await client.listAssetContentKeys(assetId);
    expect(key!.Id).toBe(contentKeyId);
    const [file] = await client.listAssetFiles(assetId);
    expect(file).toMatchObject({ Id: files[0]!.id, ContentFileSize: 10n, IsEncrypted: true, InitializationVector: files[0]!.iv });
  });
});
