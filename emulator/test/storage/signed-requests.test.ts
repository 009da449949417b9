import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createNetServer, type Server as NetServer, type Socket } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createBlobStorage } from '../../src/storage/blob-storage.js';
import { azuriteConnectionString } from '../../src/storage/connection-string.js';
import { StorageRequestError, StorageUnavailableError } from '../../src/storage/types.js';
import { startTestAzurite, type TestAzurite } from '../../../test/support/azurite.js';
import { withinMs } from '../../../test/support/timing.js';

/**
 * createContainer goes straight to storage with its own Shared Key signature (signed-requests.ts)
 * rather than through the SDK: it must be accepted by Azurite, and keep the SDK pipeline's
 * contract when storage refuses, fails or stays silent, and its proxy when one is configured.
 */

let azurite: TestAzurite;
beforeAll(async () => {
  azurite = await startTestAzurite();
});
afterAll(() => azurite.stop());

const cleanups: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** A server on loopback that answers every request with `answer`, recording what it was asked. */
async function fakeStorage(answer: (req: IncomingMessage, res: ServerResponse) => void): Promise<{ url: string; requests: IncomingMessage[] }> {
  const requests: IncomingMessage[] = [];
  const server = createServer((req, res) => {
    requests.push(req);
    req.resume();
    answer(req, res);
  });
  const url = await listen(server);
  cleanups.push(() => close(server));
  return { url, requests };
}

describe('createContainer, signed without the SDK', () => {
  it('is accepted by Azurite (Shared Key on path-style URLs) and is idempotent', async () => {
    const storage = createBlobStorage(azurite.connectionString);
    const name = `asset-${Date.now().toString(36)}-signed`;
    await storage.createContainer(name);
    await storage.createContainer(name);
    expect(await storage.containerExists(name)).toBe(true);
    await storage.deleteContainer(name);
  });

  it('is refused with 403 under a wrong account key: a request error naming the endpoint, not an outage', async () => {
    const wrongKey = Buffer.alloc(64, 1).toString('base64');
    const storage = createBlobStorage(azuriteConnectionString(azurite.url, 'devstoreaccount1', wrongKey));
    const err = await storage.createContainer('asset-wrong-key').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StorageRequestError);
    expect((err as StorageRequestError).statusCode).toBe(403);
    expect((err as StorageRequestError).code).toBe('AuthorizationFailure');
    expect((err as Error).message).toContain(storage.blobEndpoint);
  });

  it('signs what it sends: the Authorization header is a SharedKey for the account over x-ms-date', async () => {
    const fake = await fakeStorage((_req, res) => res.writeHead(201).end());
    const storage = createBlobStorage(azuriteConnectionString(fake.url));
    await storage.createContainer('asset-seen');
    const [req] = fake.requests;
    expect(req?.method).toBe('PUT');
    expect(req?.url).toBe('/devstoreaccount1/asset-seen?restype=container');
    expect(req?.headers['authorization']).toMatch(/^SharedKey devstoreaccount1:[A-Za-z0-9+/]{43}=$/);
    expect(Date.parse(String(req?.headers['x-ms-date']))).toBeGreaterThan(Date.now() - 60_000);
  });

  it('tries three times while storage answers 503, then is unavailable with its code', async () => {
    const fake = await fakeStorage((_req, res) => {
      res.writeHead(503, { 'content-type': 'application/xml', 'x-ms-error-code': 'ServerBusy' });
      res.end('<?xml version="1.0" encoding="utf-8"?><Error><Code>ServerBusy</Code><Message>The server is busy.</Message></Error>');
    });
    const storage = createBlobStorage(azuriteConnectionString(fake.url));
    const err = await storage.createContainer('asset-busy').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StorageUnavailableError);
    expect((err as Error).message).toBe(`storage at ${fake.url}/devstoreaccount1 is failing (503 ServerBusy: The server is busy.)`);
    expect(fake.requests).toHaveLength(3);
  });

  it('does not take a container being deleted (409 ContainerBeingDeleted) for one that exists', async () => {
    const fake = await fakeStorage((_req, res) => {
      res.writeHead(409, { 'x-ms-error-code': 'ContainerBeingDeleted' });
      res.end('<?xml version="1.0" encoding="utf-8"?><Error><Code>ContainerBeingDeleted</Code><Message>The specified container is being deleted.</Message></Error>');
    });
    const storage = createBlobStorage(azuriteConnectionString(fake.url));
    const err = await storage.createContainer('asset-going').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StorageRequestError);
    expect(err).toMatchObject({ statusCode: 409, code: 'ContainerBeingDeleted' });
    expect(fake.requests).toHaveLength(1);
  });

  it('aborts a try without an answer within requestTimeoutMs, and gives up after maxTries', async () => {
    const sockets: Socket[] = [];
    const silent = createNetServer((socket) => sockets.push(socket));
    const url = await listen(silent);
    cleanups.push(async () => {
      for (const socket of sockets) socket.destroy();
      await close(silent);
    });
    const storage = createBlobStorage(azuriteConnectionString(url), { requestTimeoutMs: 300, maxTries: 2 });
    const t0 = Date.now();
    const err = await storage.createContainer('asset-silent').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StorageUnavailableError);
    expect((err as Error).message).toBe(`storage at ${url}/devstoreaccount1 is unreachable (no answer within 300 ms)`);
    expect(sockets).toHaveLength(2);
    expect(Date.now() - t0).toBeLessThan(withinMs(2_000));
  });

  it('goes through the proxy the environment names, as the SDK would, instead of around it', async () => {
    const proxy = await fakeStorage((_req, res) => res.writeHead(201).end());
    const saved = process.env['HTTP_PROXY'];
    process.env['HTTP_PROXY'] = proxy.url;
    try {
      const storage = createBlobStorage(azuriteConnectionString('http://storage.invalid:10000'));
      await storage.createContainer('asset-proxied');
    } finally {
      if (saved === undefined) delete process.env['HTTP_PROXY'];
      else process.env['HTTP_PROXY'] = saved;
    }
    expect(proxy.requests.map((req) => req.url)).toContainEqual(expect.stringMatching(/^http:\/\/storage\.invalid:10000\/devstoreaccount1\/asset-proxied\?restype=container$/));
  });
});

function listen(server: Server | NetServer): Promise<string> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve(`http://127.0.0.1:${(server.address() as { port: number }).port}`));
  });
}

function close(server: Server | NetServer): Promise<void> {
  if ('closeAllConnections' in server) server.closeAllConnections();
  return new Promise((resolve) => server.close(() => resolve()));
}
