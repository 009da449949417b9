/**
 * What a write costs, counted in bytes and write calls rather than timed: one journal line per
 * transaction whatever the size of the state, snapshots amortised to a constant factor, and
 * concurrent transactions sharing write calls.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { openStore, type InstrumentedStore } from '../../src/store/index.js';
import { tempDirs } from '../helpers/store-temp.js';

const temp = tempDirs();
afterEach(() => temp.cleanup());

const pad = 'x'.repeat(100);
const id = (i: number): string => `asset-${String(i).padStart(7, '0')}`;
/** Same size for every i, so that byte counts compare exactly. */
const record = (i: number) => ({ id: id(i), pad });

async function fill(store: InstrumentedStore, from: number, to: number): Promise<void> {
  await store.transaction((tx) => {
    for (let i = from; i < to; i++) tx.put('assets', id(i), record(i));
  });
}

/** Journal bytes and write calls for single-record transactions on ids from..to-1, one after the other. */
async function measure(store: InstrumentedStore, from: number, to: number): Promise<{ bytes: number; writes: number }> {
  const before = store.stats();
  for (let i = from; i < to; i++) await store.transaction((tx) => tx.put('assets', id(i), record(i)));
  const after = store.stats();
  return { bytes: after.journalBytes - before.journalBytes, writes: after.journalWrites - before.journalWrites };
}

/** Wait for running compactions; a new directory starts at generation 0 and each compaction adds one. */
async function compactionsDone(store: InstrumentedStore): Promise<void> {
  const done = () => store.stats().compactions + store.stats().compactionFailures >= store.stats().generation;
  while (!done()) await new Promise((resolve) => setImmediate(resolve));
}

describe('store write cost', () => {
  it('appends the same journal bytes per transaction with 100 or 20,000 records in the state', async () => {
    const store = await openStore({ directory: temp.make() });
    await fill(store, 0, 100);
    const small = await measure(store, 100, 300);
    await fill(store, 300, 20_000);
    const large = await measure(store, 20_000, 20_200);
    expect(store.count('assets')).toBe(20_200);
    expect(small.writes).toBe(200);
    expect(large.bytes).toBe(small.bytes);
    // One line each: the put itself and a few bytes of framing, nothing that grows with the state.
    expect(small.bytes / 200).toBeLessThan(JSON.stringify(record(0)).length + 64);
    await store.close();
  });

  it('keeps the amortised snapshot bytes per transaction within a constant factor of the journal bytes', async () => {
    const store = await openStore({ directory: temp.make(), compactionMinBytes: 16 * 1024 });
    await fill(store, 0, 1_000);
    await compactionsDone(store);
    const phases = [
      // The state grows 20-fold: a snapshot is at most the previous one plus the journal since,
      // and it is written once the journal is as large as that previous one.
      { name: 'inserts', from: 1_000, to: 20_000, factor: 2, compactions: 2 },
      // Updates of existing records: the state stays the same size.
      { name: 'updates', from: 0, to: 20_000, factor: 1, compactions: 1 },
    ];
    for (const { name, from, to, factor, compactions } of phases) {
      const before = store.stats();
      const { bytes: journalBytes } = await measure(store, from, to);
      await compactionsDone(store);
      const after = store.stats();
      expect(after.compactions - before.compactions, name).toBeGreaterThanOrEqual(compactions);
      // Plus one snapshot for the edges: the phase may start with a journal about to be compacted.
      expect(after.snapshotBytes - before.snapshotBytes, name).toBeLessThanOrEqual(journalBytes * factor + after.lastSnapshotSize);
    }
    await store.close();
  });

  it('group-commits 500 concurrent transactions into far fewer journal writes, and all of them land', async () => {
    const dir = temp.make();
    const store = await openStore({ directory: dir });
    const before = store.stats();
    const results = await Promise.all(
      Array.from({ length: 500 }, (_, i) =>
        store.transaction((tx) => {
          tx.put('assets', id(i), { i });
          return i;
        }),
      ),
    );
    expect(results).toEqual(Array.from({ length: 500 }, (_, i) => i));
    const after = store.stats();
    expect(after.committedTransactions - before.committedTransactions).toBe(500);
    expect(after.journalWrites - before.journalWrites).toBeLessThan(10);
    const journal = readdirSync(dir).filter((name) => name.startsWith('journal-'));
    expect(journal).toEqual([`journal-${after.generation}.jsonl`]);
    const lines = readFileSync(path.join(dir, journal[0]), 'utf8').split('\n');
    expect(lines.pop()).toBe('');
    expect(lines.map((line) => JSON.parse(line).ops[0][2])).toEqual(Array.from({ length: 500 }, (_, i) => id(i)));
    await store.close();
    const reopened = await openStore({ directory: dir });
    expect(reopened.count('assets')).toBe(500);
    await reopened.close();
  });

  it('makes a read-only transaction wait for the writes it may have read', async () => {
    const store = await openStore({ directory: temp.make() });
    const order: string[] = [];
    const write = store.transaction((tx) => tx.put('assets', 'a', { v: 1 })).then(() => order.push('write'));
    const read = store.transaction((tx) => tx.get('assets', 'a')).then((value) => order.push(`read ${JSON.stringify(value)}`));
    await Promise.all([write, read]);
    expect(order).toEqual(['write', 'read {"v":1}']);
    expect(store.stats().journalWrites).toBe(1);
    await store.close();
  });
});
