import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AmsClient } from '../src/rest/index.js';
import { compareVersions, latestMediaProcessor } from '../src/workflows/index.js';
import { lastJsonLine, startE2eEnv, type E2eEnv, type UploadJson } from './helpers/e2e-env.js';
import { bytesFor } from './helpers/workflow-env.js';

/** `ams-client job` against the emulator: an uploaded asset encoded by name and preset, and its failures. */

interface JobJson {
  jobId: string;
  state: string;
  errors: string[];
  outputs: { assetId: string; name: string; files: { name: string; size: number; primary: boolean }[] }[];
}

let env: E2eEnv;
let assetId: string;
const movieData = bytesFor(5, 200_000);

beforeAll(async () => {
  env = await startE2eEnv();
  const movie = join(env.dir, 'movie.mp4');
  await writeFile(movie, movieData);
  const run = await env.cli(['upload', movie, ...env.connection, '--json']);
  expect(run.code, run.stderr).toBe(0);
  assetId = lastJsonLine<UploadJson>(run).assetId;
});
afterAll(async () => {
  await env?.stop();
});

describe('ams-client job', () => {
  it('encodes with Media Encoder Standard found by name, waits, and lists the output files (--json)', async () => {
    const run = await env.cli(['job', assetId, '--processor', 'Media Encoder Standard', '--preset', 'H264 Multiple Bitrate 720p', '--output-name', 'encoded', ...env.connection, '--json']);
    expect(run.code, run.stderr).toBe(0);
    const result = lastJsonLine<JobJson>(run);
    expect(result).toMatchObject({ state: 'Finished', errors: [] });
    expect(result.outputs).toHaveLength(1);
    expect(result.outputs[0]!.name).toBe('encoded');
    const mp4 = result.outputs[0]!.files.find((f) => f.name === 'movie_1280x720_3400.mp4');
    expect(mp4).toEqual({ name: 'movie_1280x720_3400.mp4', size: movieData.length, primary: false });
    expect(result.outputs[0]!.files.find((f) => f.primary)?.name).toBe('movie.ism');
  });

  it('without --json: the state and each output file on stdout', async () => {
    const run = await env.cli(['job', assetId, '--processor', 'Windows Azure Media Encoder', '--preset', 'H.264 256k DSL CBR', ...env.connection]);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/^Job nb:jid:UUID:[0-9a-f-]{36} Finished\n {2}output asset nb:cid:UUID:[0-9a-f-]{36} 'Output', 2 files\n/);
    expect(run.stdout).toContain(`    movie_H264_256kbps_AAC_und_ch2_64kbps.mp4  ${movieData.length} bytes  (primary)\n`);
  });

  it('an unknown preset: exit 1 with the ErrorDetail; an unknown processor name: exit 1 saying so', async () => {
    const failed = await env.cli(['job', assetId, '--processor', 'Media Encoder Standard', '--preset', 'no such preset', ...env.connection]);
    expect(failed.code).toBe(1);
    expect(failed.stdout).toMatch(/ Error\n {2}error ConfigurationUnsupported: /);
    expect(failed.stderr).toContain('the job ended Error');
    const unknown = await env.cli(['job', assetId, '--processor', 'No Such Encoder', ...env.connection]);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain("no media processor is named 'No Such Encoder'");
  });

  it('latestMediaProcessor picks the highest Version of a name, comparing versions part by part', async () => {
    const client = new AmsClient({ endpoint: env.emu.url, auth: { kind: 'static', token: 'e2e' } });
    expect((await latestMediaProcessor(client, 'Windows Azure Media Encoder'))?.Id).toBe('nb:mpid:UUID:2e7aa8f3-4961-4e0c-b4db-0e0439e524f5');
    expect(await latestMediaProcessor(client, 'none')).toBeUndefined();
    expect([compareVersions('4.10', '4.7') > 0, compareVersions('1.1', '1.1.0') < 0, compareVersions('2', '10') < 0]).toEqual([true, true, true]);
  });
});
