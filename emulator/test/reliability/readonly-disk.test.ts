import { rmSync, symlinkSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_LIMITS } from '../../src/config.js';
import { entityPath, startTestEmulator, type TestEmulator } from '../../../test/support/emulator.js';
import { startTestAzurite, type TestAzurite } from '../../../test/support/azurite.js';
import { createAsset, errorMessage } from '../helpers/api-fixtures.js';
import { canFreezeDirectories, freezeDirectory, thawDirectory } from '../helpers/store-readonly.js';

/**
 * The data directory becomes read-only while the emulator runs (issue 13, item 7). A write is
 * answered 503 with Retry-After and a message naming the directory, never a 500 "bug"; reads go
 * on; health says the store is not writable; once the directory is writable again the emulator
 * accepts writes without a restart, and a restart finds every acknowledged write.
 */

let root: string;
let location: string;
let azurite: TestAzurite;
let emu: TestEmulator;

const start = () => startTestEmulator({ location, storageConnectionString: azurite.connectionString, limits: { ...DEFAULT_LIMITS, storeRetryMs: 0 } });

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'ams-readonly-disk-'));
  location = join(root, 'emulator');
  azurite = await startTestAzurite();
  emu = await start();
}, 120_000);

afterAll(async () => {
  await emu?.close();
  await azurite?.stop();
  await rm(root, { recursive: true, force: true });
});

describe.runIf(canFreezeDirectories())('data directory made read-only mid-run', () => {
  it('answers writes 503 with Retry-After naming the directory, reports it in health, and recovers on its own', async () => {
    const kept = await createAsset(emu, { Name: 'before' });
    freezeDirectory(location);
    try {
      const refused = await emu.ams('POST', 'Assets', { body: { Name: 'while-read-only' } });
      expect(refused.status).toBe(503);
      expect(refused.headers.get('retry-after')).toMatch(/^[1-9][0-9]*$/);
      expect(errorMessage(refused.body)).toContain(location);
      expect(errorMessage(refused.body)).not.toMatch(/this is a bug/);
      // A MERGE too, and the acknowledged state still reads.
      const merge = await emu.ams('MERGE', entityPath('Assets', kept['Id']), { body: { Name: 'renamed' } });
      expect(merge.status).toBe(503);
      const read = await emu.ams('GET', entityPath('Assets', kept['Id']));
      expect([read.status, read.body['Name']]).toEqual([200, 'before']);
      const health = await emu.admin('GET', 'health');
      expect(health.status).toBe(503);
      expect(health.body).toMatchObject({ status: 'unhealthy', store: 'not writable', location });
      expect(String(health.body['message'])).toContain(location);
    } finally {
      thawDirectory(location);
    }
    const health = await emu.admin('GET', 'health');
    expect([health.status, health.body['status']]).toEqual([200, 'healthy']);
    const after = await createAsset(emu, { Name: 'after' });

    await emu.close();
    emu = await start();
    const names = (await emu.ams('GET', 'Assets')).body['value'].map((a: { Name: string }) => a.Name).sort();
    expect(names).toEqual(['after', 'before']);
    expect((await emu.ams('GET', entityPath('Assets', after['Id']))).status).toBe(200);
  }, 120_000);

  it('reports a final snapshot that cannot be written at close (the CLI then exits 1, not a silent 0)', async () => {
    const other = join(root, 'final-snapshot');
    const closing = await startTestEmulator({ location: other, storageConnectionString: azurite.connectionString });
    await createAsset(closing, { Name: 'kept in the journal' });
    symlinkSync('/dev/full', join(other, '.state.json.tmp'));
    await expect(closing.close()).rejects.toThrow(/could not write the final snapshot .*ENOSPC.*journal is kept/);
    rmSync(join(other, '.state.json.tmp'));
    const reopened = await startTestEmulator({ location: other, storageConnectionString: azurite.connectionString });
    expect((await reopened.ams('GET', 'Assets/$count')).text).toBe('1');
    await reopened.close();
  }, 120_000);
});
