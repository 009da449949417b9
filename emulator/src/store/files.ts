import { writeSync } from 'node:fs';
import { open, readdir, type FileHandle } from 'node:fs/promises';
import path from 'node:path';

export const SNAPSHOT_FILE = 'state.json';
export const LOCK_FILE = 'ams-emulator.lock';
const JOURNAL_NAME = /^journal-(0|[1-9][0-9]{0,14})\.jsonl$/;

export function journalFileName(generation: number): string {
  return `journal-${generation}.jsonl`;
}

/** The generation of a journal file name, or undefined for any other file in the directory. */
export function journalGeneration(fileName: string): number | undefined {
  const match = JOURNAL_NAME.exec(fileName);
  return match === null ? undefined : Number(match[1]);
}

/** Generations of the journal files in the directory, ascending. */
export async function listJournals(directory: string): Promise<number[]> {
  return (await readdir(directory))
    .map(journalGeneration)
    .filter((generation): generation is number => generation !== undefined)
    .sort((a, b) => a - b);
}

/** A short description of an I/O error for one-line messages: `ENOSPC: no space left on device`. */
export function describeError(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

export function errorCode(error: unknown): string | undefined {
  return typeof error === 'object' && error !== null && 'code' in error ? String(error.code) : undefined;
}

/** `FileHandle.write` may write less than asked (a nearly full disk); loop until all is out. */
export async function writeAll(handle: FileHandle, buffer: Buffer): Promise<void> {
  let offset = 0;
  while (offset < buffer.length) {
    const { bytesWritten } = await handle.write(buffer, offset, buffer.length - offset);
    if (bytesWritten === 0) throw new Error('the file system accepted no bytes');
    offset += bytesWritten;
  }
}

/** `writeAll` done on the calling thread, for small appends where a trip to the thread pool costs more than the write. */
export function writeAllSync(fd: number, buffer: Buffer): void {
  let offset = 0;
  while (offset < buffer.length) {
    const bytesWritten = writeSync(fd, buffer, offset, buffer.length - offset);
    if (bytesWritten === 0) throw new Error('the file system accepted no bytes');
    offset += bytesWritten;
  }
}

/** Make a directory entry (a new or renamed file) survive power loss; POSIX only. */
export async function syncDirectory(directory: string): Promise<void> {
  if (process.platform === 'win32') return;
  const handle = await open(directory, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

export function inDirectory(directory: string, fileName: string): string {
  return path.join(directory, fileName);
}
