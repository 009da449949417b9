import { formatNbId, parseNbId } from '../../../client/src/crypto/index.js';
import type { CanonicalValue } from '../odata/values.js';
import type { JsonRecord, StoreReader, Transaction } from '../store/types.js';
import { COLLECTIONS } from './collections.js';
import { enumName, JobState, type JobStateValue } from './enums.js';
import type { JobEvents } from '../app/services.js';
import type { JobRecord, TaskRecord } from './records.js';
import { invalid } from './refusal.js';
import { duration, isFinal, stringsOf, taskKey, withClientValues, withEvent, type TaskOutcome } from './task.js';

/**
 * What a Job is: an ordered list of tasks (model/task.ts) run over input assets into output assets
 * it creates, moving Queued -> Scheduled -> Processing -> Finished | Error, or -> Canceling ->
 * Canceled (JobState, ams-v2-reference.md §6.7). The functions here are pure: the runner decides
 * when a job moves, these say what each move does to the job and its tasks.
 *
 * What must hold:
 * - `_internal.tasks` lists the keys of the job's tasks in order, and each of those tasks names the
 *   job in `_internal.jobId`; a job and its tasks are written and deleted together.
 * - `_internal.inputs` / `_internal.outputs` are asset Ids in JobInputAsset / JobOutputAsset order;
 *   the output assets are created with the job.
 * - `_internal.workDone` is set once every task's work has ended and left its outcome; only then
 *   does a Processing job complete.
 * - Only a final job (Finished, Error, Canceled) can be deleted; its tasks go with it, its input
 *   and output assets stay. Deleting an asset a job uses does not touch the job: a task that needs
 *   it fails with an ErrorDetail that says the asset is gone.
 */
export type { JobRecord } from './records.js';
export { isFinal } from './task.js';

export interface JobAndTasks {
  job: JobRecord;
  tasks: TaskRecord[];
}

/** The store key of a job: its canonical id. */
export function jobKey(id: string): string {
  return formatNbId('jid', parseNbId(id, 'jid').guid);
}

/** The name of a JobState value, for messages. */
export function stateName(state: number): string {
  return enumName(JobState, state) ?? `State ${state}`;
}

/** A job by its store key (already canonical), or undefined. */
export function findJob(reader: StoreReader, key: string): JobRecord | undefined {
  return reader.get<JobRecord>(COLLECTIONS.Jobs, key);
}

/** A task by its store key (already canonical), or undefined. */
export function findTask(reader: StoreReader, key: string): TaskRecord | undefined {
  return reader.get<TaskRecord>(COLLECTIONS.Tasks, key);
}

/** Every job, in creation order. */
export function allJobs(reader: StoreReader): IterableIterator<JobRecord> {
  return reader.values<JobRecord>(COLLECTIONS.Jobs);
}

/** A job and its tasks in order, or undefined when the job is gone. */
export function readJob(reader: StoreReader, key: string): JobAndTasks | undefined {
  const job = findJob(reader, key);
  if (!job) return undefined;
  const tasks = job._internal.tasks.flatMap((k) => {
    const task = findTask(reader, k);
    return task ? [task] : [];
  });
  return { job, tasks };
}

/**
 * A job and its tasks, written together; `events` hears of the change inside the same transaction
 * (notifications write what it raises to `tx`, so it is kept or dropped with the job).
 */
export function writeJob(tx: Transaction, { job, tasks }: JobAndTasks, events: JobEvents): void {
  const key = jobKey(job.Id);
  events.jobWritten(tx, findJob(tx, key), job);
  tx.put(COLLECTIONS.Jobs, key, job);
  for (const task of tasks) writeTask(tx, task, events);
}

/** One task, with `events` hearing of it in the same transaction as `writeJob`'s. */
export function writeTask(tx: Transaction, task: TaskRecord, events: JobEvents): void {
  const key = taskKey(task.Id);
  events.taskWritten(tx, findTask(tx, key), task);
  tx.put(COLLECTIONS.Tasks, key, task);
}

/**
 * A final job and its tasks deleted (its assets stay); refused while it can still change, since
 * its work would write into a job that no longer exists. Returns the deleted job's key.
 */
export function deleteJob(tx: Transaction, job: JobRecord): string {
  if (job.State === JobState.Canceling) throw invalid(`The job '${job.Id}' is Canceling: delete it once it is Canceled`);
  if (!isFinal(job.State)) {
    throw invalid(`The job '${job.Id}' is ${stateName(job.State)}: cancel it first (GET CancelJob?jobid='${encodeURIComponent(job.Id)}') and delete it once it is Canceled`);
  }
  for (const task of job._internal.tasks) tx.delete(COLLECTIONS.Tasks, task);
  const key = jobKey(job.Id);
  tx.delete(COLLECTIONS.Jobs, key);
  return key;
}

export interface NewJob {
  id: string;
  /** The client's values (Name, Priority, ...), read against the Job type. */
  values: ReadonlyMap<string, CanonicalValue>;
  inputs: string[];
  outputs: string[];
  tasks: TaskRecord[];
  now: string;
}

/** A new job: Queued, owning `tasks` (made with `newTask` for this job's id). */
export function newJob({ id, values, inputs, outputs, tasks, now }: NewJob): JobAndTasks {
  const job: JobRecord = {
    Id: id,
    Name: null,
    Created: now,
    LastModified: now,
    EndTime: null,
    Priority: 0,
    RunningDuration: 0,
    StartTime: null,
    State: JobState.Queued,
    TemplateId: null,
    JobNotificationSubscriptions: [],
    _internal: { inputs, outputs, tasks: tasks.map((t) => taskKey(t.Id)), workDone: false },
  };
  return { job: { ...withClientValues(job, values), Id: id }, tasks };
}

/** The job's work has ended: every task has left its outcome. */
export function workDone(job: JobRecord): JobRecord {
  return { ...job, _internal: { ...job._internal, workDone: true } };
}

/** Queued -> Scheduled, or Scheduled -> Processing: the job and every task not yet final. */
export function advance({ job, tasks }: JobAndTasks, state: typeof JobState.Scheduled | typeof JobState.Processing, now: string, message: string): JobAndTasks {
  const nextJob: JobRecord = { ...job, State: state, LastModified: now };
  if (state === JobState.Processing) nextJob.StartTime = now;
  return {
    job: nextJob,
    // Tasks stay Scheduled until their own work starts (taskStarted), so a chain shows its order.
    tasks: state === JobState.Processing ? tasks : tasks.map((t) => (isFinal(t.State) ? t : withEvent({ ...t, State: JobState.Scheduled }, 'Scheduled', message, now))),
  };
}

/** The outcomes the job's tasks have recorded, by task Id. */
export function outcomes(tasks: readonly TaskRecord[]): Map<string, TaskOutcome> {
  const out = new Map<string, TaskOutcome>();
  for (const task of tasks) if (task._internal.outcome) out.set(task.Id, task._internal.outcome);
  return out;
}

/**
 * Processing -> Finished or Error: each task takes its recorded outcome (a task without one did
 * not run: Canceled); the job is Finished when every task finished.
 */
export function complete({ job, tasks }: JobAndTasks, taskOutcomes: ReadonlyMap<string, TaskOutcome>, now: string): JobAndTasks {
  const nextTasks = tasks.map((task) => {
    const outcome = taskOutcomes.get(task.Id) ?? { state: JobState.Canceled, errors: [] };
    const start = task.StartTime ?? job.StartTime ?? null;
    const done: TaskRecord = {
      ...task,
      State: outcome.state,
      StartTime: start,
      EndTime: now,
      RunningDuration: duration(start, now),
      ErrorDetails: outcome.errors,
      Progress: outcome.state === JobState.Finished ? 100 : task.Progress,
    };
    const message =
      outcome.state === JobState.Finished ? 'The task finished' : outcome.state === JobState.Error ? `The task failed: ${outcome.errors.map((e) => e.Message).join('; ')}` : 'The task did not run because an earlier task failed';
    return withEvent(done, stateName(outcome.state), message, now);
  });
  const finished = nextTasks.every((t) => t.State === JobState.Finished);
  const state: JobStateValue = finished ? JobState.Finished : JobState.Error;
  return {
    job: { ...job, State: state, EndTime: now, LastModified: now, RunningDuration: duration(job.StartTime, now) },
    tasks: nextTasks,
  };
}

/** A Canceling job whose work has stopped (or never started): Canceled. */
export function canceled({ job, tasks }: JobAndTasks, now: string, message: string): JobAndTasks {
  return {
    job: { ...job, State: JobState.Canceled, EndTime: now, LastModified: now, RunningDuration: duration(job.StartTime, now) },
    tasks: tasks.map((t) => (isFinal(t.State) ? t : withEvent({ ...t, State: JobState.Canceled, EndTime: now, RunningDuration: duration(t.StartTime, now) }, 'Canceled', message, now))),
  };
}

/** CancelJob on a Queued, Scheduled or Processing job: Canceling until its work (if any) has stopped. */
export function canceling({ job, tasks }: JobAndTasks, now: string): JobAndTasks {
  return {
    job: { ...job, State: JobState.Canceling, LastModified: now },
    tasks: tasks.map((t) => (isFinal(t.State) ? t : withEvent({ ...t, State: JobState.Canceling }, 'Canceling', 'Cancellation was requested', now))),
  };
}

/**
 * A job as schema 1 stored it (bookkeeping at the top level: `_inputs`, `_outputs`, `_tasks`,
 * `_workDone`) in today's shape, for the store's schema upgrade. A record already upgraded is
 * returned as it is, so the upgrade can run over a journal that mixes both.
 */
export function jobFromSchema1(stored: JsonRecord): JobRecord {
  if (typeof stored['_internal'] === 'object' && stored['_internal'] !== null) return stored as JobRecord;
  const { _inputs, _outputs, _tasks, _workDone, ...properties } = stored;
  return { ...(properties as Omit<JobRecord, '_internal'>), _internal: { inputs: stringsOf(_inputs), outputs: stringsOf(_outputs), tasks: stringsOf(_tasks), workDone: _workDone === true } };
}
