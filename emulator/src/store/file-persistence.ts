import { mkdir, unlink } from 'node:fs/promises';
import { describeError, errorCode, inDirectory, journalFileName, listJournals, SNAPSHOT_FILE } from './files.js';
import type { Durability, LockedWork, StoreStartup } from './instrumented.js';
import { JournalFile, type JournalCounters } from './journal.js';
import { DirectoryLock } from './lock.js';
import { Mutex } from './mutex.js';
import { encodeJournalLine, type StoreOp } from './ops.js';
import type { Persistence, PersistenceStats } from './persistence.js';
import { moveStateAside, recoverState, type RecoveredState } from './recovery.js';
import { SnapshotFile } from './snapshot-file.js';
import type { State } from './state.js';
import { StoreOpenError, type RecordSchema } from './types.js';

export const DEFAULT_COMPACTION_MIN_BYTES = 1024 * 1024;

export interface FilePersistenceOptions {
  readonly directory: string;
  readonly moveCorruptStateAside: boolean;
  readonly durability: Durability;
  readonly compactionMinBytes: number;
  readonly schema: RecordSchema;
  readonly onLocked?: () => LockedWork;
}

/**
 * File mode. `state.json` (snapshot of generation N: everything before journal N) plus
 * `journal-N.jsonl` (one line per transaction since). A commit appends one line, so its cost is
 * O(change), whatever the size of the state.
 *
 * Compaction keeps the journal bounded: once it outgrows max(compactionMinBytes, last snapshot),
 * in one synchronous step the state is serialised as snapshot N+1 and journal N+1 takes the new
 * lines; then, asynchronously, the snapshot is written (temp + rename), journal N drains and is
 * deleted. Writing S bytes of snapshot per S bytes of journal keeps the amortised cost per commit
 * constant. Every crash point is safe: until the rename, start-up reads snapshot N + journals N
 * and N+1; after it, snapshot N+1 + journal N+1, ignoring journal N. Journal N+1 writes nothing
 * before journal N has finished, so a line never lands before one it may depend on.
 */
export class FilePersistence implements Persistence {
  readonly location: string;
  readonly #directory: string;
  readonly #lock: DirectoryLock;
  readonly #snapshot: SnapshotFile;
  readonly #options: FilePersistenceOptions;
  /** Held by a compaction or close while it writes the snapshot and deletes old journals. */
  readonly #mutex = new Mutex();
  readonly #counters: JournalCounters = { journalWrites: 0, journalBytes: 0 };
  #journal: JournalFile;
  #generation: number;
  #lastAppend: Promise<void> = Promise.resolve();
  #lastSnapshotSize: number;
  /** After a failed compaction, wait for this much journal before trying again. */
  #retryCompactionAt = 0;
  #closing = false;
  #snapshotWrites = 0;
  #snapshotBytes = 0;
  #compactions = 0;
  #compactionFailures = 0;
  #lastCompactionError: string | undefined;

  private constructor(options: FilePersistenceOptions, lock: DirectoryLock, snapshot: SnapshotFile, generation: number, snapshotSize: number) {
    this.#options = options;
    this.#directory = options.directory;
    this.location = options.directory;
    this.#lock = lock;
    this.#snapshot = snapshot;
    this.#generation = generation;
    this.#lastSnapshotSize = snapshotSize;
    this.#journal = this.#newJournal(generation, Promise.resolve());
  }

  /** Lock the directory, recover its state, and start a clean journal. */
  static async open(options: FilePersistenceOptions): Promise<{ persistence: FilePersistence; state: State; startup: StoreStartup }> {
    const { directory } = options;
    try {
      await mkdir(directory, { recursive: true });
    } catch (error) {
      throw new StoreOpenError('io', `cannot create the data directory ${directory}: ${describeError(error)}`);
    }
    const lock = await DirectoryLock.acquire(directory);
    let lockedWork: LockedWork | undefined;
    try {
      lockedWork = options.onLocked?.();
      const snapshot = new SnapshotFile(inDirectory(directory, SNAPSHOT_FILE), { fsync: options.durability === 'fsync', schemaVersion: options.schema.version });
      let movedAside: string[] = [];
      let recovered: RecoveredState;
      try {
        recovered = await recoverState(directory, snapshot, options.schema);
      } catch (error) {
        const corrupt = error instanceof StoreOpenError && (error.reason === 'corrupt' || error.reason === 'unknown-version');
        if (!corrupt || !options.moveCorruptStateAside) throw error;
        movedAside = await moveStateAside(directory);
        recovered = await recoverState(directory, snapshot, options.schema);
      }
      const settled = await settleOnDisk(directory, snapshot, recovered);
      const persistence = new FilePersistence(options, lock, snapshot, settled.generation, settled.snapshotSize);
      if (settled.wroteSnapshot) persistence.#recordSnapshot(settled.snapshotSize);
      const startup: StoreStartup = {
        movedAside,
        staleLock: lock.tookOverFrom,
        replayedTransactions: recovered.replayedTransactions,
        droppedTornLine: recovered.droppedTornLine,
      };
      return { persistence, state: recovered.state, startup };
    } catch (error) {
      // What ran under the lock ends before the lock does.
      await lockedWork?.stop().catch(() => undefined);
      await lock.release().catch(() => undefined);
      throw error;
    }
  }

  commit(ops: readonly StoreOp[], state: State): Promise<void> {
    const landed = this.#journal.append(encodeJournalLine(ops));
    this.#lastAppend = landed;
    if (this.#journal.size >= Math.max(this.#options.compactionMinBytes, this.#lastSnapshotSize, this.#retryCompactionAt)) {
      this.#compact(state);
    }
    return landed;
  }

  settled(): Promise<void> {
    return this.#lastAppend;
  }

  /**
   * A new generation from the acknowledged state: the failed journal may end in a torn line or have
   * lost lines that later ones depended on, so nothing more is ever appended to it. Snapshot N+1 is
   * written first (temp + rename), so until it lands a restart still replays the old files.
   */
  async recover(state: State): Promise<void> {
    const release = await this.#mutex.acquire();
    try {
      await this.#journal.close().catch(() => undefined);
      const generation = this.#generation + 1;
      this.#recordSnapshot(await this.#snapshot.write(state, generation));
      this.#generation = generation;
      this.#journal = this.#newJournal(generation, Promise.resolve());
      this.#lastAppend = Promise.resolve();
      // Harmless if it fails: start-up ignores journals older than the snapshot.
      await deleteJournalsBefore(this.#directory, generation).catch(() => undefined);
    } finally {
      release();
    }
  }

  async close(state: State): Promise<void> {
    this.#closing = true;
    try {
      const release = await this.#mutex.acquire();
      try {
        // A failed journal has already made the store roll back to what was acknowledged: the
        // final snapshot then records exactly that, and replaces the damaged journal.
        await this.#journal.close().catch(() => undefined);
        const generation = this.#generation + 1;
        try {
          this.#recordSnapshot(await this.#snapshot.write(state, generation));
        } catch (error) {
          throw new Error(`could not write the final snapshot ${this.#snapshot.path}: ${describeError(error)}; the journal is kept and will be replayed on the next start`, { cause: error });
        }
        this.#generation = generation;
        await deleteJournalsBefore(this.#directory, generation);
      } finally {
        release();
      }
    } finally {
      await this.#lock.release();
    }
  }

  stats(): PersistenceStats {
    return {
      journalWrites: this.#counters.journalWrites,
      journalBytes: this.#counters.journalBytes,
      snapshotWrites: this.#snapshotWrites,
      snapshotBytes: this.#snapshotBytes,
      compactions: this.#compactions,
      compactionFailures: this.#compactionFailures,
      lastCompactionError: this.#lastCompactionError,
      generation: this.#generation,
      journalSize: this.#journal.size,
      lastSnapshotSize: this.#lastSnapshotSize,
    };
  }

  /**
   * Synchronous up to the journal switch: the snapshot must hold exactly the transactions applied
   * before it, and every later one must go to the new journal. A running compaction holds the
   * mutex; this one is then skipped and the next commit tries again.
   */
  #compact(state: State): void {
    if (this.#closing) return;
    const release = this.#mutex.tryAcquire();
    if (release === undefined) return;
    const previous = this.#journal;
    const generation = this.#generation + 1;
    // Takes the records now, writes them record by record later: no string of the whole state.
    const written = this.#snapshot.write(state, generation);
    this.#journal = this.#newJournal(generation, previous.drained());
    this.#generation = generation;
    void this.#finishCompaction(previous, written, generation).finally(release);
  }

  async #finishCompaction(previous: JournalFile, written: Promise<number>, generation: number): Promise<void> {
    try {
      this.#recordSnapshot(await written);
      // The snapshot holds everything journal N has; once N has drained it can go.
      await previous.close().catch(() => undefined);
      await deleteJournalsBefore(this.#directory, generation);
      this.#compactions++;
    } catch (error) {
      // Harmless for the data: snapshot N is intact and journals N and N+1 are both replayed. The
      // next compaction writes a newer snapshot and deletes both.
      this.#compactionFailed(error);
    }
  }

  #compactionFailed(error: unknown): void {
    this.#compactionFailures++;
    this.#lastCompactionError = `${this.#snapshot.path}: ${describeError(error)}`;
    this.#retryCompactionAt = this.#journal.size + Math.max(this.#options.compactionMinBytes, this.#lastSnapshotSize);
  }

  #recordSnapshot(bytes: number): void {
    this.#snapshotWrites++;
    this.#snapshotBytes += bytes;
    this.#lastSnapshotSize = bytes;
    this.#retryCompactionAt = 0;
  }

  #newJournal(generation: number, after: Promise<void>): JournalFile {
    return new JournalFile(inDirectory(this.#directory, journalFileName(generation)), {
      after,
      fsync: this.#options.durability === 'fsync',
      counters: this.#counters,
    });
  }
}

/**
 * Bring the directory to "one snapshot, no journal" after recovery, so appends never follow a
 * torn line: fold replayed journals into a new snapshot, write an empty one for a new directory,
 * rewrite one of an older schema in the current one (journals appended next have the current
 * shape), and delete journals the snapshot already contains.
 */
async function settleOnDisk(
  directory: string,
  snapshot: SnapshotFile,
  recovered: RecoveredState,
): Promise<{ generation: number; snapshotSize: number; wroteSnapshot: boolean }> {
  const { replayedJournals, snapshotGeneration } = recovered;
  let generation = snapshotGeneration;
  let snapshotSize = recovered.snapshotBytes;
  const wroteSnapshot = replayedJournals.length > 0 || !recovered.snapshotExists || recovered.schemaVersion < snapshot.schemaVersion;
  if (wroteSnapshot) {
    generation = replayedJournals.length > 0 ? Math.max(snapshotGeneration, ...replayedJournals) + 1 : snapshotGeneration;
    try {
      snapshotSize = await snapshot.write(recovered.state, generation);
    } catch (error) {
      throw new StoreOpenError('io', `cannot write the state file ${snapshot.path}: ${describeError(error)}`);
    }
  }
  try {
    await deleteJournalsBefore(directory, generation);
  } catch (error) {
    throw new StoreOpenError('io', describeError(error));
  }
  return { generation, snapshotSize, wroteSnapshot };
}

async function deleteJournalsBefore(directory: string, generation: number): Promise<void> {
  for (const old of await listJournals(directory)) {
    if (old >= generation) continue;
    const file = inDirectory(directory, journalFileName(old));
    try {
      await unlink(file);
    } catch (error) {
      if (errorCode(error) !== 'ENOENT') throw new Error(`cannot delete the old journal ${file}: ${describeError(error)}`, { cause: error });
    }
  }
}
