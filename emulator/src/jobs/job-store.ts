import { formatNbId } from '../../../client/src/crypto/index.js';
import { Job, Task } from '../odata/edm.js';
import { canonicalId } from '../odata/uri.js';
import { newAssetRecord } from '../resources/assets.js';
import { COLLECTIONS } from '../model/collections.js';
import { newRecord } from '../resources/common.js';
import type { JobEvents, Services } from '../app/services.js';
import type { JsonRecord, StoreReader, Transaction } from '../store/types.js';
import type { JobPlan } from './job-request.js';
import { JobState, type JobAndTasks, type TaskOutcome } from './job-states.js';

/**
 * How jobs and tasks are stored. Besides their OData properties, records carry fields no client
 * sees (the writers only emit declared properties) that tie a job together:
 * - job: `_inputs` / `_outputs` (asset Ids in JobInputAsset / JobOutputAsset order), `_tasks`
 *   (task keys in order), `_workDone` (every task's work has ended and left its outcome);
 * - task: `_jobId`, `_index`, `_inputs` / `_outputs` (asset Ids), `_outcome` (a TaskOutcome kept
 *   until the job shows its final state, so a job survives a restart between the two).
 */
export const JOBS = COLLECTIONS.Jobs;
export const TASKS = COLLECTIONS.Tasks;

export function jobKey(id: string): string {
  return canonicalId(Job, id);
}

export function taskKey(id: string): string {
  return canonicalId(Task, id);
}

export function stringList(value: unknown): string[] {
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : [];
}

/** A job and its tasks in order, or undefined when the job is gone. */
export function readJob(reader: StoreReader, key: string): JobAndTasks | undefined {
  const job = reader.get(JOBS, key);
  if (!job) return undefined;
  const tasks = stringList(job['_tasks']).flatMap((k) => {
    const task = reader.get(TASKS, k);
    return task ? [task] : [];
  });
  return { job, tasks };
}

/** Store a job and its tasks; `events` hears of it in the same transaction (notifications). */
export function writeJob(tx: Transaction, { job, tasks }: JobAndTasks, events: JobEvents): void {
  const key = jobKey(String(job['Id']));
  events.jobWritten(tx, tx.get(JOBS, key), job);
  tx.put(JOBS, key, job);
  for (const task of tasks) tx.put(TASKS, taskKey(String(task['Id'])), task);
}

export function outcomeOf(task: JsonRecord): TaskOutcome | undefined {
  const outcome = task['_outcome'];
  if (typeof outcome !== 'object' || outcome === null || Array.isArray(outcome)) return undefined;
  return outcome as unknown as TaskOutcome;
}

export interface NewJob extends JobAndTasks {
  /** Output assets to create: their containers first, then the records with the job. */
  outputs: { id: string; container: string; record: JsonRecord }[];
}

/** The records of a planned job: Queued, its tasks Queued, its output assets empty. */
export function buildJob(services: Services, plan: JobPlan): NewJob {
  const now = services.now().toISOString();
  const jobId = formatNbId('jid', services.ids.guid());
  const outputs = plan.outputs.map((spec) =>
    newAssetRecord(
      services,
      new Map<string, string | number>([
        ['Name', spec.name ?? `JobOutputAsset(${spec.index})`],
        ['Options', 0],
        ['FormatOption', spec.formatOption],
      ]),
    ),
  );
  const outputIds = outputs.map((o) => o.id);
  const tasks = plan.tasks.map((taskPlan, index) => {
    const record = newRecord(
      Task,
      { State: JobState.Queued, Progress: 0, Priority: 0, RunningDuration: 0, Options: 0, ErrorDetails: [], HistoricalEvents: [{ Code: 'Queued', Message: 'The job was submitted', TimeStamp: now }] },
      taskPlan.values,
    );
    Object.assign(record, {
      Id: formatNbId('tid', services.ids.guid()),
      _jobId: jobId,
      _index: index,
      _inputs: taskPlan.inputs.map((ref) => (ref.kind === 'input' ? plan.inputAssetIds[ref.index]! : outputIds[ref.index]!)),
      _outputs: taskPlan.outputs.map((spec) => outputIds[spec.index]!),
      _outcome: null,
    });
    return record;
  });
  const job = newRecord(Job, { Created: now, LastModified: now, Priority: 0, RunningDuration: 0, State: JobState.Queued, JobNotificationSubscriptions: [] }, plan.values);
  Object.assign(job, {
    Id: jobId,
    _inputs: plan.inputAssetIds,
    _outputs: outputIds,
    _tasks: tasks.map((t) => taskKey(String(t['Id']))),
    _workDone: false,
  });
  return { job, tasks, outputs };
}
