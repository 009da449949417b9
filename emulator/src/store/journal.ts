import { open, type FileHandle } from 'node:fs/promises';
import path from 'node:path';
import { describeError, syncDirectory, writeAll, writeAllSync } from './files.js';

export interface JournalCounters {
  /** `write` batches that reached the file (group commit: one per batch, not per transaction). */
  journalWrites: number;
  /** Bytes appended to journals since the store opened. */
  journalBytes: number;
}

export interface JournalOptions {
  /**
   * Settles when the previous journal has written everything queued to it. Lines of this journal
   * may depend on lines still in flight there, so none of them may land first; if it rejects, this
   * journal fails with the same error.
   */
  readonly after: Promise<void>;
  /** datasync after every batch (and sync the directory once the file exists). */
  readonly fsync: boolean;
  readonly counters: JournalCounters;
}

interface Waiter {
  resolve(): void;
  reject(error: Error): void;
}

/**
 * One append-only journal file, written through one file handle with group commit: lines that
 * arrive while a write is in flight go out together in the next single `write`. `append` resolves
 * once its line is in the file (page cache; on disk too with fsync). The file is created on the
 * first write, so an idle store leaves no empty journal behind.
 *
 * After a failed write every queued and later line is rejected: a line after a lost one could
 * depend on it. The file is truncated back to its last good byte (best effort) so that a half line
 * does not become a corrupt middle line once something is appended after it.
 */
export class JournalFile {
  readonly path: string;
  readonly #options: JournalOptions;
  #handle: FileHandle | undefined;
  #queue: string[] = [];
  #waiters: Waiter[] = [];
  #flushing: Promise<void> | undefined;
  #failure: Error | undefined;
  /** Bytes known to be in the file. */
  #landedBytes = 0;
  /** Bytes landed plus queued: what the file will hold, for the compaction threshold. */
  #bytes = 0;

  constructor(filePath: string, options: JournalOptions) {
    this.path = filePath;
    this.#options = options;
    // Nobody may be listening to `after` yet; its failure is reported through the waiters.
    options.after.catch(() => undefined);
  }

  get size(): number {
    return this.#bytes;
  }

  append(line: string): Promise<void> {
    if (this.#failure !== undefined) return Promise.reject(this.#failure);
    const text = `${line}\n`;
    this.#queue.push(text);
    this.#bytes += Buffer.byteLength(text);
    const landed = new Promise<void>((resolve, reject) => this.#waiters.push({ resolve, reject }));
    this.#flushing ??= this.#flush();
    return landed;
  }

  /** Settles once everything queued so far has landed; rejects if any of it failed. */
  async drained(): Promise<void> {
    while (this.#flushing !== undefined) await this.#flushing;
    if (this.#failure !== undefined) throw this.#failure;
  }

  /** Drain and close the handle. The caller stops appending first. */
  async close(): Promise<void> {
    try {
      await this.drained();
    } finally {
      const handle = this.#handle;
      this.#handle = undefined;
      await handle?.close();
    }
  }

  async #flush(): Promise<void> {
    try {
      await this.#options.after;
      if (this.#handle === undefined) await this.#open();
      while (this.#queue.length > 0) {
        // Without fsync the batch is written on this thread (below), so nothing here would wait
        // for I/O: a turn of the event loop first lets the lines of the requests read in this
        // turn join the batch, and lets a compaction's snapshot write go on between commits
        // when a caller commits in a loop.
        if (!this.#options.fsync) await new Promise<void>((resolve) => setImmediate(resolve));
        const batch = Buffer.from(this.#queue.join(''));
        const waiters = this.#waiters;
        this.#queue = [];
        this.#waiters = [];
        try {
          if (this.#options.fsync) {
            await writeAll(this.#handle!, batch);
            await this.#handle!.datasync();
          } else {
            // A batch is a few KiB into the page cache: written here it costs one write(2), where
            // the thread pool cost a promise, a hand-over to a worker and a wake-up back, each
            // more than the write (on a 2-core machine, CPU taken from the requests). With fsync
            // the wait is the disk's, and it stays off this thread.
            writeAllSync(this.#handle!.fd, batch);
          }
        } catch (error) {
          this.#waiters = [...waiters, ...this.#waiters];
          throw error;
        }
        this.#landedBytes += batch.length;
        this.#options.counters.journalWrites++;
        this.#options.counters.journalBytes += batch.length;
        for (const waiter of waiters) waiter.resolve();
      }
    } catch (error) {
      await this.#fail(error);
    } finally {
      this.#flushing = undefined;
    }
  }

  async #open(): Promise<void> {
    const handle = await open(this.path, 'a');
    this.#handle = handle;
    this.#landedBytes = (await handle.stat()).size;
    if (this.#options.fsync) await syncDirectory(path.dirname(this.path));
  }

  async #fail(error: unknown): Promise<void> {
    this.#failure =
      error instanceof JournalWriteError ? error : new JournalWriteError(`could not write the journal ${this.path}: ${describeError(error)}`, error);
    const waiters = this.#waiters;
    this.#queue = [];
    this.#waiters = [];
    for (const waiter of waiters) waiter.reject(this.#failure);
    try {
      await this.#handle?.truncate(this.#landedBytes);
    } catch {
      // Best effort: on restart a torn tail is dropped anyway; only complete lines of the failed
      // batch could then come back (the usual "a failed commit may or may not have happened").
    }
  }
}

/** A journal write failed; the message names the file and the cause. */
export class JournalWriteError extends Error {
  constructor(message: string, cause: unknown) {
    super(message, { cause });
    this.name = 'JournalWriteError';
  }
}
