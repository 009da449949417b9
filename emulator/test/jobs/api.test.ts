import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { entityPath, quoted, startTestEmulator, type JsonBody, type TestEmulator } from '../../../test/support/emulator.js';
import { errorMessage } from '../helpers/api-fixtures.js';
import { cancelJob, getJob, jobIdOf, listOf, postJob, sample, STORAGE_DECRYPTION, taskBody, uploadEncryptedAsset } from '../helpers/jobs-fixtures.js';

/**
 * The Jobs, Tasks and CancelJob surface over real HTTP: what POST Jobs refuses and why, the reads
 * and navigations, cancel and delete. A job here never progresses on its own (polls:1000), so each
 * state is there to be looked at.
 */

let emu: TestEmulator;
beforeAll(async () => {
  emu = await startTestEmulator({ jobProgression: { mode: 'polls', pollsPerState: 1000 } });
});
afterAll(() => emu.close());
beforeEach(() => emu.reset());

async function inputAsset(): Promise<string> {
  return (await uploadEncryptedAsset(emu, [{ name: 'a.mp4', data: sample(64) }])).assetId;
}

function minimalJob(assetIds: string[], tasks: JsonBody[] = [{ MediaProcessorId: STORAGE_DECRYPTION, TaskBody: taskBody() }], extra: JsonBody = {}): JsonBody {
  return { Name: 'j', 'InputMediaAssets@odata.bind': assetIds.map((id) => `${emu.url}${entityPath('Assets', id)}`), Tasks: tasks, ...extra };
}

async function refused(body: JsonBody | string, status: number, ...fragments: string[]): Promise<void> {
  const res = await emu.ams('POST', 'Jobs', { body, headers: typeof body === 'string' ? { 'Content-Type': 'application/json' } : {} });
  expect(res.status, res.text).toBe(status);
  for (const fragment of fragments) expect(errorMessage(res.body)).toContain(fragment);
  // Nothing was created: no job, no output asset.
  expect(await listOf(emu, 'Jobs')).toEqual([]);
}

describe('MediaProcessors', () => {
  it('lists the catalogue; Storage Decryption is findable the way the SDKs look it up', async () => {
    const all = await listOf(emu, 'MediaProcessors');
    expect(all).toContainEqual({ Id: STORAGE_DECRYPTION, Description: 'Storage Decryption', Name: 'Storage Decryption', Sku: '', Vendor: 'Microsoft', Version: '1.6' });
    expect(await listOf(emu, "MediaProcessors?$filter=Name eq 'Storage Decryption'")).toHaveLength(1);
    expect(await listOf(emu, "MediaProcessors?$filter=Name eq 'Media Encoder Standard'")).toHaveLength(1);
  });
});

describe('POST Jobs refuses what cannot run, saying what to change', () => {
  it('a media processor no one lists: 400 naming those the emulator runs; a listed one it does not run: 400 too', async () => {
    const asset = await inputAsset();
    await refused(minimalJob([asset], [{ MediaProcessorId: 'nb:mpid:UUID:00000000-d419-42f0-bc17-a481b1331e56', TaskBody: taskBody() }]), 400, 'Task 1', 'no media processor has the Id', STORAGE_DECRYPTION, 'Storage Decryption', 'Media Encoder Standard');
    await refused(minimalJob([asset], [{ MediaProcessorId: 'Media Encoder Standard', TaskBody: taskBody() }]), 400, STORAGE_DECRYPTION);
    await refused(minimalJob([asset], [{ TaskBody: taskBody() }]), 400, 'has no MediaProcessorId');
    await refused(minimalJob([asset], [{ MediaProcessorId: 'nb:mpid:UUID:233e57fc-36bb-4f6f-8f18-3b662747a9f8', Configuration: 'x', TaskBody: taskBody() }]), 400, 'Azure Media Indexer', 'not emulated');
  });

  it('inputs: none, unknown (404), malformed (400), not an asset', async () => {
    await refused(minimalJob([]), 400, 'at least one input asset');
    await refused(minimalJob(['nb:cid:UUID:00000000-0000-0000-0000-000000000001']), 404, 'nb:cid:UUID:00000000-0000-0000-0000-000000000001');
    await refused(minimalJob(['not-an-id']), 400, 'Invalid Asset id');
    await refused({ ...minimalJob([]), 'InputMediaAssets@odata.bind': [`${emu.url}Locators('nb:lid:UUID:00000000-0000-0000-0000-000000000001')`] }, 400, 'must point to Assets');
  });

  it('tasks: none, bound by URL, or posted on their own', async () => {
    const asset = await inputAsset();
    await refused(minimalJob([asset], []), 400, 'at least one task');
    await refused({ ...minimalJob([asset]), 'Tasks@odata.bind': [`${emu.url}Tasks('nb:tid:UUID:00000000-0000-0000-0000-000000000001')`] }, 400, 'send each new task inline');
    const direct = await emu.ams('POST', 'Tasks', { body: { MediaProcessorId: STORAGE_DECRYPTION, TaskBody: taskBody() } });
    expect(direct.status).toBe(400);
    expect(errorMessage(direct.body)).toContain('created with their job');
  });

  it('TaskBody: missing, not XML, a DTD, wrong shape, indexes that do not exist', async () => {
    const asset = await inputAsset();
    const withBody = (body: string) => minimalJob([asset], [{ MediaProcessorId: STORAGE_DECRYPTION, TaskBody: body }]);
    await refused(minimalJob([asset], [{ MediaProcessorId: STORAGE_DECRYPTION }]), 400, 'has no TaskBody');
    await refused(withBody('<taskBody><inputAsset>'), 400, 'Task 1: the TaskBody is not usable XML', 'not well-formed');
    await refused(withBody('<!DOCTYPE x [<!ENTITY a "b">]><taskBody/>'), 400, 'DTDs are not allowed');
    await refused(withBody('<jobBody/>'), 400, 'must be <taskBody>');
    await refused(withBody('<taskBody><inputAsset>JobInputAsset(0)</inputAsset><encoder/></taskBody>'), 400, 'found <encoder>');
    await refused(withBody('<taskBody><inputAsset>Asset 1</inputAsset><outputAsset>JobOutputAsset(0)</outputAsset></taskBody>'), 400, 'JobInputAsset(n) or JobOutputAsset(n)');
    await refused(withBody(taskBody({ input: 'JobInputAsset(1)' })), 400, 'JobInputAsset(1) does not exist', 'binds 1 input asset');
    await refused(withBody(taskBody({ output: 'JobOutputAsset(1)' })), 400, 'JobOutputAsset(0) is missing');
    await refused(withBody(taskBody({ input: 'JobOutputAsset(0)' })), 400, 'does not run before it');
    await refused(withBody('<taskBody><inputAsset>JobInputAsset(0)</inputAsset></taskBody>'), 400, 'exactly one <inputAsset>', 'exactly one <outputAsset>');
  });

  it('assetCreationOptions other than 0: the Storage Decryption output is clear', async () => {
    const asset = await inputAsset();
    const withOptions = (options: string) => minimalJob([asset], [{ MediaProcessorId: STORAGE_DECRYPTION, TaskBody: taskBody({ creationOptions: options }) }]);
    await refused(withOptions('1'), 400, 'assetCreationOptions="1" (StorageEncrypted) is not supported');
    await refused(withOptions('4'), 400, 'EnvelopeEncryptionProtected');
    await refused(withOptions('3'), 400, 'not an AssetCreationOptions value');
    await refused(withOptions('x'), 400, 'is not a number');
  });

  it('a TemplateId with Tasks of its own, protected configuration, bodies that are not JSON', async () => {
    const asset = await inputAsset();
    // Templates themselves: jobs/templates.test.ts.
    await refused(minimalJob([asset], undefined, { TemplateId: 'nb:jtid:UUID:00000000-0000-0000-0000-000000000001' }), 400, 'send no Tasks with it');
    await refused(minimalJob([asset], [{ MediaProcessorId: STORAGE_DECRYPTION, TaskBody: taskBody(), Options: 1 }]), 400, 'ProtectedConfiguration');
    await refused('{"Name": ', 400, 'not valid JSON');
  });
});

describe('reading jobs and tasks', () => {
  it('a new job is Queued with its tasks and its output asset already there (empty)', async () => {
    const asset = await inputAsset();
    const posted = await emu.ams('POST', 'Jobs', { body: minimalJob([asset]) });
    expect(posted.status, posted.text).toBe(201);
    expect(posted.body).toMatchObject({ Name: 'j', State: 0, Priority: 0, RunningDuration: 0, StartTime: null, EndTime: null });
    expect(posted.body.Id).toMatch(/^nb:jid:UUID:[0-9a-f-]{36}$/);
    const jobId = String(posted.body.Id);

    expect((await listOf(emu, 'Jobs')).map((j) => j.Id)).toEqual([jobId]);
    const tasks = await listOf(emu, `${entityPath('Jobs', jobId)}/Tasks`);
    expect(tasks).toHaveLength(1);
    expect(tasks[0]).toMatchObject({ State: 0, Progress: 0, MediaProcessorId: STORAGE_DECRYPTION, ErrorDetails: [] });
    expect(tasks[0]!.Id).toMatch(/^nb:tid:UUID:/);
    expect((await listOf(emu, 'Tasks')).map((t) => t.Id)).toEqual([tasks[0]!.Id]);
    const task = await emu.ams('GET', entityPath('Tasks', String(tasks[0]!.Id)));
    expect(task.status).toBe(200);
    expect(task.body.TaskBody).toBe(taskBody());

    const outputs = await listOf(emu, `${entityPath('Jobs', jobId)}/OutputMediaAssets`);
    expect(outputs).toHaveLength(1);
    expect(outputs[0]).toMatchObject({ Name: 'Decrypted', Options: 0, State: 0 });
    expect(await listOf(emu, `${entityPath('Assets', String(outputs[0]!.Id))}/Files`)).toEqual([]);
    expect((await listOf(emu, `${entityPath('Jobs', jobId)}/InputMediaAssets`)).map((a) => a.Id)).toEqual([asset]);
    expect(await listOf(emu, `Jobs?$filter=State eq 0&$select=Id`)).toEqual([{ Id: jobId }]);
    expect((await emu.ams('GET', `${entityPath('Jobs', jobId)}/Tasks/$count`)).text).toBe('1');
  });

  it('Atom and verbose JSON answers carry the task collections', async () => {
    const asset = await inputAsset();
    const jobId = jobIdOf(await postJob(emu, [asset], 'minimal'));
    const atom = await emu.ams('GET', `${entityPath('Jobs', jobId)}/Tasks`, { headers: { Accept: 'application/atom+xml' } });
    expect(atom.status, atom.text).toBe(200);
    expect(atom.text).toContain('<d:HistoricalEvents m:type="Collection(Microsoft.Cloud.Media.Vod.Rest.Data.Models.TaskHistoricalEvent)">');
    expect(atom.text).not.toContain('_jobId');
    const verbose = await emu.ams('GET', entityPath('Jobs', jobId), { headers: { Accept: 'application/json;odata=verbose' } });
    expect(verbose.body.d.Tasks.__deferred.uri).toContain('/Tasks');
    expect(Object.keys(verbose.body.d).filter((k) => k.startsWith('_') && k !== '__metadata')).toEqual([]);
  });

  it('unknown (404) and malformed (400) ids', async () => {
    expect((await emu.ams('GET', entityPath('Jobs', 'nb:jid:UUID:00000000-0000-0000-0000-000000000001'))).status).toBe(404);
    expect((await emu.ams('GET', entityPath('Jobs', 'nope'))).status).toBe(400);
    expect((await emu.ams('GET', `${entityPath('Jobs', 'nope')}/Tasks`)).status).toBe(400);
    expect((await emu.ams('GET', entityPath('Tasks', 'nb:tid:UUID:00000000-0000-0000-0000-000000000001'))).status).toBe(404);
  });

  it('MERGE changes Name and Priority only', async () => {
    const jobId = jobIdOf(await postJob(emu, [await inputAsset()], 'minimal'));
    expect((await emu.ams('MERGE', entityPath('Jobs', jobId), { body: { Name: 'renamed', Priority: 5, State: 3 } })).status).toBe(204);
    expect(await getJob(emu, jobId)).toMatchObject({ Name: 'renamed', Priority: 5, State: 0 });
  });
});

describe('CancelJob and DELETE', () => {
  it('cancels a Queued job (percent-encoded id): Canceling until polls move it on; a second cancel is refused clearly', async () => {
    const jobId = jobIdOf(await postJob(emu, [await inputAsset()], 'minimal'));
    const cancel = await cancelJob(emu, jobId);
    expect(cancel.status, cancel.text).toBe(204);
    // polls:1000: the job stays Canceling, as the service showed it until the cancellation ended.
    expect(await getJob(emu, jobId)).toMatchObject({ State: 6 });
    const [task] = await listOf(emu, `${entityPath('Jobs', jobId)}/Tasks`);
    expect(task).toMatchObject({ State: 6 });
    expect(task!.HistoricalEvents.at(-1).Code).toBe('Canceling');
    const again = await cancelJob(emu, jobId);
    expect(again.status).toBe(400);
    expect(errorMessage(again.body)).toContain('already Canceling');
  });

  it('POST CancelJob and the jobId spelling the Java SDK uses', async () => {
    const jobId = jobIdOf(await postJob(emu, [await inputAsset()], 'minimal'));
    expect((await emu.ams('POST', `CancelJob?jobId=${quoted(jobId)}`)).status).toBe(204);
    expect((await getJob(emu, jobId)).State).toBe(6);
  });

  it('CancelJob without a job, with an unknown or malformed one', async () => {
    const missing = await emu.ams('GET', 'CancelJob');
    expect(missing.status).toBe(400);
    expect(errorMessage(missing.body)).toContain('requires the parameter jobid');
    expect((await cancelJob(emu, 'nb:jid:UUID:00000000-0000-0000-0000-000000000001')).status).toBe(404);
    expect((await cancelJob(emu, 'junk')).status).toBe(400);
  });

  it('DELETE refuses a job that has not ended, Canceling included, then removes a canceled one and its tasks (not its assets)', async () => {
    // polls:1: each read of the job moves it one state, so Canceling is seen and then left.
    const polled = await startTestEmulator({ jobProgression: { mode: 'polls', pollsPerState: 1 } });
    try {
      const input = (await uploadEncryptedAsset(polled, [{ name: 'a.mp4', data: sample(64) }])).assetId;
      const jobId = jobIdOf(await postJob(polled, [input], 'minimal'));
      const [output] = await listOf(polled, `${entityPath('Jobs', jobId)}/OutputMediaAssets`);
      const early = await polled.ams('DELETE', entityPath('Jobs', jobId));
      expect(early.status).toBe(400);
      expect(errorMessage(early.body)).toMatch(/is Queued: cancel it first \(GET CancelJob\?jobid='nb%3Ajid%3AUUID%3A/);
      expect((await cancelJob(polled, jobId)).status).toBe(204);
      const canceling = await polled.ams('DELETE', entityPath('Jobs', jobId));
      expect(canceling.status).toBe(400);
      expect(errorMessage(canceling.body)).toContain('is Canceling: delete it once it is Canceled');
      expect((await getJob(polled, jobId)).State).toBe(5);
      expect((await polled.ams('DELETE', entityPath('Jobs', jobId))).status).toBe(204);
      expect((await polled.ams('GET', entityPath('Jobs', jobId))).status).toBe(404);
      expect(await listOf(polled, 'Tasks')).toEqual([]);
      expect((await polled.ams('GET', entityPath('Assets', String(output!.Id)))).status).toBe(200);
    } finally {
      await polled.close();
    }
  });
});
