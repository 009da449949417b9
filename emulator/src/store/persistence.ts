import type { StoreOp } from './ops.js';
import type { State } from './state.js';

/** Counters a persistence layer reports; the store adds its own. */
export interface PersistenceStats {
  journalWrites: number;
  journalBytes: number;
  snapshotWrites: number;
  snapshotBytes: number;
  compactions: number;
  compactionFailures: number;
  lastCompactionError: string | undefined;
  generation: number;
  journalSize: number;
  lastSnapshotSize: number;
}

/** Where committed transactions go: nowhere (memory) or a journal and snapshots (file). */
export interface Persistence {
  readonly location: string;
  /**
   * Make a transaction durable. Called synchronously right after its ops were applied to `state`,
   * in commit order; resolves in that order.
   */
  commit(ops: readonly StoreOp[], state: State): Promise<void>;
  /** Settles like the last commit so far: a read-only transaction waits for what it may have read. */
  settled(): Promise<void>;
  /**
   * After a failed commit (the store has rolled `state` back to what was acknowledged): start
   * afresh from `state`, a new snapshot and a new journal, so nothing is appended after a torn or
   * lost line. Rejects if the directory still cannot be written.
   */
  recover(state: State): Promise<void>;
  /** Drain, write the final snapshot of `state`, release the directory. Called once. */
  close(state: State): Promise<void>;
  stats(): PersistenceStats;
}
