import { formatNbId, parseNbId } from '../../../client/src/crypto/index.js';
import { Asset } from '../odata/edm.js';
import type { CanonicalValue } from '../odata/values.js';
import type { JsonRecord, StoreReader } from '../store/types.js';
import { COLLECTIONS } from './collections.js';
import { JobState } from './enums.js';
import { canonicalId } from './ids.js';
import type { AssetRecord, HistoricalEventValue, TaskOutcomeValue, TaskRecord } from './records.js';

/**
 * What a Task is: one unit of a job's work (one processor run), created with its job and never on
 * its own, sharing the JobState values (NET `JobState.cs`; ams-v2-reference.md §6.7). What must
 * hold: `_internal.jobId` names the job whose `_internal.tasks` lists it (a task never outlives its
 * job: `model/job.ts` deletes them together); `_internal.outcome` is set once, when the task's work
 * has ended, and read when the job shows its final state.
 */
export type { TaskRecord } from './records.js';

/** What a task's work came to: kept on the task until the job shows its final state (survives a restart). */
export type TaskOutcome = TaskOutcomeValue;

/** The store key of a task: its canonical id. */
export function taskKey(id: string): string {
  return formatNbId('tid', parseNbId(id, 'tid').guid);
}

/** Finished, Error and Canceled: nothing will change any more (tasks and jobs alike). */
export function isFinal(state: number): boolean {
  return state === JobState.Finished || state === JobState.Error || state === JobState.Canceled;
}

/** Where a new task's assets come from, already resolved to asset Ids. */
export interface NewTask {
  id: string;
  jobId: string;
  index: number;
  /** The client's values (Name, MediaProcessorId, TaskBody, Options, ...), read against the Task type. */
  values: ReadonlyMap<string, CanonicalValue>;
  inputs: string[];
  outputs: string[];
  now: string;
}

/** A new task: Queued, with its first historical event; the server owns State, Progress and the times. */
export function newTask({ id, jobId, index, values, inputs, outputs, now }: NewTask): TaskRecord {
  const task: TaskRecord = {
    Id: id,
    Name: null,
    MediaProcessorId: '',
    State: JobState.Queued,
    Progress: 0,
    Priority: 0,
    StartTime: null,
    EndTime: null,
    RunningDuration: 0,
    PerfMessage: null,
    TaskBody: null,
    Configuration: null,
    Options: 0,
    ErrorDetails: [],
    // The first event has no Message: the Java SDK's job tests assert it (ams-v2-surface.md §6.3).
    HistoricalEvents: [{ Code: 'Queued', Message: null, TimeStamp: now }],
    EncryptionKeyId: null,
    EncryptionScheme: null,
    EncryptionVersion: null,
    InitializationVector: null,
    TaskNotificationSubscriptions: [],
    _internal: { jobId, index, inputs, outputs, outcome: null },
  };
  const made = { ...withClientValues(task, values), Id: id };
  // IncludeTaskProgress left out is false (the body reader leaves a missing field null).
  if (made.TaskNotificationSubscriptions) made.TaskNotificationSubscriptions = made.TaskNotificationSubscriptions.map((s) => ({ ...s, IncludeTaskProgress: s.IncludeTaskProgress === true }));
  return made;
}

/**
 * `values` over `record`: the body reader has read them against the entity's declared properties
 * (types and server-owned ones refused), so the result is still a record of that type.
 */
export function withClientValues<T extends { _internal: unknown }>(record: T, values: ReadonlyMap<string, CanonicalValue>): T {
  const next = { ...record };
  for (const [name, value] of values) if (name !== '_internal') (next as Record<string, unknown>)[name] = value;
  return next;
}

/** The task with one more TaskHistoricalEvent. */
export function withEvent(task: TaskRecord, code: string, message: string, now: string): TaskRecord {
  const event: HistoricalEventValue = { Code: code, Message: message, TimeStamp: now };
  return { ...task, HistoricalEvents: [...(task.HistoricalEvents ?? []), event] };
}

/** A task's own work begins. */
export function taskStarted(task: TaskRecord, now: string, message: string): TaskRecord {
  return withEvent({ ...task, State: JobState.Processing, StartTime: now, Progress: 0 }, 'Processing', message, now);
}

/** The task's work ended with `outcome` (kept until the job completes). */
export function taskWorkEnded(task: TaskRecord, outcome: TaskOutcome): TaskRecord {
  return {
    ...task,
    ...(outcome.state === JobState.Finished ? { Progress: 100 } : {}),
    _internal: { ...task._internal, outcome: { state: outcome.state, errors: outcome.errors } },
  };
}

/** Progress after `done` of `total` pieces of work, to one decimal. */
export function taskProgressed(task: TaskRecord, done: number, total: number): TaskRecord {
  return { ...task, Progress: Math.floor((done / total) * 1000) / 10 };
}

/**
 * Asset `ParentAssets`: the assets a task read to write this one (a job output's inputs), in the
 * task's input order; empty for an asset no task wrote. That a job's output lists its input there
 * is the natural reading of the navigation; no source stated it (ams-v2-surface.md §6.6). The tasks
 * are scanned: the relation is read rarely, and a job deleted takes it along.
 */
export function parentAssetsOf(reader: StoreReader, assetId: string): AssetRecord[] {
  const id = canonicalId(Asset, assetId);
  const parents = new Map<string, AssetRecord>();
  for (const task of reader.values<TaskRecord>(COLLECTIONS.Tasks)) {
    if (!task._internal.outputs.some((out) => canonicalId(Asset, out) === id)) continue;
    for (const input of task._internal.inputs) {
      const key = canonicalId(Asset, input);
      const parent = reader.get<AssetRecord>(COLLECTIONS.Assets, key);
      if (parent && !parents.has(key)) parents.set(key, parent);
    }
  }
  return [...parents.values()];
}

/** Milliseconds from `start` to `end` (RunningDuration; the SDKs read it as milliseconds). */
export function duration(start: string | null, end: string): number {
  return start !== null ? Math.max(0, Date.parse(end) - Date.parse(start)) : 0;
}

/**
 * A task as schema 1 stored it (`_jobId`, `_index`, `_inputs`, `_outputs`, `_outcome` at the top
 * level) in today's shape, for the store's schema upgrade; an upgraded record is returned as it is.
 */
export function taskFromSchema1(stored: JsonRecord): TaskRecord {
  if (typeof stored['_internal'] === 'object' && stored['_internal'] !== null) return stored as TaskRecord;
  const { _jobId, _index, _inputs, _outputs, _outcome, ...properties } = stored;
  return {
    ...(properties as Omit<TaskRecord, '_internal'>),
    _internal: { jobId: String(_jobId), index: typeof _index === 'number' ? _index : 0, inputs: stringsOf(_inputs), outputs: stringsOf(_outputs), outcome: outcomeOf(_outcome) },
  };
}

function outcomeOf(value: unknown): TaskOutcome | null {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return null;
  const { state, errors } = value as { state?: unknown; errors?: unknown };
  if (state !== JobState.Finished && state !== JobState.Error && state !== JobState.Canceled) return null;
  return { state, errors: Array.isArray(errors) ? (errors as TaskOutcome['errors']) : [] };
}

/** The strings of a stored list (anything else in it, or no list, is dropped). */
export function stringsOf(value: unknown): string[] {
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : [];
}
