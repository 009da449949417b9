import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startEmbeddedAzurite, type StartedEmbeddedAzurite } from '../../../src/storage/azurite.js';
import { entityPath, startTestEmulator, type JsonBody, type TestEmulator } from '../../../../test/support/emulator.js';
import { cancelJob, downloadAsset, jobIdOf, listOf, postJob, sample, taskBody, uploadEncryptedAsset } from '../../helpers/jobs-fixtures.js';

/**
 * An encoder job under `--job-progression polls:1`: one state per read of the job, with the
 * task's StartTime, Progress, RunningDuration and HistoricalEvents as it goes; and CancelJob.
 */

const MES = 'nb:mpid:UUID:ff4df607-d419-42f0-bc17-a481b1331e56';
const S = { Queued: 0, Scheduled: 1, Processing: 2, Finished: 3, Canceled: 5 };

let emu: TestEmulator;
beforeAll(async () => {
  emu = await startTestEmulator({ jobProgression: { mode: 'polls', pollsPerState: 1 } });
});
afterAll(() => emu.close());
beforeEach(() => emu.reset());

const tasks = [{ MediaProcessorId: MES, Configuration: 'H264 Multiple Bitrate 720p', TaskBody: taskBody({ assetName: 'out' }) }];

async function poll(jobId: string): Promise<JsonBody> {
  const res = await emu.ams('GET', entityPath('Jobs', jobId));
  expect(res.status, res.text).toBe(200);
  return res.body;
}

describe('an encoder job, one state per poll', () => {
  it('Queued, Scheduled, Processing, Finished; the task records when and how it ran', async () => {
    const input = await uploadEncryptedAsset(emu, [{ name: 'a.mp4', data: sample(5000) }]);
    const jobId = jobIdOf(await postJob(emu, [input.assetId], 'minimal', { tasks }));
    expect((await listOf(emu, `${entityPath('Jobs', jobId)}/Tasks`))[0]).toMatchObject({ State: S.Queued, Progress: 0, StartTime: null, EndTime: null });
    const states = [];
    for (let i = 0; i < 3; i++) states.push((await poll(jobId)).State);
    expect(states).toEqual([S.Scheduled, S.Processing, S.Finished]);
    const job = await poll(jobId);
    expect(Date.parse(job.EndTime)).toBeGreaterThanOrEqual(Date.parse(job.StartTime));
    const [task] = await listOf(emu, `${entityPath('Jobs', jobId)}/Tasks`);
    expect(task).toMatchObject({ State: S.Finished, Progress: 100, PerfMessage: expect.stringContaining('Simulated') });
    expect(Date.parse(task!.EndTime)).toBeGreaterThanOrEqual(Date.parse(task!.StartTime));
    expect(task!.HistoricalEvents.map((e: JsonBody) => e.Code)).toEqual(['Queued', 'Scheduled', 'Processing', 'Downloading', 'Finished']);
    expect(await listOf(emu, `${entityPath('Assets', String((await listOf(emu, `${entityPath('Jobs', jobId)}/OutputMediaAssets`))[0]!.Id))}/Files`)).toHaveLength(10);
  });

  it('CancelJob before it runs: Canceled, its task Canceled, nothing written; a second CancelJob is 400', async () => {
    const input = await uploadEncryptedAsset(emu, [{ name: 'a.mp4', data: sample(5000) }]);
    const jobId = jobIdOf(await postJob(emu, [input.assetId], 'minimal', { tasks }));
    expect((await poll(jobId)).State).toBe(S.Scheduled);
    expect((await cancelJob(emu, jobId)).status).toBe(204);
    expect((await poll(jobId)).State).toBe(S.Canceled);
    expect((await listOf(emu, `${entityPath('Jobs', jobId)}/Tasks`))[0]!.State).toBe(S.Canceled);
    expect(await listOf(emu, `${entityPath('Assets', String((await listOf(emu, `${entityPath('Jobs', jobId)}/OutputMediaAssets`))[0]!.Id))}/Files`)).toEqual([]);
    expect((await cancelJob(emu, jobId)).status).toBe(400);
  });

  it('CancelJob while the encoder works: Canceling, then Canceled once its work has stopped; the events say so', async () => {
    // Six copies of 32 MiB: still running when CancelJob arrives.
    const input = await uploadEncryptedAsset(emu, [{ name: 'big.mp4', data: sample(32 * 1024 * 1024) }]);
    const jobId = jobIdOf(await postJob(emu, [input.assetId], 'minimal', { tasks }));
    expect([(await poll(jobId)).State, (await poll(jobId)).State]).toEqual([S.Scheduled, S.Processing]);
    expect((await cancelJob(emu, jobId)).status).toBe(204);
    let state = (await poll(jobId)).State;
    for (let i = 0; i < 50 && state !== S.Canceled; i++) state = (await poll(jobId)).State;
    expect(state).toBe(S.Canceled);
    const [task] = await listOf(emu, `${entityPath('Jobs', jobId)}/Tasks`);
    const codes = task!.HistoricalEvents.map((e: JsonBody) => e.Code);
    expect(codes.slice(-2)).toEqual(['Canceling', 'Canceled']);
    expect(task!.State).toBe(S.Canceled);
  });
});

describe('an encoder job across a restart', () => {
  it('stopped mid-Processing (storage away), it runs again to Finished after a restart, its files whole', { timeout: 120_000 }, async () => {
    const dir = await mkdtemp(join(tmpdir(), 'ams-encoders-restart-'));
    const blobs = join(dir, 'azurite');
    let azurite: StartedEmbeddedAzurite = await startEmbeddedAzurite({ port: 0, location: blobs });
    const cleanups: (() => Promise<unknown>)[] = [() => azurite.stop()];
    try {
      const location = join(dir, 'state');
      const data = sample(200_000);
      const first = await startTestEmulator({ location, storageConnectionString: azurite.connectionString, jobProgression: { mode: 'polls', pollsPerState: 1 } });
      cleanups.push(() => first.close());
      const input = await uploadEncryptedAsset(first, [{ name: 'clip.mp4', data }]);
      const jobId = jobIdOf(await postJob(first, [input.assetId], 'minimal', { tasks }));
      expect((await first.ams('GET', entityPath('Jobs', jobId))).body.State).toBe(S.Scheduled);
      // With storage away, the work that starts in Processing cannot end before the emulator stops.
      await azurite.stop();
      expect((await first.ams('GET', entityPath('Jobs', jobId))).body.State).toBe(S.Processing);
      await first.close();

      azurite = await startEmbeddedAzurite({ port: azurite.port, location: blobs });
      const second = await startTestEmulator({ location, storageConnectionString: azurite.connectionString });
      cleanups.push(() => second.close());
      // A read waits up to 10 s for the resumed work; on a loaded machine the work may take longer,
      // and the read then rightly says Processing: read again until the job ends.
      let state: unknown;
      for (const deadline = Date.now() + 60_000; Date.now() < deadline; await new Promise((resolve) => setTimeout(resolve, 200))) {
        state = (await second.ams('GET', entityPath('Jobs', jobId))).body.State;
        if (state !== S.Processing && state !== S.Scheduled && state !== S.Queued) break;
      }
      expect(state).toBe(S.Finished);
      const [output] = await listOf(second, `${entityPath('Jobs', jobId)}/OutputMediaAssets`);
      const files = await downloadAsset(second, String(output!.Id));
      expect(files.size).toBe(10);
      expect(files.get('clip_1280x720_3400.mp4')!.equals(data)).toBe(true);
      expect(files.get('clip_manifest.xml')!.toString('utf8')).toContain(`Size="${data.length}"`);
    } finally {
      for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
      await rm(dir, { recursive: true, force: true });
    }
  });
});
