import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
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
