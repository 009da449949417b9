import { createServer, request as httpRequest, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_LIMITS } from '../../src/config.js';
import { startTestAzurite, type TestAzurite } from '../../../test/support/azurite.js';
import { entityPath, startTestEmulator, type TestEmulator } from '../../../test/support/emulator.js';
import { odataErrorFormat } from '../helpers/fuzz-oracle.js';
import { send } from '../helpers/fuzz-wire.js';
import { mp4Like, uploadFile } from '../helpers/upload-workflow.js';
import { withinMs } from '../../../test/support/timing.js';

/**
 * The request timeout (`limits.requestTimeoutMs`) and the verification timeout
 * (`limits.verifyTimeoutMs`), made to fire deterministically: an injected fault's latency, and a
 * storage proxy that holds the answers it is told to hold. Nothing hangs: the request is answered
 * 503 at its deadline, the verification is recorded as timed out at its own.
 */

/** An HTTP proxy in front of Azurite that holds an answer for `holdMs(req)` milliseconds before passing it on. */
interface SlowStorage {
  connectionString: string;
  holdMs: (req: IncomingMessage) => number;
  close(): Promise<void>;
}

async function slowStorage(azurite: TestAzurite): Promise<SlowStorage> {
  const upstream = new URL(azurite.url);
  const proxy: SlowStorage = { connectionString: '', holdMs: () => 0, close: async () => undefined };
  const server: Server = createServer((req, res) => {
    const hold = proxy.holdMs(req);
    const forward = httpRequest({ host: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers: req.headers }, (answer) => {
      setTimeout(() => {
        if (res.destroyed) return answer.resume();
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      }, hold);
    });
    forward.on('error', () => res.destroy());
    req.pipe(forward);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  proxy.connectionString = azurite.connectionString.replace(/BlobEndpoint=[^;]+/, `BlobEndpoint=http://127.0.0.1:${port}/devstoreaccount1`);
  proxy.close = () =>
    new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    });
  return proxy;
}

const REQUEST_TIMEOUT_MS = 600;
const VERIFY_TIMEOUT_MS = 800;

let azurite: TestAzurite;
let storage: SlowStorage;
let emu: TestEmulator;
const logged: string[] = [];
const writeStderr = process.stderr.write.bind(process.stderr);

beforeAll(async () => {
  process.stderr.write = ((chunk: string | Uint8Array, ...rest: unknown[]) => {
    const text = typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8');
    if (text.startsWith('ams-emulator:')) logged.push(text);
    return (writeStderr as (...args: unknown[]) => boolean)(chunk, ...rest);
  }) as typeof process.stderr.write;
  azurite = await startTestAzurite();
  storage = await slowStorage(azurite);
  emu = await startTestEmulator({ storageConnectionString: storage.connectionString, limits: { ...DEFAULT_LIMITS, requestTimeoutMs: REQUEST_TIMEOUT_MS, verifyTimeoutMs: VERIFY_TIMEOUT_MS } });
});
afterAll(async () => {
  process.stderr.write = writeStderr;
  await emu?.close();
  await storage?.close();
  await azurite?.stop();
});
afterEach(async () => {
  storage.holdMs = () => 0;
  await fetch(`${emu.baseUrl}_emulator/faults`, { method: 'DELETE', headers: { 'X-AMS-Emulator': '1' } });
});

const AMS: [string, string][] = [
  ['Authorization', 'Bearer t'],
  ['x-ms-version', '2.19'],
];

async function timed<T>(work: () => Promise<T>): Promise<{ value: T; ms: number }> {
  const started = performance.now();
  const value = await work();
  return { value, ms: performance.now() - started };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('request timeout (limits.requestTimeoutMs)', () => {
  it('a request held longer than the timeout (an injected latency) is answered 503 at the deadline, in the requested format', async () => {
    const rule = await fetch(`${emu.baseUrl}_emulator/faults`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ entity: 'Assets', method: 'GET', latencyMs: 3_000 }) });
    expect(rule.status).toBe(201);
    const { value: res, ms } = await timed(() => send(emu.baseUrl, { method: 'GET', target: '/api/Assets', headers: [...AMS, ['Accept', 'application/atom+xml']] }));
    expect(res.status).toBe(503);
    expect(ms).toBeGreaterThanOrEqual(REQUEST_TIMEOUT_MS - 50);
    expect(ms).toBeLessThan(withinMs(2_500));
    expect(res.headers['retry-after']).toBe('1');
    expect(res.headers['connection']).toBe('close');
    expect(odataErrorFormat(res.body.toString('utf8'), res.headers['content-type'] ?? '')).toBe('atom');
    expect(res.body.toString('utf8')).toContain(`did not complete within ${REQUEST_TIMEOUT_MS} ms`);
    // The held request lets go later: nothing fails, nothing is logged, others are served meanwhile.
    const other = await send(emu.baseUrl, { method: 'GET', target: '/api/AccessPolicies', headers: AMS });
    expect(other.status).toBe(200);
    await sleep(3_000);
    expect(logged).toEqual([]);
  });

  it('a request waiting on slow storage is answered 503 at the deadline; storage answers later and the work completes', async () => {
    storage.holdMs = (req) => (req.method === 'PUT' && /restype=container/.test(req.url ?? '') ? 2_000 : 0);
    const { value: res, ms } = await timed(() => send(emu.baseUrl, { method: 'POST', target: '/api/Assets', headers: [...AMS, ['Content-Type', 'application/json']], body: Buffer.from('{"Name":"slow"}') }));
    expect(res.status).toBe(503);
    expect(ms).toBeLessThan(withinMs(1_800));
    expect(odataErrorFormat(res.body.toString('utf8'), res.headers['content-type'] ?? '')).toBe('json-minimal');
    storage.holdMs = () => 0;
    await sleep(2_000);
    const list = await emu.ams('GET', "Assets?$filter=Name eq 'slow'");
    expect(list.status).toBe(200);
    expect(list.body.value).toHaveLength(1);
    expect(logged).toEqual([]);
  });

  it('covers a $batch as a whole', async () => {
    await fetch(`${emu.baseUrl}_emulator/faults`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ path: '$batch', latencyMs: 2_000 }) });
    const body = ['--b', 'Content-Type: application/http', '', 'GET /api/Assets HTTP/1.1', '', '', '--b--', ''].join('\r\n');
    const res = await send(emu.baseUrl, { method: 'POST', target: '/api/$batch', headers: [...AMS, ['Content-Type', 'multipart/mixed; boundary=b']], body: Buffer.from(body) });
    expect(res.status).toBe(503);
    await sleep(2_000);
    expect(logged).toEqual([]);
  });

  it('does not cut requests that finish in time, nor the emulator endpoints that wait on purpose', async () => {
    const quick = await send(emu.baseUrl, { method: 'GET', target: '/api/Assets', headers: AMS });
    expect(quick.status).toBe(200);
    const { value: waited, ms } = await timed(() => fetch(`${emu.baseUrl}_emulator/verifications?wait=1`));
    expect(waited.status).toBe(200);
    expect(ms).toBeLessThan(withinMs(2_000));
  });
});

describe('verification timeout (limits.verifyTimeoutMs)', () => {
  it('a verification that runs longer than the timeout is recorded as timed out, not left pending', async () => {
    const upload = await uploadFile(emu, { data: mp4Like(100_000), name: 'slow.mp4' });
    // Reading the blob back now takes far longer than the verification may.
    storage.holdMs = (req) => (req.method === 'GET' && /slow\.mp4/.test(req.url ?? '') ? 5_000 : 0);
    const { value: res, ms } = await timed(() => fetch(`${emu.baseUrl}_emulator/files/${encodeURIComponent(upload.fileId)}/verify?wait=10`, { method: 'POST', headers: { 'X-AMS-Emulator': '1' } }));
    expect(res.status).toBe(200);
    const verification = (await res.json()) as { status: string; reasonCode: string; reason: string };
    expect(verification).toMatchObject({ status: 'skipped', reasonCode: 'timed-out' });
    expect(verification.reason).toContain(`${VERIFY_TIMEOUT_MS} ms`);
    expect(ms).toBeLessThan(withinMs(4_000));
    // Storage fast again: verifying again gives the real result.
    storage.holdMs = () => 0;
    const again = (await (await fetch(`${emu.baseUrl}_emulator/files/${encodeURIComponent(upload.fileId)}/verify?wait=10`, { method: 'POST', headers: { 'X-AMS-Emulator': '1' } })).json()) as { status: string };
    expect(again.status).toBe('verified');
    const file = await emu.ams('GET', entityPath('Files', upload.fileId));
    expect(file.status).toBe(200);
    expect(logged).toEqual([]);
  });
});
