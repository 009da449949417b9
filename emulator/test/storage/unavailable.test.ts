import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer as createHttpServer } from 'node:http';
import { createServer as createNetServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { startEmbeddedAzurite, type StartedEmbeddedAzurite } from '../../src/storage/azurite.js';
import { createBlobStorage } from '../../src/storage/blob-storage.js';
import { azuriteConnectionString } from '../../src/storage/connection-string.js';
import { StorageRequestError, StorageUnavailableError, type BlobStorage } from '../../src/storage/types.js';
import { withinMs } from '../../../test/support/timing.js';

const cleanups: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function azuriteOn(options: { port?: number; location?: string } = {}): Promise<StartedEmbeddedAzurite> {
  const azurite = await startEmbeddedAzurite({ port: 0, memoryLimitBytes: 256 * 1024 * 1024, ...options });
  cleanups.push(() => azurite.stop());
  return azurite;
}

/** Every method of the contract that reaches storage, with arguments that would succeed. */
function everyCall(storage: BlobStorage): Array<[string, () => Promise<unknown>]> {
  const expiresOn = new Date(Date.now() + 3_600_000);
  return [
    ['ping', () => storage.ping()],
    ['createContainer', () => storage.createContainer('asset-new')],
    ['deleteContainer', () => storage.deleteContainer('asset-down')],
    ['deleteContainersWithPrefix', () => storage.deleteContainersWithPrefix('asset-')],
    ['containerExists', () => storage.containerExists('asset-down')],
    ['listBlobs', () => storage.listBlobs('asset-down')],
    ['getBlob', () => storage.getBlob('asset-down', 'kept.bin')],
    ['readBlob', () => storage.readBlob('asset-down', 'kept.bin', 10, 100)],
    ['readBlob count 0', () => storage.readBlob('asset-down', 'kept.bin', 0, 0)],
    ['uploadBlob buffer', () => storage.uploadBlob('asset-down', 'new.bin', Buffer.from('x'))],
    ['uploadBlob stream', () => storage.uploadBlob('asset-down', 'new.bin', Readable.from([randomBytes(5 * 1024 * 1024)]))],
    ['deleteBlob', () => storage.deleteBlob('asset-down', 'kept.bin')],
    ['createContainerSas', () => storage.createContainerSas('asset-down', { identifier: 'late', permissions: 'r', expiresOn })],
    ['removeStoredPolicy', () => storage.removeStoredPolicy('asset-down', 'early')],
  ];
}

async function expectAllUnavailable(storage: BlobStorage, message: RegExp, boundMs: number): Promise<void> {
  for (const [name, call] of everyCall(storage)) {
    const t0 = Date.now();
    const err = await call().then(
      () => undefined,
      (e: unknown) => e,
    );
    const elapsed = Date.now() - t0;
    expect(err, name).toBeInstanceOf(StorageUnavailableError);
    expect((err as Error).message, name).toMatch(message);
    expect(elapsed, name).toBeLessThan(withinMs(boundMs));
  }
}

describe('storage going away', () => {
  it('fails every call fast with StorageUnavailableError, and recovers when Azurite comes back on the same port', async () => {
    const location = await mkdtemp(join(tmpdir(), 'ams-azurite-down-'));
    cleanups.push(() => rm(location, { recursive: true, force: true }));
    const first = await azuriteOn({ location });
    const storage = createBlobStorage(first.connectionString);
    const data = randomBytes(1024 * 1024);
    await storage.createContainer('asset-down');
    await storage.uploadBlob('asset-down', 'kept.bin', data);
    const sas = await storage.createContainerSas('asset-down', { identifier: 'early', permissions: 'r', expiresOn: new Date(Date.now() + 3_600_000) });

    await first.stop();
    const endpoint = first.blobEndpoint.replace(/[.]/g, '\\.');
    await expectAllUnavailable(storage, new RegExp(`^storage at ${endpoint} is unreachable \\((ECONNREFUSED|ECONNRESET)\\)`), 3_000);

    await azuriteOn({ location, port: first.port });
    await storage.ping();
    expect(await storage.getBlob('asset-down', 'kept.bin')).toMatchObject({ size: data.length });
    const chunks: Buffer[] = [];
    for await (const chunk of await storage.readBlob('asset-down', 'kept.bin')) chunks.push(chunk as Buffer);
    expect(Buffer.concat(chunks).equals(data)).toBe(true);
    const viaSas = await fetch(`${storage.containerUrl('asset-down')}/kept.bin${sas}`);
    expect(viaSas.status).toBe(200);
  });

  it('surfaces storage dying mid-read as an error event on the stream, not an unhandled rejection', async () => {
    const azurite = await azuriteOn();
    const storage = createBlobStorage(azurite.connectionString);
    const size = 32 * 1024 * 1024;
    await storage.createContainer('asset-midstream');
    await storage.uploadBlob('asset-midstream', 'big.bin', Readable.from([randomBytes(size)]));

    const stream = await storage.readBlob('asset-midstream', 'big.bin');
    const failed = new Promise<unknown>((resolve) => stream.once('error', resolve));
    let received = 0;
    const firstChunk = new Promise((resolve) => stream.once('data', resolve));
    stream.on('data', (chunk: Buffer) => {
      received += chunk.length;
    });
    await firstChunk;
    stream.pause();
    await azurite.stop();
    stream.resume();

    const err = await failed;
    expect(err).toBeInstanceOf(StorageUnavailableError);
    expect((err as Error).message).toContain(azurite.blobEndpoint);
    expect(received).toBeLessThan(size);
  });
});

describe('storage answering badly', () => {
  it('maps 5xx answers to StorageUnavailableError naming the status', async () => {
    const server = createHttpServer((req, res) => {
      req.resume();
      res.writeHead(503, { 'content-type': 'application/xml', 'x-ms-error-code': 'ServerBusy' });
      res.end('<?xml version="1.0" encoding="utf-8"?><Error><Code>ServerBusy</Code><Message>The server is busy.</Message></Error>');
    });
    const url = await listenOnLoopback(server);
    cleanups.push(() => closeServer(server));
    const storage = createBlobStorage(azuriteConnectionString(url));
    await expectAllUnavailable(storage, /is failing \(503 ServerBusy/, 3_000);
  });

  it('aborts a try that gets no answer within requestTimeoutMs', async () => {
    const sockets: Socket[] = [];
    const server = createNetServer((socket) => sockets.push(socket));
    const url = await listenOnLoopback(server);
    cleanups.push(async () => {
      for (const socket of sockets) socket.destroy();
      await closeServer(server);
    });
    const storage = createBlobStorage(azuriteConnectionString(url), { requestTimeoutMs: 300 });
    const t0 = Date.now();
    await expect(storage.ping()).rejects.toMatchObject({ name: 'StorageUnavailableError', message: `storage at ${url}/devstoreaccount1 is unreachable (no answer within 300 ms)` });
    expect(Date.now() - t0).toBeLessThan(withinMs(2_000));
    await expect(storage.getBlob('asset-x', 'f.bin')).rejects.toBeInstanceOf(StorageUnavailableError);
  });

  it('maps a connection the server drops (socket hang up) to StorageUnavailableError', async () => {
    const server = createNetServer((socket) => socket.destroy());
    const url = await listenOnLoopback(server);
    cleanups.push(() => closeServer(server));
    const storage = createBlobStorage(azuriteConnectionString(url));
    const err = await storage.ping().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StorageUnavailableError);
    expect((err as Error).message).toMatch(/unreachable \((ECONNRESET|socket hang up)/);
  });

  it('maps a host that does not resolve to StorageUnavailableError', async () => {
    const storage = createBlobStorage(azuriteConnectionString('http://no-such-host.invalid:10000'), { requestTimeoutMs: 3_000 });
    const err = await storage.ping().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StorageUnavailableError);
    expect((err as Error).message).toMatch(/^storage at http:\/\/no-such-host\.invalid:10000\/devstoreaccount1 is unreachable/);
  });

  it('maps a refused signature (wrong key) to StorageRequestError 403, not an outage', async () => {
    const azurite = await azuriteOn();
    const wrongKey = Buffer.alloc(64, 1).toString('base64');
    const storage = createBlobStorage(azuriteConnectionString(azurite.url, 'devstoreaccount1', wrongKey));
    const err = await storage.ping().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StorageRequestError);
    expect((err as StorageRequestError).statusCode).toBe(403);
    expect((err as Error).message).toContain(azurite.blobEndpoint);
  });
});

function listenOnLoopback(server: Server | ReturnType<typeof createHttpServer>): Promise<string> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve(`http://127.0.0.1:${(server.address() as { port: number }).port}`));
  });
}

function closeServer(server: Server | ReturnType<typeof createHttpServer>): Promise<void> {
  if ('closeAllConnections' in server) server.closeAllConnections();
  return new Promise((resolve) => server.close(() => resolve()));
}
