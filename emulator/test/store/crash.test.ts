/**
 * kill -9 at random moments: a child process commits transactions and prints each acknowledged
 * id; after the kill the parent reopens the directory and checks that nothing acknowledged is
 * missing and that the state is one that the transactions, applied in order, could have produced.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { openStore } from '../../src/store/index.js';
import { useStoreChildren, type ChildConfig, type StoreChild } from '../helpers/store-process.js';
import { tempDirs } from '../helpers/store-temp.js';

const temp = tempDirs();
const children = useStoreChildren(temp);

/** Items after transactions 0..n-1 (see store-child.mjs): i, except i deleted by i + 1 when (i + 1) % 3 === 2. */
function expectedItems(n: number): number[] {
  const items: number[] = [];
  for (let i = 0; i < n; i++) if (!(i % 3 === 1 && i + 1 < n)) items.push(i);
  return items;
}

function start(config: Omit<ChildConfig, 'role'>): StoreChild {
  const child = children.spawn({ role: 'writer', ...config });
  return child;
}

/** Let the child run until it has acknowledged `acks` transactions, then SIGKILL it. */
async function runAndKill(child: StoreChild, acks: number): Promise<number[]> {
  await child.waitFor(() => child.acked.length >= acks);
  await child.kill();
  return child.acked;
}

/** Reopen after a crash and check it against the acknowledged ids; returns n and the generation reached. */
async function verify(directory: string, acked: readonly number[], label: string): Promise<{ n: number; generation: number }> {
  const store = await openStore({ directory });
  try {
    const n = store.get<{ n: number }>('meta', 'counter')?.n ?? 0;
    const missing = acked.filter((i) => i >= n);
    expect(missing, `${label}: acknowledged but lost`).toEqual([]);
    const items = [...store.values<{ i: number }>('items')].map((item) => item.i);
    expect(items, `${label}: state after ${n} transactions`).toEqual(expectedItems(n));
    return { n, generation: store.stats().generation };
  } finally {
    await store.close();
  }
}

/** The newest journal's generation: journal-<g> appears as compaction g begins. */
function newestJournal(dir: string): number {
  return Math.max(0, ...readdirSync(dir).map((name) => Number(/^journal-(\d+)\.jsonl$/.exec(name)?.[1] ?? 0)));
}

const randomInt = (min: number, max: number): number => min + Math.floor(Math.random() * (max - min + 1));

describe('store after kill -9', () => {
  it('loses nothing acknowledged, at random kill points, restarting the writer each time', async () => {
    const dir = temp.make();
    let total = 0;
    for (let round = 0; round < 5; round++) {
      const acks = randomInt(1, 600);
      const acked = await runAndKill(start({ directory: dir, concurrency: randomInt(1, 32) }), acks);
      const { n } = await verify(dir, acked, `round ${round}, killed after ${acked.length} acks`);
      expect(n).toBeGreaterThanOrEqual(total + acked.length);
      total = n;
    }
  });

  it('loses nothing acknowledged when killed during heavy writes with frequent compactions', async () => {
    for (let round = 0; round < 4; round++) {
      const dir = temp.make();
      const acks = randomInt(200, 3000);
      const child = start({ directory: dir, concurrency: 64, compactionMinBytes: 8 * 1024, payloadBytes: 300 });
      // The kill lands once `acks` are acknowledged and a second compaction has begun, whatever
      // the pace of the writes against the snapshots' on this machine.
      await child.waitFor(() => child.acked.length >= acks && newestJournal(dir) >= 2);
      await child.kill();
      const acked = child.acked;
      const { generation } = await verify(dir, acked, `round ${round}, killed after ${acked.length} acks`);
      // Compactions ran before the kill: each one is a generation (and start-up adds one).
      expect(generation).toBeGreaterThanOrEqual(3);
    }
  });

  it('loses nothing acknowledged when killed while a compaction writes its snapshot', async () => {
    for (const durability of ['process', 'fsync'] as const) {
      for (let round = 0; round < 2; round++) {
        const dir = temp.make();
        // Big records make the snapshot take a while to write, so the kill can land inside it.
        const child = start({ directory: dir, concurrency: 4, payloadBytes: 64 * 1024, compactionMinBytes: 4 * 1024 * 1024, durability });
        await child.waitFor(() => child.acked.length > 0);
        const compaction = randomInt(1, 2);
        // The temp file exists from the start of the snapshot write to its rename; journal-<g>
        // with g >= 1 shows which compaction is running.
        for (;;) {
          if (newestJournal(dir) >= compaction && readdirSync(dir).includes('.state.json.tmp')) break;
          if (child.process.exitCode !== null) throw new Error('the writer died');
          await nextTurn();
        }
        await child.kill();
        await verify(dir, child.acked, `${durability}, round ${round}, killed in compaction ${compaction} after ${child.acked.length} acks`);
      }
    }
  });

  it('loses nothing acknowledged with durability fsync', async () => {
    const dir = temp.make();
    const acked = await runAndKill(start({ directory: dir, concurrency: 16, durability: 'fsync', compactionMinBytes: 16 * 1024 }), randomInt(50, 400));
    await verify(dir, acked, `fsync, killed after ${acked.length} acks`);
  });

  it('keeps state.json valid JSON for a reader polling it during heavy writes and compactions', async () => {
    const dir = temp.make();
    const child = start({ directory: dir, concurrency: 16, compactionMinBytes: 16 * 1024, payloadBytes: 200 });
    await child.waitFor(() => child.acked.length > 0);
    const file = path.join(dir, 'state.json');
    const generations = new Set<number>();
    let reads = 0;
    let lastGeneration = -1;
    const until = Date.now() + 1_500;
    while (Date.now() < until) {
      // Tight synchronous reads; yield now and then so the child's acks (its stdout) keep flowing.
      for (let i = 0; i < 20 && Date.now() < until; i++) {
        const text = readFileSync(file, 'utf8');
        let parsed: { schemaVersion: number; generation: number };
        try {
          parsed = JSON.parse(text);
        } catch (error) {
          throw new Error(`read ${reads}: state.json is not valid JSON (${text.length} chars): ${(error as Error).message}`);
        }
        expect(parsed.schemaVersion).toBe(1);
        expect(parsed.generation).toBeGreaterThanOrEqual(lastGeneration);
        lastGeneration = parsed.generation;
        generations.add(parsed.generation);
        reads++;
      }
      await nextTurn();
    }
    const acked = [...child.acked];
    await child.kill();

    // Proof that the reader raced real compactions rather than one idle file.
    expect(generations.size).toBeGreaterThanOrEqual(3);
    expect(reads).toBeGreaterThan(100);
    await verify(dir, acked, 'after the polling run');
  });

  it('folds the journal into the snapshot and removes old journals', async () => {
    const dir = temp.make();
    const store = await openStore({ directory: dir, compactionMinBytes: 4096 });
    const pad = 'p'.repeat(200);
    // A compaction runs behind the transactions, and one that would start while another is still
    // writing is put off; a new directory starts at generation 0 and each compaction adds one, so
    // they are all done when the counts agree.
    const idle = async () => {
      while (store.stats().compactions < store.stats().generation) await nextTurn();
    };
    for (let i = 0; i < 300; i++) {
      await store.transaction((tx) => tx.put('items', `r${i}`, { i, pad }));
      if (i % 30 === 29) await idle();
    }
    await idle();
    const stats = store.stats();
    expect(stats.compactionFailures).toBe(0);
    expect(stats.compactions).toBeGreaterThanOrEqual(3);
    const journals = readdirSync(dir).filter((name) => name.startsWith('journal-'));
    expect(journals.every((name) => name === `journal-${stats.generation}.jsonl`)).toBe(true);
    const snapshot = JSON.parse(readFileSync(path.join(dir, 'state.json'), 'utf8'));
    expect(snapshot.generation).toBe(stats.generation);
    // The journal stays below max(minimum, snapshot), plus what came in while the last compaction ran.
    expect(stats.journalSize).toBeLessThan(Math.max(4096, stats.lastSnapshotSize) + 30 * 300);
    await store.close();
    expect(readdirSync(dir).filter((name) => name.startsWith('journal-'))).toEqual([]);
    const reopened = await openStore({ directory: dir });
    expect(reopened.count('items')).toBe(300);
    expect(reopened.startup.replayedTransactions).toBe(0);
    await reopened.close();
  });
});
