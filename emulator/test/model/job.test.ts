import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { COLLECTIONS } from '../../src/model/collections.js';
import { JobState, type JobStateValue } from '../../src/model/enums.js';
import { deleteJob, isFinal, jobFromSchema1, jobKey, newJob, readJob, writeJob } from '../../src/model/job.js';
import { Refusal } from '../../src/model/refusal.js';
import { newTask, taskFromSchema1, taskKey } from '../../src/model/task.js';
import { openStore } from '../../src/store/index.js';
import type { InstrumentedStore } from '../../src/store/instrumented.js';

/** What must hold of a job and its tasks, checked on a real (in-memory) store. */
const NOW = '2020-01-01T00:00:00.000Z';
const id = (tag: string, n: number) => `nb:${tag}:UUID:00000000-0000-4000-8000-${String(n).padStart(12, '0')}`;

function jobWithTasks(n: number, taskCount: number, state: JobStateValue) {
  const jobId = id('jid', n);
  const tasks = Array.from({ length: taskCount }, (_, i) => newTask({ id: id('tid', n * 100 + i), jobId, index: i, values: new Map(), inputs: [], outputs: [], now: NOW }));
  const made = newJob({ id: jobId, values: new Map([['Name', 'j']]), inputs: [], outputs: [], tasks, now: NOW });
  return { ...made, job: { ...made.job, State: state } };
}

let store: InstrumentedStore | undefined;
afterEach(async () => {
  await store?.close();
  store = undefined;
});

describe('model/job', () => {
  it('a new job is Queued, lists its tasks in order, and each task names it', () => {
    const { job, tasks } = jobWithTasks(1, 3, JobState.Queued);
    expect(job).toMatchObject({ State: JobState.Queued, Name: 'j', RunningDuration: 0, _internal: { workDone: false } });
    expect(job._internal.tasks).toEqual(tasks.map((t) => taskKey(t.Id)));
    expect(tasks.map((t) => [t._internal.jobId, t._internal.index, t.State])).toEqual([0, 1, 2].map((i) => [job.Id, i, JobState.Queued]));
  });

  it('a job is deleted with its tasks only when final; otherwise refused and nothing changes', async () => {
    const states = Object.values(JobState);
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...states), fc.integer({ min: 0, max: 4 }), async (state, taskCount) => {
        store = await openStore({});
        const made = jobWithTasks(7, taskCount, state);
        await store.transaction((tx) => writeJob(tx, made));
        const key = jobKey(made.job.Id);
        const result = await store.transaction((tx) => deleteJob(tx, made.job)).then(
          () => 'deleted',
          (err: unknown) => err,
        );
        if (isFinal(state)) {
          expect(result).toBe('deleted');
          expect(readJob(store, key)).toBeUndefined();
          expect(store.count(COLLECTIONS.Tasks)).toBe(0);
        } else {
          expect(result).toBeInstanceOf(Refusal);
          expect((result as Refusal).kind).toBe('invalid');
          expect(readJob(store, key)?.tasks).toHaveLength(taskCount);
        }
        await store.close();
        store = undefined;
      }),
      { numRuns: 30 },
    );
  });
});

describe('schema 1 records (bookkeeping at the top level) in today\'s shape', () => {
  const ids = fc.array(fc.uuid().map((g) => `nb:cid:UUID:${g}`), { maxLength: 3 });
  const outcome = fc.option(fc.record({ state: fc.constantFrom(JobState.Finished, JobState.Error, JobState.Canceled), errors: fc.array(fc.record({ Code: fc.string(), Message: fc.string() }), { maxLength: 2 }) }), { nil: null });

  it('a job and its task come back as they were written, and an upgraded record is left alone', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 999 }), fc.integer({ min: 0, max: 3 }), fc.constantFrom(...Object.values(JobState)), ids, ids, fc.boolean(), outcome, (n, taskCount, state, inputs, outputs, done, taskOutcome) => {
        const made = jobWithTasks(n, taskCount, state);
        const job = { ...made.job, _internal: { ...made.job._internal, inputs, outputs, workDone: done } };
        const { _internal: j, ...jobProperties } = job;
        const storedJob = { ...jobProperties, _inputs: j.inputs, _outputs: j.outputs, _tasks: j.tasks, _workDone: j.workDone };
        expect(jobFromSchema1(storedJob)).toEqual(job);
        expect(jobFromSchema1(job)).toBe(job);
        for (const created of made.tasks) {
          const task = { ...created, _internal: { ...created._internal, inputs, outputs, outcome: taskOutcome } };
          const { _internal: t, ...taskProperties } = task;
          const storedTask = { ...taskProperties, _jobId: t.jobId, _index: t.index, _inputs: t.inputs, _outputs: t.outputs, _outcome: t.outcome };
          expect(taskFromSchema1(storedTask)).toEqual(task);
          expect(taskFromSchema1(task)).toBe(task);
        }
      }),
      { numRuns: 100 },
    );
  });
});
