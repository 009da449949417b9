import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { BlobServiceClient } from '@azure/storage-blob';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AZURITE_DISK_LAYOUT } from '../../src/storage/azurite.js';
import type { AzuriteChildStatus } from '../../src/storage/azurite-supervisor.js';
import { isAlive } from '../../src/store/lock.js';
import { ensureBuilt, REPO } from '../../../test/support/build.js';
import { amsCaller } from '../../../test/support/emulator.js';
import { bannerField, ensureCliBuilt, runCli, type CliRun } from '../helpers/api-cli.js';

/**
 * The embedded Azurite child dies on its own (kill -9 here; a crash or the OOM killer in life): the
 * real `ams-emulator` command starts a new one on the same port and data directory. Meanwhile
 * storage-backed requests get 503 with Retry-After and health says "restarting"; afterwards the
 * blobs written before are served again.
 */

let scratch: string;
const children: CliRun[] = [];

beforeAll(async () => {
  await ensureCliBuilt();
  scratch = await mkdtemp(join(tmpdir(), 'ams-azurite-restart-'));
}, 180_000);
afterAll(async () => {
  for (const c of children) await c.stop();
  await rm(scratch, { recursive: true, force: true });
});

interface Health {
  status: string;
  storage: string;
  embeddedAzurite?: AzuriteChildStatus;
}

async function health(base: string): Promise<{ status: number; retryAfter: string | null; body: Health }> {
  const res = await fetch(`${base}_emulator/health`);
  return { status: res.status, retryAfter: res.headers.get('retry-after'), body: (await res.json()) as Health };
}

async function until<T>(what: string, probe: () => Promise<T | undefined>, ms = 60_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('the embedded Azurite child is restarted when it dies', () => {
  it('kill -9 of the child: 503 with Retry-After and health "restarting", then the same port serves the blobs written before', async () => {
    const dir = join(scratch, 'data');
    const c = runCli(['--port', '0', '--azurite-port', '0', '--location', dir, '--silent'], {}, scratch);
    children.push(c);
    const banner = await c.banner();
    const api = bannerField(banner, 'API');
    const base = api.replace(/api\/$/, '');
    const ams = amsCaller(api);

    const asset = await ams('POST', 'Assets', { body: { Name: 'before the crash' } });
    expect(asset.status).toBe(201);
    const container = new URL(asset.body.Uri as string).pathname.split('/').at(-1)!;
    const blobs = BlobServiceClient.fromConnectionString(bannerField(banner, 'Storage connection')).getContainerClient(container);
    await blobs.getBlockBlobClient('kept.bin').upload('written before the crash', 24);
    // Azurite saves its blob index every 5 s (LokiJS autosave); a kill -9 loses what it has not saved
    // yet, so wait until the index on disk names the blob.
    await until('Azurite to save its index', async () => (readFileSync(join(dir, 'azurite', AZURITE_DISK_LAYOUT.metadataDb), 'utf8').includes('kept.bin') ? true : undefined));

    const before = await health(base);
    expect(before.status).toBe(200);
    expect(before.body.embeddedAzurite).toMatchObject({ state: 'running', restarts: 0 });
    const pid = before.body.embeddedAzurite!.pid!;
    expect(pid).toBeGreaterThan(0);
    expect(pid).not.toBe(c.child.pid);

    const killedAt = Date.now();
    process.kill(pid, 'SIGKILL');

    // The first restart waits 1 s: well inside it, a request that needs storage is refused with 503.
    const refused = await ams('POST', 'Assets', { body: { Name: 'while it is down' } });
    expect(refused.status, refused.text).toBe(503);
    expect(refused.headers.get('retry-after')).toMatch(/^\d+$/);
    expect(refused.body['odata.error'].message.value).toMatch(/Storage is unavailable/);

    const during = await until('health to say restarting', async () => {
      const h = await health(base);
      return h.body.storage === 'restarting' ? h : undefined;
    }, 10_000);
    expect(during.status).toBe(503);
    expect(during.retryAfter).toBe('1');
    expect(during.body.embeddedAzurite).toMatchObject({ state: 'restarting', restarts: 0, lastExit: { code: null, signal: 'SIGKILL' } });

    const after = await until('the restarted Azurite', async () => {
      const h = await health(base);
      return h.status === 200 ? h : undefined;
    });
    expect(after.body).toMatchObject({ status: 'healthy', storage: 'up', embeddedAzurite: { state: 'running', restarts: 1, lastExit: { signal: 'SIGKILL' } } });
    expect(after.body.embeddedAzurite!.pid).not.toBe(pid);
    console.log(`reliability: embedded Azurite kill -9 -> health 200 again after ${Date.now() - killedAt} ms`);
    expect(c.stderr()).toMatch(new RegExp(`the embedded Azurite \\(pid ${pid}\\) exited \\(SIGKILL\\)`));
    expect(c.stderr()).toMatch(/the embedded Azurite is back \(pid \d+, restart 1\)/);

    // Same port, same data directory: the client's connection string still works and the blob is there.
    expect((await blobs.getBlobClient('kept.bin').downloadToBuffer()).toString()).toBe('written before the crash');
    expect((await ams('POST', 'Assets', { body: { Name: 'after the restart' } })).status).toBe(201);

    const { code } = await c.stop();
    expect(code).toBe(0);
  }, 120_000);
});

describe('startSupervisedAzurite', () => {
  it('keeps trying, with a growing wait and a line per failure, while the port is taken; recovers once it is free', async () => {
    await ensureBuilt();
    const { startSupervisedAzurite } = (await import(pathToFileURL(join(REPO, 'dist/emulator/src/storage/azurite-supervisor.js')).href)) as typeof import('../../src/storage/azurite-supervisor.js');
    const lines: string[] = [];
    const azurite = await startSupervisedAzurite({ port: 0 }, { log: (line) => lines.push(line) });
    try {
      const pid = azurite.status().pid!;
      const exited = until('the child to exit', async () => (isAlive(pid) ? undefined : true));
      process.kill(pid, 'SIGKILL');
      await exited;
      // Someone else takes the port before the first restart (1 s later): every try fails.
      const blocker = createServer();
      await new Promise<void>((r) => blocker.listen(azurite.port, '127.0.0.1', () => r()));
      const failing = await until('two failed restarts', async () => (lines.filter((l) => l.includes('could not be restarted')).length >= 2 ? azurite.status() : undefined));
      expect(failing).toMatchObject({ state: 'restarting', restarts: 0, lastExit: { signal: 'SIGKILL' } });
      expect(failing.lastError).toMatch(/port \d+ is in use/);
      expect(lines.filter((l) => l.startsWith('restarting the embedded Azurite')).map((l) => /in ([\d.]+) s$/.exec(l)?.[1])).toEqual(['1', '2', '4']);
      await new Promise<void>((r) => blocker.close(() => r()));
      const back = await until('the restart', async () => (azurite.status().state === 'running' ? azurite.status() : undefined));
      expect(back.restarts).toBe(1);
      const service = BlobServiceClient.fromConnectionString(azurite.connectionString);
      await service.getContainerClient('after').create();
      expect(await service.getContainerClient('after').exists()).toBe(true);
    } finally {
      await azurite.stop();
    }
    expect(azurite.status().state).toBe('stopped');
  }, 60_000);
});
