import { Low, Memory } from 'lowdb';
import type { Persistence, PersistenceStats } from './persistence.js';
import { snapshotDocument, type SnapshotDocument } from './snapshot-format.js';
import { BASE_SCHEMA } from './types.js';
import type { State } from './state.js';

/**
 * In-memory mode: nothing to wait for, so a transaction is acknowledged as soon as it is applied.
 * close() hands a snapshot to lowdb's Memory adapter, the same shape file mode writes, which keeps
 * the two modes' close paths alike (and the snapshot reachable for debugging).
 */
export class MemoryPersistence implements Persistence {
  readonly location = 'memory';
  readonly #low = new Low<SnapshotDocument>(new Memory(), { schemaVersion: BASE_SCHEMA.version, generation: 0, collections: {} });
  #snapshotWrites = 0;

  commit(): Promise<void> {
    return Promise.resolve();
  }

  settled(): Promise<void> {
    return Promise.resolve();
  }

  recover(): Promise<void> {
    return Promise.resolve();
  }

  async close(state: State): Promise<void> {
    this.#low.data = snapshotDocument(state, this.#snapshotWrites + 1);
    await this.#low.write();
    this.#snapshotWrites++;
  }

  stats(): PersistenceStats {
    return {
      journalWrites: 0,
      journalBytes: 0,
      snapshotWrites: this.#snapshotWrites,
      snapshotBytes: 0,
      compactions: 0,
      compactionFailures: 0,
      lastCompactionError: undefined,
      generation: 0,
      journalSize: 0,
      lastSnapshotSize: 0,
    };
  }
}
