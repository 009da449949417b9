import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { Readable } from 'node:stream';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StorageRequestError, type BlobStorage } from '../../src/storage/types.js';
import { startTestAzurite, type TestAzurite } from '../../../test/support/azurite.js';
import { namesWithPathSegments } from '../helpers/fuzz-values.js';

const MiB = 1024 * 1024;

let azurite: TestAzurite;
let storage: BlobStorage;

beforeAll(async () => {
  azurite = await startTestAzurite();
  storage = azurite.storage;
});
afterAll(() => azurite.stop());

function assetContainer(): string {
  return `asset-${randomUUID()}`;
}

async function readAll(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

describe('identity', () => {
  it('reports the account, endpoint and container URLs of the Azurite it talks to', () => {
    expect(storage.accountName).toBe('devstoreaccount1');
    expect(storage.blobEndpoint).toBe(`${azurite.url}/devstoreaccount1`);
    expect(storage.connectionString).toBe(azurite.connectionString);
    expect(storage.containerUrl('asset-abc')).toBe(`${azurite.url}/devstoreaccount1/asset-abc`);
  });

  it('answers ping', async () => {
    await expect(storage.ping()).resolves.toBeUndefined();
  });
});

describe('containers', () => {
  it('creates, detects and deletes a container, each idempotently', async () => {
    const name = assetContainer();
    expect(await storage.containerExists(name)).toBe(false);
    await storage.createContainer(name);
    await storage.createContainer(name);
    expect(await storage.containerExists(name)).toBe(true);
    await storage.deleteContainer(name);
    expect(await storage.containerExists(name)).toBe(false);
    await storage.deleteContainer(name);
  });

  it('refuses an invalid container name as a request error, not an outage', async () => {
    const err = await storage.createContainer('c').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StorageRequestError);
    expect((err as StorageRequestError).statusCode).toBe(400);
    expect((err as StorageRequestError).message).toContain(storage.blobEndpoint);
  });

  it('deleteContainersWithPrefix deletes exactly the containers with that prefix', async () => {
    const prefix = `reset${randomUUID().slice(0, 8)}-`;
    const doomed = Array.from({ length: 11 }, (_, i) => `${prefix}${i}`);
    const kept = [`keep${prefix}0`, `${prefix.slice(0, -1)}x-kept`, assetContainer()];
    await Promise.all([...doomed, ...kept].map((name) => storage.createContainer(name)));
    await storage.uploadBlob(doomed[0]!, 'a.bin', Buffer.from('bytes'));

    expect(await storage.deleteContainersWithPrefix(prefix)).toBe(doomed.length);
    for (const name of doomed) expect(await storage.containerExists(name)).toBe(false);
    for (const name of kept) expect(await storage.containerExists(name)).toBe(true);
    expect(await storage.deleteContainersWithPrefix(prefix)).toBe(0);
  });

  it('refuses to delete every container with an empty prefix', async () => {
    await expect(storage.deleteContainersWithPrefix('')).rejects.toThrow(/non-empty prefix/);
  });
});

describe('blobs', () => {
  let container: string;
  beforeAll(async () => {
    container = assetContainer();
    await storage.createContainer(container);
  });

  it('uploads a Buffer and reports size, content type, MD5 and Last-Modified', async () => {
    const data = randomBytes(100_000);
    const before = Date.now() - 2_000;
    await storage.uploadBlob(container, 'movie.mp4', data, 'video/mp4');
    const info = await storage.getBlob(container, 'movie.mp4');
    expect(info).toMatchObject({ name: 'movie.mp4', size: data.length, contentType: 'video/mp4' });
    expect(info?.contentMd5).toBe(createHash('md5').update(data).digest('base64'));
    expect(info?.lastModified?.getTime()).toBeGreaterThan(before);
    expect((await readAll(await storage.readBlob(container, 'movie.mp4'))).equals(data)).toBe(true);
  });

  it('getBlob is undefined for a missing blob and for a missing container', async () => {
    expect(await storage.getBlob(container, 'missing.bin')).toBeUndefined();
    expect(await storage.getBlob(assetContainer(), 'missing.bin')).toBeUndefined();
  });

  it('lists blobs with their properties; a missing container lists empty', async () => {
    const listed = assetContainer();
    await storage.createContainer(listed);
    await storage.uploadBlob(listed, 'b.ism', Buffer.from('<smil/>'), 'application/xml');
    await storage.uploadBlob(listed, 'a.mp4', randomBytes(3000), 'video/mp4');
    await storage.uploadBlob(listed, 'c/nested.txt', Buffer.alloc(0));
    const blobs = await storage.listBlobs(listed);
    expect(blobs.map((b) => [b.name, b.size, b.contentType])).toEqual([
      ['a.mp4', 3000, 'video/mp4'],
      ['b.ism', 7, 'application/xml'],
      ['c/nested.txt', 0, 'application/octet-stream'],
    ]);
    expect(blobs.every((b) => b.lastModified instanceof Date)).toBe(true);
    expect(blobs[1]?.contentMd5).toBe(createHash('md5').update('<smil/>').digest('base64'));
    expect(await storage.listBlobs(assetContainer())).toEqual([]);
  });

  it('uploads from a stream in several blocks', async () => {
    const parts = Array.from({ length: 10 }, () => randomBytes(MiB + 12_345));
    const expected = Buffer.concat(parts);
    await storage.uploadBlob(container, 'streamed.bin', Readable.from(parts), 'application/octet-stream');
    const info = await storage.getBlob(container, 'streamed.bin');
    expect(info?.size).toBe(expected.length);
    expect(info?.contentType).toBe('application/octet-stream');
    // Buffer.equals: vitest's deep equality walks megabytes byte by byte.
    expect((await readAll(await storage.readBlob(container, 'streamed.bin'))).equals(expected)).toBe(true);
  });

  it("rejects with the caller's own error when the source stream fails", async () => {
    const boom = Object.assign(new Error('client went away'), { code: 'ECONNRESET' });
    const failing = new Readable({
      read() {
        this.destroy(boom);
      },
    });
    await expect(storage.uploadBlob(container, 'never.bin', failing)).rejects.toBe(boom);
    expect(await storage.getBlob(container, 'never.bin')).toBeUndefined();
  });

  it('uploading to a missing container is a 404 request error', async () => {
    const err = await storage.uploadBlob(assetContainer(), 'x.bin', Buffer.from('x')).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StorageRequestError);
    expect(err).toMatchObject({ statusCode: 404, code: 'ContainerNotFound' });
  });

  it('deletes a blob, idempotently', async () => {
    await storage.uploadBlob(container, 'gone.bin', Buffer.from('bye'));
    await storage.deleteBlob(container, 'gone.bin');
    expect(await storage.getBlob(container, 'gone.bin')).toBeUndefined();
    await storage.deleteBlob(container, 'gone.bin');
    await storage.deleteBlob(assetContainer(), 'gone.bin');
  });
});

describe('readBlob ranges', () => {
  const size = 5 * MiB + 777;
  const data = randomBytes(size);
  let container: string;
  beforeAll(async () => {
    container = assetContainer();
    await storage.createContainer(container);
    await storage.uploadBlob(container, 'ranged.bin', Readable.from([data]));
  });

  it('returns exactly the matching slice for random offsets and counts', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 0, max: size - 1 }).chain((offset) =>
          fc.tuple(fc.constant(offset), fc.option(fc.integer({ min: 1, max: size - offset + 1000 }), { nil: undefined })),
        ),
        async ([offset, count]) => {
          const got = await readAll(await storage.readBlob(container, 'ranged.bin', offset, count));
          const end = count === undefined ? size : Math.min(size, offset + count);
          expect(got.equals(data.subarray(offset, end))).toBe(true);
        },
      ),
      { numRuns: 40 },
    );
  });

  it('reads the edges: first byte, last byte, zero bytes, the whole blob', async () => {
    expect(await readAll(await storage.readBlob(container, 'ranged.bin', 0, 1))).toEqual(data.subarray(0, 1));
    expect(await readAll(await storage.readBlob(container, 'ranged.bin', size - 1))).toEqual(data.subarray(size - 1));
    expect((await readAll(await storage.readBlob(container, 'ranged.bin', 10, 0))).length).toBe(0);
    expect((await readAll(await storage.readBlob(container, 'ranged.bin'))).equals(data)).toBe(true);
  });

  it('reads an empty blob', async () => {
    await storage.uploadBlob(container, 'empty.bin', Buffer.alloc(0));
    expect((await readAll(await storage.readBlob(container, 'empty.bin'))).length).toBe(0);
  });

  it('rejects before streaming: missing blob 404, offset past the end 416, a negative offset', async () => {
    await expect(storage.readBlob(container, 'missing.bin')).rejects.toMatchObject({ name: 'StorageRequestError', statusCode: 404 });
    await expect(storage.readBlob(container, 'missing.bin', 0, 0)).rejects.toMatchObject({ name: 'StorageRequestError', statusCode: 404 });
    await expect(storage.readBlob(container, 'ranged.bin', size + 10)).rejects.toMatchObject({ name: 'StorageRequestError', statusCode: 416 });
    await expect(storage.readBlob(container, 'ranged.bin', -1)).rejects.toThrow(RangeError);
    await expect(storage.readBlob(container, 'ranged.bin', 0, 1.5)).rejects.toThrow(RangeError);
  });
});

describe('large blobs', () => {
  it('streams a 64 MiB blob in pieces, without holding it in memory', async () => {
    const container = assetContainer();
    await storage.createContainer(container);
    const blockSize = 4 * MiB;
    const blocks = 16;
    const written = createHash('sha256');
    const source = Readable.from(
      (function* () {
        for (let i = 0; i < blocks; i++) {
          const block = randomBytes(blockSize);
          written.update(block);
          yield block;
        }
      })(),
    );
    await storage.uploadBlob(container, 'big.bin', source);
    expect((await storage.getBlob(container, 'big.bin'))?.size).toBe(blocks * blockSize);

    const read = createHash('sha256');
    const stream = await storage.readBlob(container, 'big.bin');
    const first = await new Promise<Buffer>((resolve) =>
      stream.once('data', (chunk: Buffer) => {
        stream.pause();
        resolve(chunk);
      }),
    );
    read.update(first);
    // A consumer that stops reading holds the rest back in storage and the socket, not in memory here.
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(stream.readableLength).toBeLessThan(MiB);
    let chunks = 1;
    let largest = first.length;
    let bytes = first.length;
    for await (const chunk of stream) {
      const buf = chunk as Buffer;
      read.update(buf);
      chunks++;
      bytes += buf.length;
      largest = Math.max(largest, buf.length);
    }
    expect(bytes).toBe(blocks * blockSize);
    expect(read.digest('hex')).toBe(written.digest('hex'));
    expect(chunks).toBeGreaterThan(100);
    expect(largest).toBeLessThanOrEqual(MiB);
    await storage.deleteContainer(container);
  });
});

describe('blob addresses stay inside their container', () => {
  /** Names that would reach another container (or the account) once a URL parser normalises them. */
  const HOSTILE = [
    '../x',
    'a/../../b',
    '..',
    '.',
    './x',
    'a/./b',
    '..\\x',
    'a\\..\\..\\b',
    '%2e%2e/x',
    '%2E%2E%2Fx',
    'a/%2e%2e/%2e%2e/b',
    '%252e%252e/x',
    '/x',
    'a/..',
  ];

  async function victim(): Promise<{ container: string; blob: string; data: Buffer }> {
    const container = assetContainer();
    await storage.createContainer(container);
    const data = randomBytes(64);
    await storage.uploadBlob(container, 'secret.txt', data);
    return { container, blob: 'secret.txt', data };
  }

  function refusal(err: unknown): StorageRequestError {
    expect(err).toBeInstanceOf(StorageRequestError);
    expect((err as StorageRequestError).statusCode).toBe(400);
    expect((err as StorageRequestError).code).toBe('BlobOutsideContainer');
    return err as StorageRequestError;
  }

  it('refuses every operation on a name that leaves the container, before storage sees it', async () => {
    const own = assetContainer();
    await storage.createContainer(own);
    const other = await victim();
    for (const pattern of HOSTILE) {
      const name = pattern.replaceAll('x', `${other.container}/${other.blob}`).replaceAll('b', `${other.container}/${other.blob}`);
      refusal(await storage.getBlob(own, name).catch((e: unknown) => e));
      refusal(await storage.getBlockList(own, name).catch((e: unknown) => e));
      refusal(await storage.readBlob(own, name).catch((e: unknown) => e));
      refusal(await storage.uploadBlob(own, name, Buffer.from('overwritten')).catch((e: unknown) => e));
      refusal(await storage.uploadBlob(own, name, Readable.from([Buffer.from('overwritten')])).catch((e: unknown) => e));
      refusal(await storage.deleteBlob(own, name).catch((e: unknown) => e));
      expect(() => storage.directRead(own, name, 60_000), name).toThrow(StorageRequestError);
    }
    expect(await readAll(await storage.readBlob(other.container, other.blob))).toEqual(other.data);
    expect(await storage.listBlobs(own)).toEqual([]);
  });

  it('an absolute URL or an account path as a name is a blob inside the container, nothing else', async () => {
    const own = assetContainer();
    await storage.createContainer(own);
    const other = await victim();
    const names = [`${storage.containerUrl(other.container)}/${other.blob}`, `https://evil.example/${other.container}/${other.blob}`, `${storage.accountName}/${other.container}/${other.blob}`];
    for (const name of names) await storage.uploadBlob(own, name, Buffer.from('mine'));
    expect((await storage.listBlobs(own)).map((b) => b.name).sort()).toEqual([...names].sort());
    expect(await readAll(await storage.readBlob(other.container, other.blob))).toEqual(other.data);
  });

  it('names Azurite accepts keep working: spaces, Unicode, folders, dots inside a segment, a literal %', async () => {
    const own = assetContainer();
    await storage.createContainer(own);
    const names = ['clip with spaces é.mp4', '日本語/ファイル.ts', 'a/b/c.bin', 'a..b', '.hidden', 'v1.0/..x', '100%', '50%25 off', 'a//b'];
    for (const [i, name] of names.entries()) {
      await storage.uploadBlob(own, name, Buffer.from([i]));
      expect(await readAll(await storage.readBlob(own, name)), name).toEqual(Buffer.from([i]));
      expect((await storage.getBlob(own, name))?.name).toBe(name);
    }
    expect((await storage.listBlobs(own)).map((b) => b.name).sort()).toEqual([...names].sort());
  });

  it('no generated name with path segments reaches a blob outside the container', async () => {
    const own = assetContainer();
    await storage.createContainer(own);
    const other = await victim();
    await fc.assert(
      fc.asyncProperty(namesWithPathSegments([other.container, other.blob]), async ({ name, escapes }) => {
        const outcome = await storage.uploadBlob(own, name, Buffer.from('mine')).then(
          () => 'written',
          (e: unknown) => refusal(e),
        );
        if (escapes) expect(outcome, name).not.toBe('written');
        if (outcome === 'written') expect((await storage.getBlob(own, name))?.name).toBe(name);
        expect(await readAll(await storage.readBlob(other.container, other.blob))).toEqual(other.data);
      }),
      { numRuns: 60 },
    );
  });
});
