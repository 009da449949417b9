import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { configFromArgs, FLAGS } from '../../src/cli.js';
import { parseConnectionString } from '../../src/storage/connection-string.js';
import { startTestAzurite, type TestAzurite } from '../../../test/support/azurite.js';
import { ensureBuilt } from '../../../test/support/build.js';

/**
 * Docker is not available on the machines that run these tests, so the compose file and the
 * Dockerfile are checked against the CLI they drive: every variable is one the CLI knows, ports and
 * health checks agree, and the emulator really starts with the compose environment.
 */
const root = new URL('../../../', import.meta.url);
const compose = parse(readFileSync(new URL('docker-compose.yml', root), 'utf8')) as Compose;
const dockerfile = readFileSync(new URL('Dockerfile', root), 'utf8');
const pkg = JSON.parse(readFileSync(new URL('package.json', root), 'utf8')) as { bin: Record<string, string>; dependencies: Record<string, string>; scripts: Record<string, string> };
const dockerignore = readFileSync(new URL('.dockerignore', root), 'utf8').split('\n').map((line) => line.trim()).filter((line) => line && !line.startsWith('#'));

interface Service {
  image?: string;
  build?: unknown;
  command?: string[];
  ports?: string[];
  environment?: Record<string, string>;
  depends_on?: Record<string, { condition: string }>;
  healthcheck?: { test: string[] };
  restart?: string;
}
interface Compose {
  services: Record<string, Service>;
}

const azurite = compose.services['azurite']!;
const emulator = compose.services['ams-emulator']!;
const env = emulator.environment ?? {};

function flagValue(command: string[], flag: string): string | undefined {
  const i = command.indexOf(flag);
  return i >= 0 ? command[i + 1] : undefined;
}

describe('docker-compose.yml', () => {
  it('pins Azurite to the version the emulator embeds and health-checks its blob port', () => {
    expect(azurite.image).toBe(`mcr.microsoft.com/azure-storage/azurite:${pkg.dependencies['azurite']}`);
    const command = azurite.command ?? [];
    expect(command[0]).toBe('azurite-blob');
    expect(flagValue(command, '--blobHost')).toBe('0.0.0.0');
    const port = flagValue(command, '--blobPort');
    expect(port).toMatch(/^\d+$/);
    expect(azurite.ports).toContain(`${port}:${port}`);
    expect(azurite.healthcheck?.test.join(' ')).toContain(port);
  });

  it('starts the emulator only once Azurite is healthy, and again when it gives up', () => {
    expect(emulator.build).toBe('.');
    expect(emulator.depends_on).toEqual({ azurite: { condition: 'service_healthy' } });
    // podman-compose 1.0.x ignores the condition: the emulator's own wait for storage and a restart cover it.
    expect(emulator.restart).toBe('on-failure');
    expect(env['AMS_EMULATOR_STORAGE_WAIT'] ?? '').not.toBe('0');
  });

  it('writes both health checks as CMD-SHELL strings (podman-compose 1.0.x mangles exec-form tests)', () => {
    for (const service of [azurite, emulator]) {
      expect(service.healthcheck?.test[0]).toBe('CMD-SHELL');
      expect(service.healthcheck?.test).toHaveLength(2);
    }
  });

  it('uses only environment variables the CLI reads', () => {
    const known = new Set(FLAGS.map((f) => f.env));
    expect(Object.keys(env).length).toBeGreaterThan(0);
    for (const name of Object.keys(env)) expect(known, `${name} is not an ams-emulator variable`).toContain(name);
    const { config } = configFromArgs([], env);
    expect(config.host).toBe('0.0.0.0');
    expect(config.port).toBe(Number(env['AMS_EMULATOR_PORT']));
    expect(config.location).toBe('/data');
  });

  it('publishes the API port the emulator listens on and health-checks it', () => {
    const port = env['AMS_EMULATOR_PORT'];
    expect(emulator.ports).toContain(`${port}:${port}`);
    expect(emulator.healthcheck?.test.join(' ')).toContain(`127.0.0.1:${port}/_emulator/health`);
  });

  it('points the emulator at the azurite service and clients at the published blob port', () => {
    const blobPort = flagValue(azurite.command ?? [], '--blobPort');
    const connection = parseConnectionString(env['AMS_EMULATOR_STORAGE_CONNECTION_STRING']!);
    expect(new URL(connection.blobEndpoint).host).toBe(`azurite:${blobPort}`);
    expect(new URL(env['AMS_EMULATOR_PUBLIC_BLOB_ENDPOINT']!).host).toBe(`127.0.0.1:${blobPort}`);
    expect(new URL(env['AMS_EMULATOR_PUBLIC_BLOB_ENDPOINT']!).pathname).toBe(`/${connection.accountName}`);
  });
});

describe('Dockerfile', () => {
  it('runs the ams-emulator bin, listening on all interfaces on the exposed port, with a health check', () => {
    const cmd = /^CMD \[(.*)\]$/m.exec(dockerfile)?.[1];
    expect(cmd).toBeDefined();
    expect(JSON.parse(`[${cmd}]`)).toEqual(['node', pkg.bin['ams-emulator']]);
    const port = /AMS_EMULATOR_PORT=(\d+)/.exec(dockerfile)?.[1];
    expect(/^EXPOSE (\d+)$/m.exec(dockerfile)?.[1]).toBe(port);
    expect(dockerfile).toMatch(/AMS_EMULATOR_HOST=0\.0\.0\.0/);
    expect(dockerfile).toMatch(/HEALTHCHECK[\s\S]*\/_emulator\/health/);
    expect(/^FROM node:(\d+)/m.exec(dockerfile)?.[1]).toBe('20');
  });

  it('builds with the project\'s own build script, never npx, and runs as the unprivileged node user', () => {
    expect(dockerfile).toMatch(/^RUN npm run build\b/m);
    expect(dockerfile).not.toMatch(/\bnpx\b/);
    const finalStage = dockerfile.slice(dockerfile.lastIndexOf('\nFROM '));
    expect(/^USER (\S+)$/m.exec(finalStage)?.[1]).toBe('node');
    expect(finalStage).toMatch(/chown node:node \/data/);
  });

  it('keeps node_modules, dist, .git and data directories out of the build context', () => {
    for (const entry of ['node_modules', 'dist', '.git', '.ams-emulator']) expect(dockerignore).toContain(entry);
  });
});

describe('npm run build', () => {
  it('leaves the three bins executable', () => {
    const bins = Object.values(pkg.bin);
    expect(bins).toHaveLength(3);
    // As tsc leaves a file it writes anew: no execute bit.
    for (const bin of bins) chmodSync(new URL(bin, root), 0o644);
    const build = spawnSync('npm', ['run', 'build'], { cwd: root, encoding: 'utf8' });
    expect(build.status, build.stdout + build.stderr).toBe(0);
    for (const bin of bins) expect(statSync(new URL(bin, root)).mode & 0o111, bin).toBe(0o111);
  }, 180_000);
});

describe('the compose environment, run for real', () => {
  let storage: TestAzurite;
  let child: ChildProcess | undefined;
  let dir: string;

  beforeAll(async () => {
    await ensureBuilt();
    storage = await startTestAzurite();
    dir = mkdtempSync(join(tmpdir(), 'ams-compose-'));
  });
  afterAll(async () => {
    child?.kill('SIGTERM');
    await storage?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('starts the CLI with it (loopback, a free port and a local Azurite standing in for the services)', async () => {
    const azuriteHost = new URL(storage.url).host;
    const runEnv: NodeJS.ProcessEnv = {
      ...process.env,
      ...env,
      AMS_EMULATOR_HOST: '127.0.0.1',
      AMS_EMULATOR_PORT: '0',
      AMS_EMULATOR_LOCATION: dir,
      AMS_EMULATOR_STORAGE_CONNECTION_STRING: env['AMS_EMULATOR_STORAGE_CONNECTION_STRING']!.replace(/azurite:\d+/, azuriteHost),
      AMS_EMULATOR_SILENT: '1',
    };
    child = spawn(process.execPath, [new URL(pkg.bin['ams-emulator']!, root).pathname], { env: runEnv, stdio: ['ignore', 'pipe', 'pipe'] });
    const api = await new Promise<string>((resolve, reject) => {
      let out = '';
      let err = '';
      child!.stdout!.on('data', (d: Buffer) => {
        out += d.toString();
        const m = /API:\s+(\S+)/.exec(out);
        if (m) resolve(m[1]!);
      });
      child!.stderr!.on('data', (d: Buffer) => (err += d.toString()));
      child!.on('exit', (code) => reject(new Error(`ams-emulator exited with ${code}: ${err}`)));
    });
    const base = api.replace(/api\/$/, '');
    expect((await fetch(`${base}_emulator/health`)).status).toBe(200);
    // The compose health check, run by a shell as CMD-SHELL is, against this emulator's port.
    const check = emulator.healthcheck!.test[1]!.replace(`127.0.0.1:${env['AMS_EMULATOR_PORT']}`, new URL(base).host);
    // Not spawnSync: the stand-in Azurite runs in this process and must keep answering.
    const checked = spawn('/bin/sh', ['-c', check], { stdio: 'ignore' });
    expect(await new Promise((resolve) => checked.on('exit', resolve))).toBe(0);
    const created = await fetch(`${api}Assets`, {
      method: 'POST',
      headers: { Authorization: 'Bearer x', 'x-ms-version': '2.19', Accept: 'application/json', 'Content-Type': 'application/json' },
      body: JSON.stringify({ Name: 'compose' }),
    });
    expect(created.status).toBe(201);
    const asset = (await created.json()) as { Uri: string };
    expect(asset.Uri.startsWith(`${env['AMS_EMULATOR_PUBLIC_BLOB_ENDPOINT']}/asset-`)).toBe(true);
  });
});
