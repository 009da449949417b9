/**
 * Run the real `ams-emulator` command (`node dist/emulator/src/cli.js`) as a child process. The
 * dist build is refreshed first when any source is newer than the last build this helper made
 * (`tsc -p tsconfig.build.json` emits even when other people's files do not type-check).
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, readdirSync, rmdirSync, statSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
export const CLI = path.join(REPO_ROOT, 'dist/emulator/src/cli.js');

const STAMP = path.join(tmpdir(), `ams-cli-build-${Buffer.from(REPO_ROOT).toString('hex').slice(-24)}.stamp`);
const LOCK = `${STAMP}.lock`;
const SOURCES = ['emulator/src', 'client/src', 'package.json'];

function newestMtime(entry: string): number {
  const stat = statSync(entry);
  if (!stat.isDirectory()) return stat.mtimeMs;
  let newest = 0;
  for (const name of readdirSync(entry)) newest = Math.max(newest, newestMtime(path.join(entry, name)));
  return newest;
}

function isStale(): boolean {
  if (!existsSync(CLI) || !existsSync(STAMP)) return true;
  const built = statSync(STAMP).mtimeMs;
  return SOURCES.some((s) => newestMtime(path.join(REPO_ROOT, s)) > built);
}

/** Build dist/ when stale; one build at a time across test workers. */
export async function ensureCliBuilt(): Promise<void> {
  if (!isStale()) return;
  const started = Date.now();
  for (;;) {
    try {
      mkdirSync(LOCK);
      break;
    } catch {
      if (Date.now() - started > 120_000) throw new Error(`another build has held ${LOCK} for 2 minutes`);
      await new Promise((r) => setTimeout(r, 250));
    }
  }
  try {
    if (!isStale()) return;
    const stampTime = Date.now();
    await promisify(execFile)('npx', ['tsc', '-p', 'tsconfig.build.json'], { cwd: REPO_ROOT, maxBuffer: 16 * 1024 * 1024 }).catch((err: { stdout?: string }) => {
      // Type errors in files being written by others still emit; only a missing output is fatal.
      if (!existsSync(CLI)) throw new Error(`tsc did not produce ${CLI}: ${err.stdout ?? String(err)}`);
    });
    writeFileSync(STAMP, String(stampTime));
  } finally {
    rmdirSync(LOCK);
  }
}

export interface CliRun {
  child: ChildProcess;
  stdout(): string;
  stderr(): string;
  /** Resolves with the banner once it is printed (rejects if the process exits first). */
  banner(): Promise<string>;
  /** Resolves when the process exits. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** SIGTERM, then the exit. */
  stop(): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** Start `ams-emulator` with these arguments and extra environment (no AMS_EMULATOR_* inherited). */
export function runCli(args: readonly string[], env: Record<string, string> = {}, cwd: string = REPO_ROOT): CliRun {
  const base = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('AMS_EMULATOR_')));
  const child = spawn(process.execPath, [CLI, ...args], { cwd, env: { ...base, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout!.setEncoding('utf8').on('data', (c: string) => (out += c));
  child.stderr!.setEncoding('utf8').on('data', (c: string) => (err += c));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
  const banner = () =>
    new Promise<string>((resolve, reject) => {
      const check = () => {
        // The Dashboard line is the banner's last but for the beyond-loopback warning.
        if (/\n {2}Dashboard: +\S+\n/.test(out)) {
          child.stdout!.off('data', check);
          resolve(out);
        }
      };
      child.stdout!.on('data', check);
      check();
      void exited.then(({ code, signal }) => reject(new Error(`ams-emulator exited (${code ?? signal}) before its banner; stderr: ${err}`)));
    });
  return {
    child,
    stdout: () => out,
    stderr: () => err,
    banner,
    exited,
    stop: () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      return exited;
    },
  };
}

/** The value of a `  Label:   value` banner line. */
export function bannerField(banner: string, label: string): string {
  const m = new RegExp(`^ {2}${label}: +(.+)$`, 'm').exec(banner);
  if (!m) throw new Error(`no "${label}" line in the banner:\n${banner}`);
  return m[1]!.trim();
}
