import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { lastJsonLine, startE2eEnv, type DownloadJson, type E2eEnv, type UploadJson } from './helpers/e2e-env.js';
import { bytesFor, md5Hex } from './helpers/workflow-env.js';

/**
 * The built `ams-client` bin in a child process, as a user or a script runs it: stdout for the
 * result, stderr for progress (plain lines: a pipe is not a terminal), AMS_* variables for the
 * connection, exit codes. And the progress bar, on a (pretend) terminal.
 */

let env: E2eEnv;
let movie: string;
let notes: string;
const movieData = bytesFor(11, 2 * 1024 * 1024 + 33);
const notesData = Buffer.from('notes of the e2e run\n');

beforeAll(async () => {
  env = await startE2eEnv();
  movie = join(env.dir, 'movie.mp4');
  notes = join(env.dir, 'notes.txt');
  await writeFile(movie, movieData);
  await writeFile(notes, notesData);
});
afterAll(async () => {
  await env?.stop();
});

describe('ams-client (the built bin)', () => {
  let uploaded: UploadJson;

  it('upload --json prints only the result, as the last line of stdout', async () => {
    const run = await env.bin(['upload', movie, notes, ...env.connection, '--name', 'bin run', '--block-size', '256K', '--parallel', '3', '--json']);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^\{[^\n]*\}\n$/);
    uploaded = lastJsonLine<UploadJson>(run);
    expect(uploaded).toMatchObject({
      assetId: expect.stringMatching(/^nb:cid:UUID:[0-9a-f-]{36}$/),
      contentKeyId: expect.stringMatching(/^nb:kid:UUID:[0-9a-f-]{36}$/),
      files: [
        { id: expect.stringMatching(/^nb:cid:UUID:/), name: 'movie.mp4', size: movieData.length, md5: md5Hex(movieData), iv: expect.stringMatching(/^\d+$/) },
        { id: expect.stringMatching(/^nb:cid:UUID:/), name: 'notes.txt', size: notesData.length, md5: md5Hex(notesData), iv: expect.stringMatching(/^\d+$/) },
      ],
    });
    for (const v of await env.verifications(uploaded.assetId)) expect(v.status).toBe('verified');
  });

  it('upload without --json: a summary on stdout, plain progress lines on stderr', async () => {
    const run = await env.bin(['upload', movie, ...env.connection, '--block-size', '512K']);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^Uploaded 1 file \(2\.0 MiB\) into asset nb:cid:UUID:[0-9a-f-]{36}\n {2}movie\.mp4 {2}2097185 bytes {2}nb:cid:UUID:[0-9a-f-]{36}\n$/);
    // Not a terminal: lines, no carriage returns or escape sequences. A slow machine may also print
    // a periodic progress line before the file's last one.
    expect(run.stderr).not.toMatch(/[\r\u001b]/);
    const lines = run.stderr.split('\n').filter((l) => l !== '');
    expect(lines.at(-1)).toBe('upload: movie.mp4: all 2.0 MiB transferred');
    for (const line of lines.slice(0, -1)) expect(line).toMatch(/^upload: \d+% +[\d.]+ [KMG]?i?B \/ 2\.0 MiB/);
  });

  it('download takes its connection from AMS_ENDPOINT and AMS_TOKEN', async () => {
    const out = join(env.dir, 'from-env');
    const run = await env.bin(['download', '--asset', uploaded.assetId, '--out', out, '--parallel', '2', '--json'], {
      env: { AMS_ENDPOINT: env.emu.url, AMS_TOKEN: 'e2e' },
    });
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const result = lastJsonLine<DownloadJson>(run);
    expect(result.files.map((f) => [f.name, f.size, f.checksumVerified])).toEqual([
      ['movie.mp4', movieData.length, true],
      ['notes.txt', notesData.length, true],
    ]);
    expect((await readFile(join(out, 'movie.mp4'))).equals(movieData)).toBe(true);
    expect((await readFile(join(out, 'notes.txt'))).equals(notesData)).toBe(true);
  });

  it('a flag wins over its variable: --endpoint over a wrong AMS_ENDPOINT', async () => {
    const run = await env.bin(['ls', 'files', '--endpoint', env.emu.url, '--asset', uploaded.assetId], { env: { AMS_ENDPOINT: 'http://127.0.0.1:9/api/', AMS_TOKEN: 'e2e' } });
    expect(run.code).toBe(0);
    const rows = run.stdout.trimEnd().split('\n');
    expect(rows[0]).toMatch(/^ID +ASSET +SIZE +ENCRYPTION +NAME$/);
    expect(rows.slice(1).map((r) => r.split(/ {2,}/).slice(1))).toEqual([
      [uploaded.assetId, String(movieData.length), 'StorageEncryption', 'movie.mp4'],
      [uploaded.assetId, String(notesData.length), 'StorageEncryption', 'notes.txt'],
    ]);
  });

  it('ls assets prints a table, or JSON with --json', async () => {
    const table = await env.bin(['ls', 'assets', ...env.connection]);
    expect(table.code).toBe(0);
    expect(table.stdout).toMatch(new RegExp(`^ID +OPTIONS +CREATED +NAME\\n(.*\\n)*${uploaded.assetId} +StorageEncrypted +\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\dZ +bin run\\n`));
    const json = await env.bin(['ls', 'assets', ...env.connection, '--json']);
    const assets = JSON.parse(json.stdout) as Array<{ Id: string; Name: string | null; Options: number }>;
    expect(assets.find((a) => a.Id === uploaded.assetId)).toMatchObject({ Name: 'bin run', Options: 1 });
  });

  it('a usage error exits 2 and names the command\'s help', async () => {
    const run = await env.bin(['upload', movie, ...env.connection, '--block-size', '1000']);
    expect(run.code).toBe(2);
    expect(run.stderr).toBe("ams-client: --block-size must be a multiple of 16 bytes (the AES block), got 1000; try 1008; run 'ams-client upload --help' for usage\n");
  });
});

describe('on a terminal', () => {
  it('draws a progress bar with bytes, rate and ETA, in place, and ends its line', async () => {
    const run = await env.cli(['upload', movie, ...env.connection, '--block-size', '64K', '--parallel', '1'], { tty: { columns: 120 } });
    expect(run.code).toBe(0);
    const frames = run.stderr.split('\r').filter((f) => f !== '');
    expect(frames.length).toBeGreaterThanOrEqual(1);
    const last = frames[frames.length - 1]!;
    expect(last).toMatch(/^upload \[=+\] 100% {2}2\.0 MiB \/ 2\.0 MiB {2}[\d.]+ (B|KiB|MiB|GiB)\/s {2}ETA 0:00 {2}movie\.mp4\x1b\[K\n$/);
    for (const frame of frames) expect(frame.replace(/\x1b\[K\n?$/, '').length).toBeLessThan(120);
    expect(run.stdout).toMatch(/^Uploaded 1 file/);
  });
});
