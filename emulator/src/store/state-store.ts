import type { IndexDef } from './indexes.js';
import type { InstrumentedStore, StoreStartup, StoreStats } from './instrumented.js';
import type { Persistence } from './persistence.js';
import { State, type UndoEntry } from './state.js';
import { BufferedTransaction } from './transaction.js';
import type { JsonRecord, Transaction } from './types.js';

/**
 * The `Store`: transactions run synchronously against the in-memory state, their ops are applied
 * at once (later transactions see them) and handed to the persistence layer; the promise resolves
 * when that layer says they are durable.
 *
 * Reads return the stored, frozen objects: no copy per read, and a caller that tries to mutate one
 * gets a TypeError rather than a state that silently differs from the disk.
 *
 * On a write failure (disk full, EACCES) the store takes the safe way out: every transaction not
 * yet acknowledged is rejected and its ops rolled back in memory, so reads show exactly what was
 * acknowledged; every later transaction is rejected with the same error. The emulator has to be
 * restarted (close() still tries to write a final snapshot of the acknowledged state). Only if the
 * journal cannot be truncated back and that snapshot fails too can a rejected transaction reappear
 * after the restart, like a failed COMMIT whose outcome is unknown; an acknowledged one never
 * goes missing.
 */
export class StateStore implements InstrumentedStore {
  readonly location: string;
  readonly startup: StoreStartup;
  readonly #state: State;
  readonly #persistence: Persistence;
  /** Undo logs of applied but not yet acknowledged transactions, oldest first (a Set: O(1) removal). */
  #unacknowledged = new Set<UndoEntry[]>();
  #failure: Error | undefined;
  #closing: Promise<void> | undefined;
  #committed = 0;
  /** The transaction whose fn is running: a transaction started from inside it is a bug. */
  #running: { nested: boolean } | undefined;

  constructor(state: State, persistence: Persistence, startup: StoreStartup) {
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
    if (this.#failure !== undefined) throw this.#failure;
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
    if (tx.ops.length === 0) {
      // It may have read changes still on their way to disk; answer no earlier than they land.
      await this.#persistence.settled().catch(() => {
        throw this.#failure ?? new Error(`the store at ${this.location} failed`);
      });
      return result;
    }
    const undo: UndoEntry[] = [];
    this.#state.apply(tx.ops, undo);
    this.#unacknowledged.add(undo);
    try {
      await this.#persistence.commit(tx.ops, this.#state);
    } catch (error) {
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
    return { ...this.#persistence.stats(), committedTransactions: this.#committed, failure: this.#failure?.message };
  }

  #fail(cause: unknown): Error {
    if (this.#failure === undefined) {
      const reason = cause instanceof Error ? cause.message : String(cause);
      this.#failure = new Error(
        `${reason}; the transactions not yet written were rolled back and the store refuses further writes: restart the emulator once the problem is fixed`,
        { cause },
      );
      for (const undo of [...this.#unacknowledged].reverse()) this.#state.rollback(undo);
      this.#unacknowledged.clear();
    }
    return this.#failure;
  }
}

function isThenable(value: unknown): boolean {
  return (typeof value === 'object' || typeof value === 'function') && value !== null && typeof (value as { then?: unknown }).then === 'function';
}
