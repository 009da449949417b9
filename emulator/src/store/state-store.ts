import type { IndexDef } from './indexes.js';
import type { InstrumentedStore, StoreStartup, StoreStats } from './instrumented.js';
import type { Persistence } from './persistence.js';
import { State, type UndoEntry } from './state.js';
import { BufferedTransaction } from './transaction.js';
import { StoreFullError, StoreWriteError, type JsonRecord, type Transaction } from './types.js';

/** How long a failed store waits before it tries the directory again (default). */
export const DEFAULT_WRITE_RETRY_MS = 2000;

/**
 * V8's longest string is 2^29 - 24 characters: a snapshot (one JSON text) or a `/_emulator/state`
 * dump past it cannot be built. A quarter of it leaves room for the snapshot's own structure, the
 * journal that grows until the next compaction, and a copy being written while the next is built.
 */
export const DEFAULT_MAX_STATE_CHARS = 128 * 1024 * 1024;

export interface StateStoreOptions {
  writeRetryMs?: number;
  maxStateChars?: number;
}

/**
 * The `Store`: transactions run synchronously against the in-memory state, their ops are applied
 * at once (later transactions see them) and handed to the persistence layer; the promise resolves
 * when that layer says they are durable.
 *
 * Reads return the stored, frozen objects: no copy per read, and a caller that tries to mutate one
 * gets a TypeError rather than a state that silently differs from the disk.
 *
 * On a write failure (disk full, read-only, EACCES) the store takes the safe way out: every
 * transaction not yet acknowledged is rejected and its ops rolled back in memory, so reads show
 * exactly what was acknowledged, and writes are refused with a StoreWriteError (the HTTP layer
 * answers 503 + Retry-After). The store then retries the directory by itself: the first write
 * after `retryIntervalMs` asks the persistence layer to start a new generation from the
 * acknowledged state; once that succeeds, writes are accepted again. Only if the journal cannot be
 * truncated back and no later snapshot lands either can a rejected transaction reappear after a
 * restart, like a failed COMMIT whose outcome is unknown; an acknowledged one never goes missing.
 */
export class StateStore implements InstrumentedStore {
  readonly location: string;
  readonly startup: StoreStartup;
  readonly #state: State;
  readonly #persistence: Persistence;
  /** Undo logs of applied but not yet acknowledged transactions, oldest first (a Set: O(1) removal). */
  #unacknowledged = new Set<UndoEntry[]>();
  #failure: StoreWriteError | undefined;
  /** When the last failure or recovery attempt happened (Date.now()). */
  #failedAt = 0;
  #recovering: Promise<void> | undefined;
  readonly #retryIntervalMs: number;
  #closing: Promise<void> | undefined;
  #committed = 0;
  /** The transaction whose fn is running: a transaction started from inside it is a bug. */
  #running: { nested: boolean } | undefined;

  readonly #maxStateChars: number;

  constructor(state: State, persistence: Persistence, startup: StoreStartup, options: StateStoreOptions = {}) {
    this.#retryIntervalMs = options.writeRetryMs ?? DEFAULT_WRITE_RETRY_MS;
    this.#maxStateChars = options.maxStateChars ?? DEFAULT_MAX_STATE_CHARS;
    this.#state = state;
    this.#persistence = persistence;
    this.location = persistence.location;
    this.startup = startup;
  }

  get<T extends JsonRecord>(collection: string, id: string): T | undefined {
    return this.#state.get<T>(collection, id);
  }

  has(collection: string, id: string): boolean {
    return this.#state.has(collection, id);
  }

  values<T extends JsonRecord>(collection: string): IterableIterator<T> {
    return this.#state.values<T>(collection);
  }

  count(collection: string): number {
    return this.#state.count(collection);
  }

  lookup<T extends JsonRecord>(index: IndexDef, key: string): T[] {
    return this.#state.lookup<T>(index, key);
  }

  async transaction<R>(fn: (tx: Transaction) => R): Promise<R> {
    if (this.#closing !== undefined) throw new Error(`the store at ${this.location} is closed`);
    if (this.#failure !== undefined) await this.#retry();
    if (this.#running !== undefined) {
      // It could not see the outer transaction's writes, and the outer one would then overwrite
      // it; fail both, so the error surfaces even if nobody looks at this promise.
      this.#running.nested = true;
      throw new Error('store.transaction() was called inside a transaction fn: use the tx argument instead');
    }
    const tx = new BufferedTransaction(this.#state);
    const running = { nested: false };
    this.#running = running;
    let result: R;
    try {
      result = fn(tx);
    } finally {
      this.#running = undefined;
      tx.end();
    }
    if (running.nested) throw new Error('this transaction fn called store.transaction(): use the tx argument instead; nothing was applied');
    if (isThenable(result)) {
      // Its ops after the first await would be refused anyway; apply none rather than half. Its
      // own rejection (those refusals) is reported through this one.
      (result as PromiseLike<unknown>).then(undefined, () => undefined);
      throw new TypeError('the transaction fn returned a promise: it must be synchronous, so do the awaiting outside');
    }
    if (this.#failure !== undefined) {
      // Rolled back to what was acknowledged, so a read is safe; a write has to wait for the disk.
      if (tx.ops.length === 0) return result;
      throw this.#failure;
    }
    if (tx.ops.length === 0) {
      // It may have read changes still on their way to disk; answer no earlier than they land.
      await this.#persistence.settled().catch(() => {
        throw this.#failure ?? new Error(`the store at ${this.location} failed`);
      });
      return result;
    }
    const undo: UndoEntry[] = [];
    const charsBefore = this.#state.chars;
    this.#state.apply(tx.ops, undo);
    if (this.#state.chars > this.#maxStateChars && this.#state.chars > charsBefore) {
      const wouldHold = this.#state.chars;
      this.#state.rollback(undo);
      throw new StoreFullError(this.location, this.#maxStateChars, wouldHold);
    }
    this.#unacknowledged.add(undo);
    try {
      await this.#persistence.commit(tx.ops, this.#state);
    } catch (error) {
      // Already rolled back by the failure that rejected the transactions queued with it (the
      // store may even have recovered since): only report it.
      if (!this.#unacknowledged.has(undo)) throw this.#failure ?? this.#writeError(error);
      throw this.#fail(error);
    }
    this.#unacknowledged.delete(undo);
    this.#committed++;
    return result;
  }

  close(): Promise<void> {
    this.#closing ??= this.#persistence.close(this.#state);
    return this.#closing;
  }

  stats(): StoreStats {
    return {
      ...this.#persistence.stats(),
      committedTransactions: this.#committed,
      stateChars: this.#state.chars,
      maxStateChars: this.#maxStateChars,
      failure: this.#failure?.message,
    };
  }

  async writeFailure(): Promise<string | undefined> {
    if (this.#failure !== undefined && this.#closing === undefined) await this.#retry();
    return this.#failure?.message;
  }

  #fail(cause: unknown): Error {
    if (this.#failure === undefined) {
      this.#failure = this.#writeError(cause);
      this.#failedAt = Date.now();
      for (const undo of [...this.#unacknowledged].reverse()) this.#state.rollback(undo);
      this.#unacknowledged.clear();
    }
    return this.#failure;
  }

  #writeError(cause: unknown): StoreWriteError {
    const reason = cause instanceof Error ? cause.message : String(cause);
    const seconds = Math.max(1, Math.ceil(this.#retryIntervalMs / 1000));
    return new StoreWriteError(
      this.location,
      seconds,
      `the data directory ${this.location} cannot be written (${reason}); the transactions not yet written were rolled back, nothing acknowledged is lost, and writes are refused until the directory is writable again (retried every ${seconds} s)`,
      { cause },
    );
  }

  /** One attempt at a time, at most one per interval; resolves if the store is writable again. */
  async #retry(): Promise<void> {
    if (this.#recovering === undefined && Date.now() - this.#failedAt >= this.#retryIntervalMs) {
      this.#recovering = this.#persistence.recover(this.#state).then(
        () => {
          this.#failure = undefined;
        },
        (error: unknown) => {
          this.#failure = this.#writeError(error);
        },
      );
      void this.#recovering.finally(() => {
        this.#failedAt = Date.now();
        this.#recovering = undefined;
      });
    }
    if (this.#recovering !== undefined) await this.#recovering;
  }
}

function isThenable(value: unknown): boolean {
  return (typeof value === 'object' || typeof value === 'function') && value !== null && typeof (value as { then?: unknown }).then === 'function';
}
