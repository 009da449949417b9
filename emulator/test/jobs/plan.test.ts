import { describe, expect, it } from 'vitest';
import { readEntityBody } from '../../src/odata/body.js';
import { Job } from '../../src/odata/edm.js';
import { ODataError } from '../../src/odata/errors.js';
import { planJob } from '../../src/jobs/job-request.js';
import { JobState } from '../../src/model/enums.js';
import { advance, canceled, complete, newJob } from '../../src/model/job.js';
import { newTask, taskStarted, type TaskRecord } from '../../src/model/task.js';
import { parseTaskBody } from '../../src/jobs/task-body.js';
import type { JsonRecord, StoreReader } from '../../src/store/types.js';

/** TaskBody parsing, job planning and the state changes, without HTTP or storage. */

const MPID = 'nb:mpid:UUID:aec03716-7c5e-4f68-b592-f4850eba9f10';

function refusal(fn: () => unknown): ODataError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(ODataError);
    return err as ODataError;
  }
  throw new Error('expected a refusal');
}

describe('parseTaskBody', () => {
  it('the .NET SDK body: a utf-16 declaration (it is a .NET string) and indentation', () => {
    const body = '<?xml version="1.0" encoding="utf-16"?>\r\n<taskBody>\r\n  <inputAsset>JobInputAsset(0)</inputAsset>\r\n  <outputAsset assetCreationOptions="0" assetName="Output asset">JobOutputAsset(0)</outputAsset>\r\n</taskBody>';
    expect(parseTaskBody(body, 'Task 1')).toEqual({ inputs: [{ kind: 'input', index: 0 }], outputs: [{ index: 0, name: 'Output asset', creationOptions: 0, formatOption: 0 }] });
  });

  it('the Java body, attributes in another order, a storage account, a chained input', () => {
    const body = '<taskBody taskTemplateId="x"><inputAsset> JobOutputAsset(2) </inputAsset><outputAsset assetName="Output" assetCreationOptions="0" assetFormatOption="1" storageAccountName="devstoreaccount1">JobOutputAsset(3)</outputAsset></taskBody>';
    expect(parseTaskBody(body, 'Task 1')).toEqual({
      inputs: [{ kind: 'output', index: 2 }],
      outputs: [{ index: 3, name: 'Output', creationOptions: 0, formatOption: 1, storageAccountName: 'devstoreaccount1' }],
    });
  });

  it('refuses what is not a task body, naming the task', () => {
    expect(refusal(() => parseTaskBody('', 'Task 2')).message).toMatch(/^Task 2: the TaskBody is not usable XML: it is empty/);
    expect(refusal(() => parseTaskBody('<!DOCTYPE lol [<!ENTITY a "aaaa">]><taskBody>&a;</taskBody>', 'Task 1')).message).toContain('DTDs are not allowed');
    expect(refusal(() => parseTaskBody(`<taskBody><inputAsset>${'x'.repeat(200_000)}</inputAsset></taskBody>`, 'Task 1')).message).toContain('too large');
    expect(refusal(() => parseTaskBody('<taskBody>text<inputAsset>JobInputAsset(0)</inputAsset></taskBody>', 'Task 1')).message).toContain('unexpected text');
    expect(refusal(() => parseTaskBody('<taskBody><inputAsset><x/></inputAsset></taskBody>', 'Task 1')).message).toContain('holds only text');
    expect(refusal(() => parseTaskBody('<taskBody><outputAsset>JobInputAsset(0)</outputAsset></taskBody>', 'Task 1')).message).toContain('must hold JobOutputAsset(n)');
    expect(refusal(() => parseTaskBody('<taskBody><inputAsset>JobInputAsset(5000)</inputAsset></taskBody>', 'Task 1')).message).toContain('out of range');
  });
});

/** A store reader holding these assets. */
function readerWith(assetIds: string[]): StoreReader {
  const assets = new Map(assetIds.map((id) => [id, { Id: id } as JsonRecord]));
  return {
    get: <T extends JsonRecord>(collection: string, id: string) => (collection === 'assets' ? (assets.get(id) as T | undefined) : undefined),
    has: (collection, id) => collection === 'assets' && assets.has(id),
    values: <T extends JsonRecord>() => [][Symbol.iterator]() as IterableIterator<T>,
    count: () => 0,
    lookup: <T extends JsonRecord>() => [] as T[],
  };
}

const A0 = 'nb:cid:UUID:11111111-1111-4111-8111-111111111111';
const A1 = 'nb:cid:UUID:22222222-2222-4222-8222-222222222222';

function plan(body: Record<string, unknown>, assets = [A0, A1]) {
  const parsed = readEntityBody(Buffer.from(JSON.stringify(body)), 'application/json', Job, { maxDepth: 32 }, { inline: ['Tasks'] });
  return planJob(parsed, readerWith(assets), 'devstoreaccount1');
}

function task(input: string, output: string, extra = ''): Record<string, unknown> {
  return { MediaProcessorId: MPID, TaskBody: `<taskBody><inputAsset>${input}</inputAsset><outputAsset ${extra}>${output}</outputAsset></taskBody>` };
}

describe('planJob', () => {
  const inputs = { 'InputMediaAssets@odata.bind': [`https://h/api/Assets('${encodeURIComponent(A0)}')`, `https://h/api/Assets('${A1.toUpperCase().replace('NB:CID:UUID:', 'nb:cid:UUID:')}')`] };

  it('resolves inputs to stored ids and numbers the outputs across tasks', () => {
    const result = plan({ ...inputs, Tasks: [task('JobInputAsset(1)', 'JobOutputAsset(0)', 'assetName="b"'), task('JobOutputAsset(0)', 'JobOutputAsset(1)'), task('JobInputAsset(0)', 'JobOutputAsset(2)')] });
    expect(result.inputAssetIds).toEqual([A0, A1]);
    expect(result.outputs.map((o) => [o.index, o.name])).toEqual([
      [0, 'b'],
      [1, undefined],
      [2, undefined],
    ]);
    expect(result.tasks.map((t) => t.inputs)).toEqual([[{ kind: 'input', index: 1 }], [{ kind: 'output', index: 0 }], [{ kind: 'input', index: 0 }]]);
  });

  it('refuses an output written twice, a gap in the numbering, a foreign storage account, a processor by another id', () => {
    expect(refusal(() => plan({ ...inputs, Tasks: [task('JobInputAsset(0)', 'JobOutputAsset(0)'), task('JobInputAsset(1)', 'JobOutputAsset(0)')] })).message).toContain('already the output of Task 1');
    expect(refusal(() => plan({ ...inputs, Tasks: [task('JobInputAsset(0)', 'JobOutputAsset(0)'), task('JobInputAsset(1)', 'JobOutputAsset(2)')] })).message).toContain('JobOutputAsset(1) is missing');
    expect(refusal(() => plan({ ...inputs, Tasks: [task('JobInputAsset(0)', 'JobOutputAsset(0)', 'storageAccountName="other"')] })).message).toContain("storage account is 'devstoreaccount1'");
    expect(refusal(() => plan({ ...inputs, Tasks: [{ ...task('JobInputAsset(0)', 'JobOutputAsset(0)'), MediaProcessorId: 'nb:mpid:UUID:2e7aa8f3-4961-4e0c-b4db-0e0439e524f5' }] })).message).toContain(MPID);
  });

  it('accepts the processor id in any case, and an asset bound twice', () => {
    const result = plan({ 'InputMediaAssets@odata.bind': [`https://h/api/Assets('${A0}')`, `https://h/api/Assets('${A0}')`], Tasks: [{ ...task('JobInputAsset(1)', 'JobOutputAsset(0)'), MediaProcessorId: MPID.toUpperCase() }] });
    expect(result.inputAssetIds).toEqual([A0, A0]);
  });
});

describe('job state changes', () => {
  const J = 'nb:jid:UUID:00000000-0000-4000-8000-000000000001';
  const T1 = 'nb:tid:UUID:00000000-0000-4000-8000-000000000011';
  const T2 = 'nb:tid:UUID:00000000-0000-4000-8000-000000000012';
  const created = '2019-12-31T00:00:00.000Z';
  const queued = (id: string, index: number): TaskRecord => ({ ...newTask({ id, jobId: J, index, values: new Map(), inputs: [], outputs: [], now: created }), HistoricalEvents: [] });
  const tasks = [queued(T1, 0), queued(T2, 1)];
  const { job } = newJob({ id: J, values: new Map(), inputs: [], outputs: [], tasks, now: created });

  it('Queued -> Scheduled -> Processing -> Finished, with times and durations in milliseconds', () => {
    const scheduled = advance({ job, tasks }, JobState.Scheduled, '2020-01-01T00:00:00.000Z', 'scheduled');
    expect(scheduled.tasks.map((t) => t['State'])).toEqual([1, 1]);
    const processing = advance(scheduled, JobState.Processing, '2020-01-01T00:00:01.000Z', 'processing');
    expect(processing.job).toMatchObject({ State: 2, StartTime: '2020-01-01T00:00:01.000Z' });
    expect(processing.tasks.map((t) => t['State'])).toEqual([1, 1]);
    const started = { ...processing, tasks: processing.tasks.map((t) => taskStarted(t, '2020-01-01T00:00:02.000Z', 'go')) };
    const done = complete(started, new Map([[T1, { state: JobState.Finished, errors: [] }], [T2, { state: JobState.Finished, errors: [] }]]), '2020-01-01T00:00:03.500Z');
    expect(done.job).toMatchObject({ State: 3, EndTime: '2020-01-01T00:00:03.500Z', RunningDuration: 2500 });
    expect(done.tasks[0]).toMatchObject({ State: 3, Progress: 100, RunningDuration: 1500, ErrorDetails: [] });
    expect((done.tasks[0]!.HistoricalEvents ?? []).map((e) => e.Code)).toEqual(['Scheduled', 'Processing', 'Finished']);
  });

  it('a failed task makes the job Error; a task without an outcome did not run (Canceled)', () => {
    const error = { Code: 'NoContentKey', Message: 'no key' };
    const done = complete({ job: { ...job, State: JobState.Processing }, tasks }, new Map([[T1, { state: JobState.Error, errors: [error] }]]), '2020-01-01T00:00:00.000Z');
    expect(done.job['State']).toBe(JobState.Error);
    expect(done.tasks.map((t) => [t['State'], t['ErrorDetails']])).toEqual([
      [JobState.Error, [error]],
      [JobState.Canceled, []],
    ]);
  });

  it('cancel leaves final tasks alone', () => {
    const result = canceled({ job, tasks: [{ ...tasks[0]!, State: JobState.Finished }, tasks[1]!] }, '2020-01-01T00:00:00.000Z', 'stop');
    expect(result.job['State']).toBe(JobState.Canceled);
    expect(result.tasks.map((t) => t['State'])).toEqual([JobState.Finished, JobState.Canceled]);
  });
});
