import { readFile, realpath, stat, unlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describeError, errorCode, LOCK_FILE } from './files.js';
import { StoreOpenError } from './types.js';

export interface LockInfo {
  pid: number;
  startedAt: string;
  hostname: string;
}

/**
 * Directories this process has open (by resolved path and by real path). A second store on the
 * same files would mean a second lowdb instance on `state.json`, which loses writes.
 */
const openHere = new Set<string>();

/** A lock file younger than this with unreadable content is being written right now. */
const FRESH_LOCK_MS = 5_000;

/**
 * `DIR/ams-emulator.lock`, held while a store has the directory open. A lock whose pid is dead
 * (a `kill -9` left it behind) is taken over; one whose pid is this process but which no store of
 * this process holds is also stale (a container restarted under the same pid, typically pid 1).
 * Only the pid is checked: a directory shared between hosts is not supported.
 */
export class DirectoryLock {
  readonly path: string;
  /** The stale lock this one replaced, for the caller to mention. */
  readonly tookOverFrom: LockInfo | undefined;
  readonly #keys: readonly string[];
  #released = false;

  private constructor(lockPath: string, keys: readonly string[], tookOverFrom: LockInfo | undefined) {
    this.path = lockPath;
    this.#keys = keys;
    this.tookOverFrom = tookOverFrom;
  }

  static async acquire(directory: string): Promise<DirectoryLock> {
    const resolved = path.resolve(directory);
    // Claimed before the first await, so two concurrent opens of one path cannot both pass.
    claim(resolved, directory);
    const keys = [resolved];
    try {
      const real = await realpath(resolved);
      if (real !== resolved) {
        claim(real, directory);
        keys.push(real);
      }
      const lockPath = path.join(real, LOCK_FILE);
      const tookOverFrom = await createLockFile(lockPath, directory);
      return new DirectoryLock(lockPath, keys, tookOverFrom);
    } catch (error) {
      for (const key of keys) openHere.delete(key);
      throw error;
    }
  }

  /** Delete the lock file if it is still ours. Idempotent. */
  async release(): Promise<void> {
    if (this.#released) return;
    this.#released = true;
    try {
      const holder = await readLock(this.path);
      if (holder === undefined || holder.pid === process.pid) await unlink(this.path);
    } catch (error) {
      if (errorCode(error) !== 'ENOENT') throw error;
    } finally {
      for (const key of this.#keys) openHere.delete(key);
    }
  }
}

function claim(key: string, directory: string): void {
  if (openHere.has(key)) {
    throw new StoreOpenError('locked', `the data directory ${directory} is already open in this process; close that store first or use another --location`);
  }
  openHere.add(key);
}

async function createLockFile(lockPath: string, directory: string): Promise<LockInfo | undefined> {
  const info: LockInfo = { pid: process.pid, startedAt: new Date().toISOString(), hostname: os.hostname() };
  let tookOverFrom: LockInfo | undefined;
  // Normally once, or twice after removing a stale lock; more only when racing another process.
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      await writeFile(lockPath, `${JSON.stringify(info)}\n`, { flag: 'wx' });
      return tookOverFrom;
    } catch (error) {
      if (errorCode(error) !== 'EEXIST') {
        throw new StoreOpenError('io', `cannot create the lock file ${lockPath}: ${describeError(error)}`);
      }
    }
    const holderText = await readFile(lockPath, 'utf8').catch(() => undefined);
    if (holderText === undefined) continue; // deleted meanwhile: try again
    const holder = parseLock(holderText);
    if (holder === undefined) {
      if (await isFresh(lockPath)) throw lockedBy(directory, 'unknown: its lock file is being written');
    } else if (holder.pid !== process.pid && isAlive(holder.pid)) {
      throw lockedBy(directory, String(holder.pid));
    }
    // Stale. Re-read right before deleting: another process may have just replaced it.
    const again = await readFile(lockPath, 'utf8').catch(() => undefined);
    if (again !== holderText) continue;
    await unlink(lockPath).catch((error: unknown) => {
      if (errorCode(error) !== 'ENOENT') throw new StoreOpenError('io', `cannot remove the stale lock file ${lockPath}: ${describeError(error)}`);
    });
    tookOverFrom = holder;
  }
  const holder = await readLock(lockPath).catch(() => undefined);
  throw lockedBy(directory, holder === undefined ? 'unknown' : String(holder.pid));
}

function lockedBy(directory: string, pid: string): StoreOpenError {
  return new StoreOpenError('locked', `the data directory ${directory} is in use by another ams-emulator (pid ${pid}); stop it or use another --location`);
}

async function readLock(lockPath: string): Promise<LockInfo | undefined> {
  return parseLock(await readFile(lockPath, 'utf8'));
}

function parseLock(text: string): LockInfo | undefined {
  try {
    const parsed: unknown = JSON.parse(text);
    if (typeof parsed !== 'object' || parsed === null) return undefined;
    const { pid, startedAt, hostname } = parsed as Record<string, unknown>;
    if (typeof pid !== 'number' || !Number.isSafeInteger(pid) || pid <= 0) return undefined;
    return { pid, startedAt: String(startedAt), hostname: String(hostname) };
  } catch {
    return undefined;
  }
}

async function isFresh(lockPath: string): Promise<boolean> {
  try {
    return Date.now() - (await stat(lockPath)).mtimeMs < FRESH_LOCK_MS;
  } catch {
    return false;
  }
}

/** Signal 0 checks existence only; EPERM means it exists but belongs to someone else. */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return errorCode(error) === 'EPERM';
  }
}
