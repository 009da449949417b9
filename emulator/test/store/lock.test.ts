import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { openStore } from '../../src/store/index.js';
import { TAKEOVER_SUFFIX } from '../../src/store/lock.js';
import { useStoreChildren } from '../helpers/store-process.js';
import { openRefusal, tempDirs } from '../helpers/store-temp.js';

const temp = tempDirs();
const children = useStoreChildren(temp);

function lockPath(dir: string): string {
  return path.join(dir, 'ams-emulator.lock');
}

function deadPid(): number {
  // A process that has exited: its pid is free (reuse this soon is vanishingly unlikely).
  const result = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
  return Number(result.stdout);
}


describe('store directory lock', () => {
  it('writes {pid, startedAt, hostname} and removes it on close', async () => {
    const dir = temp.make();
    const store = await openStore({ directory: dir });
    const lock = JSON.parse(readFileSync(lockPath(dir), 'utf8'));
    expect(lock).toEqual({ pid: process.pid, startedAt: expect.any(String), hostname: os.hostname() });
    expect(Number.isNaN(Date.parse(lock.startedAt))).toBe(false);
    await store.close();
    const again = await openStore({ directory: dir });
    await again.close();
  });

  it('refuses a second open of the same directory in this process, also through a symlink or concurrently', async () => {
    const dir = temp.make();
    const store = await openStore({ directory: dir });
    const second = await openRefusal({ directory: dir });
    expect(second.reason).toBe('locked');
    expect(second.message).toBe(`the data directory ${dir} is already open in this process; close that store first or use another --location`);
    const alias = path.join(temp.make(), 'alias');
    symlinkSync(dir, alias);
    expect((await openRefusal({ directory: alias })).reason).toBe('locked');
    await store.close();

    const other = temp.make();
    const results = await Promise.allSettled([openStore({ directory: other }), openStore({ directory: other })]);
    expect(results.map((r) => r.status).sort()).toEqual(['fulfilled', 'rejected']);
    for (const result of results) if (result.status === 'fulfilled') await result.value.close();
  });

  it('refuses a directory held by a live process, naming its pid', async () => {
    const dir = temp.make();
    const holder = children.spawn({ role: 'holder', directory: dir });
    await holder.waitFor((line) => line === 'ready');
    const error = await openRefusal({ directory: dir });
    expect(error.reason).toBe('locked');
    expect(error.message).toBe(`the data directory ${dir} is in use by another ams-emulator (pid ${holder.pid}); stop it or use another --location`);

    // kill -9 leaves the lock behind; it is stale now and taken over.
    await holder.kill();
    expect(JSON.parse(readFileSync(lockPath(dir), 'utf8')).pid).toBe(holder.pid);
    const store = await openStore({ directory: dir });
    expect(store.startup.staleLock?.pid).toBe(holder.pid);
    expect(JSON.parse(readFileSync(lockPath(dir), 'utf8')).pid).toBe(process.pid);
    await store.close();
  });

  it('takes over a lock left by a dead pid', async () => {
    const dir = temp.make();
    const pid = deadPid();
    writeFileSync(lockPath(dir), JSON.stringify({ pid, startedAt: '2026-01-01T00:00:00.000Z', hostname: 'gone' }));
    const store = await openStore({ directory: dir });
    expect(store.startup.staleLock).toEqual({ pid, startedAt: '2026-01-01T00:00:00.000Z', hostname: 'gone' });
    await store.close();
  });

  it('lets exactly one of several processes take over one dead process\'s lock at once, round after round', async () => {
    const racers = Array.from({ length: 4 }, () => children.racer());
    // Each racer has loaded the lock module before the first round, so the rounds start together.
    for (const racer of racers) {
      const warm = temp.make();
      expect(await racer.acquire(warm)).toBe('held');
      await racer.release(warm);
    }
    const pid = deadPid();
    const stale = JSON.stringify({ pid, startedAt: '2026-01-01T00:00:00.000Z', hostname: 'gone' });
    for (let round = 0; round < 150; round++) {
      const dir = temp.make();
      writeFileSync(lockPath(dir), stale);
      const answers = await Promise.all(racers.map((racer) => racer.acquire(dir)));
      const holders = racers.filter((_, i) => answers[i] === 'held');
      expect(holders.map((h) => h.pid), `round ${round}: ${answers.join(' | ')}`).toHaveLength(1);
      const holder = holders[0]!;
      expect(JSON.parse(readFileSync(lockPath(dir), 'utf8')).pid, `round ${round}`).toBe(holder.pid);
      for (const answer of answers.filter((a) => a !== 'held')) expect(answer).toMatch(/is in use by another ams-emulator \(pid (\d+|unknown: its lock file is being written)\)/);
      await holder.release(dir);
    }
  }, 120_000);

  it('takes over a stale lock past the takeover sidecar of a process killed mid-takeover', async () => {
    const dir = temp.make();
    const pid = deadPid();
    const left = JSON.stringify({ pid, startedAt: '2026-01-01T00:00:00.000Z', hostname: 'gone' });
    writeFileSync(lockPath(dir), left);
    writeFileSync(`${lockPath(dir)}${TAKEOVER_SUFFIX}`, left);
    const store = await openStore({ directory: dir });
    expect(store.startup.staleLock?.pid).toBe(pid);
    expect(existsSync(`${lockPath(dir)}${TAKEOVER_SUFFIX}`)).toBe(false);
    await store.close();
  });

  it("takes over a lock holding this process's pid that no store here holds (a restarted container's pid 1)", async () => {
    const dir = temp.make();
    writeFileSync(lockPath(dir), JSON.stringify({ pid: process.pid, startedAt: '2026-01-01T00:00:00.000Z', hostname: 'old' }));
    const store = await openStore({ directory: dir });
    expect(store.startup.staleLock?.pid).toBe(process.pid);
    await store.close();
  });

  it('treats an unreadable lock file as being written when fresh, and as stale when old', async () => {
    const dir = temp.make();
    writeFileSync(lockPath(dir), '');
    const error = await openRefusal({ directory: dir });
    expect(error.reason).toBe('locked');
    expect(error.message).toContain('pid unknown');
    const old = new Date(Date.now() - 60_000);
    utimesSync(lockPath(dir), old, old);
    const store = await openStore({ directory: dir });
    await store.close();
  });

  it('tells onLocked once the lock is held, before the state is read', async () => {
    const dir = temp.make();
    writeFileSync(path.join(dir, 'state.json'), '{');
    const lockHeld: boolean[] = [];
    const error: unknown = await openStore({
      directory: dir,
      onLocked: () => {
        // Told although the state then proves corrupt: before it was read.
        lockHeld.push(existsSync(lockPath(dir)));
        return { stop: async () => undefined };
      },
    }).catch((thrown: unknown) => thrown);
    expect((error as { reason?: string }).reason).toBe('corrupt');
    expect(lockHeld).toEqual([true]);
  });

  it('stops what onLocked started before it lets go of the lock of an open that fails', async () => {
    const dir = temp.make();
    writeFileSync(path.join(dir, 'state.json'), '{');
    let lockHeldAtStop: boolean | undefined;
    const error = await openRefusal({
      directory: dir,
      onLocked: () => ({
        stop: async () => {
          await new Promise((resolve) => setTimeout(resolve, 20));
          lockHeldAtStop = existsSync(lockPath(dir));
        },
      }),
    });
    expect(error.reason).toBe('corrupt');
    expect(lockHeldAtStop).toBe(true);
    expect(existsSync(lockPath(dir))).toBe(false);
  });

  it('tells onLocked at once in memory, where there is no lock', async () => {
    let told = 0;
    const store = await openStore({ onLocked: () => ((told += 1), { stop: async () => undefined }) });
    expect(told).toBe(1);
    await store.close();
  });

  it('does not hold the lock after a refused open', async () => {
    const dir = temp.make();
    writeFileSync(path.join(dir, 'state.json'), '{');
    expect((await openRefusal({ directory: dir })).reason).toBe('corrupt');
    const store = await openStore({ directory: dir, moveCorruptStateAside: true });
    await store.close();
  });
});
