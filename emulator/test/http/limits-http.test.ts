import { connect } from 'node:net';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestEmulator, type TestEmulator } from '../../../test/support/emulator.js';
import { DEFAULT_LIMITS } from '../../src/config.js';
import { odataErrorFormat } from '../helpers/fuzz-oracle.js';
import { send, type WireRequest, type WireResponse } from '../helpers/fuzz-wire.js';

/**
 * Limits at the HTTP layer, each a clear 4xx (for a head Node refuses, its status, a plain-text
 * reason and a close), with the emulator serving on afterwards: the request body, the request head.
 */
let emu: TestEmulator;
const BODY_LIMIT = 64 * 1024;
beforeAll(async () => {
  emu = await startTestEmulator({ limits: { ...DEFAULT_LIMITS, maxBodyBytes: BODY_LIMIT } });
});
afterAll(() => emu.close());

const AMS: [string, string][] = [
  ['Authorization', 'Bearer t'],
  ['x-ms-version', '2.19'],
];

function post(target: string, body: Buffer, headers: [string, string][] = []): WireRequest {
  return { method: 'POST', target, headers: [...AMS, ['Content-Type', 'application/json'], ...headers], body };
}

function errorOf(res: WireResponse): { format: string | undefined; message: string } {
  const text = res.body.toString('utf8');
  return { format: odataErrorFormat(text, res.headers['content-type'] ?? ''), message: text };
}

async function stillServing(): Promise<void> {
  const res = await send(emu.baseUrl, { method: 'GET', target: '/api/Assets', headers: AMS });
  expect(res.status).toBe(200);
}

describe('request body size (maxBodyBytes)', () => {
  const padded = (size: number) => Buffer.from(JSON.stringify({ Name: 'n'.repeat(size - 11) }));

  it('a body one byte over the limit is a 413 in the requested format; at the limit it is read', async () => {
    expect(padded(BODY_LIMIT).length).toBe(BODY_LIMIT);
    const at = await send(emu.baseUrl, post('/api/Assets', padded(BODY_LIMIT)));
    expect(at.status).not.toBe(413);
    for (const [accept, format] of [['application/json', 'json-minimal'], ['application/json;odata=verbose', 'json-verbose'], ['application/atom+xml', 'atom']] as const) {
      const over = await send(emu.baseUrl, post('/api/Assets', padded(BODY_LIMIT + 1), [['Accept', accept]]));
      expect(over.status).toBe(413);
      expect(errorOf(over).format).toBe(format);
      expect(errorOf(over).message).toContain(`larger than the emulator's limit of ${BODY_LIMIT} bytes`);
    }
  });

  it('a Content-Length over the limit is refused at once, before any of the body is read, and the connection closed', async () => {
    // The client declares 10 GiB and sends two bytes: the answer cannot wait for the rest.
    const res = await send(emu.baseUrl, { ...post('/api/Assets', Buffer.from('{}'), [['Accept', 'application/atom+xml']]), contentLength: 10 * 1024 * 1024 * 1024 }, { timeoutMs: 5_000 });
    expect(res.status).toBe(413);
    expect(res.headers['connection']).toBe('close');
    expect(errorOf(res).format).toBe('atom');
    expect(errorOf(res).message).toContain('Content-Length: 10737418240');
    await stillServing();
  });

  it('counts the bytes after decompression: a gzip bomb is a 413, not 64 MiB in memory', async () => {
    const bomb = gzipSync(Buffer.alloc(64 * 1024 * 1024, 0x20));
    expect(bomb.length).toBeLessThan(BODY_LIMIT);
    const res = await send(emu.baseUrl, post('/api/Assets', bomb, [['Content-Encoding', 'gzip']]));
    expect(res.status).toBe(413);
    expect(errorOf(res).format).toBe('json-minimal');
  });

  it('applies to a $batch body and to a body sent in chunks', async () => {
    const batch = await send(emu.baseUrl, { method: 'POST', target: '/api/$batch', headers: [...AMS, ['Content-Type', 'multipart/mixed; boundary=b']], body: Buffer.alloc(BODY_LIMIT + 1, 0x41) });
    expect(batch.status).toBe(413);
    const chunked = await send(emu.baseUrl, { ...post('/api/Assets', padded(BODY_LIMIT + 1)), chunked: 4096 });
    expect(chunked.status).toBe(413);
    await stillServing();
  });

  it('reads a plain body that arrives in pieces, and a compressed one within the limit inflated', async () => {
    const body = Buffer.from(JSON.stringify({ Name: 'in pieces' }));
    const head = `POST /api/Assets HTTP/1.1\r\nHost: ${new URL(emu.baseUrl).host}\r\nAuthorization: Bearer t\r\nx-ms-version: 2.19\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n`;
    const answer = await new Promise<string>((resolve, reject) => {
      const socket = connect(Number(new URL(emu.baseUrl).port), new URL(emu.baseUrl).hostname);
      let text = '';
      socket.on('data', (d: Buffer) => (text += d.toString('utf8')));
      socket.on('end', () => resolve(text));
      socket.on('error', reject);
      socket.write(Buffer.concat([Buffer.from(head, 'latin1'), body.subarray(0, 5)]));
      setTimeout(() => socket.write(body.subarray(5, 9)), 30);
      setTimeout(() => socket.write(body.subarray(9)), 60);
    });
    expect(answer).toMatch(/^HTTP\/1\.1 201 /);
    expect(JSON.parse(answer.slice(answer.indexOf('\r\n\r\n') + 4)).Name).toBe('in pieces');

    const gzipped = await send(emu.baseUrl, post('/api/Assets', gzipSync(JSON.stringify({ Name: 'gzipped' })), [['Content-Encoding', 'gzip']]));
    expect(gzipped.status).toBe(201);
    expect(JSON.parse(gzipped.body.toString('utf8')).Name).toBe('gzipped');
  });

  it('a client that goes away before its body is complete leaves the emulator serving', async () => {
    await new Promise<void>((resolve, reject) => {
      const socket = connect(Number(new URL(emu.baseUrl).port), new URL(emu.baseUrl).hostname);
      socket.on('error', reject);
      socket.write(`POST /api/Assets HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer t\r\nx-ms-version: 2.19\r\nContent-Length: 1000\r\n\r\n{"Name":"`, () => {
        setTimeout(() => {
          socket.destroy();
          resolve();
        }, 30);
      });
    });
    await new Promise((r) => setTimeout(r, 50));
    await stillServing();
  });

  it('has fixed limits on the emulator and token endpoints: 1 MiB, 256 KiB for fault rules, 64 KiB for tokens', async () => {
    const state = await send(emu.baseUrl, { method: 'POST', target: '/_emulator/files/x/expect', headers: [['Content-Type', 'application/json']], body: Buffer.from(JSON.stringify({ sha256: 'a'.repeat(1024 * 1024) })) });
    expect(state.status).toBe(413);
    expect(errorOf(state).format).toBe('json-minimal');
    const fault = await send(emu.baseUrl, { method: 'POST', target: '/_emulator/faults', headers: [['Content-Type', 'application/json']], body: Buffer.from(JSON.stringify({ message: 'm'.repeat(256 * 1024) })) });
    expect(fault.status).toBe(413);
    const token = await send(emu.baseUrl, { method: 'POST', target: '/v2/OAuth2-13', headers: [['Content-Type', 'application/x-www-form-urlencoded']], body: Buffer.from(`client_id=${'a'.repeat(64 * 1024)}`) });
    expect(token.status).toBe(413);
    expect(JSON.parse(token.body.toString('utf8'))).toMatchObject({ error: 'invalid_request' });
  });
});

describe('bodies a route does not use are read, so its answer arrives whole', () => {
  // A route that answered without reading would close the socket (Connection: close) with the body
  // still arriving; the reset can cut the answer off. Read, the body gets the usual answer under
  // the route's limit, and a 413 in the route's own format over it.
  const text = (size: number): Buffer => Buffer.alloc(size, 0x61);
  const withBody = (method: string, target: string, size: number): WireRequest => ({ method, target, headers: [['Content-Type', 'text/plain']], body: text(size) });

  it('/_emulator: a large text body on a GET gets the state, whole; past 1 MiB a 413', async () => {
    const state = await send(emu.baseUrl, withBody('GET', '/_emulator/state', 900 * 1024));
    expect(state.status).toBe(200);
    expect(JSON.parse(state.body.toString('utf8'))).toHaveProperty('state');
    expect((await send(emu.baseUrl, withBody('GET', '/_emulator/state', 1024 * 1024 + 1))).status).toBe(413);
  });

  it('token endpoints: a body that is not a form, or a GET with one, gets its OAuth error; past 64 KiB a 413 in OAuth form', async () => {
    const notForm = await send(emu.baseUrl, withBody('POST', '/v2/OAuth2-13', 60 * 1024));
    expect(notForm.status).toBe(400);
    expect(JSON.parse(notForm.body.toString('utf8'))).toMatchObject({ error: expect.any(String), error_description: expect.any(String) });
    const get = await send(emu.baseUrl, withBody('GET', '/devtenant/oauth2/token', 60 * 1024));
    expect(get.status).toBe(405);
    const over = await send(emu.baseUrl, withBody('GET', '/devtenant/oauth2/token', 65 * 1024));
    expect(over.status).toBe(413);
    expect(JSON.parse(over.body.toString('utf8'))).toMatchObject({ error: 'invalid_request', error_description: expect.stringContaining('64 KiB') });
  });

  it('origin delivery and the legacy root: a body is read; past 64 KiB a 413', async () => {
    const origin = await send(emu.baseUrl, withBody('GET', '/origin/00000000-0000-4000-8000-000000000000/a.mp4', 60 * 1024));
    expect(origin.status).toBe(404);
    expect(JSON.parse(origin.body.toString('utf8'))).toMatchObject({ error: { code: 'LocatorNotFound' } });
    const tooBig = await send(emu.baseUrl, withBody('GET', '/origin/00000000-0000-4000-8000-000000000000/a.mp4', 65 * 1024));
    expect(tooBig.status).toBe(413);
    expect(JSON.parse(tooBig.body.toString('utf8'))).toMatchObject({ error: { code: 'PayloadTooLarge' } });
    expect((await send(emu.baseUrl, withBody('POST', '/', 60 * 1024))).status).toBe(301);
    expect((await send(emu.baseUrl, withBody('POST', '/', 65 * 1024))).status).toBe(413);
    await stillServing();
  });
});

describe('request head size (Node: 16 KiB)', () => {
  it('a header section over the limit is refused with a 431 and a close; the emulator serves on', async () => {
    for (const size of [17 * 1024, 100 * 1024, 1024 * 1024]) {
      const res = await send(emu.baseUrl, { method: 'GET', target: '/api/Assets', headers: [...AMS, ['X-Big', 'v'.repeat(size)]] });
      expect(res.closedWithoutAnswer || res.status === 431, `${size}: ${res.status}`).toBe(true);
      if (!res.closedWithoutAnswer) expect(res.headers['connection']).toBe('close');
    }
    const longTarget = await send(emu.baseUrl, { method: 'GET', target: `/api/Assets?$filter=${'a'.repeat(20_000)}`, headers: AMS });
    expect(longTarget.status).toBe(431);
    const manyHeaders = await send(emu.baseUrl, { method: 'GET', target: '/api/Assets', headers: [...AMS, ...Array.from({ length: 3000 }, (_, i): [string, string] => [`X-${i}`, 'vvvvvvvv'])] });
    expect(manyHeaders.status).toBe(431);
    await stillServing();
  });

  it('a head just under the limit is served', async () => {
    const res = await send(emu.baseUrl, { method: 'GET', target: '/api/Assets', headers: [...AMS, ['X-Big', 'v'.repeat(15 * 1024)]] });
    expect(res.status).toBe(200);
  });

  it('other malformed heads get a 400 that says what could not be parsed, and a close', async () => {
    const res = await send(emu.baseUrl, { method: 'GET', target: '/api/Assets', headers: [...AMS, ['X-Junk', Buffer.from([0x61, 0x01, 0x62])]] });
    expect(res.status).toBe(400);
    expect(res.headers['connection']).toBe('close');
    expect(res.body.toString()).toMatch(/could not be parsed as HTTP\/1\.1: .*HPE_INVALID_HEADER_TOKEN/);
    await stillServing();
  });
});
