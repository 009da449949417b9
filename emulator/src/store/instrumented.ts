/**
 * What this implementation offers beyond the `Store` contract in types.ts: tuning options, the
 * start-up report (for the CLI to log) and counters (for tests and `/_emulator` diagnostics).
 */
import type { LockInfo } from './lock.js';
import type { OpenStoreOptions, Store } from './types.js';

export type { LockInfo } from './lock.js';

/**
 * `process` (default): an acknowledged transaction survives the emulator process dying in any way,
 * `kill -9` included (its bytes are in the OS page cache before the promise resolves), but not a
 * power loss or kernel crash. `fsync`: each journal batch is fdatasync'ed before it is acknowledged
 * and snapshots are fsync'ed before the journal they replace is deleted, so acknowledged
 * transactions also survive power loss on a file system that honours fsync; this costs a few
 * milliseconds per batch (group commit shares it among concurrent transactions).
 */
export type Durability = 'process' | 'fsync';

export interface StoreOptions extends OpenStoreOptions {
  durability?: Durability;
  /**
   * Compact (snapshot + new journal) once the journal is larger than this and than the last
   * snapshot. Default 1 MiB. Tests lower it to compact often.
   */
  compactionMinBytes?: number;
  /**
   * After a write failure, how long the store waits before trying the directory again (the next
   * write after that retries). Default 2000 ms. Tests set 0.
   */
  writeRetryMs?: number;
  /**
   * The most characters the records may take in a snapshot; a transaction that would grow the
   * state past it is refused with a StoreFullError. Default DEFAULT_MAX_STATE_CHARS (128 Mi), a
   * quarter of the longest string V8 can build, so a snapshot can always be written and read.
   */
  maxStateChars?: number;
  /**
   * Told once the directory's lock is held, before its state is read, so what may run only under
   * the lock (the embedded Azurite, on the directory's blobs) starts while the state loads rather
   * than after. Should the open fail after that, the `stop()` it returned settles before the lock
   * is let go. In memory (no directory, no lock) it is told at once.
   */
  onLocked?: () => LockedWork;
}

/** What a caller started under a store's lock (StoreOptions.onLocked). */
export interface LockedWork {
  stop(): Promise<unknown>;
}

export interface StoreStartup {
  /** Files renamed to `<name>.corrupt-<timestamp>` because of `moveCorruptStateAside`. */
  readonly movedAside: readonly string[];
  /** The lock of a dead process that this store took over. */
  readonly staleLock: LockInfo | undefined;
  /** Journal lines replayed on top of the snapshot. */
  readonly replayedTransactions: number;
  /** A half-written last journal line (a crash mid-append, never acknowledged) was dropped. */
  readonly droppedTornLine: boolean;
}

export interface StoreStats {
  /** Transactions that changed something and were acknowledged. */
  readonly committedTransactions: number;
  /** Journal `write` calls (one per group-commit batch). */
  readonly journalWrites: number;
  readonly journalBytes: number;
  readonly snapshotWrites: number;
  readonly snapshotBytes: number;
  /** Compactions finished (snapshot written, old journal deleted); start-up and close not counted. */
  readonly compactions: number;
  readonly compactionFailures: number;
  readonly lastCompactionError: string | undefined;
  /** Generation of the journal now being appended to. */
  readonly generation: number;
  /** Bytes in (or queued for) that journal. */
  readonly journalSize: number;
  /** Size of the last snapshot written or read. */
  readonly lastSnapshotSize: number;
  /** Characters the records take in a snapshot, and the bound on it. */
  readonly stateChars: number;
  readonly maxStateChars: number;
  /** The I/O error that stopped the store from accepting writes, if any. */
  readonly failure: string | undefined;
}

export interface InstrumentedStore extends Store {
  readonly startup: StoreStartup;
  stats(): StoreStats;
  /**
   * After a write failure, try the directory again (at most once per retry interval) and say what
   * still fails; undefined when writes are accepted. Health checks call it, so the store recovers
   * even when no client writes.
   */
  writeFailure(): Promise<string | undefined>;
}
