import { spawnSync } from 'node:child_process';
import { chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { configFromArgs, UsageError } from '../../../src/cli.js';
import { findFfmpeg, transcodeArgs } from '../../../src/jobs/encoders/ffmpeg.js';
import { startEmulator } from '../../../src/server.js';
import { entityPath, startTestEmulator, type JsonBody, type TestEmulator } from '../../../../test/support/emulator.js';
import { downloadAsset, getJob, jobIdOf, listOf, postJob, sample, taskBody, uploadEncryptedAsset } from '../../helpers/jobs-fixtures.js';

/**
 * `--ffmpeg-transcode`: the flag and its variable find ffmpeg on the PATH or refuse to start; the
 * encoders run it once per media file, with the layer's size and bitrate, on the clear input. A
 * stub ffmpeg the test writes (it records its arguments and writes a recognisable output) proves
 * the wiring on any machine; a real ffmpeg, where one is installed, proves the arguments work.
 */

const MES = 'nb:mpid:UUID:ff4df607-d419-42f0-bc17-a481b1331e56';
const WAME = 'nb:mpid:UUID:2e7aa8f3-4961-4e0c-b4db-0e0439e524f5';

/**
 * A stand-in ffmpeg: `-version` answers; a transcode appends its arguments to calls.jsonl beside
 * it and writes "stub <args>\n" + the input's bytes to the output; an input starting with FAIL
 * makes it exit 1 saying why, as ffmpeg does on a file it cannot read.
 */
const STUB = `#!/usr/bin/env node
const fs = require('fs');
const path = require('path');
const args = process.argv.slice(2);
if (args.includes('-version')) { process.stdout.write('ffmpeg version stub\\n'); process.exit(0); }
fs.appendFileSync(path.join(__dirname, 'calls.jsonl'), JSON.stringify(args) + '\\n');
const input = fs.readFileSync(args[args.indexOf('-i') + 1]);
if (input.subarray(0, 4).toString() === 'FAIL') { process.stderr.write('input.mp4: Invalid data found when processing input\\n'); process.exit(1); }
fs.writeFileSync(args[args.length - 1], Buffer.concat([Buffer.from('stub ' + args.join(' ') + '\\n'), input]));
`;

const dirs: string[] = [];
afterAll(async () => {
  for (const dir of dirs) await rm(dir, { recursive: true, force: true });
});

async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'ams-ffmpeg-test-'));
  dirs.push(dir);
  return dir;
}

/** A directory holding the stub as `ffmpeg` (executable); returns the directory. */
async function stubDir(): Promise<string> {
  const dir = await tempDir();
  await writeFile(join(dir, 'ffmpeg'), STUB);
  await chmod(join(dir, 'ffmpeg'), 0o755);
  return dir;
}

async function calls(dir: string): Promise<string[][]> {
  const text = await readFile(join(dir, 'calls.jsonl'), 'utf8').catch(() => '');
  return text
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => JSON.parse(line) as string[]);
}

describe('--ffmpeg-transcode and AMS_EMULATOR_FFMPEG_TRANSCODE', () => {
  it('take the ffmpeg found on the PATH (an executable file, first match wins); off, no ffmpeg is used', async () => {
    const stub = await stubDir();
    const notExecutable = await tempDir();
    await writeFile(join(notExecutable, 'ffmpeg'), STUB);
    await chmod(join(notExecutable, 'ffmpeg'), 0o644);
    const PATH = [await tempDir(), notExecutable, stub].join(delimiter);
    expect(configFromArgs(['--ffmpeg-transcode', '--in-memory'], { PATH }).config.ffmpegPath).toBe(join(stub, 'ffmpeg'));
    expect(configFromArgs(['--in-memory'], { PATH, AMS_EMULATOR_FFMPEG_TRANSCODE: '1' }).config.ffmpegPath).toBe(join(stub, 'ffmpeg'));
    expect(configFromArgs(['--in-memory'], { PATH }).config.ffmpegPath).toBeUndefined();
    expect(configFromArgs(['--in-memory'], { PATH, AMS_EMULATOR_FFMPEG_TRANSCODE: 'off' }).config.ffmpegPath).toBeUndefined();
    expect(findFfmpeg(undefined)).toBeUndefined();
  });

  it('refuse to start without ffmpeg on the PATH, saying so, rather than fall back to copies', async () => {
    const empty = await tempDir();
    for (const [args, env] of [
      [['--ffmpeg-transcode'], { PATH: empty }],
      [[], { PATH: empty, AMS_EMULATOR_FFMPEG_TRANSCODE: 'true' }],
      [['--ffmpeg-transcode'], {}],
    ] as const) {
      let thrown: unknown;
      try {
        configFromArgs(args, env);
      } catch (err) {
        thrown = err;
      }
      expect(thrown).toBeInstanceOf(UsageError);
      expect((thrown as Error).message).toMatch(/--ffmpeg-transcode needs ffmpeg on the PATH and none was found there; install ffmpeg/);
    }
  });

  it('an ffmpeg that does not run fails the start, before anything is started', async () => {
    await expect(startEmulator({ port: 0, azuritePort: 0, silent: true, ffmpegPath: join(await tempDir(), 'no-such-ffmpeg') })).rejects.toThrow(/--ffmpeg-transcode: .*no-such-ffmpeg does not run as ffmpeg/);
    const broken = await tempDir();
    await writeFile(join(broken, 'ffmpeg'), '#!/bin/sh\necho "not today" >&2\nexit 3\n');
    await chmod(join(broken, 'ffmpeg'), 0o755);
    await expect(startEmulator({ port: 0, azuritePort: 0, silent: true, ffmpegPath: join(broken, 'ffmpeg') })).rejects.toThrow(/does not run as ffmpeg \(exit code 3: not today\)/);
  });
});

describe('encoders with a stub ffmpeg', () => {
  let emu: TestEmulator;
  let stub: string;
  beforeAll(async () => {
    stub = await stubDir();
    emu = await startTestEmulator({ ffmpegPath: join(stub, 'ffmpeg') });
  });
  afterAll(() => emu.close());
  beforeEach(async () => {
    await emu.reset();
    await rm(join(stub, 'calls.jsonl'), { force: true });
  });

  async function encode(processor: string, preset: string, data: Buffer): Promise<{ jobId: string; job: JsonBody; outputId: string }> {
    const input = await uploadEncryptedAsset(emu, [{ name: 'clip.mp4', data }]);
    const res = await postJob(emu, [input.assetId], 'minimal', { tasks: [{ MediaProcessorId: processor, Configuration: preset, TaskBody: taskBody({ assetName: 'out' }) }] });
    expect(res.status, res.text).toBe(201);
    const jobId = jobIdOf(res);
    const job = await getJob(emu, jobId);
    const [output] = await listOf(emu, `${entityPath('Jobs', jobId)}/OutputMediaAssets`);
    return { jobId, job, outputId: String(output!.Id) };
  }

  it('MES: one ffmpeg run per layer with its size and bitrate, on the clear input; the files, sizes and manifest are what it wrote', async () => {
    const data = sample(50_000);
    const { jobId, job, outputId } = await encode(MES, 'H264 Multiple Bitrate 720p', data);
    expect(job.State).toBe(3);
    const made = await calls(stub);
    expect(made.map((args) => [args[args.indexOf('-b:v') + 1], args[args.indexOf('-vf') + 1]])).toEqual([
      ['3400k', 'scale=1280:720'],
      ['2250k', 'scale=960:540'],
      ['1500k', 'scale=960:540'],
      ['1000k', 'scale=640:360'],
      ['650k', 'scale=640:360'],
      ['400k', 'scale=320:180'],
    ]);
    for (const args of made) expect(args).toEqual(expect.arrayContaining(['-c:v', 'libx264', '-c:a', 'aac', '-b:a', '128k', '-f', 'mp4']));
    const downloaded = await downloadAsset(emu, outputId);
    const files = await listOf(emu, `${entityPath('Assets', outputId)}/Files`);
    const manifest = downloaded.get('clip_manifest.xml')!.toString('utf8');
    for (const name of ['clip_1280x720_3400.mp4', 'clip_320x180_400.mp4']) {
      const bytes = downloaded.get(name)!;
      // What the stub wrote: its arguments, then the clear input (decrypted before ffmpeg saw it).
      expect(bytes.subarray(0, 5).toString()).toBe('stub ');
      expect(bytes.subarray(bytes.length - data.length).equals(data)).toBe(true);
      const entity = files.find((f) => f.Name === name)!;
      expect(Number(entity.ContentFileSize)).toBe(bytes.length);
      expect(manifest).toContain(`Size="${bytes.length}"`);
    }
    // The manifests say how the files were made, not that they are copies.
    expect(manifest).toContain("ffmpeg's transcode of the input file 'clip.mp4'");
    expect(manifest).not.toContain('byte copy');
    expect(downloaded.get('clip.ism')!.toString('utf8')).toContain("ffmpeg's transcode");
    const [task] = await listOf(emu, `${entityPath('Jobs', jobId)}/Tasks`);
    expect(task!.PerfMessage).toContain('transcoded by ffmpeg');
  });

  it('WAME MP4 set: the audio-only renditions are AAC alone at the bitrate their names carry', async () => {
    const { job } = await encode(WAME, 'H264 Adaptive Bitrate MP4 Set 720p', sample(2000));
    expect(job.State).toBe(3);
    const audioOnly = (await calls(stub)).filter((args) => args.includes('-vn'));
    expect(audioOnly.map((args) => args[args.indexOf('-b:a') + 1])).toEqual(['96k', '56k']);
    for (const args of audioOnly) expect(args).not.toContain('libx264');
  });

  it('an input ffmpeg cannot read: the task ends in Error with what ffmpeg said, and no media file is recorded', async () => {
    const { jobId, job, outputId } = await encode(MES, 'H264 Single Bitrate 720p', Buffer.concat([Buffer.from('FAIL'), sample(100)]));
    expect(job.State).toBe(4);
    const [task] = await listOf(emu, `${entityPath('Jobs', jobId)}/Tasks`);
    expect(task!.ErrorDetails).toEqual([{ Code: 'ContentUnsupported', Message: expect.stringMatching(/ffmpeg could not transcode 'clip.mp4' \(--ffmpeg-transcode\): exit code 1: input.mp4: Invalid data found/) }]);
    expect(await listOf(emu, `${entityPath('Assets', outputId)}/Files`)).toEqual([]);
  });
});

/** Whether a real ffmpeg and ffprobe are installed (the machine's, not a stub). */
const realFfmpeg = findFfmpeg(process.env['PATH']);
const hasRealFfmpeg = realFfmpeg !== undefined && spawnSync('ffprobe', ['-version']).status === 0;

describe('encoders with the real ffmpeg', () => {
  // An addition where ffmpeg is installed: the stub tests above run everywhere.
  it.runIf(hasRealFfmpeg)('MES "H264 Single Bitrate SD 16x9": a real H.264/AAC MP4 at 848x480 from a generated clip', async () => {
    const dir = await tempDir();
    const clip = join(dir, 'clip.mp4');
    const made = spawnSync(realFfmpeg!, ['-hide_banner', '-loglevel', 'error', '-f', 'lavfi', '-i', 'testsrc=duration=1:size=320x240:rate=10', '-f', 'lavfi', '-i', 'sine=duration=1', '-c:v', 'libx264', '-c:a', 'aac', '-shortest', clip]);
    expect(made.status, made.stderr.toString()).toBe(0);
    const emu = await startTestEmulator({ ffmpegPath: realFfmpeg! });
    try {
      const input = await uploadEncryptedAsset(emu, [{ name: 'clip.mp4', data: await readFile(clip) }]);
      const res = await postJob(emu, [input.assetId], 'minimal', { tasks: [{ MediaProcessorId: MES, Configuration: 'H264 Single Bitrate SD 16x9', TaskBody: taskBody({ assetName: 'real' }) }] });
      const jobId = jobIdOf(res);
      expect((await getJob(emu, jobId)).State).toBe(3);
      const [output] = await listOf(emu, `${entityPath('Jobs', jobId)}/OutputMediaAssets`);
      const encoded = (await downloadAsset(emu, String(output!.Id))).get('clip_848x480_2200.mp4')!;
      await writeFile(join(dir, 'out.mp4'), encoded);
      const probe = spawnSync('ffprobe', ['-v', 'error', '-show_entries', 'stream=codec_name,width,height', '-of', 'json', join(dir, 'out.mp4')]);
      const streams = (JSON.parse(probe.stdout.toString()) as { streams: JsonBody[] }).streams;
      expect(streams).toEqual(expect.arrayContaining([{ codec_name: 'h264', width: 848, height: 480 }, { codec_name: 'aac' }]));
    } finally {
      await emu.close();
    }
  });
});

describe('transcodeArgs', () => {
  it('maps video and audio when there, AAC alone for an audio rendition, MP4 with the index first', () => {
    const video = transcodeArgs('in.mov', 'out.mp4', { kind: 'video', layer: { width: 640, height: 360, kbps: 1000 }, audioKbps: 128 });
    expect(video).toEqual(['-hide_banner', '-nostdin', '-loglevel', 'error', '-y', '-i', 'in.mov', '-map', '0:v:0', '-map', '0:a:0?', '-c:v', 'libx264', '-b:v', '1000k', '-vf', 'scale=640:360', '-pix_fmt', 'yuv420p', '-c:a', 'aac', '-b:a', '128k', '-movflags', '+faststart', '-f', 'mp4', 'out.mp4']);
    expect(transcodeArgs('in.mov', 'a.mp4', { kind: 'audio', audioKbps: 56 })).toEqual(['-hide_banner', '-nostdin', '-loglevel', 'error', '-y', '-i', 'in.mov', '-map', '0:a:0', '-vn', '-c:a', 'aac', '-b:a', '56k', '-movflags', '+faststart', '-f', 'mp4', 'a.mp4']);
  });
});
