import { spawn } from 'node:child_process';
import { accessSync, constants, statSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import type { Layer } from './presets.js';

/**
 * The optional real transcode (`--ffmpeg-transcode`): instead of copying the input under each
 * output name, a simulated encoder runs ffmpeg once per output file. The emulator stays honest
 * about it: asked for ffmpeg and none found, it refuses to start rather than fall back to copies.
 */

/** The ffmpeg binary on `pathEnv` (a PATH value), or undefined when none is there. */
export function findFfmpeg(pathEnv: string | undefined, platform: NodeJS.Platform = process.platform): string | undefined {
  const names = platform === 'win32' ? ['ffmpeg.exe', 'ffmpeg.cmd', 'ffmpeg.bat'] : ['ffmpeg'];
  for (const dir of (pathEnv ?? '').split(delimiter)) {
    if (dir === '') continue;
    for (const name of names) {
      const candidate = join(dir, name);
      try {
        if (!statSync(candidate).isFile()) continue;
        accessSync(candidate, constants.X_OK);
        return candidate;
      } catch {
        // Not there, or not executable: keep looking, as a shell would.
      }
    }
  }
  return undefined;
}

/** Longest `ffmpeg -version` may take at start-up. */
const VERSION_TIMEOUT_MS = 15_000;

/** Start-up check: `ffmpeg -version` runs and exits 0. Throws an Error saying what failed. Returns its first line. */
export async function checkFfmpeg(path: string): Promise<string> {
  try {
    const { stdout } = await run(path, ['-hide_banner', '-version'], AbortSignal.timeout(VERSION_TIMEOUT_MS));
    return stdout.split('\n')[0]!.trim();
  } catch (err) {
    throw new Error(`--ffmpeg-transcode: ${path} does not run as ffmpeg (${(err as Error).message}); install ffmpeg or leave the flag off to have the encoders copy the input`);
  }
}

/** What one output file is: a video layer (with the preset's audio) or an audio-only rendition. */
export type TranscodeTarget = { kind: 'video'; layer: Layer; audioKbps: number } | { kind: 'audio'; audioKbps: number };

/**
 * ffmpeg's arguments for one output: H.264 at the layer's bitrate and size with AAC audio (each
 * stream only if the input has one), or AAC alone; MP4 with the index first, as MES wrote them.
 */
export function transcodeArgs(input: string, output: string, target: TranscodeTarget): string[] {
  const head = ['-hide_banner', '-nostdin', '-loglevel', 'error', '-y', '-i', input];
  const audio = ['-c:a', 'aac', '-b:a', `${target.audioKbps}k`];
  const tail = ['-movflags', '+faststart', '-f', 'mp4', output];
  if (target.kind === 'audio') return [...head, '-map', '0:a:0', '-vn', ...audio, ...tail];
  const { width, height, kbps } = target.layer;
  return [...head, '-map', '0:v:0', '-map', '0:a:0?', '-c:v', 'libx264', '-b:v', `${kbps}k`, '-vf', `scale=${width}:${height}`, '-pix_fmt', 'yuv420p', ...audio, ...tail];
}

/** Why ffmpeg did not produce an output: its exit and the end of what it said. */
export class TranscodeError extends Error {}

/** Run one transcode; rejects with TranscodeError when ffmpeg fails, with the abort reason when aborted. */
export async function transcode(ffmpeg: string, input: string, output: string, target: TranscodeTarget, signal: AbortSignal): Promise<void> {
  try {
    await run(ffmpeg, transcodeArgs(input, output, target), signal);
  } catch (err) {
    if (signal.aborted) throw signal.reason instanceof Error ? signal.reason : err;
    throw new TranscodeError((err as Error).message);
  }
}

/** The last characters of ffmpeg's stderr kept for a message (it can print a lot). */
const STDERR_TAIL = 2000;

function run(command: string, args: string[], signal: AbortSignal): Promise<{ stdout: string }> {
  return new Promise((resolve, reject) => {
    let stdout = '';
    let stderr = '';
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'], signal, windowsHide: true });
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      if (stdout.length < 64 * 1024) stdout += chunk;
    });
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      stderr = (stderr + chunk).slice(-STDERR_TAIL);
    });
    child.on('error', reject);
    child.on('close', (code, killedBy) => {
      if (code === 0) resolve({ stdout });
      else reject(new Error(`${killedBy ? `killed by ${killedBy}` : `exit code ${code}`}${stderr.trim() ? `: ${stderr.trim()}` : ''}`));
    });
  });
}
