import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'vitest';
import { openStore, StoreOpenError, type StoreOptions } from '../../src/store/index.js';

/** Temp directories for store tests, removed by `cleanup()` (call it in afterEach/afterAll). */
export function tempDirs(): { make(): string; cleanup(): void } {
  const made: string[] = [];
  return {
    make() {
      const dir = mkdtempSync(path.join(os.tmpdir(), 'ams-store-test-'));
      made.push(dir);
      return dir;
    },
    cleanup() {
      for (const dir of made.splice(0)) rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Open a store that must refuse to open, and return the refusal (a store that did open is closed). */
export async function openRefusal(options: StoreOptions): Promise<StoreOpenError> {
  const error: unknown = await openStore(options).then(
    async (store) => {
      await store.close();
      return undefined;
    },
    (thrown: unknown) => thrown,
  );
  expect(error).toBeInstanceOf(StoreOpenError);
  return error as StoreOpenError;
}
