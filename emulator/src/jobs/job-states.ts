import type { JsonRecord } from '../store/types.js';

/**
 * JobState, which tasks share (NET `JobState.cs`; ams-v2-reference.md §6.7), and the changes each
 * transition makes to a job and its tasks. Pure: the runner decides when, these say what.
 */
export const JobState = {
  Queued: 0,
  Scheduled: 1,
  Processing: 2,
  Finished: 3,
  Error: 4,
  Canceled: 5,
  Canceling: 6,
} as const;

export type JobStateValue = (typeof JobState)[keyof typeof JobState];

const NAMES: Record<number, string> = Object.fromEntries(Object.entries(JobState).map(([name, value]) => [value, name]));

export function stateName(state: unknown): string {
  return typeof state === 'number' ? (NAMES[state] ?? `State ${state}`) : `State ${String(state)}`;
}

/** Finished, Error and Canceled: nothing will change any more. */
export function isFinal(state: unknown): boolean {
  return state === JobState.Finished || state === JobState.Error || state === JobState.Canceled;
}

/** What a task's work came to, kept on the task until the job shows its final state. */
export interface TaskOutcome {
  state: typeof JobState.Finished | typeof JobState.Error | typeof JobState.Canceled;
  errors: { Code: string; Message: string }[];
}

export interface JobAndTasks {
  job: JsonRecord;
  tasks: JsonRecord[];
}

/** A TaskHistoricalEvent. */
function event(code: string, message: string, now: string): JsonRecord {
  return { Code: code, Message: message, TimeStamp: now };
}

/** The task with one more TaskHistoricalEvent. */
export function withEvent(task: JsonRecord, code: string, message: string, now: string): JsonRecord {
  const events = Array.isArray(task['HistoricalEvents']) ? task['HistoricalEvents'] : [];
  return { ...task, HistoricalEvents: [...events, event(code, message, now)] };
}

/** Milliseconds from `start` to `end` (RunningDuration; the SDKs read it as milliseconds). */
function duration(start: unknown, end: string): number {
  return typeof start === 'string' ? Math.max(0, Date.parse(end) - Date.parse(start)) : 0;
}

/** Queued -> Scheduled, or Scheduled -> Processing: the job and every task not yet final. */
export function advance({ job, tasks }: JobAndTasks, state: typeof JobState.Scheduled | typeof JobState.Processing, now: string, message: string): JobAndTasks {
  const nextJob: JsonRecord = { ...job, State: state, LastModified: now };
  if (state === JobState.Processing) nextJob['StartTime'] = now;
  return {
    job: nextJob,
    // Tasks stay Scheduled until their own work starts (taskStarted), so a chain shows its order.
    tasks: state === JobState.Processing ? tasks : tasks.map((t) => (isFinal(t['State']) ? t : withEvent({ ...t, State: JobState.Scheduled }, 'Scheduled', message, now))),
  };
}

/** A task's own work begins. */
export function taskStarted(task: JsonRecord, now: string, message: string): JsonRecord {
  return withEvent({ ...task, State: JobState.Processing, StartTime: now, Progress: 0 }, 'Processing', message, now);
}

/**
 * Processing -> Finished or Error: each task takes its recorded outcome (a task without one did
 * not run: Canceled); the job is Finished when every task finished.
 */
export function complete({ job, tasks }: JobAndTasks, outcomes: ReadonlyMap<string, TaskOutcome>, now: string): JobAndTasks {
  const nextTasks = tasks.map((task) => {
    const outcome = outcomes.get(String(task['Id'])) ?? { state: JobState.Canceled, errors: [] };
    const start = task['StartTime'] ?? job['StartTime'] ?? null;
    const done: JsonRecord = {
      ...task,
      State: outcome.state,
      StartTime: start,
      EndTime: now,
      RunningDuration: duration(start, now),
      ErrorDetails: outcome.errors,
      Progress: outcome.state === JobState.Finished ? 100 : task['Progress'] ?? 0,
    };
    const message =
      outcome.state === JobState.Finished ? 'The task finished' : outcome.state === JobState.Error ? `The task failed: ${outcome.errors.map((e) => e.Message).join('; ')}` : 'The task did not run because an earlier task failed';
    return withEvent(done, stateName(outcome.state), message, now);
  });
  const finished = nextTasks.every((t) => t['State'] === JobState.Finished);
  return {
    job: { ...job, State: finished ? JobState.Finished : JobState.Error, EndTime: now, LastModified: now, RunningDuration: duration(job['StartTime'], now) },
    tasks: nextTasks,
  };
}

/** CancelJob on a job that is not running yet: Canceled at once. */
export function canceled({ job, tasks }: JobAndTasks, now: string, message: string): JobAndTasks {
  return {
    job: { ...job, State: JobState.Canceled, EndTime: now, LastModified: now, RunningDuration: duration(job['StartTime'], now) },
    tasks: tasks.map((t) => (isFinal(t['State']) ? t : withEvent({ ...t, State: JobState.Canceled, EndTime: now, RunningDuration: duration(t['StartTime'], now) }, 'Canceled', message, now))),
  };
}

/** CancelJob on a running job: Canceling until its work has stopped. */
export function canceling({ job, tasks }: JobAndTasks, now: string): JobAndTasks {
  return {
    job: { ...job, State: JobState.Canceling, LastModified: now },
    tasks: tasks.map((t) => (isFinal(t['State']) ? t : withEvent({ ...t, State: JobState.Canceling }, 'Canceling', 'Cancellation was requested', now))),
  };
}
