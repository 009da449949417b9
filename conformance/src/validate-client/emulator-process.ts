import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseBanner, type EmulatorBanner } from './banner.js';

export interface SpawnedEmulator extends EmulatorBanner {
  /** Stop it (SIGTERM, then SIGKILL if it lingers) and wait for it to exit. */
  stop(): Promise<void>;
}

const START_TIMEOUT_MS = 60_000;
const STOP_TIMEOUT_MS = 10_000;

/** The `ams-emulator` bin of this package's build (`dist/emulator/src/cli.js`). */
export function emulatorBin(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const manifest = join(dir, 'package.json');
    if (existsSync(manifest) && isThisPackage(manifest)) {
      const bin = join(dir, 'dist', 'emulator', 'src', 'cli.js');
      if (!existsSync(bin)) throw new Error(`the emulator is not built (${bin} is missing): run npm run build`);
      return bin;
    }
    const parent = dirname(dir);
    if (parent === dir) throw new Error('cannot find the ams-v2-emulator package this kit belongs to');
    dir = parent;
  }
}

function isThisPackage(manifest: string): boolean {
  try {
    return (JSON.parse(readFileSync(manifest, 'utf8')) as { name?: unknown }).name === 'ams-v2-emulator';
  } catch {
    return false;
  }
}

/**
 * A fresh emulator in its own process: in memory, on free ports, with its own embedded Azurite,
 * no access log. Ready when its banner is out; the banner says where everything is.
 */
export async function startEmulatorProcess(options: { strict: boolean; auth?: 'any' | 'strict'; bin?: string }): Promise<SpawnedEmulator> {
  const args = [options.bin ?? emulatorBin(), '--port', '0', '--azurite-port', '0', '--in-memory', '--silent'];
  if (options.strict) args.push('--strict');
  if (options.auth) args.push('--auth', options.auth);
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'], env: withoutEmulatorSettings(process.env) });
  let stdout = '';
  let stderr = '';
  child.stdout!.setEncoding('utf8');
  child.stderr!.setEncoding('utf8');
  const banner = await new Promise<EmulatorBanner>((resolve, reject) => {
    const timer = setTimeout(() => fail(new Error(`the emulator did not start within ${START_TIMEOUT_MS / 1000} s`)), START_TIMEOUT_MS);
    const fail = (err: Error): void => {
      clearTimeout(timer);
      child.kill('SIGKILL');
      reject(err);
    };
    child.stdout!.on('data', (chunk: string) => {
      stdout += chunk;
      try {
        const parsed = parseBanner(stdout);
        if (parsed) {
          clearTimeout(timer);
          resolve(parsed);
        }
      } catch (err) {
        fail(err as Error);
      }
    });
    child.stderr!.on('data', (chunk: string) => {
      stderr += chunk;
    });
    child.once('error', (err) => fail(new Error(`the emulator could not be started: ${err.message}`)));
    child.once('exit', (code, signal) => fail(new Error(`the emulator exited before it was ready (${signal ?? `exit code ${code}`}): ${stderr.trim() || stdout.trim() || 'no output'}`)));
  });
  child.removeAllListeners('exit');
  // Whatever it says from now on is noise for the report; keep draining so it never blocks.
  child.stdout!.resume();
  child.stderr!.resume();
  return { ...banner, stop: () => stop(child) };
}

function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

/** The emulator reads AMS_EMULATOR_* from the environment; a user's settings must not change the fresh one. */
function withoutEmulatorSettings(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(env).filter(([name]) => !name.startsWith('AMS_EMULATOR_')));
}
