import { randomBytes } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { open } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const CHUNK = 1024 * 1024;

/** A fresh directory under os.tmpdir(), removed by `remove()` (also on Ctrl-C). */
export function createScratchDir(prefix: string): { path: string; remove: () => void } {
  const path = mkdtempSync(join(tmpdir(), prefix));
  const remove = (): void => rmSync(path, { recursive: true, force: true });
  const onSignal = (): void => {
    remove();
    process.exit(130);
  };
  process.once('SIGINT', onSignal);
  return {
    path,
    remove: () => {
      process.off('SIGINT', onSignal);
      remove();
    },
  };
}

/** Write `size` random bytes to `path` without holding them all in memory (the 1 GiB case). */
export async function writeRandomFile(path: string, size: number): Promise<void> {
  const file = await open(path, 'w');
  try {
    for (let at = 0; at < size; at += CHUNK) await file.write(randomBytes(Math.min(CHUNK, size - at)));
  } finally {
    await file.close();
  }
}

/** The offset of the first differing byte of two files, or -1 when they are identical. */
export async function firstDifference(pathA: string, pathB: string): Promise<number> {
  const [a, b] = await Promise.all([open(pathA, 'r'), open(pathB, 'r')]);
  try {
    const bufA = Buffer.alloc(CHUNK);
    const bufB = Buffer.alloc(CHUNK);
    for (let at = 0; ; at += CHUNK) {
      const [ra, rb] = await Promise.all([a.read(bufA, 0, CHUNK, at), b.read(bufB, 0, CHUNK, at)]);
      const n = Math.min(ra.bytesRead, rb.bytesRead);
      if (!bufA.subarray(0, n).equals(bufB.subarray(0, n))) {
        for (let i = 0; i < n; i++) if (bufA[i] !== bufB[i]) return at + i;
      }
      if (ra.bytesRead !== rb.bytesRead) return at + n;
      if (n === 0) return -1;
    }
  } finally {
    await Promise.all([a.close(), b.close()]);
  }
}

/**
 * Write the machine's dirty pages back before a timed leg (`sync`), so that no leg pays for the
 * writeback of the gigabyte the previous one left in the page cache: on a disk-backed Azurite that
 * writeback, landing in whichever leg runs when the kernel gets to it, was most of the spread
 * between rounds. Best effort: where there is no `sync`, nothing happens.
 */
export function settleDisk(): void {
  spawnSync('sync', { stdio: 'ignore' });
}

/**
 * Wait until the machine is quiet (at least `idleShare` of its CPU time idle over a quarter of a
 * second), at most `limitMs`: what a leg leaves behind (Azurite collecting the garbage of the
 * gigabyte it just received, the emulator's background work) otherwise lands in the next leg, and
 * only in the leg that runs second. Linux only (/proc/stat); elsewhere it returns at once.
 */
export async function settleMachine(idleShare = 0.85, limitMs = 15_000): Promise<void> {
  const deadline = Date.now() + limitMs;
  const sample = (): { idle: number; total: number } | undefined => {
    try {
      const fields = /^cpu\s+(.+)$/m.exec(readFileSync('/proc/stat', 'utf8'))?.[1]?.trim().split(/\s+/).map(Number);
      if (!fields || fields.length < 5) return undefined;
      return { idle: fields[3]! + fields[4]!, total: fields.reduce((sum, value) => sum + value, 0) };
    } catch {
      return undefined;
    }
  };
  while (Date.now() < deadline) {
    const before = sample();
    if (!before) return;
    await sleep(250);
    const after = sample();
    if (!after || after.total === before.total) return;
    if ((after.idle - before.idle) / (after.total - before.total) >= idleShare) return;
  }
}
