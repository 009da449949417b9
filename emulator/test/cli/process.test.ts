import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { request as httpsRequest } from 'node:https';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEV_CLIENT_ID, DEV_CLIENT_SECRET, DEV_TENANT } from '../../src/auth/credentials.js';
import { FLAGS } from '../../src/cli.js';
import { LOCK_FILE } from '../../src/store/files.js';
import { EMULATOR_NAME, EMULATOR_VERSION } from '../../src/version.js';
import { startEmbeddedAzurite } from '../../src/storage/azurite.js';
import { startTestAzurite } from '../../../test/support/azurite.js';
import { amsCaller, startTestEmulator } from '../../../test/support/emulator.js';
import { bannerField, ensureCliBuilt, runCli, type CliRun } from '../helpers/api-cli.js';
import { selfSignedTlsCertificate } from '../helpers/tls-certificate.js';

/**
 * The real `ams-emulator` command, spawned: help, version, the banner a user copies from, flags
 * through environment variables, the start-up refusals (one line on stderr, non-zero exit) and a
 * clean SIGTERM that releases the data directory.
 */

let scratch: string;
const children: CliRun[] = [];

beforeAll(async () => {
  await ensureCliBuilt();
  scratch = await mkdtemp(join(tmpdir(), 'ams-cli-'));
}, 180_000);
afterAll(async () => {
  for (const c of children) await c.stop();
  await rm(scratch, { recursive: true, force: true });
});

function run(args: string[], env: Record<string, string> = {}): CliRun {
  const c = runCli(args, env, scratch);
  children.push(c);
  return c;
}

/** Resolves once `check` holds; rejects if the process exits first. */
async function until(check: () => boolean, c: CliRun): Promise<void> {
  let exited = false;
  void c.exited.then(() => (exited = true));
  while (!check()) {
    if (exited) throw new Error(`ams-emulator exited; stderr: ${c.stderr()}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** A refusal: exit code, and exactly one line on stderr naming the command. */
async function expectOneLineFailure(c: CliRun, code: number, message: RegExp): Promise<void> {
  const { code: exit } = await c.exited;
  expect(exit, c.stderr()).toBe(code);
  const lines = c.stderr().trimEnd().split('\n');
  expect(lines, c.stderr()).toHaveLength(1);
  expect(lines[0]).toMatch(/^ams-emulator: /);
  expect(lines[0]).toMatch(message);
  expect(c.stdout()).not.toMatch(/API:/);
}

describe('--help and --version', () => {
  it('--help prints every flag and its variable and exits 0', async () => {
    const c = run(['--help']);
    expect((await c.exited).code).toBe(0);
    for (const f of FLAGS) {
      expect(c.stdout()).toContain(`--${f.flag}`);
      expect(c.stdout()).toContain(f.env);
    }
    expect(c.stderr()).toBe('');
  });

  it('--version prints the package version and exits 0', async () => {
    const c = run(['--version']);
    expect((await c.exited).code).toBe(0);
    expect(c.stdout()).toBe(`${EMULATOR_VERSION}\n`);
    expect(EMULATOR_VERSION).toBe(JSON.parse(await readFile(new URL('../../../package.json', import.meta.url), 'utf8')).version);
  });

  it('an unknown flag is a usage error: exit 2, one line, and a pointer to --help', async () => {
    await expectOneLineFailure(run(['--frobnicate']), 2, /frobnicate.*--help/);
  });

  it('--in-memory with --location is refused (exit 2)', async () => {
    await expectOneLineFailure(run(['--in-memory', '--location', 'x']), 2, /--in-memory and --location exclude each other/);
  });

  it('--ffmpeg-transcode with no ffmpeg on the PATH is refused (exit 2), not run with copies', async () => {
    // The CLI runs with Node's own path (runCli), so a PATH without ffmpeg does not stop it starting.
    await expectOneLineFailure(run(['--in-memory', '--ffmpeg-transcode'], { PATH: '/nonexistent-ams-test-dir' }), 2, /--ffmpeg-transcode needs ffmpeg on the PATH and none was found there/);
  });
});

describe('a storage account that starts after the emulator', () => {
  it('is waited for (by default, with a message), and the emulator starts once it answers', async () => {
    const first = await startTestAzurite();
    const { connectionString, url } = first;
    await first.stop();
    const c = run(['--port', '0', '--in-memory', '--silent', '--storage-connection-string', connectionString]);
    await until(() => c.stderr().includes('waiting up to 60 s for the storage account'), c);
    expect(c.stdout()).not.toMatch(/API:/);
    // Storage comes up on the address the connection string names, as a compose service would.
    const late = await startEmbeddedAzurite({ port: Number(new URL(url).port) });
    try {
      const banner = await c.banner();
      const base = bannerField(banner, 'API').replace(/api\/$/, '');
      expect((await fetch(`${base}_emulator/health`)).status).toBe(200);
      expect((await c.stop()).code).toBe(0);
    } finally {
      await late.stop();
    }
  }, 60_000);
});

describe('the banner', () => {
  it('names the real port for --port 0, the token endpoints, the credentials, the storage and the data directory; SIGTERM exits 0 and frees the directory', async () => {
    const dir = join(scratch, 'data');
    const c = run(['--port', '0', '--azurite-port', '0', '--location', dir, '--silent']);
    const banner = await c.banner();
    expect(banner.split('\n')[0]).toBe(`${EMULATOR_NAME} ${EMULATOR_VERSION}`);
    const api = bannerField(banner, 'API');
    const m = /^http:\/\/127\.0\.0\.1:(\d+)\/api\/$/.exec(api);
    expect(m, api).not.toBeNull();
    const port = Number(m![1]);
    expect(port).toBeGreaterThan(0);
    const base = `http://127.0.0.1:${port}/`;
    expect(bannerField(banner, 'Token endpoints')).toBe(`${base}v2/OAuth2-13 (ACS)`);
    expect(banner).toContain(`${base}${DEV_TENANT}/oauth2/token (Azure AD v1`);
    expect(banner).toContain(`${base}${DEV_TENANT}/oauth2/v2.0/token (Azure AD v2`);
    expect(bannerField(banner, 'Dev credentials')).toBe(`client_id=${DEV_CLIENT_ID} client_secret=${DEV_CLIENT_SECRET}`);
    const connection = bannerField(banner, 'Storage connection');
    expect(connection).toMatch(/AccountName=devstoreaccount1;.*BlobEndpoint=http:\/\/127\.0\.0\.1:\d+\/devstoreaccount1/);
    // The CLI runs its Azurite in a child process of its own unless told --azurite-in-process.
    expect(bannerField(banner, 'Storage')).toMatch(/^embedded Azurite http:\/\/127\.0\.0\.1:\d+ \(its own process\)$/);
    expect(bannerField(banner, 'Data directory')).toBe(dir);
    expect(bannerField(banner, 'Mode')).toBe('compat, auth any');
    expect(bannerField(banner, 'Health')).toBe(`${base}_emulator/health`);
    expect(bannerField(banner, 'Key delivery')).toBe(`${base}keydelivery/?KID=<key guid> (AES-128 envelope keys; GetKeyDeliveryUrl)`);
    expect(bannerField(banner, 'Dashboard')).toBe(`${base}_emulator/ui`);
    // The built package serves the dashboard's compiled modules from beside its router.
    expect((await fetch(`${base}_emulator/ui`)).status).toBe(200);
    const main = await fetch(`${base}_emulator/ui/js/main.js`);
    expect(main.status).toBe(200);
    expect(await main.text()).toContain("from './api.js'");

    // What the banner says works: the API answers there, and the printed protection key id is its own.
    const ams = amsCaller(api);
    const id = await ams('GET', 'GetProtectionKeyId?contentKeyType=1');
    expect(id.status).toBe(200);
    expect(bannerField(banner, 'Protection key id')).toBe(id.body.value);
    expect((await ams('POST', 'Assets', { body: { Name: 'from the cli' } })).status).toBe(201);
    expect(existsSync(join(dir, LOCK_FILE))).toBe(true);

    const { code, signal } = await c.stop();
    expect(signal).toBeNull();
    expect(code).toBe(0);
    expect(c.stderr()).toBe('');
    expect(existsSync(join(dir, LOCK_FILE))).toBe(false);
    // The directory is free for the next emulator, which finds the asset.
    const next = await startTestEmulator({ location: dir });
    try {
      expect((await next.ams('GET', 'Assets')).body.value.map((a: { Name: string }) => a.Name)).toEqual(['from the cli']);
    } finally {
      await next.close();
    }
  });

  it('takes its flags from the environment', async () => {
    const debug = join(scratch, 'debug.jsonl');
    const c = run([], { AMS_EMULATOR_PORT: '0', AMS_EMULATOR_AZURITE_PORT: '0', AMS_EMULATOR_IN_MEMORY: '1', AMS_EMULATOR_STRICT: 'true', AMS_EMULATOR_AUTH: 'none', AMS_EMULATOR_DEBUG: debug, AMS_EMULATOR_SILENT: '1' });
    const banner = await c.banner();
    expect(bannerField(banner, 'Mode')).toBe('strict, auth none');
    expect(bannerField(banner, 'Data directory')).toMatch(/^in memory/);
    const api = bannerField(banner, 'API');
    // auth none: no token; strict: an unknown version is refused.
    const ams = amsCaller(api, { 'x-ms-version': '2.19', Accept: 'application/json' });
    expect((await ams('GET', 'Assets')).status).toBe(200);
    expect((await ams('GET', 'Assets', { headers: { 'x-ms-version': '7.0' } })).status).toBe(400);
    expect((await c.stop()).code).toBe(0);
    const lines = (await readFile(debug, 'utf8')).trim().split('\n').map((l) => JSON.parse(l) as { url: string; status: number });
    expect(lines.map((l) => [l.url, l.status])).toEqual([['/api/Assets', 200], ['/api/Assets', 400]]);
  });

  it('logs one access line per request on stdout unless --silent', async () => {
    const c = run(['--port', '0', '--azurite-port', '0', '--in-memory']);
    const api = bannerField(await c.banner(), 'API');
    const res = await amsCaller(api)('GET', 'Assets');
    expect(res.status).toBe(200);
    await new Promise((r) => setTimeout(r, 200));
    expect(c.stdout()).toContain(`"GET /api/Assets" 200`);
    expect(c.stdout()).toContain(res.headers.get('x-ms-request-id')!);
    expect((await c.stop()).code).toBe(0);
  });

  it('serves HTTPS with --cert and --key', async () => {
    const { cert, key } = selfSignedTlsCertificate();
    await writeFile(join(scratch, 'tls.crt'), cert);
    await writeFile(join(scratch, 'tls.key'), key);
    const c = run(['--port', '0', '--azurite-port', '0', '--in-memory', '--silent', '--cert', 'tls.crt', '--key', 'tls.key']);
    const api = bannerField(await c.banner(), 'API');
    expect(api).toMatch(/^https:\/\/127\.0\.0\.1:\d+\/api\/$/);
    const body = await new Promise<string>((resolve, reject) => {
      const req = httpsRequest(`${api}GetProtectionKeyId?contentKeyType=1`, { rejectUnauthorized: false, headers: { Authorization: 'Bearer x', 'x-ms-version': '2.19' } }, (res) => {
        let text = '';
        res.setEncoding('utf8').on('data', (d: string) => (text += d)).on('end', () => resolve(text));
      });
      req.on('error', reject);
      req.end();
    });
    expect(JSON.parse(body).value).toMatch(/^[0-9A-F]{40}$/);
    expect((await c.stop()).code).toBe(0);
  });
});

describe('start-up refusals: one line on stderr and a non-zero exit', () => {
  let occupied: Server;
  beforeAll(async () => {
    occupied = createServer();
    await new Promise<void>((resolve) => occupied.listen(0, '127.0.0.1', resolve));
  });
  afterAll(() => new Promise<void>((resolve) => occupied.close(() => resolve())));

  it('a port in use', async () => {
    const port = (occupied.address() as { port: number }).port;
    await expectOneLineFailure(run(['--port', String(port), '--azurite-port', '0', '--in-memory']), 1, new RegExp(`port ${port} .*is in use.*--port 0`));
  });

  it('a data directory another emulator holds', async () => {
    const dir = join(scratch, 'held');
    const holder = await startTestEmulator({ location: dir });
    try {
      await expectOneLineFailure(run(['--port', '0', '--azurite-port', '0', '--location', dir]), 1, /in use by another ams-emulator \(pid \d+\)/);
    } finally {
      await holder.close();
    }
  });

  it('an unreachable --storage-connection-string, with --storage-wait 0', async () => {
    const azurite = await startTestAzurite();
    const connection = azurite.connectionString;
    await azurite.stop();
    const started = Date.now();
    await expectOneLineFailure(run(['--port', '0', '--in-memory', '--storage-connection-string', connection, '--storage-wait', '0']), 1, /storage account is unreachable: /);
    expect(Date.now() - started).toBeLessThan(30_000);
  });

  it('an unreachable --storage-connection-string after the bounded wait, which it announces', async () => {
    const azurite = await startTestAzurite();
    const connection = azurite.connectionString;
    await azurite.stop();
    const c = run(['--port', '0', '--in-memory', '--storage-connection-string', connection], { AMS_EMULATOR_STORAGE_WAIT: '2' });
    expect((await c.exited).code).toBe(1);
    const lines = c.stderr().trimEnd().split('\n');
    expect(lines, c.stderr()).toHaveLength(2);
    expect(lines[0]).toMatch(/^ams-emulator: waiting up to 2 s for the storage account at http:\/\/127\.0\.0\.1:\d+\/devstoreaccount1: .*unreachable/);
    expect(lines[1]).toMatch(/^ams-emulator: the storage account is unreachable after waiting 2 s: /);
    expect(c.stdout()).not.toMatch(/API:/);
  });

  it('a corrupt state file, with the way out in the message', async () => {
    const dir = join(scratch, 'corrupt');
    const first = run(['--port', '0', '--azurite-port', '0', '--location', dir, '--silent']);
    await first.banner();
    expect((await first.stop()).code).toBe(0);
    await writeFile(join(dir, 'state.json'), 'not json at all');
    await expectOneLineFailure(run(['--port', '0', '--azurite-port', '0', '--location', dir]), 1, /state file .* --move-corrupt-state/);
    const moved = run(['--port', '0', '--azurite-port', '0', '--location', dir, '--silent', '--move-corrupt-state']);
    await moved.banner();
    expect((await moved.stop()).code).toBe(0);
  });
});
