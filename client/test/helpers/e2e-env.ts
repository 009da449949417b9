import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough, Writable } from 'node:stream';
import type { EmulatorConfig } from '../../../emulator/src/config.js';
import { ensureBuilt, REPO } from '../../../test/support/build.js';
import { startTestEmulator, type TestEmulator } from '../../../test/support/emulator.js';
import { runCli } from '../../src/cli/main.js';
import { emulatorAdmin, type FaultView, type RequestView } from './emulator-admin.js';

/**
 * The end-to-end rig: a real emulator with its own embedded Azurite, the CLI run in this process
 * (runCli) or as the built bin in a child process, and the emulator's own view of what happened
 * (state, verification, findings, fault rules).
 */

export const BIN = join(REPO, 'dist/client/src/cli/main.js');

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

export interface RunOptions {
  env?: Record<string, string>;
  /** In-process only: the signal the command sees (Ctrl-C in the bin). */
  signal?: AbortSignal;
  /** Called with each piece of stderr as it is written (to act on progress). */
  onStderr?: (text: string, all: string) => void;
  /** In-process only: make stderr look like a terminal of this many columns. */
  tty?: { columns: number };
}

export type CliRunner = (argv: readonly string[], options?: RunOptions) => Promise<CliRun>;

export interface VerificationView {
  fileId: string;
  assetId: string | null;
  fileName: string;
  status: 'pending' | 'verified' | 'failed' | 'skipped';
  reason: string;
}

export interface FindingView {
  rule: string;
  severity: string;
  message: string;
}

export interface E2eEnv {
  emu: TestEmulator;
  /** A scratch directory for this test file, removed by stop(). */
  dir: string;
  /** `--endpoint <api> --token e2e`, for the default `auth: any` emulator. */
  connection: string[];
  cli: CliRunner;
  bin: CliRunner;
  /** The verification of every file of the asset, once none is pending any more. */
  verifications(assetId: string): Promise<VerificationView[]>;
  errorFindings(): Promise<FindingView[]>;
  /** The emulator's stored entities, by collection. */
  state(): Promise<Record<string, Array<Record<string, unknown>>>>;
  addFault(rule: Record<string, unknown>): Promise<FaultView>;
  faults(): Promise<FaultView[]>;
  /** The API requests the emulator answered, oldest first. */
  requests(): Promise<RequestView[]>;
  stop(): Promise<void>;
}

export async function startE2eEnv(config: Partial<EmulatorConfig> = {}): Promise<E2eEnv> {
  await ensureBuilt();
  const emu = await startTestEmulator(config);
  const dir = await mkdtemp(join(tmpdir(), 'ams-client-e2e-'));
  const admin = emulatorAdmin(emu);
  return {
    emu,
    dir,
    connection: ['--endpoint', emu.url, '--token', 'e2e'],
    cli: inProcess,
    bin: childProcess,
    async verifications(assetId) {
      const body = await admin<{ idle: boolean; verifications: VerificationView[] }>('GET', `verifications?wait=30&assetId=${encodeURIComponent(assetId)}`);
      if (!body.idle) throw new Error('verification still pending after 30 s');
      return body.verifications;
    },
    errorFindings: async () => (await admin<{ findings: FindingView[] }>('GET', 'findings?severity=error')).findings,
    state: async () => (await admin<{ state: Record<string, Array<Record<string, unknown>>> }>('GET', 'state')).state,
    addFault: async (rule) => (await admin<{ faults: FaultView[] }>('POST', 'faults', rule)).faults[0]!,
    faults: async () => (await admin<{ faults: FaultView[] }>('GET', 'faults')).faults,
    requests: async () => (await admin<{ requests: RequestView[] }>('GET', 'requests')).requests,
    async stop() {
      await emu.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** runCli against in-memory streams. */
const inProcess: CliRunner = async (argv, options = {}) => {
  const out: Buffer[] = [];
  let err = '';
  const stdout = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      out.push(chunk);
      callback();
    },
  });
  const stderr = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      const text = chunk.toString('utf8');
      err += text;
      options.onStderr?.(text, err);
      callback();
    },
  });
  if (options.tty) Object.assign(stderr, { isTTY: true, columns: options.tty.columns });
  const stdin = new PassThrough();
  stdin.end();
  const code = await runCli(argv, { stdin, stdout, stderr, env: options.env ?? {}, ...(options.signal ? { signal: options.signal } : {}) });
  return { code, stdout: Buffer.concat(out).toString('utf8'), stderr: err };
};

/**
 * The built bin in a child process, as a user runs it: stdout and stderr are pipes (not a terminal),
 * and the AMS_* variables of the test run are not passed on unless given.
 */
const childProcess: CliRunner = (argv, options = {}) =>
  new Promise((resolve, reject) => {
    const inherited = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('AMS_')));
    const child = spawn(process.execPath, [BIN, ...argv], { cwd: REPO, env: { ...inherited, ...options.env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
    child.stderr.on('data', (chunk: Buffer) => {
      const text = chunk.toString('utf8');
      stderr += text;
      options.onStderr?.(text, stderr);
    });
    options.signal?.addEventListener('abort', () => child.kill('SIGINT'), { once: true });
    child.on('error', reject);
    child.on('close', (code, signal) => {
      if (code === null) reject(new Error(`ams-client ended by ${signal}; stderr: ${stderr}`));
      else resolve({ code, stdout, stderr });
    });
  });

/** The result line of `upload --json` / `download --json`: the last line of stdout. */
export function lastJsonLine<T>(run: CliRun): T {
  const lines = run.stdout.trimEnd().split('\n');
  return JSON.parse(lines[lines.length - 1]!) as T;
}

export interface UploadJson {
  assetId: string;
  contentKeyId: string;
  files: Array<{ id: string; name: string; size: number; iv: string; md5: string }>;
}

export interface DownloadJson {
  assetId: string;
  files: Array<{ id: string; name: string; size: number; path: string; md5: string; checksumVerified: boolean }>;
}
