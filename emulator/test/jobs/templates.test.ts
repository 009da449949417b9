import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { batchBody, readBatchResponse } from '../../../client/src/rest/batch-wire.js';
import { entityPath, startTestEmulator, type JsonBody, type TestEmulator } from '../../../test/support/emulator.js';
import { errorMessage } from '../helpers/api-fixtures.js';
import { getJob, listOf, sample, STORAGE_DECRYPTION, uploadEncryptedAsset } from '../helpers/jobs-fixtures.js';

/**
 * JobTemplates and TaskTemplates over real HTTP (ams-v2-surface.md §6.4): the REST reference's
 * create (verbose JSON, client-chosen TaskTemplate ids in upper case, TemplateType as text), the
 * reads in each format, a job made from a template (`TemplateId`) that runs to the end, the
 * `$batch` form (`POST $1/TaskTemplates`), and what is refused (400 malformed, 404 unknown).
 */

const MES = 'nb:mpid:UUID:ff4df607-d419-42f0-bc17-a481b1331e56';
const VERBOSE = { 'Content-Type': 'application/json;odata=verbose', Accept: 'application/json;odata=verbose' };

let emu: TestEmulator;
beforeAll(async () => {
  emu = await startTestEmulator();
});
afterAll(() => emu.close());
beforeEach(() => emu.reset());

function ttid(): string {
  return `nb:ttid:UUID:${randomUUID().toUpperCase()}`;
}

function templateBody(ids: string[], bodies?: string[]): string {
  const inner = ids.map((id, i) => bodies?.[i] ?? `<taskBody taskTemplateId="${id}"><inputAsset>JobInputAsset(0)</inputAsset><outputAsset>JobOutputAsset(${i})</outputAsset></taskBody>`);
  return `<?xml version="1.0" encoding="utf-8"?><jobTemplate>${inner.join('')}</jobTemplate>`;
}

/** The reference page's request, with the emulator's MES and Storage Decryption. */
function restSample(ids = [ttid(), ttid()], extra: JsonBody = {}): JsonBody {
  return {
    Name: 'NewJobTemplate',
    TemplateType: '1',
    JobTemplateBody: templateBody(ids),
    TaskTemplates: [
      { Id: ids[0], Configuration: 'H264 Single Bitrate 720p', MediaProcessorId: MES, Name: 'encode', NumberofInputAssets: 1, NumberofOutputAssets: 1 },
      { Id: ids[1], Configuration: '', MediaProcessorId: STORAGE_DECRYPTION, Name: 'decrypt', NumberofInputAssets: 1, NumberofOutputAssets: 1 },
    ],
    ...extra,
  };
}

async function createTemplate(body: JsonBody = restSample()): Promise<JsonBody> {
  const res = await emu.ams('POST', 'JobTemplates', { headers: VERBOSE, body });
  expect(res.status, res.text).toBe(201);
  return res.body.d;
}

describe('JobTemplates', () => {
  it('the REST sample creates a template whose TaskTemplates keep the ids the client chose, read in every format', async () => {
    const ids = [ttid(), ttid()];
    const template = await createTemplate(restSample(ids));
    expect(template).toMatchObject({ Name: 'NewJobTemplate', TemplateType: 1, NumberofInputAssets: 1 });
    expect(template.Id).toMatch(/^nb:jtid:UUID:[0-9a-f-]{36}$/);
    const tasksPath = `${entityPath('JobTemplates', template.Id)}/TaskTemplates`;
    const tasks = await listOf(emu, tasksPath);
    expect(tasks.map((t) => [t.Id, t.Name, t.MediaProcessorId])).toEqual([
      [ids[0], 'encode', MES],
      [ids[1], 'decrypt', STORAGE_DECRYPTION],
    ]);
    expect((await listOf(emu, 'TaskTemplates')).map((t) => t.Id).sort()).toEqual([...ids].sort());
    // By its id in either case, as the .NET SDK re-reads it.
    expect((await emu.ams('GET', entityPath('TaskTemplates', ids[0]!.toLowerCase()))).body.Id).toBe(ids[0]);
    const verbose = await emu.ams('GET', entityPath('JobTemplates', template.Id), { headers: { Accept: 'application/json;odata=verbose' } });
    expect(verbose.body.d.__metadata.type).toBe('Microsoft.Cloud.Media.Vod.Rest.Data.Models.JobTemplate');
    expect(verbose.body.d.TaskTemplates.__deferred.uri).toContain('/TaskTemplates');
    const atom = await emu.ams('GET', tasksPath, { headers: { Accept: 'application/atom+xml' } });
    expect(atom.text).toContain('term="Microsoft.Cloud.Media.Vod.Rest.Data.Models.TaskTemplate"');
    expect(atom.text).toContain(`<d:Id>${ids[0]}</d:Id>`);
  });

  it('a job made from a template (Name, InputMediaAssets, TemplateId) gets its tasks in order, chained as the body says, and runs', async () => {
    const ids = [ttid(), ttid()];
    const bodies = [
      `<taskBody taskTemplateId="${ids[0]}"><inputAsset>JobInputAsset(0)</inputAsset><outputAsset assetName="encoded">JobOutputAsset(0)</outputAsset></taskBody>`,
      `<taskBody TaskTemplateId="${ids[1]}"><inputAsset>JobOutputAsset(0)</inputAsset><outputAsset assetName="copied">JobOutputAsset(1)</outputAsset></taskBody>`,
    ];
    const template = await createTemplate(restSample(ids, { JobTemplateBody: templateBody(ids, bodies) }));
    const data = sample(3000);
    const { assetId } = await uploadEncryptedAsset(emu, [{ name: 'in.mp4', data }]);
    const res = await emu.ams('POST', 'Jobs', {
      headers: VERBOSE,
      body: { Name: 'FromTemplate', InputMediaAssets: [{ __metadata: { uri: `${emu.url}${entityPath('Assets', assetId)}` } }], TemplateId: template.Id },
    });
    expect(res.status, res.text).toBe(201);
    expect(res.body.d.TemplateId).toBe(template.Id);
    const job = await getJob(emu, String(res.body.d.Id));
    expect(job.State).toBe(3);
    const tasks = await listOf(emu, `${entityPath('Jobs', job.Id)}/Tasks`);
    expect(tasks.map((t) => [t.Name, t.MediaProcessorId, t.Configuration])).toEqual([
      ['encode', MES, 'H264 Single Bitrate 720p'],
      ['decrypt', STORAGE_DECRYPTION, ''],
    ]);
    // The task's TaskBody is the template's <taskBody> without the template attribute.
    expect(tasks[0]!.TaskBody).toBe('<taskBody><inputAsset>JobInputAsset(0)</inputAsset><outputAsset assetName="encoded">JobOutputAsset(0)</outputAsset></taskBody>');
    const outputs = await listOf(emu, `${entityPath('Jobs', job.Id)}/OutputMediaAssets`);
    expect(outputs.map((o) => o.Name)).toEqual(['encoded', 'copied']);
    expect((await listOf(emu, `${entityPath('Assets', String(outputs[1]!.Id))}/Files`)).map((f) => f.Name)).toContain('in_1280x720_4500.mp4');

    // Deleting the template leaves the job; its TaskTemplates go with it.
    expect((await emu.ams('DELETE', entityPath('JobTemplates', template.Id))).status).toBe(204);
    expect((await emu.ams('GET', entityPath('JobTemplates', template.Id))).status).toBe(404);
    expect(await listOf(emu, 'TaskTemplates')).toEqual([]);
    expect((await getJob(emu, job.Id)).TemplateId).toBe(template.Id);
  });

  it('$batch, as the .NET SDK saves one: POST JobTemplates and POST $1/TaskTemplates in one changeset', async () => {
    const id = ttid();
    const boundary = 'batch_templates';
    const json = { 'Content-Type': 'application/json', Accept: 'application/json' };
    const items = [
      {
        changeset: [
          { method: 'POST', url: 'JobTemplates', contentId: '1', headers: json, body: JSON.stringify({ Name: 'batched', TemplateType: 1, NumberofInputAssets: 1, JobTemplateBody: templateBody([id]) }) },
          { method: 'POST', url: '$1/TaskTemplates', contentId: '2', headers: json, body: JSON.stringify({ Id: id, MediaProcessorId: STORAGE_DECRYPTION, Configuration: '', NumberofInputAssets: 1, NumberofOutputAssets: 1, Options: 0 }) },
        ],
      },
    ];
    const res = await emu.ams('POST', '$batch', { body: batchBody(boundary, items), headers: { 'Content-Type': `multipart/mixed; boundary=${boundary}`, Accept: 'multipart/mixed' } });
    expect(res.status, res.text).toBe(202);
    const parts = (readBatchResponse(res.headers.get('content-type'), res.text)[0] as { changeset: { status: number; body: string }[] }).changeset;
    expect(parts.map((p) => p.status)).toEqual([201, 201]);
    expect(JSON.parse(parts[1]!.body).Id).toBe(id);
    expect((await listOf(emu, 'JobTemplates')).map((t) => t.Name)).toEqual(['batched']);
  });

  it('$batch: a changeset that fails after creating a template takes the template (and its TaskTemplates) back', async () => {
    const json = { 'Content-Type': 'application/json', Accept: 'application/json' };
    const changeset = async (second: string) => {
      const boundary = `batch_templates_${randomUUID()}`;
      const items = [
        {
          changeset: [
            { method: 'POST', url: 'JobTemplates', contentId: '1', headers: json, body: JSON.stringify(restSample([ttid(), ttid()])) },
            { method: 'POST', url: 'Assets', contentId: '2', headers: json, body: second },
          ],
        },
      ];
      const res = await emu.ams('POST', '$batch', { body: batchBody(boundary, items), headers: { 'Content-Type': `multipart/mixed; boundary=${boundary}`, Accept: 'multipart/mixed' } });
      expect(res.status, res.text).toBe(202);
    };
    // The same template in a changeset that succeeds is kept (so the first operation is sound)...
    await changeset('{"Name":"kept"}');
    expect(await listOf(emu, 'JobTemplates')).toHaveLength(1);
    expect(await listOf(emu, 'TaskTemplates')).toHaveLength(2);
    // ...and in one whose second operation fails, undone with its TaskTemplates.
    await changeset('{"Name": ');
    expect(await listOf(emu, 'JobTemplates')).toHaveLength(1);
    expect(await listOf(emu, 'TaskTemplates')).toHaveLength(2);
  });

  it('refuses what could not be a template, or run, saying what to change; creates nothing', async () => {
    const ids = [ttid(), ttid()];
    const cases: [JsonBody, string][] = [
      [restSample(ids, { TemplateType: 0 }), 'TemplateType 0 (SystemLevel) is reserved'],
      [restSample(ids, { TemplateType: 2 }), 'not a JobTemplateType'],
      [restSample(ids, { JobTemplateBody: templateBody([ids[0]!]) }), 'has 1 <taskBody> element(s) and 2 TaskTemplate(s)'],
      [restSample(ids, { JobTemplateBody: templateBody([ids[0]!, ttid()]) }), 'names no TaskTemplate sent with the JobTemplate'],
      [restSample(ids, { JobTemplateBody: '<jobTemplate><taskBody>' }), 'not usable XML'],
      [restSample(ids, { JobTemplateBody: '<job/>' }), 'root element must be <jobTemplate>'],
      [restSample(['nb:ttid:UUID:not-a-guid', ids[1]!]), 'is not a TaskTemplate id'],
      [restSample([ids[0]!, ids[0]!]), 'is sent twice'],
      [{ ...restSample(ids), TaskTemplates: [] }, 'needs its TaskTemplates'],
      [restSample(ids, { TaskTemplates: [{ ...(restSample(ids).TaskTemplates as JsonBody[])[0], MediaProcessorId: 'nb:mpid:UUID:00000000-0000-0000-0000-000000000000' }, (restSample(ids).TaskTemplates as JsonBody[])[1]] }), 'no media processor has the Id'],
      [restSample(ids, { NumberofInputAssets: 0, JobTemplateBody: templateBody(ids, [`<taskBody taskTemplateId="${ids[0]}"><inputAsset>JobInputAsset(1)</inputAsset><outputAsset>JobOutputAsset(0)</outputAsset></taskBody>`, `<taskBody taskTemplateId="${ids[1]}"><inputAsset>JobInputAsset(0)</inputAsset><outputAsset>JobOutputAsset(1)</outputAsset></taskBody>`]) }), 'NumberofInputAssets is 0'],
    ];
    for (const [body, fragment] of cases) {
      const res = await emu.ams('POST', 'JobTemplates', { headers: VERBOSE, body });
      expect(res.status, `${fragment}: ${res.text}`).toBe(400);
      expect(errorMessage(res.body)).toContain(fragment);
    }
    expect(await listOf(emu, 'JobTemplates')).toEqual([]);
    expect(await listOf(emu, 'TaskTemplates')).toEqual([]);

    // A TaskTemplate id is new or refused.
    const taken = await createTemplate(restSample(ids));
    const again = await emu.ams('POST', 'JobTemplates', { headers: VERBOSE, body: restSample(ids) });
    expect(again.status).toBe(400);
    expect(errorMessage(again.body)).toContain('exists already');
    expect((await listOf(emu, 'JobTemplates')).map((t) => t.Id)).toEqual([taken.Id]);
  });

  it('400 for a malformed id, 404 for an unknown one; never updated; TaskTemplates only through their JobTemplate', async () => {
    const template = await createTemplate();
    const [task] = await listOf(emu, `${entityPath('JobTemplates', template.Id)}/TaskTemplates`);
    for (const method of ['GET', 'DELETE']) {
      expect((await emu.ams(method, "JobTemplates('junk')")).status, method).toBe(400);
      expect((await emu.ams(method, entityPath('JobTemplates', 'nb:jtid:UUID:00000000-0000-0000-0000-000000000001'))).status, method).toBe(404);
      expect((await emu.ams(method, "TaskTemplates('junk')")).status, method).toBe(400);
    }
    expect((await emu.ams('GET', entityPath('TaskTemplates', 'nb:ttid:UUID:00000000-0000-0000-0000-000000000001'))).status).toBe(404);
    const merge = await emu.ams('MERGE', entityPath('JobTemplates', template.Id), { body: { Name: 'renamed' } });
    expect(merge.status).toBe(400);
    expect(errorMessage(merge.body)).toContain('cannot be updated');
    const postTask = await emu.ams('POST', 'TaskTemplates', { body: { Id: ttid(), NumberofInputAssets: 1, NumberofOutputAssets: 1 } });
    expect(postTask.status).toBe(400);
    expect(errorMessage(postTask.body)).toContain('created with their JobTemplate');
    const deleteTask = await emu.ams('DELETE', entityPath('TaskTemplates', String(task!.Id)));
    expect(deleteTask.status).toBe(400);
    expect((await listOf(emu, 'TaskTemplates'))).toHaveLength(2);
  });

  it('a job from a template: an unknown (404) or malformed (400) TemplateId, Tasks beside it, or the wrong number of inputs (400)', async () => {
    const template = await createTemplate();
    const { assetId } = await uploadEncryptedAsset(emu, [{ name: 'in.mp4', data: sample(100) }]);
    const input = `${emu.url}${entityPath('Assets', assetId)}`;
    const cases: [JsonBody, number, string][] = [
      [{ 'InputMediaAssets@odata.bind': [input], TemplateId: 'nb:jtid:UUID:00000000-0000-0000-0000-000000000001' }, 404, 'No JobTemplate'],
      [{ 'InputMediaAssets@odata.bind': [input], TemplateId: 'template' }, 400, 'Invalid JobTemplate id'],
      [{ 'InputMediaAssets@odata.bind': [input], TemplateId: template.Id, Tasks: [{ MediaProcessorId: STORAGE_DECRYPTION, TaskBody: '<taskBody/>' }] }, 400, 'send no Tasks with it'],
      [{ 'InputMediaAssets@odata.bind': [input, input], TemplateId: template.Id }, 400, 'takes 1 input asset(s)'],
    ];
    for (const [body, status, fragment] of cases) {
      const res = await emu.ams('POST', 'Jobs', { body: { Name: 'j', ...body } });
      expect(res.status, res.text).toBe(status);
      expect(errorMessage(res.body)).toContain(fragment);
    }
    expect(await listOf(emu, 'Jobs')).toEqual([]);
  });
});
