import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { entityPath, startTestEmulator, type JsonBody, type TestEmulator } from '../../../test/support/emulator.js';
import {
  downloadAsset,
  getJob,
  jobIdOf,
  listOf,
  postJob,
  sample,
  STORAGE_DECRYPTION,
  taskBody,
  uploadEncryptedAsset,
  type ClearFile,
  type JobForm,
} from '../helpers/jobs-fixtures.js';

/**
 * The Storage Decryption job end to end, against real Azurite over real HTTP: an encrypted upload
 * as the SDKs do it, a job in each body form clients send, and the output asset downloaded
 * through a SAS locator byte for byte. Progression is `immediate`: the first read of the job after
 * the POST waits for the work, so it already shows the final state.
 */

let emu: TestEmulator;
beforeAll(async () => {
  emu = await startTestEmulator();
});
afterAll(() => emu.close());
beforeEach(() => emu.reset());

const JobState = { Queued: 0, Finished: 3, Error: 4 };

async function tasksOf(jobId: string): Promise<JsonBody[]> {
  return listOf(emu, `${entityPath('Jobs', jobId)}/Tasks`);
}

async function outputsOf(jobId: string): Promise<JsonBody[]> {
  return listOf(emu, `${entityPath('Jobs', jobId)}/OutputMediaAssets`);
}

async function expectClearCopy(outputAssetId: string, files: ClearFile[]): Promise<void> {
  const downloaded = await downloadAsset(emu, outputAssetId);
  expect([...downloaded.keys()].sort()).toEqual(files.map((f) => f.name).sort());
  for (const file of files) {
    const got = downloaded.get(file.name)!;
    expect(got.length, file.name).toBe(file.data.length);
    expect(got.equals(file.data), `${file.name} is byte-identical to the original`).toBe(true);
  }
}

describe('a job decrypts the input asset into a clear output asset', () => {
  const FILES: ClearFile[] = [
    { name: 'empty.mp4', data: sample(0) },
    { name: 'one-byte.bin', data: sample(1), mimeType: 'application/octet-stream' },
    { name: 'seventeen.ts', data: sample(17), mimeType: 'video/mp2t' },
    { name: 'movie clip.mp4', data: sample(3 * 1024 * 1024 + 5) },
  ];

  for (const form of ['verbose', 'minimal', 'atom'] as const satisfies readonly JobForm[]) {
    it(`${form} body: Finished, and every output file is byte-identical to its original`, async () => {
      const input = await uploadEncryptedAsset(emu, FILES);
      const posted = await postJob(emu, [input.assetId], form, { name: `decrypt-${form}` });
      expect(posted.status, posted.text).toBe(201);
      expect(posted.headers.get('location')).toContain("Jobs('nb%3Ajid%3AUUID%3A");
      const jobId = jobIdOf(posted);

      const job = await getJob(emu, jobId);
      expect(job.State).toBe(JobState.Finished);
      expect(job.Name).toBe(`decrypt-${form}`);
      expect(job.EndTime).toEqual(expect.any(String));
      expect(job.RunningDuration).toBeGreaterThanOrEqual(0);

      const [task] = await tasksOf(jobId);
      expect(task).toMatchObject({ State: JobState.Finished, Progress: 100, ErrorDetails: [], MediaProcessorId: STORAGE_DECRYPTION });
      expect(task!.HistoricalEvents.map((e: JsonBody) => e.Code)).toEqual(['Queued', 'Scheduled', 'Processing', 'Finished']);

      const inputs = await listOf(emu, `${entityPath('Jobs', jobId)}/InputMediaAssets`);
      expect(inputs.map((a) => a.Id)).toEqual([input.assetId]);
      const [output] = await outputsOf(jobId);
      expect(output).toMatchObject({ Name: 'Decrypted', Options: 0 });
      await expectClearCopy(String(output!.Id), FILES);

      const outputFiles = await listOf(emu, `${entityPath('Assets', String(output!.Id))}/Files`);
      for (const file of FILES) {
        const entity = outputFiles.find((f) => f.Name === file.name)!;
        expect(entity).toMatchObject({ ContentFileSize: String(file.data.length), IsEncrypted: false, EncryptionScheme: null, InitializationVector: null, EncryptionKeyId: null });
        expect(entity.MimeType).toBe(file.mimeType ?? 'video/mp4');
      }
    });
  }

  it("the .NET SDK's own Job and Task entries (from its $batch), the task folded into the job as <m:inline>", async () => {
    const files: ClearFile[] = [{ name: 'a.mp4', data: sample(5000) }];
    const input = await uploadEncryptedAsset(emu, files);
    const job = readFileSync(new URL('../fixtures/atom/dotnet-job-create.xml', import.meta.url), 'utf8').replace('nb%3Acid%3AUUID%3A33662ded-f00b-4020-9fcf-4c4a22070c01', encodeURIComponent(input.assetId));
    const task = readFileSync(new URL('../fixtures/atom/dotnet-task-create.xml', import.meta.url), 'utf8')
      .replace(/^<\?xml[^>]*\?>/, '')
      .replace('nb:mpid:UUID:70bdc2c3-ebf4-42a9-8542-5afc1e55d217', STORAGE_DECRYPTION);
    const D = 'http://schemas.microsoft.com/ado/2007/08/dataservices';
    const body = job.replace('<id />', `<link rel="${D}/related/Tasks" type="application/atom+xml;type=feed" title="Tasks" xmlns:m="${D}/metadata"><m:inline><feed>${task}</feed></m:inline></link><id />`);
    const posted = await emu.ams('POST', 'Jobs', { headers: { 'Content-Type': 'application/atom+xml', Accept: 'application/atom+xml', DataServiceVersion: '1.0;NetFx' }, body });
    expect(posted.status, posted.text).toBe(201);
    const jobId = jobIdOf(posted);
    expect(await getJob(emu, jobId)).toMatchObject({ State: JobState.Finished, Name: 'My MP4 to Smooth Streaming encoding job' });
    const [output] = await outputsOf(jobId);
    expect(output!.Name).toBe('Output asset');
    await expectClearCopy(String(output!.Id), files);
  });

  it('copies files that were not encrypted as they are, beside decrypted ones', async () => {
    const files: ClearFile[] = [
      { name: 'clear.txt', data: Buffer.from('not encrypted at all\n'), clear: true, mimeType: 'text/plain' },
      { name: 'secret.mp4', data: sample(70_001) },
    ];
    const input = await uploadEncryptedAsset(emu, files);
    const jobId = jobIdOf(await postJob(emu, [input.assetId], 'minimal'));
    expect((await getJob(emu, jobId)).State).toBe(JobState.Finished);
    await expectClearCopy(String((await outputsOf(jobId))[0]!.Id), files);
  });

  it('runs a chain: the second task reads the first task output (JobOutputAsset(0))', async () => {
    const files: ClearFile[] = [{ name: 'a.mp4', data: sample(40_000) }];
    const input = await uploadEncryptedAsset(emu, files);
    const res = await postJob(emu, [input.assetId], 'minimal', {
      tasks: [
        { Name: 'first', MediaProcessorId: STORAGE_DECRYPTION, TaskBody: taskBody({ assetName: 'one' }) },
        { Name: 'second', MediaProcessorId: STORAGE_DECRYPTION, TaskBody: taskBody({ input: 'JobOutputAsset(0)', output: 'JobOutputAsset(1)', assetName: 'two' }) },
      ],
    });
    expect(res.status, res.text).toBe(201);
    const jobId = jobIdOf(res);
    expect((await getJob(emu, jobId)).State).toBe(JobState.Finished);
    const outputs = await outputsOf(jobId);
    expect(outputs.map((o) => o.Name)).toEqual(['one', 'two']);
    const [first, second] = await tasksOf(jobId);
    expect([first!.Name, second!.Name]).toEqual(['first', 'second']);
    expect((await listOf(emu, `${entityPath('Tasks', String(second!.Id))}/InputMediaAssets`)).map((a) => a.Id)).toEqual([outputs[0]!.Id]);
    expect((await listOf(emu, `${entityPath('Tasks', String(second!.Id))}/OutputMediaAssets`)).map((a) => a.Id)).toEqual([outputs[1]!.Id]);
    await expectClearCopy(String(outputs[1]!.Id), files);
    // ParentAssets comes from the tasks: the chained output's parent is the earlier output, whose parent is the job's input.
    const parents = async (assetId: unknown) => (await listOf(emu, `${entityPath('Assets', String(assetId))}/ParentAssets`)).map((a) => a.Id);
    expect(await parents(outputs[1]!.Id)).toEqual([outputs[0]!.Id]);
    expect(await parents(outputs[0]!.Id)).toEqual([input.assetId]);
    expect(await parents(input.assetId)).toEqual([]);
  });

  it('ParentAssets across a fan-out: two tasks read the first task output; each of their outputs has it as its only parent', async () => {
    const input = await uploadEncryptedAsset(emu, [{ name: 'a.mp4', data: sample(1000) }]);
    const res = await postJob(emu, [input.assetId], 'verbose', {
      tasks: [
        { MediaProcessorId: STORAGE_DECRYPTION, TaskBody: taskBody({ assetName: 'root' }) },
        { MediaProcessorId: STORAGE_DECRYPTION, TaskBody: taskBody({ input: 'JobOutputAsset(0)', output: 'JobOutputAsset(1)', assetName: 'left' }) },
        { MediaProcessorId: STORAGE_DECRYPTION, TaskBody: taskBody({ input: 'JobOutputAsset(0)', output: 'JobOutputAsset(2)', assetName: 'right' }) },
      ],
    });
    expect(res.status, res.text).toBe(201);
    const jobId = jobIdOf(res);
    expect((await getJob(emu, jobId)).State).toBe(JobState.Finished);
    const [root, left, right] = await outputsOf(jobId);
    for (const child of [left, right]) {
      expect((await listOf(emu, `${entityPath('Assets', String(child!.Id))}/ParentAssets`)).map((a) => a.Id)).toEqual([root!.Id]);
    }
    expect((await listOf(emu, `${entityPath('Assets', String(root!.Id))}/ParentAssets`)).map((a) => a.Id)).toEqual([input.assetId]);
  });

  it('handles several jobs at once, each with its own output', async () => {
    const inputs = await Promise.all([1, 2, 3].map((n) => uploadEncryptedAsset(emu, [{ name: `f${n}.mp4`, data: sample(n * 10_000 + n) }])));
    const jobs = await Promise.all(inputs.map(async (input) => jobIdOf(await postJob(emu, [input.assetId], 'minimal'))));
    const listed = await listOf(emu, 'Jobs');
    expect(listed.map((j) => j.State)).toEqual([JobState.Finished, JobState.Finished, JobState.Finished]);
    for (const [i, jobId] of jobs.entries()) {
      const downloaded = await downloadAsset(emu, String((await outputsOf(jobId))[0]!.Id));
      expect(downloaded.get(`f${i + 1}.mp4`)!.equals(inputs[i]!.files[0]!.data)).toBe(true);
    }
  });
});

describe('reset', () => {
  it('aborts running jobs, clears them, and the next job runs as usual', async () => {
    const files: ClearFile[] = [{ name: 'a.mp4', data: sample(2 * 1024 * 1024) }];
    const input = await uploadEncryptedAsset(emu, files);
    expect((await postJob(emu, [input.assetId], 'minimal')).status).toBe(201);
    await emu.reset();
    expect(await listOf(emu, 'Jobs')).toEqual([]);
    expect(await listOf(emu, 'Tasks')).toEqual([]);
    const again = await uploadEncryptedAsset(emu, files);
    const jobId = jobIdOf(await postJob(emu, [again.assetId], 'minimal'));
    expect((await getJob(emu, jobId)).State).toBe(JobState.Finished);
    await expectClearCopy(String((await outputsOf(jobId))[0]!.Id), files);
  });
});

describe('a job that cannot decrypt ends in Error with ErrorDetails that say why', () => {
  async function failedTask(input: { assetId: string }): Promise<JsonBody> {
    const jobId = jobIdOf(await postJob(emu, [input.assetId], 'minimal'));
    const job = await getJob(emu, jobId);
    expect(job.State).toBe(JobState.Error);
    expect(job.EndTime).toEqual(expect.any(String));
    const [task] = await tasksOf(jobId);
    expect(task!.State).toBe(JobState.Error);
    expect(task!.HistoricalEvents.at(-1).Code).toBe('Error');
    // Nothing is written when a file cannot be decrypted.
    expect(await listOf(emu, `${entityPath('Assets', String((await outputsOf(jobId))[0]!.Id))}/Files`)).toEqual([]);
    return task!;
  }

  it('no content key: the key is not linked to the asset and the file does not name one', async () => {
    const input = await uploadEncryptedAsset(emu, [{ name: 'a.mp4', data: sample(100) }], { link: false, fileKeyId: false });
    const task = await failedTask(input);
    expect(task.ErrorDetails).toEqual([{ Code: 'NoContentKey', Message: expect.stringContaining("File 'a.mp4': no content key") }]);
  });

  it('a key that cannot be unwrapped: a junk EncryptedContentKey', async () => {
    const input = await uploadEncryptedAsset(emu, [{ name: 'a.mp4', data: sample(100) }], { key: { encryptedContentKey: Buffer.from('junk that is not an RSA-OAEP block').toString('base64') } });
    const task = await failedTask(input);
    expect(task.ErrorDetails).toHaveLength(1);
    expect(task.ErrorDetails[0]).toMatchObject({ Code: 'ContentKeyUnwrapFailed', Message: expect.stringContaining('cannot be unwrapped') });
  });

  it('an IV that is not a decimal UInt64 (base64, as PHP sent it), one detail per bad file', async () => {
    const input = await uploadEncryptedAsset(emu, [
      { name: 'good.mp4', data: sample(50) },
      { name: 'bad1.mp4', data: sample(50), ivText: 'AAECAwQFBgc=' },
      { name: 'bad2.mp4', data: sample(50), ivText: '0x1F' },
    ]);
    const task = await failedTask(input);
    expect(task.ErrorDetails).toEqual([
      { Code: 'InvalidInitializationVector', Message: expect.stringMatching(/^File 'bad1\.mp4': InitializationVector: .*base64/) },
      { Code: 'InvalidInitializationVector', Message: expect.stringMatching(/^File 'bad2\.mp4': InitializationVector: .*hexadecimal/) },
    ]);
  });

  it('a file entity without its blob (the upload never happened)', async () => {
    const input = await uploadEncryptedAsset(emu, [{ name: 'a.mp4', data: sample(10) }]);
    const orphan = await emu.ams('POST', 'Files', { body: { Name: 'missing.mp4', ParentAssetId: input.assetId, IsEncrypted: false } });
    expect(orphan.status).toBe(201);
    const task = await failedTask(input);
    expect(task.ErrorDetails).toEqual([{ Code: 'NoBlob', Message: expect.stringContaining("File 'missing.mp4': no blob named 'missing.mp4'") }]);
  });

  it('an input asset with no files at all', async () => {
    const asset = await emu.ams('POST', 'Assets', { body: { Name: 'empty' } });
    const task = await failedTask({ assetId: String(asset.body.Id) });
    expect(task.ErrorDetails).toEqual([{ Code: 'NoInputFiles', Message: expect.stringContaining('has no files') }]);
  });

  it('in a chain, a failing first task leaves the second Canceled and the job in Error', async () => {
    const input = await uploadEncryptedAsset(emu, [{ name: 'a.mp4', data: sample(10), ivText: '-5' }]);
    const res = await postJob(emu, [input.assetId], 'minimal', {
      tasks: [
        { MediaProcessorId: STORAGE_DECRYPTION, TaskBody: taskBody() },
        { MediaProcessorId: STORAGE_DECRYPTION, TaskBody: taskBody({ input: 'JobOutputAsset(0)', output: 'JobOutputAsset(1)' }) },
      ],
    });
    const jobId = jobIdOf(res);
    expect((await getJob(emu, jobId)).State).toBe(JobState.Error);
    const [first, second] = await tasksOf(jobId);
    expect(first!.ErrorDetails[0].Code).toBe('InvalidInitializationVector');
    expect(second).toMatchObject({ State: 5, ErrorDetails: [] });
  });
});
