/**
 * I/O errors while running. /dev/full (every write fails with ENOSPC) stands in for a full disk:
 * a journal or temp file symlinked to it fails for real, also when the tests run as root (where
 * permission tricks do not).
 */
import { existsSync, readdirSync, rmSync, symlinkSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { openStore, StoreWriteError } from '../../src/store/index.js';
import { canFreezeDirectories, freezeDirectory, thawDirectory } from '../helpers/store-readonly.js';
import { tempDirs } from '../helpers/store-temp.js';

const temp = tempDirs();
afterEach(() => temp.cleanup());

const hasDevFull = process.platform === 'linux' && existsSync('/dev/full');

describe.runIf(hasDevFull)('store on a failing disk', () => {
  it('rejects the failed and every later transaction, rolls back what was not acknowledged, and keeps reads consistent', async () => {
    const dir = temp.make();
    let store = await openStore({ directory: dir });
    await store.transaction((tx) => {
      for (const id of ['x1', 'x2', 'x3']) tx.put('items', id, { id });
    });
    await store.close();

    store = await openStore({ directory: dir });
    const journal = path.join(dir, `journal-${store.stats().generation}.jsonl`);
    symlinkSync('/dev/full', journal);

    // Three transactions in one go: the first write fails, and the two queued behind it must not
    // survive either (they may have read what the first one wrote).
    const first = store.transaction((tx) => {
      tx.delete('items', 'x1');
      tx.put('items', 'x1', { id: 'x1', moved: true });
      tx.put('items', 'x4', { id: 'x4' });
    });
    const second = store.transaction((tx) => tx.put('items', 'x5', { after: tx.get('items', 'x4') ?? null }));
    const reader = store.transaction((tx) => tx.get('items', 'x4'));
    // Applied at once, visible to readers until the write fails.
    const visible = store.has('items', 'x4');
    const third = store.transaction((tx) => {
      tx.clear();
    });
    const cleared = store.count('items');

    const results = await Promise.allSettled([first, second, reader, third]);
    expect([visible, cleared]).toEqual([true, 0]);
    for (const result of results) {
      expect(result.status).toBe('rejected');
      const reason = (result as PromiseRejectedResult).reason as Error;
      expect(reason.message).toContain(`could not write the journal ${journal}`);
      expect(reason.message).toContain('ENOSPC');
      expect(reason.message).toContain(`the data directory ${dir} cannot be written`);
    }
    // Exactly the acknowledged state, in its order.
    expect([...store.values('items')]).toEqual([{ id: 'x1' }, { id: 'x2' }, { id: 'x3' }]);
    expect(store.stats().failure).toContain('ENOSPC');
    await expect(store.transaction((tx) => tx.put('items', 'later', {}))).rejects.toThrow(/ENOSPC/);
    // Rolled back to what was acknowledged, so reads go on.
    await expect(store.transaction((tx) => tx.count('items'))).resolves.toBe(3);

    // close() records the acknowledged state in a snapshot and drops the broken journal.
    await store.close();
    expect(readdirSync(dir).filter((name) => name.startsWith('journal-'))).toEqual([]);
    store = await openStore({ directory: dir });
    expect([...store.values('items')]).toEqual([{ id: 'x1' }, { id: 'x2' }, { id: 'x3' }]);
    await store.close();
  });

  it.each(['process', 'fsync'] as const)('keeps committing when a compaction cannot write its snapshot (durability %s)', async (durability) => {
    const dir = temp.make();
    const store = await openStore({ directory: dir, compactionMinBytes: 2048, durability });
    const temporary = path.join(dir, '.state.json.tmp');
    symlinkSync('/dev/full', temporary);
    const pad = 'p'.repeat(100);
    for (let i = 0; i < 200; i++) await store.transaction((tx) => tx.put('items', `i${i}`, { i, pad }));
    const failing = store.stats();
    expect(failing.compactionFailures).toBeGreaterThan(0);
    expect(failing.lastCompactionError).toContain('ENOSPC');
    // Not retried on every commit: only after another threshold's worth of journal.
    expect(failing.compactionFailures).toBeLessThan(20);
    expect(failing.failure).toBeUndefined();

    rmSync(temporary);
    // Compactions only start on a commit, so keep committing until one lands. A compaction that
    // opened the temp file before it was removed may still be failing on the thread pool; its
    // retry then waits for another threshold's worth of journal, which a fixed number of commits
    // could finish before (seen on a loaded CI machine: the test then waited for ever).
    let written = 200;
    while (store.stats().compactions === failing.compactions && written < 2000) {
      await store.transaction((tx) => tx.put('items', `i${written}`, { i: written, pad }));
      written++;
    }
    expect(store.stats().compactions).toBeGreaterThan(failing.compactions);
    expect(store.stats().failure).toBeUndefined();
    await store.close();
    const reopened = await openStore({ directory: dir });
    expect(reopened.count('items')).toBe(written);
    await reopened.close();
  });

  it('keeps the journal when close() cannot write the final snapshot, and replays it on the next start', async () => {
    const dir = temp.make();
    const store = await openStore({ directory: dir });
    await store.transaction((tx) => tx.put('items', 'a', { v: 1 }));
    symlinkSync('/dev/full', path.join(dir, '.state.json.tmp'));
    await expect(store.close()).rejects.toThrow(/could not write the final snapshot .*state\.json.*ENOSPC.*journal is kept/);
    rmSync(path.join(dir, '.state.json.tmp'));
    // The lock was released all the same.
    const reopened = await openStore({ directory: dir });
    expect(reopened.startup.replayedTransactions).toBe(1);
    expect(reopened.get('items', 'a')).toEqual({ v: 1 });
    await reopened.close();
  });
});

describe.runIf(canFreezeDirectories())('store whose data directory becomes read-only mid-run', () => {
  it('refuses writes with a StoreWriteError naming the directory, keeps reads, and recovers on its own once the directory is writable', async () => {
    const dir = temp.make();
    const store = await openStore({ directory: dir, writeRetryMs: 0 });
    try {
      await store.transaction((tx) => tx.put('items', 'a', { v: 1 }));
      freezeDirectory(dir);
      const failed = await store.transaction((tx) => tx.put('items', 'b', { v: 2 })).catch((error: unknown) => error);
      expect(failed).toBeInstanceOf(StoreWriteError);
      expect((failed as StoreWriteError).directory).toBe(dir);
      expect((failed as Error).message).toContain(`the data directory ${dir} cannot be written`);
      expect((failed as Error).message).toContain('EPERM');
      // Every retry fails while the directory stays read-only; nothing half-applied shows.
      await expect(store.transaction((tx) => tx.put('items', 'c', { v: 3 }))).rejects.toBeInstanceOf(StoreWriteError);
      expect(await store.writeFailure()).toContain(dir);
      expect([...store.values('items')]).toEqual([{ v: 1 }]);
      await expect(store.transaction((tx) => tx.get('items', 'a'))).resolves.toEqual({ v: 1 });
    } finally {
      thawDirectory(dir);
    }
    // No restart: the next write retries the directory and goes through.
    await store.transaction((tx) => tx.put('items', 'd', { v: 4 }));
    expect(await store.writeFailure()).toBeUndefined();
    expect(store.stats().failure).toBeUndefined();
    await store.transaction((tx) => tx.put('items', 'e', { v: 5 }));
    await store.close();
    const reopened = await openStore({ directory: dir });
    expect(Object.fromEntries([...reopened.values<{ v: number }>('items')].map((r) => [r.v, r]))).toEqual({ 1: { v: 1 }, 4: { v: 4 }, 5: { v: 5 } });
    await reopened.close();
  });

  it('retries no more often than the interval', async () => {
    const dir = temp.make();
    const store = await openStore({ directory: dir, writeRetryMs: 60_000 });
    await store.transaction((tx) => tx.put('items', 'a', { v: 1 }));
    try {
      freezeDirectory(dir);
      await expect(store.transaction((tx) => tx.put('items', 'b', {}))).rejects.toMatchObject({ retryAfterSeconds: 60 });
    } finally {
      thawDirectory(dir);
    }
    // Writable again, but the next attempt is not due yet: refused without touching the disk.
    const generation = store.stats().generation;
    await expect(store.transaction((tx) => tx.put('items', 'c', {}))).rejects.toBeInstanceOf(StoreWriteError);
    expect(store.stats().generation).toBe(generation);
    await store.close();
  });
});
