import { spawn } from 'node:child_process';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { BlobServiceClient } from '@azure/storage-blob';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureBuilt, REPO } from '../../../test/support/build.js';
import type { StartedEmbeddedAzurite } from '../../src/storage/azurite.js';

/**
 * The embedded Azurite in a child process (the CLI's default): the child is compiled code, so these
 * tests load the built module from dist/.
 */
type StartAzuriteProcess = (options: { port?: number; location?: string }) => Promise<StartedEmbeddedAzurite>;
type ForkAzuriteProcess = () => { pid: number; start: StartAzuriteProcess; discard(): void };
let startAzuriteProcess: StartAzuriteProcess;
let forkAzuriteProcess: ForkAzuriteProcess;
const dirs: string[] = [];

beforeAll(async () => {
  await ensureBuilt();
  ({ startAzuriteProcess, forkAzuriteProcess } = (await import(pathToFileURL(join(REPO, 'dist/emulator/src/storage/azurite-process.js')).href)) as {
    startAzuriteProcess: StartAzuriteProcess;
    forkAzuriteProcess: ForkAzuriteProcess;
  });
});
afterAll(async () => {
  for (const dir of dirs) await rm(dir, { recursive: true, force: true });
});

async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'ams-azurite-process-'));
  dirs.push(dir);
  return dir;
}

function portIsFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

async function until(check: () => Promise<boolean>, ms = 15_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 100));
  }
}

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('forkAzuriteProcess (the CLI forks the child before loading the server)', () => {
  it('opens nothing until started, then serves the directory it is given; a second start is refused', async () => {
    const dir = await tempDir();
    const forked = forkAzuriteProcess();
    // Time to load Azurite's modules: still no listener and nothing written to the directory.
    await new Promise((r) => setTimeout(r, 500));
    expect(isRunning(forked.pid)).toBe(true);
    expect(await readdir(dir)).toEqual([]);
    const azurite = await forked.start({ port: 0, location: dir });
    const service = BlobServiceClient.fromConnectionString(azurite.connectionString);
    await service.getContainerClient('c-forked').create();
    expect(await readdir(dir)).not.toEqual([]);
    await expect(forked.start({ port: 0 })).rejects.toThrow(/already started/);
    forked.discard();
    expect(await portIsFree(azurite.port)).toBe(false);
    await azurite.stop();
    expect(await portIsFree(azurite.port)).toBe(true);
  });

  it('ends a child that was never started when discarded', async () => {
    const forked = forkAzuriteProcess();
    expect(isRunning(forked.pid)).toBe(true);
    forked.discard();
    await until(async () => !isRunning(forked.pid));
  });
});

describe('startAzuriteProcess', () => {
  it('serves blobs from its own process and frees its port when stopped', async () => {
    const azurite = await startAzuriteProcess({ port: 0 });
    const service = BlobServiceClient.fromConnectionString(azurite.connectionString);
    await service.getContainerClient('c-one').create();
    await service.getContainerClient('c-one').getBlockBlobClient('a.txt').upload('hello', 5);
    expect((await service.getContainerClient('c-one').getBlobClient('a.txt').downloadToBuffer()).toString()).toBe('hello');
    expect(await portIsFree(azurite.port)).toBe(false);
    await azurite.stop();
    await azurite.stop();
    expect(await portIsFree(azurite.port)).toBe(true);
  });

  it('refuses a port in use with the child\'s clear message', async () => {
    const blocker = createServer();
    await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', () => r()));
    const port = (blocker.address() as { port: number }).port;
    await expect(startAzuriteProcess({ port })).rejects.toThrow(/port \d+ is in use/);
    blocker.close();
  });

  it('stops cleanly, keeping its blobs on disk, when the process that started it is killed with SIGKILL', async () => {
    const location = await tempDir();
    // A parent that starts Azurite, uploads a blob, reports, and waits to be killed.
    const script = `
      const { startAzuriteProcess } = await import(${JSON.stringify(pathToFileURL(join(REPO, 'dist/emulator/src/storage/azurite-process.js')).href)});
      const { BlobServiceClient } = await import('@azure/storage-blob');
      const azurite = await startAzuriteProcess({ port: 0, location: ${JSON.stringify(location)} });
      const service = BlobServiceClient.fromConnectionString(azurite.connectionString);
      await service.getContainerClient('kept').create();
      await service.getContainerClient('kept').getBlockBlobClient('b.txt').upload('survives', 8);
      process.stdout.write(JSON.stringify({ port: azurite.port }) + '\\n');
      setInterval(() => {}, 1000);
    `;
    const parent = spawn(process.execPath, ['--input-type=module', '-e', script], { cwd: REPO, stdio: ['ignore', 'pipe', 'inherit'] });
    const { port } = await new Promise<{ port: number }>((resolve, reject) => {
      parent.stdout!.once('data', (d: Buffer) => resolve(JSON.parse(d.toString()) as { port: number }));
      parent.once('exit', (code) => reject(new Error(`parent exited ${code}`)));
    });
    parent.kill('SIGKILL');
    // The child sees its IPC channel close, stops Azurite (saving its metadata) and exits.
    await until(() => portIsFree(port));
    const again = await startAzuriteProcess({ port: 0, location });
    try {
      const service = BlobServiceClient.fromConnectionString(again.connectionString);
      expect((await service.getContainerClient('kept').getBlobClient('b.txt').downloadToBuffer()).toString()).toBe('survives');
    } finally {
      await again.stop();
    }
  });
});
