import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEV_CLIENT_ID, DEV_CLIENT_SECRET } from '../../src/auth/credentials.js';
import { banner } from '../../src/cli.js';
import { answersHost, listensBeyondLoopback } from '../../src/http/emulator-exposure.js';
import { AMS_HEADERS, entityPath, rawRequest, startTestEmulator, type TestEmulator } from '../../../test/support/emulator.js';
import { createAsset, errorMessage } from '../helpers/api-fixtures.js';

/**
 * `/_emulator` cannot be used by a web page the user visits: mutating routes need a request a page
 * cannot send cross-site (JSON or an X-AMS-Emulator header), and a foreign Host (DNS rebinding)
 * is refused while the emulator listens on a specific interface.
 */

let emu: TestEmulator;
let strict: TestEmulator;

beforeAll(async () => {
  [emu, strict] = await Promise.all([startTestEmulator(), startTestEmulator({ auth: 'strict' })]);
});
afterAll(async () => {
  await Promise.all([emu?.close(), strict?.close()]);
});

/** What a cross-site page can send without a CORS preflight: a "simple" request. */
const SIMPLE_REQUESTS: { label: string; headers: Record<string, string>; body?: string }[] = [
  { label: 'text/plain', headers: { 'Content-Type': 'text/plain' }, body: '{}' },
  { label: 'a form', headers: { 'Content-Type': 'application/x-www-form-urlencoded' }, body: 'a=1' },
  { label: 'multipart', headers: { 'Content-Type': 'multipart/form-data; boundary=x' }, body: '--x--' },
  { label: 'no body', headers: {} },
];

describe('mutating /_emulator routes refuse simple (cross-site) requests', () => {
  for (const target of ['compat', 'auth strict'] as const) {
    it(`${target}: POST /_emulator/reset as a page could send it is 403 and wipes nothing`, async () => {
      const e = target === 'compat' ? emu : strict;
      const token = target === 'compat' ? {} : { Authorization: `Bearer ${await devToken(e)}` };
      const asset = await e.ams('POST', 'Assets', { body: { Name: 'kept', Options: 0 }, headers: token });
      expect(asset.status, asset.text).toBe(201);
      for (const { label, headers, body } of SIMPLE_REQUESTS) {
        const res = await fetch(`${e.baseUrl}_emulator/reset`, { method: 'POST', headers, body });
        expect(res.status, label).toBe(403);
        expect(await res.text(), label).toContain('X-AMS-Emulator');
      }
      for (const path of ['findings', 'requests', 'faults']) {
        expect((await fetch(`${e.baseUrl}_emulator/${path}`, { method: 'DELETE' })).status, path).toBe(403);
      }
      for (const path of ['faults', 'files/x/verify', 'files/x/expect', 'assets/x/verify']) {
        expect((await fetch(`${e.baseUrl}_emulator/${path}`, { method: 'POST', headers: { 'Content-Type': 'text/plain' }, body: '{}' })).status, path).toBe(403);
      }
      expect((await e.ams('GET', entityPath('Assets', String(asset.body.Id)), { headers: token })).status).toBe(200);
    });
  }

  it('the X-AMS-Emulator header or a JSON body is deliberate: answered', async () => {
    await createAsset(emu, { Name: 'gone', Options: 0 });
    expect((await fetch(`${emu.baseUrl}_emulator/reset`, { method: 'POST', headers: { 'X-AMS-Emulator': '1' } })).status).toBe(200);
    expect((await fetch(`${emu.baseUrl}_emulator/reset`, { method: 'POST', headers: { 'Content-Type': 'application/json; charset=utf-8' }, body: '{}' })).status).toBe(200);
    expect((await emu.ams('GET', 'Assets')).body.value).toEqual([]);
    // Reads stay plain GETs: a page cannot read the answer cross-site (no CORS), and curl needs nothing.
    expect((await fetch(`${emu.baseUrl}_emulator/findings`)).status).toBe(200);
  });
});

describe('the Host allow-list (DNS rebinding)', () => {
  it('a foreign Host gets 403 on /_emulator; loopback names and the listening address are answered', async () => {
    const port = new URL(emu.baseUrl).port;
    for (const host of [`evil.example:${port}`, 'evil.example', `127.0.0.1.nip.io:${port}`, `10.0.0.1:${port}`]) {
      const res = await rawRequest(emu.baseUrl, 'GET', '/_emulator/state', { Host: host, Accept: 'application/json' });
      expect(res.status, host).toBe(403);
      expect(errorMessage(JSON.parse(res.text)), host).toMatch(/DNS rebinding/);
    }
    for (const host of [`127.0.0.1:${port}`, `localhost:${port}`, `LOCALHOST:${port}`, `[::1]:${port}`, `app.localhost:${port}`, `127.8.9.10:${port}`]) {
      expect((await rawRequest(emu.baseUrl, 'GET', '/_emulator/health', { Host: host })).status, host).toBe(200);
    }
  });

  it('/api keeps answering any Host: clients reach it through a hosts-file name for *.media.azure.net', async () => {
    const res = await rawRequest(emu.baseUrl, 'GET', '/api/Assets', { ...AMS_HEADERS, Host: 'myaccount.restv2.westus.media.azure.net' });
    expect(res.status).toBe(200);
  });

  it('an emulator on another loopback address answers that address, and its Azurite listens there too', async () => {
    const other = await startTestEmulator({ host: '127.0.0.2' });
    try {
      expect(new URL(other.baseUrl).hostname).toBe('127.0.0.2');
      expect(new URL(other.emulator.storage.embeddedAzuriteUrl!).hostname).toBe('127.0.0.2');
      expect((await other.admin('GET', 'health')).status).toBe(200);
    } finally {
      await other.close();
    }
  });

  it('the rule: loopback names and the listening interface, any Host when listening on every interface', () => {
    expect(answersHost('127.0.0.1', 'localhost')).toBe(true);
    expect(answersHost('127.0.0.1', 'evil.example')).toBe(false);
    expect(answersHost('192.168.1.5', '192.168.1.5')).toBe(true);
    expect(answersHost('192.168.1.5', 'evil.example')).toBe(false);
    expect(answersHost('emulator.lan', 'EMULATOR.lan')).toBe(true);
    for (const everywhere of ['0.0.0.0', '::', '[::]']) expect(answersHost(everywhere, 'emulator')).toBe(true);
    for (const loopback of ['127.0.0.1', '127.0.0.2', 'localhost', '::1', '[::1]']) expect(listensBeyondLoopback(loopback), loopback).toBe(false);
    for (const beyond of ['0.0.0.0', '::', '192.168.1.5', 'emulator.lan']) expect(listensBeyondLoopback(beyond), beyond).toBe(true);
  });
});

describe('the banner', () => {
  it('warns when listening beyond loopback, naming the embedded Azurite, and says nothing on loopback', () => {
    expect(banner(emu.emulator)).not.toContain('WARNING');
    const exposed = banner({ ...emu.emulator, config: { ...emu.emulator.config, host: '0.0.0.0' } });
    expect(exposed).toMatch(/WARNING: listening on 0\.0\.0\.0, beyond loopback: the API and the embedded Azurite/);
    expect(exposed).toContain('/_emulator (reset, state, findings) has no auth');
  });
});

async function devToken(e: TestEmulator): Promise<string> {
  const res = await fetch(`${e.baseUrl}v2/OAuth2-13`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ grant_type: 'client_credentials', client_id: DEV_CLIENT_ID, client_secret: DEV_CLIENT_SECRET, scope: 'urn:WindowsAzureMediaServices' }).toString(),
  });
  expect(res.status).toBe(200);
  return String(((await res.json()) as { access_token: string }).access_token);
}
