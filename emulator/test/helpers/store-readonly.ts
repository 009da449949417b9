/**
 * A data directory that stops accepting writes mid-run. The tests run as root, where chmod does not
 * stop writes; the immutable attribute (`chattr +i`, ext2/3/4, xfs, btrfs) does, for root too, and
 * also for a file handle opened before it was set.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

function chattr(flag: '+i' | '-i', paths: readonly string[]): void {
  if (paths.length > 0) execFileSync('chattr', [flag, ...paths], { stdio: 'pipe' });
}

/** Whether this machine can make a temp directory immutable (chattr present, a file system that has it, the capability). */
export function canFreezeDirectories(): boolean {
  const probe = mkdtempSync(path.join(os.tmpdir(), 'ams-chattr-probe-'));
  try {
    chattr('+i', [probe]);
    chattr('-i', [probe]);
    return true;
  } catch {
    return false;
  } finally {
    rmSync(probe, { recursive: true, force: true });
  }
}

/** The directory and every file in it: nothing can be created, renamed, appended to or truncated. */
export function freezeDirectory(directory: string): void {
  chattr('+i', [directory, ...readdirSync(directory).map((name) => path.join(directory, name))]);
}

export function thawDirectory(directory: string): void {
  chattr('-i', [directory, ...readdirSync(directory).map((name) => path.join(directory, name))]);
}
