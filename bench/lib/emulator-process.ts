import { spawn, type ChildProcess } from 'node:child_process';
import { get } from 'node:http';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';

const CLI = fileURLToPath(new URL('../../emulator/src/cli.js', import.meta.url));

export interface EmulatorProcess {
  /** The API root, ending in `/api/`. */
  api: string;
  /** The emulator root, ending in `/`. */
  base: string;
  /** The connection string of its embedded Azurite. */
  storageConnectionString: string;
  /** From spawn to a healthy emulator (start-up time with whatever state `location` holds). */
  startedInMs: number;
  /** SIGTERM, and wait for the exit. */
  stop(): Promise<void>;
  /** SIGKILL (a crash), and wait for the exit. */
  kill(): Promise<void>;
}

/**
 * The `ams-emulator` bin in its own process with its state (and its embedded Azurite's blobs) on
 * disk under `location`, so a bench's own RSS and CPU are the client's. Resolves once it is healthy.
 */
export async function startEmulatorProcess(location: string): Promise<EmulatorProcess> {
  const started = performance.now();
  const child = spawn(process.execPath, [CLI, '--port', '0', '--azurite-port', '0', '--location', location, '--silent'], { stdio: ['ignore', 'pipe', 'pipe'] });
  const banner = await new Promise<string>((resolve, reject) => {
    let out = '';
    let err = '';
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      if (/Health:/.test(out)) resolve(out);
    });
    child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
    child.once('exit', (code) => reject(new Error(`ams-emulator exited with ${code}: ${err}`)));
  });
  const api = bannerValue(banner, 'API');
  const base = api.replace(/api\/$/, '');
  // Node's http, not fetch: the first fetch of a process loads undici (~30 ms here), which only
  // the first start-up a bench measures would pay, timing the bench instead of the emulator.
  while ((await healthStatus(`${base}_emulator/health`)) !== 200) await new Promise((r) => setTimeout(r, 20));
  return {
    api,
    base,
    storageConnectionString: bannerValue(banner, 'Storage connection'),
    startedInMs: performance.now() - started,
    stop: () => end(child, 'SIGTERM'),
    kill: () => end(child, 'SIGKILL'),
  };
}

/** The status of a GET (0 when it failed), on a connection of its own that is closed after it. */
function healthStatus(url: string): Promise<number> {
  return new Promise((resolve) => {
    get(url, { agent: false }, (res) => {
      res.resume();
      res.once('end', () => resolve(res.statusCode ?? 0));
      res.once('error', () => resolve(0));
    }).once('error', () => resolve(0));
  });
}

function bannerValue(banner: string, label: string): string {
  const value = new RegExp(`^\\s*${label}:\\s+(\\S+)`, 'm').exec(banner)?.[1];
  if (value === undefined) throw new Error(`the emulator's banner has no "${label}:" line:\n${banner}`);
  return value;
}

async function end(child: ChildProcess, signal: NodeJS.Signals): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill(signal);
  await exited;
}
