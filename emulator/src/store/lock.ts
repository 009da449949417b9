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
/** Next to the lock while one process replaces a stale lock: see `takeOver`. */
export const TAKEOVER_SUFFIX = '.takeover';
/** How long an open waits for another process's takeover of a stale lock to settle. */
const TAKEOVER_WAIT_MS = 2_000;
const TAKEOVER_RETRY_MS = 5;

/**
 * `DIR/ams-emulator.lock`, held while a store has the directory open. A lock whose pid is dead
 * (a `kill -9` left it behind) is taken over; one whose pid is this process but which no store of
 * this process holds is also stale (a container restarted under the same pid, typically pid 1).
 * Only the pid is checked: a directory shared between hosts is not supported. A takeover is
 * serialised by an O_EXCL sidecar file, so of several processes taking over one stale lock at
 * once exactly one ends up holding it.
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
  const ours = `${JSON.stringify(info)}\n`;
  const deadline = Date.now() + TAKEOVER_WAIT_MS;
  // Normally once, or twice after taking over a stale lock; more only while racing other processes.
  for (;;) {
    if (await createExclusive(lockPath, ours)) return undefined;
    const holderText = await readFile(lockPath, 'utf8').catch(() => undefined);
    if (holderText !== undefined) {
      const holder = parseLock(holderText);
      if (holder === undefined) {
        if (await isFresh(lockPath)) throw lockedBy(directory, 'unknown: its lock file is being written');
      } else if (holder.pid !== process.pid && isAlive(holder.pid)) {
        throw lockedBy(directory, String(holder.pid));
      }
      if (await takeOver(lockPath, holderText, ours)) {
        await verifyOwnership(lockPath, ours, directory);
        return holder;
      }
    }
    if (Date.now() > deadline) {
      const current = await readLock(lockPath).catch(() => undefined);
      throw lockedBy(directory, current === undefined ? 'unknown' : String(current.pid));
    }
    await new Promise((resolve) => setTimeout(resolve, TAKEOVER_RETRY_MS));
  }
}

/** Create `file` holding `text` unless it exists (O_EXCL): true when this call created it. */
async function createExclusive(file: string, text: string): Promise<boolean> {
  try {
    await writeFile(file, text, { flag: 'wx' });
    return true;
  } catch (error) {
    if (errorCode(error) === 'EEXIST') return false;
    throw new StoreOpenError('io', `cannot create the lock file ${file}: ${describeError(error)}`);
  }
}

/**
 * Replace the stale lock whose content was `staleText` by ours. "Read, compare, delete" is not
 * atomic: a second process that read the same stale lock could delete the lock a first one just
 * created, and both would hold the directory. So only the process that creates the takeover
 * sidecar (O_EXCL: exactly one can) may delete the lock; the others wait and look again, and then
 * find the new holder alive. False when someone else got there first.
 */
async function takeOver(lockPath: string, staleText: string, ours: string): Promise<boolean> {
  const sidecar = `${lockPath}${TAKEOVER_SUFFIX}`;
  if (!(await createExclusive(sidecar, ours))) {
    await removeStaleSidecar(sidecar);
    return false;
  }
  try {
    const again = await readFile(lockPath, 'utf8').catch(() => undefined);
    if (again !== staleText) return false; // replaced or removed meanwhile: look again
    await unlink(lockPath).catch((error: unknown) => {
      if (errorCode(error) !== 'ENOENT') throw new StoreOpenError('io', `cannot remove the stale lock file ${lockPath}: ${describeError(error)}`);
    });
    // A newcomer that found no lock at all may have created one since: then it holds the directory.
    return await createExclusive(lockPath, ours);
  } finally {
    await unlink(sidecar).catch(() => undefined);
  }
}

/**
 * A sidecar whose writer is dead (killed mid-takeover) would block every takeover: remove it. Only
 * a double fault (a taker killed within its few milliseconds of takeover, then two processes
 * racing to recover) can still get past this; `verifyOwnership` catches what it can of that.
 */
async function removeStaleSidecar(sidecar: string): Promise<void> {
  const text = await readFile(sidecar, 'utf8').catch(() => undefined);
  if (text === undefined) return;
  const taker = parseLock(text);
  const stale = taker === undefined ? !(await isFresh(sidecar)) : taker.pid === process.pid || !isAlive(taker.pid);
  if (!stale) return;
  if ((await readFile(sidecar, 'utf8').catch(() => undefined)) === text) await unlink(sidecar).catch(() => undefined);
}

/** The lock file must still be the one this process wrote; otherwise another process holds it. */
async function verifyOwnership(lockPath: string, ours: string, directory: string): Promise<void> {
  const now = await readFile(lockPath, 'utf8').catch(() => undefined);
  if (now === ours) return;
  const holder = now === undefined ? undefined : parseLock(now);
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
