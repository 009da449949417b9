import { QueueServiceClient } from '@azure/storage-queue';
import { afterAll, beforeAll, beforeEach } from 'vitest';
import { startTestEmulator, type TestEmulator } from '../../../test/support/emulator.js';

/** An emulator for a test file, and a client of its embedded Azurite's queue service, as a consumer reads notifications. */
export interface QueueEmulator {
  readonly emu: TestEmulator;
  readonly queues: QueueServiceClient;
}

/** Starts one emulator for the file (reset before each test, closed after all); read its fields inside tests only. */
export function useQueueEmulator(): QueueEmulator {
  let started: { emu: TestEmulator; queues: QueueServiceClient } | undefined;
  const get = () => {
    if (!started) throw new Error('the emulator starts in beforeAll: read it inside a test or hook');
    return started;
  };
  beforeAll(async () => {
    const emu = await startTestEmulator();
    started = { emu, queues: QueueServiceClient.fromConnectionString(emu.emulator.storage.connectionString) };
  });
  afterAll(() => started?.emu.close());
  beforeEach(() => get().emu.reset());
  return {
    get emu() {
      return get().emu;
    },
    get queues() {
      return get().queues;
    },
  };
}
