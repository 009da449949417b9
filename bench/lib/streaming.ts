import { execFile, spawnSync } from 'node:child_process';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';

export const STREAM_HIGH_WATER_MARK = 1024 * 1024;

/** What the streaming child measured about itself. */
export interface StreamChildReport {
  /** Time of the pipeline alone, without Node's start-up. */
  seconds: number;
  rssAtStart: number;
  rssPeakSampled: number;
  /** The process's true peak RSS (Linux VmHWM; the sampled peak elsewhere). */
  peakRss: number;
}

const CHILD = fileURLToPath(new URL('./stream-child.js', import.meta.url));
const CTR_CHILD = fileURLToPath(new URL('./ctr-child.js', import.meta.url));

/** Encrypt `input` to `output` with the library in a fresh Node process. */
export async function runLibraryStreamEncrypt(input: string, output: string, keyHex: string, iv: bigint): Promise<StreamChildReport> {
  const stdout = await run(process.execPath, [CHILD, input, output, keyHex, iv.toString()]);
  return JSON.parse(stdout) as StreamChildReport;
}

/** Node's own cipher over one `bufferBytes` buffer in a fresh process, with or without the allocator primer; MiB/s. */
export async function runNodeCipherChild(mode: 'primed' | 'unprimed', bufferBytes: number, totalBytes: number): Promise<number> {
  return Number((await run(process.execPath, [CTR_CHILD, mode, String(bufferBytes), String(totalBytes)])).trim());
}

/** `openssl version`, or undefined when there is no openssl on PATH. */
export function opensslVersion(): string | undefined {
  const result = spawnSync('openssl', ['version'], { encoding: 'utf8' });
  return result.status === 0 ? result.stdout.trim() : undefined;
}

/**
 * `openssl speed -evp aes-256-ctr` at one buffer size for about a second, wall clock (`-elapsed`,
 * as the library is timed); returns MiB/s.
 */
export async function opensslSpeed(bufferBytes: number): Promise<number> {
  const stdout = await run('openssl', ['speed', '-elapsed', '-seconds', '1', '-bytes', String(bufferBytes), '-evp', 'aes-256-ctr']);
  // The last line: `AES-256-CTR  7410769.92k`, in thousands of bytes per second.
  const thousands = /^\S+\s+([\d.]+)k\s*$/m.exec(stdout.trim().split('\n').at(-1) ?? '')?.[1];
  if (thousands === undefined) throw new Error(`openssl speed printed no throughput:\n${stdout}`);
  return (Number(thousands) * 1000) / (1024 * 1024);
}

/**
 * `openssl enc -aes-256-ctr` file to file; returns wall-clock seconds including its start-up
 * (a few milliseconds, which only flatters the library's ratio by that much).
 */
export async function runOpensslEncrypt(input: string, output: string, keyHex: string, counterHex: string): Promise<number> {
  const start = performance.now();
  await run('openssl', ['enc', '-aes-256-ctr', '-K', keyHex, '-iv', counterHex, '-in', input, '-out', output]);
  return (performance.now() - start) / 1000;
}

function run(command: string, args: readonly string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(command, args, { encoding: 'utf8' }, (err, stdout, stderr) => {
      if (err) reject(new Error(`${command} failed: ${stderr.trim() || err.message}`));
      else resolve(stdout);
    });
  });
}
