import { open, rename } from 'node:fs/promises';
import { describeError, inDirectory, journalFileName, listJournals, SNAPSHOT_FILE } from './files.js';
import { deepFreeze } from './json-record.js';
import { decodeJournalLine, type StateOp } from './ops.js';
import { snapshotOps, SnapshotFormatError, upgradeOp } from './snapshot-format.js';
import type { SnapshotFile } from './snapshot-file.js';
import { State } from './state.js';
import { BASE_SCHEMA, StoreOpenError, type RecordSchema } from './types.js';

export interface RecoveredState {
  readonly state: State;
  /** Generation of `state.json`; 0 when there is none. */
  readonly snapshotGeneration: number;
  readonly snapshotExists: boolean;
  readonly snapshotBytes: number;
  /** The schema version the state was written under (the snapshot's; the first version without one). */
  readonly schemaVersion: number;
  /** Journals replayed (generation >= the snapshot's), ascending. */
  readonly replayedJournals: readonly number[];
  /** Journals older than the snapshot: already folded in, left by a crash before their delete. */
  readonly staleJournals: readonly number[];
  readonly replayedTransactions: number;
  /** The newest journal ended in a half-written line (a crash mid-append; never acknowledged). */
  readonly droppedTornLine: boolean;
}

/**
 * Rebuild the state from `DIR/state.json` and the journals after it. Refuses, with one line naming
 * the file and the way out, anything a crash cannot explain: an unreadable snapshot, an unknown
 * schema version, or a bad journal line that is not the torn end of the newest journal.
 */
export async function recoverState(directory: string, snapshotFile: SnapshotFile, schema: RecordSchema): Promise<RecoveredState> {
  const state = new State();
  const snapshot = await readSnapshot(directory, snapshotFile);
  const snapshotGeneration = snapshot?.document.generation ?? 0;
  // Journals follow the snapshot they were started after: the same schema (the first one when a
  // journal has no snapshot before it, which only an emulator from before schema versions left).
  const schemaVersion = snapshot?.document.schemaVersion ?? BASE_SCHEMA.version;
  if (snapshot !== undefined) {
    for (const op of snapshotOps(snapshot.document, schema)) {
      deepFreeze(op);
      state.apply([op]);
    }
  }

  const generations = await journalGenerations(directory);
  const replayedJournals = generations.filter((generation) => generation >= snapshotGeneration);
  const staleJournals = generations.filter((generation) => generation < snapshotGeneration);
  let replayedTransactions = 0;
  let droppedTornLine = false;
  for (const [index, generation] of replayedJournals.entries()) {
    const newest = index === replayedJournals.length - 1;
    const replay = await replayJournal(directory, generation, state, newest, (op) => upgradeOp(op, schemaVersion, schema));
    replayedTransactions += replay.transactions;
    droppedTornLine ||= replay.droppedTornLine;
  }

  return {
    state,
    snapshotGeneration,
    snapshotExists: snapshot !== undefined,
    snapshotBytes: snapshot?.bytes ?? 0,
    schemaVersion,
    replayedJournals,
    staleJournals,
    replayedTransactions,
    droppedTornLine,
  };
}

/** Rename `state.json` and every journal to `<name>.corrupt-<timestamp>`; returns the new paths. */
export async function moveStateAside(directory: string): Promise<string[]> {
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  const names = [SNAPSHOT_FILE, ...(await journalGenerations(directory)).map(journalFileName)];
  const moved: string[] = [];
  for (const name of names) {
    const from = inDirectory(directory, name);
    const to = `${from}.corrupt-${stamp}`;
    try {
      await rename(from, to);
      moved.push(to);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') continue;
      throw new StoreOpenError('io', `cannot move ${from} aside: ${describeError(error)}`);
    }
  }
  return moved;
}

async function journalGenerations(directory: string): Promise<number[]> {
  try {
    return await listJournals(directory);
  } catch (error) {
    throw new StoreOpenError('io', `cannot list the data directory ${directory}: ${describeError(error)}`);
  }
}

async function readSnapshot(directory: string, snapshotFile: SnapshotFile): ReturnType<SnapshotFile['read']> {
  try {
    return await snapshotFile.read();
  } catch (error) {
    if (error instanceof SnapshotFormatError) {
      throw new StoreOpenError(error.kind, `the state file ${snapshotFile.path} ${error.message}; ${wayOut(directory)}`);
    }
    throw new StoreOpenError('io', `cannot read the state file ${snapshotFile.path}: ${describeError(error)}`);
  }
}

async function replayJournal(
  directory: string,
  generation: number,
  state: State,
  newest: boolean,
  upgrade: (op: StateOp) => StateOp,
): Promise<{ transactions: number; droppedTornLine: boolean }> {
  const file = inDirectory(directory, journalFileName(generation));
  let transactions = 0;
  let tail = '';
  try {
    // Line by line: a journal that grew past V8's longest string (compactions failing for a long
    // time) must still replay.
    for await (const { line, terminated } of journalLines(file)) {
      if (!terminated) {
        tail = line;
        break;
      }
      const decoded = decodeJournalLine(line);
      if (decoded === undefined) {
        throw new StoreOpenError('corrupt', `the journal ${file} has a bad line ${transactions + 1}; ${wayOut(directory)}`);
      }
      const ops = decoded.map(upgrade);
      deepFreeze(ops);
      state.apply(ops);
      transactions++;
    }
  } catch (error) {
    if (error instanceof StoreOpenError) throw error;
    throw new StoreOpenError('io', `cannot read the journal ${file}: ${describeError(error)}`);
  }
  // Every line we write ends in '\n' and is acknowledged only once all of it is in the file, so
  // an unterminated end is a write cut short by a crash. Only the newest journal can have one:
  // a journal is started only after the previous one has finished writing.
  if (tail !== '' && !newest) {
    throw new StoreOpenError('corrupt', `the journal ${file} ends in a half-written line but is not the newest journal; ${wayOut(directory)}`);
  }
  return { transactions, droppedTornLine: tail !== '' };
}

/** The file's lines, each decoded on its own; the last one `terminated: false` if it lacks its newline. */
async function* journalLines(file: string): AsyncGenerator<{ line: string; terminated: boolean }> {
  const handle = await open(file, 'r');
  try {
    const chunk = Buffer.alloc(1024 * 1024);
    let pending: Buffer[] = [];
    for (;;) {
      const { bytesRead } = await handle.read(chunk, 0, chunk.length, null);
      if (bytesRead === 0) break;
      let start = 0;
      for (let newline = chunk.indexOf(10, start); newline !== -1 && newline < bytesRead; newline = chunk.indexOf(10, start)) {
        pending.push(chunk.subarray(start, newline));
        yield { line: Buffer.concat(pending).toString('utf8'), terminated: true };
        pending = [];
        start = newline + 1;
      }
      if (start < bytesRead) pending.push(Buffer.from(chunk.subarray(start, bytesRead)));
    }
    const rest = Buffer.concat(pending);
    if (rest.length > 0) yield { line: rest.toString('utf8'), terminated: false };
  } finally {
    await handle.close();
  }
}

function wayOut(directory: string): string {
  return `start with --move-corrupt-state to move the state files aside and start empty, or delete ${directory}`;
}
