import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';

// Bringing the machine to a steady state before a timed leg, so that no leg pays for the one before it.

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
