import { setTimeout as sleep } from 'node:timers/promises';
import type { RequestInfo } from '../domain/findings.js';
import type { Services } from '../app/services.js';
import type { Transaction } from '../store/types.js';
import { COLLECTIONS } from '../model/collections.js';
import { JobState } from '../model/enums.js';
import { advance, allJobs, canceled, canceling, complete, findJob, findTask, isFinal, jobKey, outcomes, readJob, workDone, writeJob, writeTask, type JobAndTasks } from '../model/job.js';
import { concurrentJobs } from '../model/encoding-reserved-unit-type.js';
import { taskKey, taskProgressed, taskStarted, taskWorkEnded, withEvent, type TaskOutcome, type TaskRecord } from '../model/task.js';
import { runTaskWork, startMessage } from './processors.js';

/**
 * Runs jobs and moves them through their states, as `jobProgression` says:
 *
 * - `immediate`: a submitted job goes Queued -> Scheduled -> Processing at once and its work runs in
 *   the background; a read of the job (or of its tasks) waits for it to end (up to `readWaitMs`),
 *   so a client's first poll after the POST already sees Finished or Error.
 * - `polls:N`: a job moves one state per N reads of it (GET Jobs('..'), or a Jobs query that lists
 *   it). Its work starts when it enters Processing; the read that would show Finished or Error
 *   waits for the work to end first, so the final state is never shown before the output exists.
 *
 * At most as many jobs as the account has encoding reserved units (model/encoding-reserved-unit-type.ts;
 * default `limits.maxRunningJobs`) do their work at once; the others wait in Scheduled, as jobs
 * waited for a reserved unit on the service. Every state change is one store transaction that
 * re-reads the job and checks the state it moves from, so concurrent reads, CancelJob and the work itself can never apply a change twice. A job
 * left unfinished in the store when the emulator stopped is picked up again by `resume`.
 */
export interface JobRunnerOptions {
  /** Unexpected failures (bugs), never client mistakes. */
  log(message: string, err: unknown): void;
  /** Longest a read waits for a running job; default half the request timeout, at most 10 s. */
  readWaitMs?: number;
}

interface RunningWork {
  abort: AbortController;
  done: Promise<void>;
}

/** What one step did: moved the job on, found it moved by someone else, or could not move it yet. */
type StepResult = 'changed' | 'raced' | 'stuck';

class JobGone extends Error {}

export class JobRunner {
  readonly #services: Services;
  readonly #log: JobRunnerOptions['log'];
  readonly #readWaitMs: number;
  readonly #work = new Map<string, RunningWork>();
  readonly #drives = new Map<string, Promise<void>>();
  readonly #polls = new Map<string, number>();
  /** Jobs cancelled `atOnce` under polls:N whose work had not stopped when CancelJob answered. */
  readonly #cancelsAtOnce = new Set<string>();
  /** Jobs between taking a processing slot and registering their work. */
  #starting = 0;
  #stopped = false;
  /** While abortAll runs (before a reset), nothing new starts. */
  #paused = false;

  constructor(services: Services, options: JobRunnerOptions) {
    this.#services = services;
    this.#log = options.log;
    this.#readWaitMs = options.readWaitMs ?? Math.min(10_000, Math.floor(services.config.limits.requestTimeoutMs / 2));
  }

  get #pollsPerState(): number | undefined {
    const progression = this.#services.config.jobProgression;
    return progression.mode === 'polls' ? Math.max(1, progression.pollsPerState) : undefined;
  }

  /** Pick up the jobs a previous run of the emulator left unfinished. */
  async resume(): Promise<void> {
    for (const job of [...allJobs(this.#services.store)]) {
      const key = jobKey(job.Id);
      if (isFinal(job.State)) continue;
      if (job.State === JobState.Canceling) {
        // Its work died with the previous process: the cancellation is complete.
        await this.#transition(key, JobState.Canceling, (jt, now) => canceled(jt, now, 'The emulator restarted while the job was being canceled'));
      } else if (this.#pollsPerState === undefined) {
        this.#drive(key);
      } else if (job.State === JobState.Processing) {
        void this.#ensureWork(key);
      }
    }
  }

  /** A job was created (Queued). */
  submitted(key: string): void {
    if (this.#pollsPerState === undefined) this.#drive(key);
  }

  /**
   * Before a read of jobs or tasks. `keys`: the jobs read (undefined: possibly any). `poll`: the read
   * is a poll of those jobs (counts towards polls:N).
   */
  async beforeRead(keys: string[] | undefined, poll: boolean): Promise<void> {
    if (this.#pollsPerState === undefined) {
      await this.#settle(keys);
      return;
    }
    if (poll && keys) for (const key of keys) await this.#poll(key, this.#pollsPerState);
  }

  /**
   * CancelJob on a Queued, Scheduled or Processing job: it goes Canceling (its work, if any, is
   * aborted at once), then Canceled once its work has stopped, each move with its task events and
   * notifications. Under polls:N the job is read as Canceling for N polls, as a client polling the
   * service saw it, and the N-th poll after its work stopped makes it Canceled. Otherwise, and
   * with `atOnce` (a `$batch` undo cancelling a job it created, so that it can delete it), a job
   * that never ran is Canceled before CancelJob answers, a running one too if its work stops within
   * the read wait (else when it does). Returns the state of a job that cannot be canceled (final,
   * or Canceling already: the service answered 400 for both, ams-v2-surface.md §6.2).
   */
  async cancel(key: string, options: { atOnce?: boolean } = {}): Promise<{ notCancelable?: number; missing?: true }> {
    const now = this.#services.now().toISOString();
    const result = await this.#services.store.transaction((tx): { notCancelable?: number; missing?: true } => {
      const jt = readJob(tx, key);
      if (!jt) return { missing: true };
      const state = jt.job.State;
      if (isFinal(state) || state === JobState.Canceling) return { notCancelable: state };
      writeJob(tx, canceling(jt, now), this.#services.events);
      return {};
    });
    if (result.notCancelable !== undefined || result.missing) return result;
    this.#polls.delete(key);
    const work = this.#work.get(key);
    work?.abort.abort(new Error('the job was canceled'));
    if (this.#pollsPerState !== undefined && !options.atOnce) return {};
    if (work) this.#cancelsAtOnce.add(key);
    if (!work || (await settled(work.done, this.#readWaitMs))) await this.#canceled(key);
    return {};
  }

  /** The job was deleted (it was final): forget what is kept about it. */
  forget(key: string): void {
    this.#polls.delete(key);
  }

  /** Stop all work (the emulator is closing); unfinished jobs stay in the store for `resume`. */
  async stop(): Promise<void> {
    this.#stopped = true;
    await this.abortAll();
  }

  /** Abort all running work and wait for it (reset). */
  async abortAll(): Promise<void> {
    this.#paused = true;
    try {
      for (const work of this.#work.values()) work.abort.abort(new Error('the emulator is resetting or stopping'));
      const pending = [...[...this.#work.values()].map((w) => w.done), ...this.#drives.values()];
      await Promise.race([Promise.allSettled(pending), sleep(5_000, undefined, { ref: false })]);
      this.#polls.clear();
      this.#cancelsAtOnce.clear();
    } finally {
      this.#paused = false;
    }
  }

  // --- progression ---

  /** immediate mode: move the job on until it is final or cannot move (stopped, aborted). */
  #drive(key: string): void {
    if (this.#drives.has(key) || this.#stopped || this.#paused) return;
    const drive = (async () => {
      for (;;) {
        const step = await this.#step(key, Number.POSITIVE_INFINITY);
        if (step === 'stuck') return;
      }
    })()
      .catch((err: unknown) => this.#failed(`job ${key} could not progress`, err))
      .finally(() => {
        if (this.#drives.get(key) === drive) this.#drives.delete(key);
      });
    this.#drives.set(key, drive);
  }

  /** polls mode: the N-th poll since the last change moves the job on one state. */
  async #poll(key: string, perState: number): Promise<void> {
    const job = findJob(this.#services.store, key);
    if (!job || isFinal(job.State)) {
      this.#polls.delete(key);
      return;
    }
    const count = (this.#polls.get(key) ?? 0) + 1;
    if (count < perState) {
      this.#polls.set(key, count);
      return;
    }
    const step = await this.#step(key, this.#readWaitMs);
    // A poll that found the work still running counts again next time.
    this.#polls.set(key, step === 'stuck' ? count : 0);
  }

  /**
   * immediate mode reads: let the jobs read finish first, up to the read wait. A job waiting in
   * Scheduled for a processing slot is waited for too: each time a running job ends, the waiting
   * ones move on, until all are final or the wait is over.
   */
  async #settle(keys: string[] | undefined): Promise<void> {
    const deadline = Date.now() + this.#readWaitMs;
    for (;;) {
      const targets = (keys ?? [...allJobs(this.#services.store)].map((j) => jobKey(j.Id))).filter((key) => {
        const job = findJob(this.#services.store, key);
        return job !== undefined && !isFinal(job.State);
      });
      const waits: Promise<unknown>[] = [];
      let waitingForSlot = false;
      for (const key of targets) {
        this.#drive(key);
        const drive = this.#drives.get(key);
        const work = this.#work.get(key);
        if (drive) waits.push(drive);
        if (work) waits.push(work.done);
        if (!work && findJob(this.#services.store, key)?.State === JobState.Scheduled) waitingForSlot = true;
      }
      // A slot frees when any running job ends, one of the jobs read or not. With none running,
      // nothing is worth waiting for again (looping would only spin).
      const slotCanFree = waitingForSlot && this.#work.size > 0;
      if (slotCanFree) waits.push(Promise.race([...this.#work.values()].map((w) => w.done)));
      const left = deadline - Date.now();
      if (waits.length === 0 || left <= 0) return;
      if (!(await settled(Promise.all(waits).then(() => undefined), left))) return;
      if (!slotCanFree) return;
    }
  }

  /** One state forward, waiting up to `waitMs` for running work before the final state. */
  async #step(key: string, waitMs: number): Promise<StepResult> {
    if (this.#stopped || this.#paused) return 'stuck';
    const state = findJob(this.#services.store, key)?.State;
    switch (state) {
      case JobState.Queued:
        return this.#transition(key, JobState.Queued, (jt, now) => advance(jt, JobState.Scheduled, now, 'The job is scheduled'));
      case JobState.Scheduled: {
        // Every processing slot is taken: the job stays Scheduled until one frees (#workEnded). A
        // slot is held from the check on, so jobs moving on at once cannot overfill them.
        if (this.#work.size + this.#starting >= concurrentJobs(this.#services.store, this.#services.config)) return 'stuck';
        this.#starting++;
        try {
          const step = await this.#transition(key, JobState.Scheduled, (jt, now) => advance(jt, JobState.Processing, now, 'The job is processing'));
          if (step === 'changed') void this.#ensureWork(key);
          return step;
        } finally {
          this.#starting--;
        }
      }
      case JobState.Processing: {
        if (!(await settled(this.#ensureWork(key), waitMs))) return 'stuck';
        return this.#transition(key, JobState.Processing, (jt, now) => (jt.job._internal.workDone ? complete(jt, outcomes(jt.tasks), now) : undefined));
      }
      case JobState.Canceling: {
        const work = this.#work.get(key);
        if (work && !(await settled(work.done, waitMs))) return 'stuck';
        return this.#canceled(key);
      }
      default:
        return 'stuck';
    }
  }

  /** Canceling -> Canceled, if the job is still Canceling. */
  #canceled(key: string): Promise<StepResult> {
    return this.#transition(key, JobState.Canceling, (jt, now) => canceled(jt, now, canceledMessage(jt)));
  }

  /**
   * Apply `change` if the job is still in state `from`, in one transaction. `change` returning
   * undefined means the job cannot move yet.
   */
  async #transition(key: string, from: number, change: (jt: JobAndTasks, now: string) => JobAndTasks | undefined): Promise<StepResult> {
    const now = this.#services.now().toISOString();
    return this.#services.store.transaction((tx): StepResult => {
      const jt = readJob(tx, key);
      if (!jt) return 'stuck';
      if (jt.job.State !== from) return isFinal(jt.job.State) ? 'stuck' : 'raced';
      const next = change(jt, now);
      if (!next) return 'stuck';
      writeJob(tx, next, this.#services.events);
      return 'changed';
    });
  }

  // --- work ---

  /** The job's work, started unless it is running or has already ended. */
  #ensureWork(key: string): Promise<void> {
    const running = this.#work.get(key);
    if (running) return running.done;
    const job = findJob(this.#services.store, key);
    if (!job || job.State !== JobState.Processing || job._internal.workDone || this.#stopped || this.#paused) return Promise.resolve();
    const abort = new AbortController();
    const done: Promise<void> = this.#runWork(key, abort.signal)
      .catch((err: unknown) => {
        if (!abort.signal.aborted && !(err instanceof JobGone)) this.#failed(`the work of job ${key} failed`, err);
      })
      .finally(() => {
        if (this.#work.get(key)?.done === done) this.#work.delete(key);
        this.#workEnded();
      })
      // A job canceled while it ran is Canceled once its work has stopped, whoever is watching;
      // under polls:N (and not cancelled at once) the polls make it so.
      .then(() => {
        const atOnce = this.#cancelsAtOnce.delete(key);
        return this.#pollsPerState === undefined || atOnce ? this.#canceled(key) : undefined;
      })
      .then(
        () => undefined,
        (err: unknown) => this.#failed(`job ${key} could not be marked Canceled`, err),
      );
    this.#work.set(key, { abort, done });
    return done;
  }

  /** A processing slot is free: in immediate mode the jobs waiting in Scheduled move on (polls mode moves them on their polls). */
  #workEnded(): void {
    if (this.#pollsPerState !== undefined || this.#stopped || this.#paused) return;
    for (const job of allJobs(this.#services.store)) {
      if (job.State === JobState.Scheduled) this.#drive(jobKey(job.Id));
    }
  }

  /** Each task in order until one fails; outcomes are kept on the tasks, then `_workDone` on the job. */
  async #runWork(key: string, signal: AbortSignal): Promise<void> {
    const jt = readJob(this.#services.store, key);
    if (!jt) return;
    const jobId = jt.job.Id;
    const origin: RequestInfo = { requestId: jobId, client: 'ams-emulator job runner', method: 'JOB', path: `Jobs('${jobId}')`, internal: true };
    for (const task of jt.tasks) {
      const previous = task._internal.outcome;
      if (previous) {
        if (previous.state !== JobState.Finished) break;
        continue;
      }
      signal.throwIfAborted();
      const tKey = taskKey(task.Id);
      await this.#updateTask(key, tKey, (t, now) => taskStarted(t, now, startMessage(task.MediaProcessorId)));
      let waitedForStorage = false;
      let outcome: TaskOutcome;
      try {
        outcome = await runTaskWork(
          {
            services: this.#services,
            updateTask: (change) => this.#updateTask(key, tKey, change),
            signal,
            origin,
            progress: (doneFiles, total) => this.#updateTask(key, tKey, (t) => taskProgressed(t, doneFiles, total)),
            storageWait: () => {
              if (waitedForStorage) return;
              waitedForStorage = true;
              void this.#updateTask(key, tKey, (t, now) => withEvent(t, 'StorageUnavailable', 'Storage cannot be reached; the task waits for it and tries again', now)).catch(() => undefined);
            },
          },
          task,
        );
      } catch (err) {
        if (signal.aborted) throw err;
        this.#failed(`task ${task.Id} of job ${jobId} failed unexpectedly`, err);
        outcome = { state: JobState.Error, errors: [{ Code: 'InternalError', Message: `The emulator failed while running the task (a bug, please report it): ${(err as Error)?.message ?? String(err)}` }] };
      }
      signal.throwIfAborted();
      await this.#updateTask(key, tKey, (t) => taskWorkEnded(t, outcome));
      if (outcome.state !== JobState.Finished) break;
    }
    signal.throwIfAborted();
    await this.#services.store.transaction((tx) => {
      const job = findJob(tx, key);
      if (!job) throw new JobGone();
      tx.put(COLLECTIONS.Jobs, key, workDone(job));
    });
  }

  /** A change the work makes to one task, while its job is still running. */
  async #updateTask(key: string, tKey: string, change: (task: TaskRecord, now: string) => TaskRecord): Promise<void> {
    const now = this.#services.now().toISOString();
    await this.#services.store.transaction((tx: Transaction) => {
      const job = findJob(tx, key);
      const task = findTask(tx, tKey);
      if (!job || !task) throw new JobGone();
      // A canceled job's tasks keep the state CancelJob gave them.
      if (job.State !== JobState.Processing) return;
      writeTask(tx, change(task, now), this.#services.events);
    });
  }

  #failed(message: string, err: unknown): void {
    if (this.#stopped || err instanceof JobGone) return;
    this.#log(message, err);
  }
}

/** The Canceled event's message: whether the job's work had begun. */
function canceledMessage({ job }: JobAndTasks): string {
  return job.StartTime === null ? 'The job was canceled before it ran' : 'The job was canceled';
}

/** Whether `work` ended within `ms` (it never rejects here). */
async function settled(work: Promise<unknown>, ms: number): Promise<boolean> {
  if (ms === Number.POSITIVE_INFINITY) {
    await work.catch(() => undefined);
    return true;
  }
  const timeout = new AbortController();
  const ended = work.then(
    () => true,
    () => true,
  );
  try {
    return await Promise.race([ended, sleep(ms, false, { signal: timeout.signal, ref: false }).catch(() => false)]);
  } finally {
    timeout.abort();
  }
}
