import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { connect, type AddressInfo } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startTestEmulator, type TestEmulator } from '../../../test/support/emulator.js';
import { batchBody, readBatchResponse } from '../../../client/src/rest/batch-wire.js';
import { handleParserErrors, type ParserRejection } from '../../src/http/parser-errors.js';
import { parseResponse, send, serializeRequest, type WireRequest } from '../helpers/fuzz-wire.js';
import { selfSignedTlsCertificate } from '../helpers/tls-certificate.js';

/**
 * Requests Node's HTTP parser refuses, over raw TCP: an obs-fold (RFC 7230 §3.2.4) is unfolded and
 * the request served, as the service did for the PHP SDK's folded `$batch` Content-Type; nothing
 * else gets through that did not before; every other refusal says what could not be parsed and is
 * in the request log, the debug log and the health counter.
 */

let emu: TestEmulator;
let dataDir: string;
let debugFile: string;
beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'ams-parser-errors-'));
  debugFile = join(dataDir, 'debug.log');
  emu = await startTestEmulator({ debugFile });
});
afterAll(async () => {
  await emu.close();
  rmSync(dataDir, { recursive: true, force: true });
});
beforeEach(() => emu.reset());

const AMS: [string, string][] = [
  ['Authorization', 'Bearer t'],
  ['x-ms-version', '2.19'],
  ['Accept', 'application/json'],
];
const BOUNDARY = 'batch_9d5c4a0e-7c1f-4d7b-8a3e-2f6b1c0d9e8a';

/** A `$batch` creating one asset in a changeset, with the Content-Type folded as `fold` says. */
function foldedBatch(fold: string): WireRequest {
  const body = batchBody(BOUNDARY, [{ changeset: [{ method: 'POST', url: 'Assets', contentId: '1', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ Name: 'folded' }) }] }]);
  return { method: 'POST', target: '/api/$batch', headers: [...AMS, ['Content-Type', `multipart/mixed;${fold}boundary="${BOUNDARY}"`]], body: Buffer.from(body) };
}

async function assetNames(): Promise<string[]> {
  const res = await emu.ams('GET', 'Assets');
  return (res.body.value as { Name: string }[]).map((a) => a.Name);
}

describe('obs-fold in a request head', () => {
  it('the PHP SDK $batch with Content-Type folded onto a continuation line (SP or HTAB) is served', async () => {
    for (const fold of ['\r\n ', '\r\n\t', '\r\n   \t ']) {
      const res = await send(emu.baseUrl, foldedBatch(fold));
      expect(res.status, res.body.toString()).toBe(202);
      const [changeset] = readBatchResponse(res.headers['content-type'] ?? null, res.body.toString('utf8'));
      expect(changeset).toMatchObject({ changeset: [{ status: 201 }] });
    }
    expect(await assetNames()).toEqual(['folded', 'folded', 'folded']);
    const health = await emu.admin('GET', 'health');
    expect(health.body.requests.rejectedByParser).toBe(0);
  });

  it('is served when the head and body arrive in separate packets, split before, inside and after the fold', async () => {
    const request = foldedBatch('\r\n ');
    const bytes = serializeRequest(request, new URL(emu.baseUrl).host);
    const fold = bytes.indexOf('\r\n boundary');
    const headEnd = bytes.indexOf('\r\n\r\n') + 4;
    for (const splitAt of [[fold + 3], [headEnd - 2], [headEnd], [fold + 3, headEnd + 10]]) {
      const res = await send(emu.baseUrl, request, { splitAt });
      expect(res.status, `split at ${splitAt.join(',')}: ${res.body.toString()}`).toBe(202);
    }
    expect(await assetNames()).toHaveLength(4);
  });

  it('keeps the connection: later requests on it, folded or not, are served in turn', async () => {
    const url = new URL(emu.baseUrl);
    const head = (fold: string, close = false) =>
      `GET /api/Assets HTTP/1.1\r\nHost: ${url.host}\r\nAuthorization: Bearer t\r\nx-ms-version: 2.19\r\nAccept: application/json\r\nclient-request-id: one${fold}two\r\n${close ? 'Connection: close\r\n' : ''}\r\n`;
    const socket = connect({ host: url.hostname, port: Number(url.port) });
    let received = '';
    socket.on('data', (chunk: Buffer) => (received += chunk.toString('latin1')));
    const answers = () => [...received.matchAll(/HTTP\/1\.1 (\d{3}) [^]*?\r\nclient-request-id: ([^\r]*)\r\n/g)].map((m) => `${m[1]} ${m[2]}`);
    const answered = (n: number) => new Promise<void>((resolve) => {
      const check = () => (answers().length >= n ? resolve() : setTimeout(check, 10));
      check();
    });
    socket.write(head('\r\n '));
    await answered(1);
    socket.write(head('\r\n\t'));
    await answered(2);
    socket.write(head(' ', true));
    await new Promise((resolve) => socket.on('close', resolve));
    expect(answers()).toEqual(['200 one two', '200 one two', '200 one two']);
  });

  it('a folded head that never ends is refused with 408 at the head timeout, and recorded', async () => {
    // A server of its own with a short head timeout (the emulator's is 20 s).
    const rejections: ParserRejection[] = [];
    const server = createServer((_req, res) => res.end('served'));
    server.headersTimeout = 300;
    handleParserErrors(server, { connectionEvent: 'connection', onRejected: (r) => rejections.push(r) });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const { port } = server.address() as AddressInfo;
      const answer = await new Promise<string>((resolve, reject) => {
        const chunks: Buffer[] = [];
        const socket = connect({ host: '127.0.0.1', port }, () => socket.write('GET / HTTP/1.1\r\nHost: x\r\nX-Folded: a\r\n b\r\nX-More: '));
        socket.on('data', (c: Buffer) => chunks.push(c));
        socket.on('close', () => resolve(Buffer.concat(chunks).toString('latin1')));
        socket.on('error', reject);
      });
      expect(answer).toMatch(/^HTTP\/1\.1 408 Request Timeout\r\n[^]*did not arrive in time/);
      expect(rejections).toMatchObject([{ status: 408, code: 'ERR_HTTP_REQUEST_TIMEOUT', method: 'GET', target: '/' }]);
    } finally {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it('a fold whose header started in an earlier packet is refused with that reason, and nothing is done', async () => {
    const request = foldedBatch('\r\n ');
    const fold = serializeRequest(request, new URL(emu.baseUrl).host).indexOf('\r\n boundary');
    for (const splitAt of [[fold], [fold + 1], [fold + 2]]) {
      const res = await send(emu.baseUrl, request, { splitAt });
      expect(res.status).toBe(400);
      expect(res.body.toString()).toContain('(obs-fold) whose first line came in an earlier packet');
    }
    expect(await assetNames()).toEqual([]);
  });

  it('any value folded at any blanks reaches the API unfolded, as one space', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.stringMatching(/^[A-Za-z0-9._-]{1,12}$/), { minLength: 2, maxLength: 5 }),
        fc.array(fc.constantFrom(' ', '\t', '  ', ' \t'), { minLength: 4, maxLength: 4 }),
        async (words, blanks) => {
          const folded = words.map((w, i) => (i === 0 ? w : `${blanks[i % blanks.length]}\r\n${blanks[(i + 1) % blanks.length]}${w}`)).join('');
          const res = await send(emu.baseUrl, { method: 'GET', target: '/api/Assets', headers: [...AMS, ['client-request-id', folded]] });
          expect(res.status).toBe(200);
          expect(res.headers['client-request-id']).toBe(words.join(' '));
        },
      ),
      { numRuns: 25 },
    );
  });

  it('loosens nothing else: a fold after the request line, a bare-LF fold, a bad byte or a smuggled length beside a fold are still refused', async () => {
    const refused: WireRequest[] = [
      { method: 'GET', target: '/api/Assets', headers: [['X-Folded', 'a\n b'], ...AMS] },
      { method: 'GET', target: '/api/Assets', headers: [['X-Folded', 'a\r\n b'], ['X-Junk', Buffer.from([0x61, 0x01, 0x62])], ...AMS] },
      { method: 'POST', target: '/api/Assets', headers: [['X-Folded', 'a\r\n b'], ['Content-Length', '2'], ['Transfer-Encoding', 'chunked'], ...AMS], contentLength: 'none', body: Buffer.from('{}') },
      { method: 'POST', target: '/api/Assets', headers: [['Content-Length', '2\r\n 3'], ...AMS], contentLength: 'none', body: Buffer.from('{}') },
    ];
    for (const request of refused) {
      const res = await send(emu.baseUrl, request);
      expect(res.status, JSON.stringify(request.headers.map(([n, v]) => [n, String(v)]))).toBe(400);
      expect(res.body.toString()).toMatch(/could not be parsed as HTTP\/1\.1/);
    }
    // Whitespace before the first header continues nothing (RFC 7230 §3): not an obs-fold.
    const leading = await rawExchange(Buffer.from(`GET /api/Assets HTTP/1.1\r\n Host: x\r\nConnection: close\r\n\r\n`, 'latin1'));
    expect(leading).toMatch(/^HTTP\/1\.1 400 [^]*could not be parsed as HTTP\/1\.1/);
    expect(await assetNames()).toEqual([]);
    const log = await emu.admin('GET', 'requests');
    expect(log.body.rejectedByParser).toBe(refused.length + 1);
  });
});

describe('over HTTPS', () => {
  it('a folded head is unfolded inside TLS too, and links keep the https scheme', async () => {
    const { cert, key } = selfSignedTlsCertificate();
    writeFileSync(join(dataDir, 'tls.crt'), cert);
    writeFileSync(join(dataDir, 'tls.key'), key);
    const secure = await startTestEmulator({ tls: { certFile: join(dataDir, 'tls.crt'), keyFile: join(dataDir, 'tls.key') } });
    try {
      const url = new URL(secure.baseUrl);
      const request = serializeRequest(foldedBatch('\r\n '), url.host);
      const raw = await new Promise<Buffer>((resolve, reject) => {
        const chunks: Buffer[] = [];
        const socket = tlsConnect({ host: url.hostname, port: Number(url.port), rejectUnauthorized: false }, () => socket.write(request));
        socket.on('data', (c: Buffer) => chunks.push(c));
        socket.on('close', () => resolve(Buffer.concat(chunks)));
        socket.on('error', reject);
      });
      const res = parseResponse(raw, 0);
      expect(res.status, res.body.toString()).toBe(202);
      const [changeset] = readBatchResponse(res.headers['content-type'] ?? null, res.body.toString('utf8'));
      if (!changeset || !('changeset' in changeset)) throw new Error('expected a changeset');
      expect(changeset.changeset[0]!.headers['location']).toMatch(new RegExp(`^https://${url.host.replace(/\./g, '\\.')}/api/Assets\\(`));
    } finally {
      await secure.close();
    }
  });
});

describe('requests the parser refuses', () => {
  it('are answered with what could not be parsed and a request id, listed in /_emulator/requests and the debug log, and counted in health', async () => {
    const res = await send(emu.baseUrl, { method: 'GET', target: '/api/Assets', headers: [...AMS, ['User-Agent', 'broken-client/1.0'], ['x-ms-client-request-id', 'mine-1'], ['X-Junk', Buffer.from([0x61, 0x01, 0x62])]] });
    expect(res.status).toBe(400);
    expect(res.headers['connection']).toBe('close');
    expect(res.headers['content-type']).toBe('text/plain; charset=utf-8');
    expect(res.headers['x-ms-client-request-id']).toBe('mine-1');
    const requestId = res.headers['x-ms-request-id'];
    expect(requestId).toMatch(/^[0-9a-f-]{36}$/);
    const text = res.body.toString('utf8');
    expect(text).toContain('could not be parsed as HTTP/1.1');
    expect(text).toContain('HPE_INVALID_HEADER_TOKEN');
    expect(text).toContain(requestId);

    const log = await emu.admin('GET', 'requests');
    expect(log.body.rejectedByParser).toBe(1);
    const entry = (log.body.requests as { requestId: string }[]).find((r) => r.requestId === requestId);
    expect(entry).toMatchObject({ method: 'GET', path: '/api/Assets', status: 400, client: 'broken-client/1.0', rejectedByParser: expect.stringContaining('HPE_INVALID_HEADER_TOKEN') });
    const health = await emu.admin('GET', 'health');
    expect(health.body.requests.rejectedByParser).toBe(1);
    const debug = readFileSync(debugFile, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    const logged = debug.find((l) => l['requestId'] === requestId);
    expect(logged).toMatchObject({ rejectedByParser: true, status: 400, code: 'HPE_INVALID_HEADER_TOKEN' });
    expect(String(logged?.['rawHead'])).toContain('Authorization: Bearer <redacted>');
    expect(String(logged?.['rawHead'])).not.toContain('Bearer t');
  });
});

/** Write bytes as they are and read the answer until the server closes. */
async function rawExchange(bytes: Buffer): Promise<string> {
  const url = new URL(emu.baseUrl);
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    const socket = connect({ host: url.hostname, port: Number(url.port) }, () => socket.write(bytes));
    socket.on('data', (c: Buffer) => chunks.push(c));
    socket.on('close', () => resolve(Buffer.concat(chunks).toString('latin1')));
    socket.on('error', reject);
  });
}
