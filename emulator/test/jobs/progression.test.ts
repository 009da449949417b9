import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { DEFAULT_LIMITS } from '../../src/config.js';
import { startEmbeddedAzurite, type StartedEmbeddedAzurite } from '../../src/storage/azurite.js';
import { entityPath, quoted, startTestEmulator, type JsonBody, type TestEmulator } from '../../../test/support/emulator.js';
import { cancelJob, downloadAsset, getJob, jobIdOf, listOf, postJob, sample, uploadEncryptedAsset, type ClearFile } from '../helpers/jobs-fixtures.js';

/**
 * How jobs move through their states: polls:N observed state by state, CancelJob while a job runs,
 * a restart in the middle of a job, and storage going away while a job runs. Real Azurite, real HTTP.
 */

const S = { Queued: 0, Scheduled: 1, Processing: 2, Finished: 3, Error: 4, Canceled: 5, Canceling: 6 };

async function stateOf(emu: TestEmulator, jobId: string): Promise<number> {
  return Number((await getJob(emu, jobId)).State);
}

async function outputFiles(emu: TestEmulator, jobId: string): Promise<JsonBody[]> {
  const [output] = await listOf(emu, `${entityPath('Jobs', jobId)}/OutputMediaAssets`);
  return listOf(emu, `${entityPath('Assets', String(output!.Id))}/Files`);
}

async function expectOutputEquals(emu: TestEmulator, jobId: string, files: ClearFile[]): Promise<void> {
  const [output] = await listOf(emu, `${entityPath('Jobs', jobId)}/OutputMediaAssets`);
  const downloaded = await downloadAsset(emu, String(output!.Id));
  for (const file of files) expect(downloaded.get(file.name)?.equals(file.data), file.name).toBe(true);
}

describe('polls:N', () => {
  let emu: TestEmulator;
  beforeAll(async () => {
    emu = await startTestEmulator({ jobProgression: { mode: 'polls', pollsPerState: 2 } });
  });
  afterAll(() => emu.close());
  beforeEach(() => emu.reset());

  it('moves one state per 2 GETs; the work happens in Processing and is complete when Finished shows', async () => {
    const files: ClearFile[] = [{ name: 'a.mp4', data: sample(200_000) }, { name: 'b.mp4', data: sample(33) }];
    const input = await uploadEncryptedAsset(emu, files);
    const posted = await postJob(emu, [input.assetId], 'minimal');
    expect(posted.body.State).toBe(S.Queued);
    const jobId = jobIdOf(posted);

    const seen: number[] = [];
    const filesSeen: number[] = [];
    for (let i = 0; i < 6; i++) {
      seen.push(await stateOf(emu, jobId));
      filesSeen.push((await outputFiles(emu, jobId)).length);
    }
    expect(seen).toEqual([S.Queued, S.Scheduled, S.Scheduled, S.Processing, S.Processing, S.Finished]);
    // Nothing is written before the job is Processing; all of it once it shows Finished.
    expect(filesSeen.slice(0, 3)).toEqual([0, 0, 0]);
    expect(filesSeen[5]).toBe(2);
    const job = await getJob(emu, jobId);
    expect(job.EndTime).toEqual(expect.any(String));
    expect(Date.parse(job.EndTime) >= Date.parse(job.StartTime)).toBe(true);
    await expectOutputEquals(emu, jobId, files);
    // A final job stays final however often it is read.
    expect(await stateOf(emu, jobId)).toBe(S.Finished);
  });

  it('the .NET SDK poll (Jobs?$filter=Id eq ...) counts for the job it lists, and only for it', async () => {
    const input = await uploadEncryptedAsset(emu, [{ name: 'a.mp4', data: sample(10) }]);
    const a = jobIdOf(await postJob(emu, [input.assetId], 'minimal'));
    const b = jobIdOf(await postJob(emu, [input.assetId], 'minimal'));
    const byFilter = async () => {
      const [job] = await listOf(emu, `Jobs?$filter=Id eq '${a}'`);
      return Number(job!.State);
    };
    const states = [];
    for (let i = 0; i < 6; i++) states.push(await byFilter());
    expect(states).toEqual([S.Queued, S.Scheduled, S.Scheduled, S.Processing, S.Processing, S.Finished]);
    // Navigations, task reads and $count are not polls; job b was never polled.
    await listOf(emu, `${entityPath('Jobs', b)}/Tasks`);
    await listOf(emu, 'Tasks');
    await emu.ams('GET', 'Jobs/$count');
    const [jobB] = await listOf(emu, `Jobs?$filter=Id eq '${b}'`);
    expect(jobB!.State).toBe(S.Queued);
  });

  it('errors show only when the job would be Finished, with the ErrorDetails', async () => {
    const input = await uploadEncryptedAsset(emu, [{ name: 'a.mp4', data: sample(10), ivText: 'not a number' }]);
    const jobId = jobIdOf(await postJob(emu, [input.assetId], 'minimal'));
    const seen = [];
    for (let i = 0; i < 6; i++) seen.push(await stateOf(emu, jobId));
    expect(seen).toEqual([S.Queued, S.Scheduled, S.Scheduled, S.Processing, S.Processing, S.Error]);
    const [task] = await listOf(emu, `${entityPath('Jobs', jobId)}/Tasks`);
    expect(task!.ErrorDetails).toEqual([{ Code: 'InvalidInitializationVector', Message: expect.stringContaining('not a decimal number') }]);
  });

  it.each([
    ['Queued', 0],
    ['Scheduled', 2],
  ] as const)('CancelJob on a %s job: Canceling for N polls, then Canceled, each in the job and its task events; a second cancel is 400', async (from, polls) => {
    const input = await uploadEncryptedAsset(emu, [{ name: 'a.mp4', data: sample(1000) }]);
    const jobId = jobIdOf(await postJob(emu, [input.assetId], 'minimal'));
    for (let i = 0; i < polls; i++) await stateOf(emu, jobId);
    const [before] = await listOf(emu, `${entityPath('Jobs', jobId)}/Tasks`);
    expect(before!.State).toBe(S[from]);
    expect((await cancelJob(emu, jobId)).status).toBe(204);
    // polls:2: the first poll after CancelJob reads Canceling (its task too), as a client polling
    // the service saw it; cancelling it again meanwhile is 400; the second poll reads Canceled.
    expect(await getJob(emu, jobId)).toMatchObject({ State: S.Canceling, StartTime: null });
    const [canceling] = await listOf(emu, `${entityPath('Jobs', jobId)}/Tasks`);
    expect(canceling!.State).toBe(S.Canceling);
    const meanwhile = await cancelJob(emu, jobId);
    expect(meanwhile.status).toBe(400);
    expect(meanwhile.text).toContain('already Canceling');
    const job = await getJob(emu, jobId);
    expect(job).toMatchObject({ State: S.Canceled, StartTime: null, EndTime: expect.any(String) });
    const [task] = await listOf(emu, `${entityPath('Jobs', jobId)}/Tasks`);
    expect(task!.State).toBe(S.Canceled);
    const events = task!.HistoricalEvents as JsonBody[];
    const codes = events.map((e) => e.Code);
    expect(codes).toEqual(from === 'Queued' ? ['Queued', 'Canceling', 'Canceled'] : ['Queued', 'Scheduled', 'Canceling', 'Canceled']);
    expect(events.at(-1)!.Message).toBe('The job was canceled before it ran');
    // Canceled is final: polls do not move it, and it cannot be canceled again.
    for (let i = 0; i < 3; i++) expect(await stateOf(emu, jobId)).toBe(S.Canceled);
    const again = await cancelJob(emu, jobId);
    expect(again.status).toBe(400);
    expect(again.text).toContain('already Canceled');
    // Nothing was written into the output asset.
    expect(await outputFiles(emu, jobId)).toEqual([]);
  });

  it('CancelJob on a Processing job: Canceling for N polls, Canceled once its work has stopped; a Finished job cannot be canceled', async () => {
    const input = await uploadEncryptedAsset(emu, [{ name: 'a.mp4', data: sample(2 * 1024 * 1024) }]);
    const jobId = jobIdOf(await postJob(emu, [input.assetId], 'minimal'));
    for (let i = 0; i < 4; i++) await stateOf(emu, jobId);
    expect(await stateOf(emu, jobId)).toBe(S.Processing);
    expect((await cancelJob(emu, jobId)).status).toBe(204);
    expect(await stateOf(emu, jobId)).toBe(S.Canceling);
    expect(await stateOf(emu, jobId)).toBe(S.Canceled);
    const [task] = await listOf(emu, `${entityPath('Jobs', jobId)}/Tasks`);
    expect(task!.State).toBe(S.Canceled);

    const done = jobIdOf(await postJob(emu, [input.assetId], 'minimal'));
    for (let i = 0; i < 6; i++) await stateOf(emu, done);
    expect(await stateOf(emu, done)).toBe(S.Finished);
    const refused = await emu.ams('GET', `CancelJob?jobid=${quoted(done)}`);
    expect(refused.status).toBe(400);
    expect(refused.text).toContain('already Finished');
  });
});

describe('polls:1 with immediate reads of a final state', () => {
  let emu: TestEmulator;
  beforeAll(async () => {
    emu = await startTestEmulator({ jobProgression: { mode: 'polls', pollsPerState: 1 } });
  });
  afterAll(() => emu.close());

  it('each GET moves the job one state', async () => {
    const files: ClearFile[] = [{ name: 'a.mp4', data: sample(1000) }];
    const input = await uploadEncryptedAsset(emu, files);
    const jobId = jobIdOf(await postJob(emu, [input.assetId], 'atom'));
    const seen = [];
    for (let i = 0; i < 4; i++) seen.push(await stateOf(emu, jobId));
    expect(seen).toEqual([S.Scheduled, S.Processing, S.Finished, S.Finished]);
    await expectOutputEquals(emu, jobId, files);
  });
});

describe('maxRunningJobs: jobs beyond it wait in Scheduled, as for a reserved unit', () => {
  it('polls: a second job stays Scheduled while the first runs, then runs once it has finished', async () => {
    const emu = await startTestEmulator({ jobProgression: { mode: 'polls', pollsPerState: 1 }, limits: { ...DEFAULT_LIMITS, maxRunningJobs: 1 } });
    try {
      // Big enough that its work is still running a few requests later.
      const big: ClearFile[] = [{ name: 'big.mp4', data: sample(32 * 1024 * 1024) }];
      const small: ClearFile[] = [{ name: 'small.mp4', data: sample(1000) }];
      const first = jobIdOf(await postJob(emu, [(await uploadEncryptedAsset(emu, big)).assetId], 'minimal'));
      const second = jobIdOf(await postJob(emu, [(await uploadEncryptedAsset(emu, small)).assetId], 'minimal'));
      expect([await stateOf(emu, first), await stateOf(emu, first)]).toEqual([S.Scheduled, S.Processing]);
      expect([await stateOf(emu, second), await stateOf(emu, second), await stateOf(emu, second)]).toEqual([S.Scheduled, S.Scheduled, S.Scheduled]);
      let state = S.Processing;
      for (let i = 0; i < 100 && state === S.Processing; i++) state = await stateOf(emu, first);
      expect(state).toBe(S.Finished);
      expect([await stateOf(emu, second), await stateOf(emu, second)]).toEqual([S.Processing, S.Finished]);
      await expectOutputEquals(emu, second, small);
    } finally {
      await emu.close();
    }
  });

  it('immediate: three jobs through one slot; a read still waits for all of them to finish', async () => {
    const emu = await startTestEmulator({ limits: { ...DEFAULT_LIMITS, maxRunningJobs: 1 } });
    try {
      const files = [1, 2, 3].map((n): ClearFile[] => [{ name: `f${n}.mp4`, data: sample(n * 300_000 + n) }]);
      const inputs = await Promise.all(files.map((f) => uploadEncryptedAsset(emu, f)));
      const jobs = await Promise.all(inputs.map(async (input) => jobIdOf(await postJob(emu, [input.assetId], 'minimal'))));
      expect((await listOf(emu, 'Jobs')).map((j) => j.State)).toEqual([S.Finished, S.Finished, S.Finished]);
      for (const [i, jobId] of jobs.entries()) await expectOutputEquals(emu, jobId, files[i]!);
    } finally {
      await emu.close();
    }
  });
});

describe('restarts and outages', () => {
  const dirs: string[] = [];
  const cleanups: (() => Promise<unknown>)[] = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup().catch(() => undefined);
    for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true });
  });

  async function tempDir(): Promise<string> {
    const dir = await mkdtemp(join(tmpdir(), 'ams-jobs-test-'));
    dirs.push(dir);
    return dir;
  }

  it('jobs survive a restart: a Queued one runs, and one stopped mid-Processing runs again to Finished', async () => {
    const dir = await tempDir();
    const blobs = join(dir, 'azurite');
    let azurite: StartedEmbeddedAzurite = await startEmbeddedAzurite({ port: 0, location: blobs });
    const port = azurite.port;
    cleanups.push(() => azurite.stop());
    const location = join(dir, 'state');
    const files: ClearFile[] = [{ name: 'a.mp4', data: sample(300_000) }, { name: 'b.mp4', data: sample(5) }];
    const first = await startTestEmulator({ location, storageConnectionString: azurite.connectionString, jobProgression: { mode: 'polls', pollsPerState: 1 } });
    cleanups.push(() => first.close());
    const input = await uploadEncryptedAsset(first, files);
    const queued = jobIdOf(await postJob(first, [input.assetId], 'minimal'));
    const running = jobIdOf(await postJob(first, [input.assetId], 'verbose'));
    expect(await stateOf(first, running)).toBe(S.Scheduled);
    // With storage away, the work that starts in Processing cannot end before the emulator stops.
    await azurite.stop();
    expect(await stateOf(first, running)).toBe(S.Processing);
    await first.close();

    azurite = await startEmbeddedAzurite({ port, location: blobs });
    const second = await startTestEmulator({ location, storageConnectionString: azurite.connectionString });
    cleanups.push(() => second.close());
    expect(await stateOf(second, queued)).toBe(S.Finished);
    expect(await stateOf(second, running)).toBe(S.Finished);
    const [task] = await listOf(second, `${entityPath('Jobs', running)}/Tasks`);
    expect(task!.HistoricalEvents.map((e: JsonBody) => e.Code).filter((c: string) => c === 'Processing')).toHaveLength(2);
    await expectOutputEquals(second, queued, files);
    await expectOutputEquals(second, running, files);
  });

  it('storage going away while a job runs: the job waits in Processing and finishes once storage is back', async () => {
    const blobs = join(await tempDir(), 'azurite');
    let azurite: StartedEmbeddedAzurite = await startEmbeddedAzurite({ port: 0, location: blobs });
    const port = azurite.port;
    cleanups.push(() => azurite.stop());
    const emu = await startTestEmulator({
      storageConnectionString: azurite.connectionString,
      jobProgression: { mode: 'polls', pollsPerState: 1 },
      // A read waits half the request timeout for running work: keep the polls of a stuck job short.
      limits: { ...DEFAULT_LIMITS, requestTimeoutMs: 1_000 },
    });
    cleanups.push(() => emu.close());
    const files: ClearFile[] = [{ name: 'a.mp4', data: sample(100_000) }];
    const input = await uploadEncryptedAsset(emu, files);
    const jobId = jobIdOf(await postJob(emu, [input.assetId], 'minimal'));
    expect(await stateOf(emu, jobId)).toBe(S.Scheduled);

    await azurite.stop();
    expect(await stateOf(emu, jobId)).toBe(S.Processing);
    expect(await stateOf(emu, jobId)).toBe(S.Processing);
    const [task] = await listOf(emu, `${entityPath('Jobs', jobId)}/Tasks`);
    expect(task!.HistoricalEvents.map((e: JsonBody) => e.Code)).toContain('StorageUnavailable');
    expect(task!.State).toBe(S.Processing);

    azurite = await startEmbeddedAzurite({ port, location: blobs });
    const deadline = Date.now() + 20_000;
    let state = S.Processing;
    while (state === S.Processing && Date.now() < deadline) state = await stateOf(emu, jobId);
    expect(state).toBe(S.Finished);
    await expectOutputEquals(emu, jobId, files);
  });
});
