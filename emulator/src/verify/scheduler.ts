/** What a run reports: finished (whatever the result), or to be tried again later (storage was down). */
export type RunResult = 'done' | 'retry';

export type RunFile = (fileId: string, signal: AbortSignal) => Promise<RunResult>;

export interface SchedulerOptions {
  /** Quiet time after a change before verifying: several MERGEs in a row verify once. */
  debounceMs: number;
  /** Verifications running at once. */
  concurrency: number;
  /** First retry delay after storage was unreachable; doubles up to retryMaxMs. */
  retryInitialMs: number;
  retryMaxMs: number;
}

interface Entry {
  timer?: NodeJS.Timeout;
  queued: boolean;
  controller?: AbortController;
  /** A change arrived while running: run again when the current run has stopped. */
  rerun: boolean;
  attempt: number;
  waiters: Array<() => void>;
}

/**
 * When each file is verified. A change (re)starts the file's debounce and abandons a run of an
 * older state (its result is not stored); runs are bounded in number; a run that found storage
 * down is retried with exponential backoff until it finishes. A file is pending from its first
 * change until a run of its latest state finished.
 */
export class VerificationScheduler {
  private readonly entries = new Map<string, Entry>();
  private readonly queue: string[] = [];
  private running = 0;
  private readonly runs = new Set<Promise<void>>();
  private idleWaiters: Array<() => void> = [];
  private closed = false;

  constructor(
    private readonly run: RunFile,
    private readonly options: SchedulerOptions,
  ) {}

  /** The file changed: verify its latest state after the debounce (`delayMs` 0: at once). */
  touch(fileId: string, delayMs = this.options.debounceMs): void {
    if (this.closed) return;
    const entry = this.entry(fileId);
    entry.attempt = 0;
    if (entry.timer) clearTimeout(entry.timer);
    entry.timer = undefined;
    if (entry.controller) {
      entry.controller.abort();
      entry.rerun = true;
    }
    if (delayMs <= 0) {
      this.enqueue(fileId);
      return;
    }
    entry.timer = setTimeout(() => {
      entry.timer = undefined;
      this.enqueue(fileId);
    }, delayMs);
    entry.timer.unref();
  }

  /** Stop caring about the file (it was deleted): abandon its run, wake its waiters. */
  forget(fileId: string): void {
    const entry = this.entries.get(fileId);
    if (!entry) return;
    if (entry.timer) clearTimeout(entry.timer);
    entry.timer = undefined;
    entry.controller?.abort();
    entry.rerun = false;
    if (!entry.controller) this.settle(fileId, entry);
  }

  isPending(fileId: string): boolean {
    return this.entries.has(fileId);
  }

  get pendingCount(): number {
    return this.entries.size;
  }

  /** Resolves true once the file has no verification to do, false after `timeoutMs`. */
  settled(fileId: string, timeoutMs: number): Promise<boolean> {
    const entry = this.entries.get(fileId);
    if (!entry) return Promise.resolve(true);
    return this.waitFor((resolve) => entry.waiters.push(resolve), timeoutMs);
  }

  /** Resolves true once no file is pending, false after `timeoutMs`. */
  idle(timeoutMs: number): Promise<boolean> {
    if (this.entries.size === 0) return Promise.resolve(true);
    return this.waitFor((resolve) => this.idleWaiters.push(resolve), timeoutMs);
  }

  /** Abandon everything, resolve every waiter, and wait (up to 5 s) for aborted runs to stop. */
  async close(): Promise<void> {
    this.closed = true;
    for (const [fileId, entry] of this.entries) {
      if (entry.timer) clearTimeout(entry.timer);
      entry.controller?.abort();
      this.settle(fileId, entry);
    }
    this.queue.length = 0;
    if (this.runs.size > 0) await Promise.race([Promise.allSettled(this.runs), new Promise((done) => setTimeout(done, 5_000).unref())]);
  }

  private entry(fileId: string): Entry {
    let entry = this.entries.get(fileId);
    if (!entry) {
      entry = { queued: false, rerun: false, attempt: 0, waiters: [] };
      this.entries.set(fileId, entry);
    }
    return entry;
  }

  private enqueue(fileId: string): void {
    const entry = this.entries.get(fileId);
    if (!entry || this.closed) return;
    if (entry.controller) {
      entry.rerun = true;
      return;
    }
    if (!entry.queued) {
      entry.queued = true;
      this.queue.push(fileId);
    }
    this.pump();
  }

  private pump(): void {
    while (!this.closed && this.running < this.options.concurrency && this.queue.length > 0) {
      const fileId = this.queue.shift()!;
      const entry = this.entries.get(fileId);
      if (!entry) continue;
      entry.queued = false;
      this.start(fileId, entry);
    }
  }

  private start(fileId: string, entry: Entry): void {
    const controller = new AbortController();
    entry.controller = controller;
    this.running++;
    let result: RunResult = 'done';
    const run = this.run(fileId, controller.signal)
      .then(
        (r) => {
          result = r;
        },
        () => {
          // The runner records its own failures; a rejection here must not stop the scheduler.
        },
      )
      .finally(() => {
        this.running--;
        entry.controller = undefined;
        if (this.entries.get(fileId) !== entry) {
          this.pump();
          return;
        }
        if (entry.rerun && !this.closed) {
          // The newer change's debounce, if still running, enqueues it; else it already fired.
          entry.rerun = false;
          if (!entry.timer) this.enqueue(fileId);
        } else if (controller.signal.aborted || this.closed) {
          // Abandoned for a newer change (its timer is set) or forgotten.
          if (!entry.timer) this.settle(fileId, entry);
        } else if (result === 'retry') {
          const delay = Math.min(this.options.retryMaxMs, this.options.retryInitialMs * 2 ** entry.attempt);
          entry.attempt++;
          entry.timer = setTimeout(() => {
            entry.timer = undefined;
            this.enqueue(fileId);
          }, delay);
          entry.timer.unref();
        } else if (!entry.timer && !entry.queued) {
          this.settle(fileId, entry);
        }
        this.pump();
      });
    this.runs.add(run);
    void run.finally(() => this.runs.delete(run));
  }

  private settle(fileId: string, entry: Entry): void {
    if (this.entries.get(fileId) === entry) this.entries.delete(fileId);
    for (const wake of entry.waiters.splice(0)) wake();
    if (this.entries.size === 0) for (const wake of this.idleWaiters.splice(0)) wake();
  }

  private waitFor(register: (resolve: () => void) => void, timeoutMs: number): Promise<boolean> {
    return new Promise<boolean>((resolve) => {
      let done = false;
      const timer = setTimeout(() => {
        done = true;
        resolve(false);
      }, Math.max(0, timeoutMs));
      timer.unref();
      register(() => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        resolve(true);
      });
    });
  }
}
