import { DEFAULT_COMPACTION_MIN_BYTES, FilePersistence } from './file-persistence.js';
import type { InstrumentedStore, StoreOptions } from './instrumented.js';
import { MemoryPersistence } from './memory-persistence.js';
import { State } from './state.js';
import { StateStore } from './state-store.js';
import { BASE_SCHEMA } from './types.js';

export { BASE_SCHEMA, StoreFullError, StoreOpenError, StoreWriteError } from './types.js';
export { defineIndex, propertyIndex, type IndexDef } from './indexes.js';
export type { Json, JsonRecord, OpenStoreOptions, RecordSchema, Store, StoreReader, Transaction } from './types.js';
export type { Durability, InstrumentedStore, LockedWork, LockInfo, StoreOptions, StoreStartup, StoreStats } from './instrumented.js';

/**
 * Open the emulator's state: in memory when `directory` is undefined, else in that directory
 * (created if missing), locked against other processes and other stores of this process.
 * Throws StoreOpenError ('locked', 'corrupt', 'unknown-version', 'io') with a one-line message.
 *
 * Reads (`get`, `values`) return the stored objects, deep-frozen: do not mutate them; copy, change
 * and `put` the copy.
 */
export async function openStore(options: StoreOptions): Promise<InstrumentedStore> {
  if (options.directory === undefined) {
    options.onLocked?.();
    return new StateStore(
      new State(),
      new MemoryPersistence(),
      { movedAside: [], staleLock: undefined, replayedTransactions: 0, droppedTornLine: false },
      { maxStateChars: options.maxStateChars },
    );
  }
  const compactionMinBytes = options.compactionMinBytes ?? DEFAULT_COMPACTION_MIN_BYTES;
  if (!Number.isSafeInteger(compactionMinBytes) || compactionMinBytes < 1) {
    throw new RangeError(`compactionMinBytes must be a positive integer, got ${compactionMinBytes}`);
  }
  const { persistence, state, startup } = await FilePersistence.open({
    directory: options.directory,
    moveCorruptStateAside: options.moveCorruptStateAside ?? false,
    durability: options.durability ?? 'process',
    compactionMinBytes,
    schema: options.schema ?? BASE_SCHEMA,
    ...(options.onLocked ? { onLocked: options.onLocked } : {}),
  });
  return new StateStore(state, persistence, startup, { writeRetryMs: options.writeRetryMs, maxStateChars: options.maxStateChars });
}
