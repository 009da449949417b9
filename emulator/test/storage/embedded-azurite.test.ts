import { randomBytes, randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm, stat } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough, type Readable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { AZURITE_DISK_LAYOUT, startEmbeddedAzurite, type StartedEmbeddedAzurite, type StartEmbeddedAzuriteOptions } from '../../src/storage/azurite.js';
import { createBlobStorage } from '../../src/storage/blob-storage.js';
import { StorageRequestError } from '../../src/storage/types.js';

const started: StartedEmbeddedAzurite[] = [];
const cleanups: Array<() => Promise<unknown>> = [];

async function start(options: StartEmbeddedAzuriteOptions = {}): Promise<StartedEmbeddedAzurite> {
  const azurite = await startEmbeddedAzurite({ port: 0, memoryLimitBytes: 256 * 1024 * 1024, ...options });
  started.push(azurite);
  return azurite;
}

async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'ams-azurite-test-'));
  cleanups.push(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

afterEach(async () => {
  await Promise.all(started.splice(0).map((a) => a.stop()));
  await Promise.all(cleanups.splice(0).map((c) => c()));
});

async function readAll(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/** What Azurite would drop in the working directory if a path were left relative. */
async function azuriteLitterInCwd(): Promise<string[]> {
  return (await readdir(process.cwd())).filter((name) => name.startsWith('__azurite') || name === '__blobstorage__' || /^(debug|access)\.log$/.test(name));
}

function listen(port = 0): Promise<Server> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve(server));
  });
}

function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => server.close(() => resolve()));
}

describe('startEmbeddedAzurite', () => {
  it('listens on a free port when asked for port 0 and reports the real URL and connection string', async () => {
    const azurite = await start();
    expect(azurite.port).toBeGreaterThan(0);
    expect(azurite.url).toBe(`http://127.0.0.1:${azurite.port}`);
    expect(azurite.blobEndpoint).toBe(`${azurite.url}/devstoreaccount1`);
    expect(azurite.connectionString).toContain(`BlobEndpoint=${azurite.blobEndpoint};`);
    expect(azurite.location).toBeUndefined();
    await createBlobStorage(azurite.connectionString).ping();
  });

  it('advertises loopback when listening on every interface', async () => {
    const azurite = await start({ host: '0.0.0.0' });
    expect(azurite.host).toBe('0.0.0.0');
    expect(azurite.url).toBe(`http://127.0.0.1:${azurite.port}`);
    await createBlobStorage(azurite.connectionString).ping();
  });

  it('refuses a port in use with a clear error, and leaves the other server running', async () => {
    const first = await start();
    const err = await startEmbeddedAzurite({ port: first.port }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Error);
    expect((err as Error).message).toMatch(new RegExp(`^port ${first.port} is in use: `));
    expect(((err as Error).cause as { code?: string }).code).toBe('EADDRINUSE');
    await createBlobStorage(first.connectionString).ping();

    const squatter = await listen();
    try {
      const port = (squatter.address() as { port: number }).port;
      await expect(startEmbeddedAzurite({ port })).rejects.toThrow(`port ${port} is in use`);
    } finally {
      await closeServer(squatter);
    }
  });

  it('keeps two in-memory servers isolated: stopping one leaves the bytes of the other', async () => {
    const a = await start();
    const b = await start();
    const storageA = createBlobStorage(a.connectionString);
    const storageB = createBlobStorage(b.connectionString);
    const bytesA = randomBytes(200_000);
    const bytesB = randomBytes(300_000);
    for (const [storage, bytes] of [
      [storageA, bytesA],
      [storageB, bytesB],
    ] as const) {
      await storage.createContainer('asset-shared-name');
      await storage.uploadBlob('asset-shared-name', 'file.bin', bytes);
    }
    expect((await readAll(await storageA.readBlob('asset-shared-name', 'file.bin'))).equals(bytesA)).toBe(true);

    await a.stop();
    expect((await readAll(await storageB.readBlob('asset-shared-name', 'file.bin'))).equals(bytesB)).toBe(true);
    expect(await storageB.listBlobs('asset-shared-name')).toHaveLength(1);
  });

  it('frees the port on stop, even with a client keeping a connection alive; stop is idempotent', async () => {
    const azurite = await start();
    const storage = createBlobStorage(azurite.connectionString);
    await storage.createContainer('asset-keepalive');
    await storage.uploadBlob('asset-keepalive', 'f.bin', randomBytes(10 * 1024 * 1024));
    const reading = await storage.readBlob('asset-keepalive', 'f.bin');
    reading.on('error', () => undefined);
    const t0 = Date.now();
    await azurite.stop();
    await azurite.stop();
    expect(Date.now() - t0).toBeLessThan(2_000);
    const server = await listen(azurite.port);
    await closeServer(server);
  });

  it('persists on disk under location only, and a new server on the same location and port sees the data', async () => {
    const location = join(await tempDir(), 'nested', 'azurite');
    const cwdBefore = await azuriteLitterInCwd();
    const first = await start({ location });
    expect(first.location).toBe(location);
    const storage = createBlobStorage(first.connectionString);
    const data = randomBytes(500_000);
    await storage.createContainer('asset-disk');
    await storage.uploadBlob('asset-disk', 'kept.bin', data, 'video/mp4');
    const port = first.port;
    await first.stop();

    expect(existsSync(join(location, AZURITE_DISK_LAYOUT.metadataDb))).toBe(true);
    expect(existsSync(join(location, AZURITE_DISK_LAYOUT.extentDb))).toBe(true);
    expect((await readdir(join(location, AZURITE_DISK_LAYOUT.extentDir))).length).toBeGreaterThan(0);
    expect(await azuriteLitterInCwd()).toEqual(cwdBefore);

    const second = await start({ location, port });
    expect(second.url).toBe(first.url);
    expect(await storage.getBlob('asset-disk', 'kept.bin')).toMatchObject({ size: data.length, contentType: 'video/mp4' });
    expect((await readAll(await storage.readBlob('asset-disk', 'kept.bin'))).equals(data)).toBe(true);
  });

  it('writes nothing to disk in memory mode', async () => {
    const cwdBefore = await azuriteLitterInCwd();
    const tmpBefore = (await readdir(tmpdir())).filter((n) => n.startsWith('ams-emulator-azurite-memory-'));
    const azurite = await start();
    const storage = createBlobStorage(azurite.connectionString);
    await storage.createContainer('asset-mem');
    await storage.uploadBlob('asset-mem', 'f.bin', randomBytes(1000));
    await azurite.stop();
    expect(await azuriteLitterInCwd()).toEqual(cwdBefore);
    expect((await readdir(tmpdir())).filter((n) => n.startsWith('ams-emulator-azurite-memory-'))).toEqual(tmpBefore);
  });

  it('enforces the memory limit as a storage request error', async () => {
    const azurite = await start({ memoryLimitBytes: 64 * 1024 });
    const storage = createBlobStorage(azurite.connectionString);
    await storage.createContainer('asset-small');
    await storage.uploadBlob('asset-small', 'fits.bin', randomBytes(32 * 1024));
    const err = await storage.uploadBlob('asset-small', 'too-big.bin', randomBytes(64 * 1024)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StorageRequestError);
    expect(err).toMatchObject({ statusCode: 409 });
  });

  it('accepts any x-ms-version by default, and only Azurite-known versions with skipApiVersionCheck off', async () => {
    const lenient = await start();
    const strict = await start({ skipApiVersionCheck: false });
    const statusFor = async (azurite: StartedEmbeddedAzurite) => {
      const storage = createBlobStorage(azurite.connectionString);
      const container = `asset-${randomUUID()}`;
      await storage.createContainer(container);
      const sas = await storage.createContainerSas(container, { identifier: 'reader', permissions: 'rl', expiresOn: new Date(Date.now() + 3_600_000) });
      const response = await fetch(`${storage.containerUrl(container)}${sas}&restype=container&comp=list`, { headers: { 'x-ms-version': '2099-01-01' } });
      return response.status;
    };
    expect(await statusFor(lenient)).toBe(200);
    expect(await statusFor(strict)).toBe(400);
  });

  it('writes an access log only to the stream it is given', async () => {
    const log = new PassThrough();
    let text = '';
    log.on('data', (chunk: Buffer) => (text += chunk.toString()));
    const azurite = await start({ accessLog: log });
    await createBlobStorage(azurite.connectionString).createContainer('asset-logged');
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(text).toMatch(/PUT \/devstoreaccount1\/asset-logged\?restype=container/);
  });

  it('writes the debug log to the file it is given, and stops logging when that server stops', async () => {
    const file = join(await tempDir(), 'azurite-debug.log');
    const azurite = await start({ debugLogFile: file });
    await createBlobStorage(azurite.connectionString).createContainer('asset-debugged');
    await waitFor(async () => existsSync(file) && (await stat(file)).size > 0);
    expect(await readFile(file, 'utf8')).toContain('asset-debugged');
    await azurite.stop();

    await new Promise((resolve) => setTimeout(resolve, 200));
    const sizeAfterStop = (await stat(file)).size;
    const quiet = await start();
    await createBlobStorage(quiet.connectionString).createContainer('asset-not-logged');
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect((await stat(file)).size).toBe(sizeAfterStop);
  });

  it('signs with the first AZURITE_ACCOUNTS account, which replaces devstoreaccount1', async () => {
    const key = randomBytes(64).toString('base64');
    const saved = process.env.AZURITE_ACCOUNTS;
    process.env.AZURITE_ACCOUNTS = `mediaacct:${key};other:${randomBytes(64).toString('base64')}`;
    let azurite: StartedEmbeddedAzurite;
    try {
      azurite = await start();
    } finally {
      if (saved === undefined) delete process.env.AZURITE_ACCOUNTS;
      else process.env.AZURITE_ACCOUNTS = saved;
    }
    expect(azurite.accountName).toBe('mediaacct');
    expect(azurite.blobEndpoint).toBe(`${azurite.url}/mediaacct`);
    expect(azurite.connectionString).toContain(`AccountKey=${key};`);
    const storage = createBlobStorage(azurite.connectionString);
    await storage.createContainer('asset-custom-account');
    expect(await storage.containerExists('asset-custom-account')).toBe(true);
  });

  it('rejects an impossible port before loading anything', async () => {
    await expect(startEmbeddedAzurite({ port: 70_000 })).rejects.toThrow(RangeError);
  });
});

async function waitFor(condition: () => Promise<boolean>, timeoutMs = 3_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}
