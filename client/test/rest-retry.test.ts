import { afterEach, describe, expect, it } from 'vitest';
import {
  AmsClient, AmsNetworkError, AmsRequestError, AmsTimeoutError, backoffDelayMs, parseRetryAfterMs, resolveRetryOptions,
  type RetryOptions,
} from '../src/rest/index.js';
import { assetProperties, KEY_ID, minimalCollection, minimalEntity } from './helpers/ams-json.js';
import { startDroppingProxy, type DroppingProxy } from './helpers/dropping-proxy.js';
import { scripted, sendJson, startTestServer, type Handler, type TestServer } from './helpers/http-server.js';

const closers: Array<() => Promise<void>> = [];
afterEach(async () => {
  await Promise.all(closers.splice(0).map((close) => close()));
});

async function start(handler: Handler): Promise<TestServer> {
  const server = await startTestServer(handler);
  closers.push(() => server.close());
  return server;
}

function clientAt(origin: string, retry: RetryOptions = {}, timeoutMs?: number): AmsClient {
  return new AmsClient({
    endpoint: `${origin}/api/`,
    auth: { kind: 'static', token: 't' },
    retry: { baseDelayMs: 5, maxDelayMs: 50, ...retry },
    ...(timeoutMs ? { timeoutMs } : {}),
  });
}

const busy: Handler = (req, res) =>
  sendJson(res, 503, { 'odata.error': { code: '', message: { lang: 'en-US', value: 'Server is busy.' } } });
const internal: Handler = (req, res) =>
  sendJson(res, 500, { 'odata.error': { code: '', message: { lang: 'en-US', value: 'An error has occurred.' } } });
const assets: Handler = (req, res) => sendJson(res, 200, minimalCollection('x', 'Assets', [assetProperties()]));
const created: Handler = (req, res) => sendJson(res, 201, minimalEntity('x', 'Assets', assetProperties()));
const hang: Handler = () => undefined;

describe('retry rules (.NET MediaErrorDetectionStrategy)', () => {
  it('retries 503 with backoff and succeeds', async () => {
    const server = await start(scripted(busy, busy, assets));
    const list = await clientAt(server.origin).listAssets();
    expect(list).toHaveLength(1);
    expect(server.requests).toHaveLength(3);
  });

  it('retries 408 and 429 even for a POST: the service did not act on them', async () => {
    const server = await start(scripted((req, res) => sendJson(res, 429, {}), (req, res) => sendJson(res, 408, {}), created));
    await clientAt(server.origin).createAsset({ Name: 'x' });
    expect(server.requests.map((r) => r.method)).toEqual(['POST', 'POST', 'POST']);
  });

  it('honours Retry-After over its own backoff', async () => {
    const server = await start(
      scripted((req, res) => sendJson(res, 503, {}, { 'Retry-After': '1' }), assets),
    );
    const started = Date.now();
    await clientAt(server.origin, { baseDelayMs: 1, maxDelayMs: 5_000 }).listAssets();
    expect(Date.now() - started).toBeGreaterThanOrEqual(950);
    expect(server.requests).toHaveLength(2);
  });

  it('does not retry a 500 on a POST that creates an entity', async () => {
    const server = await start(scripted(internal, created));
    const error = await clientAt(server.origin).createAsset({ Name: 'x' }).catch((e: unknown) => e);
    expect(error).toMatchObject({ status: 500, attempts: 1 });
    expect(server.requests).toHaveLength(1);
  });

  it('retries a 500 on a GET', async () => {
    const server = await start(scripted(internal, (req, res) => sendJson(res, 502, {}), (req, res) => sendJson(res, 504, {}), assets));
    await clientAt(server.origin).listAssets();
    expect(server.requests).toHaveLength(4);
  });

  it('stops after maxAttempts and reports the last answer', async () => {
    const server = await start(busy);
    const error = await clientAt(server.origin, { maxAttempts: 3 }).listAssets().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AmsRequestError);
    expect(error).toMatchObject({ status: 503, attempts: 3, serviceMessage: 'Server is busy.' });
    expect(server.requests).toHaveLength(3);
  });

  it('does not retry other client errors', async () => {
    const server = await start((req, res) => sendJson(res, 400, { 'odata.error': { code: '', message: { lang: 'en-US', value: 'bad' } } }));
    await expect(clientAt(server.origin).listAssets()).rejects.toMatchObject({ status: 400 });
    expect(server.requests).toHaveLength(1);
  });

  it('treats a 404 on a DELETE retried after a 500 as done', async () => {
    const server = await start(scripted(internal, (req, res) => sendJson(res, 404, {})));
    await clientAt(server.origin).deleteLocator('nb:lid:UUID:00000000-0000-0000-0000-000000000001');
    expect(server.requests.map((r) => r.method)).toEqual(['DELETE', 'DELETE']);
  });

  it('still reports a 404 on a first DELETE', async () => {
    const server = await start((req, res) => sendJson(res, 404, {}));
    await expect(clientAt(server.origin).deleteLocator('nb:lid:UUID:1')).rejects.toMatchObject({ status: 404 });
  });

  it('retries a ContentKey create (client-chosen Id) and accepts its own key on a 409', async () => {
    const key = {
      Id: KEY_ID, ContentKeyType: 1, EncryptedContentKey: 'WRAPPED', ProtectionKeyId: 'T', ProtectionKeyType: 0, Checksum: 'C',
      Created: '2015-02-04T02:37:46Z', LastModified: '2015-02-04T02:37:46Z',
    };
    const server = await start(
      scripted(internal, (req, res) => sendJson(res, 409, { 'odata.error': { code: '', message: { lang: 'en-US', value: 'duplicate Id' } } }), (req, res) =>
        sendJson(res, 200, minimalEntity('x', 'ContentKeys', key)),
      ),
    );
    const result = await clientAt(server.origin).createContentKey({ Id: KEY_ID, EncryptedContentKey: 'WRAPPED', ContentKeyType: 1, ProtectionKeyId: 'T', Checksum: 'C' });
    expect(result.Id).toBe(KEY_ID);
    expect(server.requests.map((r) => r.method)).toEqual(['POST', 'POST', 'GET']);
  });

  it('reports a 409 on a ContentKey create when the existing key is not ours', async () => {
    const key = { Id: KEY_ID, ContentKeyType: 1, EncryptedContentKey: 'SOMEONE-ELSES', Created: '2015-02-04T02:37:46Z', LastModified: '2015-02-04T02:37:46Z' };
    const server = await start(scripted(internal, (req, res) => sendJson(res, 409, {}), (req, res) => sendJson(res, 200, minimalEntity('x', 'ContentKeys', key))));
    await expect(
      clientAt(server.origin).createContentKey({ Id: KEY_ID, EncryptedContentKey: 'WRAPPED', ContentKeyType: 1, ProtectionKeyId: 'T' }),
    ).rejects.toMatchObject({ status: 409, afterUncertainAttempt: true });
  });
});

describe('timeouts, network failures and aborts', () => {
  it('times out a hung attempt and retries it when idempotent', async () => {
    const server = await start(scripted(hang, assets));
    await clientAt(server.origin, {}, 200).listAssets();
    expect(server.requests).toHaveLength(2);
  });

  it('reports a timeout on a POST without retrying it', async () => {
    const server = await start(scripted(hang, created));
    const error = await clientAt(server.origin, {}, 200).createAsset({ Name: 'x' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AmsTimeoutError);
    expect((error as AmsTimeoutError).timeoutMs).toBe(200);
    expect(server.requests).toHaveLength(1);
  });

  it('gets through a proxy that drops connections, for idempotent calls', async () => {
    const server = await start(assets);
    const proxy: DroppingProxy = await startDroppingProxy(server.origin, 2);
    closers.push(() => proxy.close());
    await clientAt(proxy.origin).listAssets();
    expect(proxy.dropped).toBe(2);
    expect(server.requests).toHaveLength(1);
  });

  it('reports a dropped POST as a network error without retrying it', async () => {
    const server = await start(created);
    const proxy = await startDroppingProxy(server.origin, 1);
    closers.push(() => proxy.close());
    const error = await clientAt(proxy.origin).createAsset({ Name: 'x' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AmsNetworkError);
    expect((error as Error).message).toMatch(/^POST http:.*\/api\/Assets failed before a response arrived/);
    expect(server.requests).toHaveLength(0);
  });

  it('gives up with a network error after maxAttempts drops', async () => {
    const server = await start(assets);
    const proxy = await startDroppingProxy(server.origin, 100);
    closers.push(() => proxy.close());
    await expect(clientAt(proxy.origin, { maxAttempts: 3 }).listAssets()).rejects.toBeInstanceOf(AmsNetworkError);
    expect(proxy.dropped).toBe(3);
  });

  it('stops at once when aborted during a backoff wait', async () => {
    const server = await start((req, res) => sendJson(res, 503, {}, { 'Retry-After': '30' }));
    const controller = new AbortController();
    const started = Date.now();
    setTimeout(() => controller.abort(), 100);
    const error = await clientAt(server.origin, { maxDelayMs: 60_000 })
      .listAssets(undefined, { signal: controller.signal })
      .catch((e: unknown) => e);
    expect((error as Error).name).toBe('AbortError');
    expect(Date.now() - started).toBeLessThan(2_000);
    expect(server.requests).toHaveLength(1);
  });

  it('stops at once when aborted while a request is in flight, with the caller\'s reason', async () => {
    const server = await start(hang);
    const controller = new AbortController();
    const reason = new Error('user pressed ctrl-c');
    setTimeout(() => controller.abort(reason), 100);
    const started = Date.now();
    await expect(clientAt(server.origin).listAssets(undefined, { signal: controller.signal })).rejects.toBe(reason);
    expect(Date.now() - started).toBeLessThan(2_000);
    expect(server.requests).toHaveLength(1);
  });

  it('sends nothing when the signal is already aborted', async () => {
    const server = await start(assets);
    await expect(clientAt(server.origin).listAssets(undefined, { signal: AbortSignal.abort() })).rejects.toMatchObject({ name: 'AbortError' });
    expect(server.requests).toHaveLength(0);
  });
});

describe('backoff arithmetic', () => {
  it('draws full jitter under an exponentially growing ceiling, capped', () => {
    const options = resolveRetryOptions({ baseDelayMs: 100, maxDelayMs: 1_000, random: () => 0.999999 });
    expect([1, 2, 3, 4, 5].map((n) => backoffDelayMs(n, options))).toEqual([99, 199, 399, 799, 999]);
    expect(backoffDelayMs(3, { ...options, random: () => 0 })).toBe(0);
  });

  it('reads Retry-After as seconds or as an HTTP date', () => {
    const now = Date.parse('Wed, 21 Oct 2015 07:28:00 GMT');
    expect(parseRetryAfterMs('120', now)).toBe(120_000);
    expect(parseRetryAfterMs('Wed, 21 Oct 2015 07:28:30 GMT', now)).toBe(30_000);
    expect(parseRetryAfterMs('soon', now)).toBeUndefined();
    expect(parseRetryAfterMs(null, now)).toBeUndefined();
  });

  it('refuses a nonsensical attempt count', () => {
    expect(() => resolveRetryOptions({ maxAttempts: 0 })).toThrow(RangeError);
  });
});
