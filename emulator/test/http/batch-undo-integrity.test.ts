import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { entityPath, startTestEmulator, type TestEmulator } from '../../../test/support/emulator.js';
import { startTestAzurite, type TestAzurite } from '../../../test/support/azurite.js';
import { batchBody, readBatchResponse, type PartResponse } from '../../../client/src/rest/batch-wire.js';
import { createAsset, createFile, createPolicy, createSasLocator, encryptedAsset, protectionKey, streamInTheClear } from '../helpers/api-fixtures.js';
import { STORAGE_DECRYPTION, taskBody } from '../helpers/jobs-fixtures.js';
import { readState, referenceProblems } from '../helpers/fuzz-consistency.js';

/**
 * Issue 13, item 3: a failed changeset's undo must not resurrect the children of an asset the same
 * changeset deleted for good (its container is gone, so the asset cannot come back). Afterwards the
 * asset and its file, key link or locator either all exist or none does, with no dangling
 * reference, also after a restart; and the response says what was not undone.
 */

const BOUNDARY = 'batch_5f0c1f1e-6f3b-4a55-9a53-3c1b0c2a7d10';
const JSON_HEADERS = { 'Content-Type': 'application/json', Accept: 'application/json' };

let root: string;
let azurite: TestAzurite;
let emu: TestEmulator;
const start = () => startTestEmulator({ location: join(root, 'emulator'), storageConnectionString: azurite.connectionString });

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'ams-batch-undo-'));
  azurite = await startTestAzurite();
  emu = await start();
}, 60_000);
afterAll(async () => {
  await emu?.close();
  await azurite?.stop();
  await rm(root, { recursive: true, force: true });
});

/** `DELETE <child>`, `DELETE Assets(A)`, then a create the service refuses, as one changeset. */
async function failingChangeset(childPath: string, assetId: string): Promise<PartResponse[]> {
  const res = await emu.ams('POST', '$batch', {
    body: batchBody(BOUNDARY, [
      {
        changeset: [
          { method: 'DELETE', url: childPath },
          { method: 'DELETE', url: entityPath('Assets', assetId) },
          { method: 'POST', url: 'Assets', headers: JSON_HEADERS, body: JSON.stringify({ Bogus: 1 }) },
        ],
      },
    ]),
    headers: { 'Content-Type': `multipart/mixed; boundary=${BOUNDARY}`, Accept: 'multipart/mixed' },
  });
  expect(res.status, res.text).toBe(202);
  const [item] = readBatchResponse(res.headers.get('content-type'), res.text);
  if (!item || !('changeset' in item)) throw new Error('expected a changeset');
  return item.changeset;
}

async function expectConsistent(paths: string[]): Promise<void> {
  expect(referenceProblems(await readState(emu.baseUrl))).toEqual([]);
  // The asset was deleted for good, so nothing that belonged to it may be left.
  for (const path of paths) expect((await emu.ams('GET', path)).status, path).toBe(404);
}

describe('a failed changeset that deleted an asset for good', () => {
  it('does not bring back its file, its content key link or its origin locator; the policy stays deletable; a restart agrees', async () => {
    const protection = await protectionKey(emu);

    const withFile = await encryptedAsset(emu, protection);
    const assetF = String(withFile.asset['Id']);
    const file = await createFile(emu, { Name: 'movie.mp4', ParentAssetId: assetF });
    const fileAnswer = await failingChangeset(entityPath('Files', String(file['Id'])), assetF);
    expect(fileAnswer).toHaveLength(1);
    expect(fileAnswer[0]!.status).toBe(400);
    expect(fileAnswer[0]!.headers['x-ms-emulator-undo']).toMatch(/^incomplete: DELETE Files\('.*'\) not undone: its asset '.*' no longer exists/);

    const withKey = await encryptedAsset(emu, protection);
    const assetK = String(withKey.asset['Id']);
    await failingChangeset(entityPath('ContentKeys', withKey.key.id), assetK);

    const withLocator = await encryptedAsset(emu, protection);
    const assetL = String(withLocator.asset['Id']);
    await createFile(emu, { Name: 'served.mp4', ParentAssetId: assetL });
    const policy = await createPolicy(emu, 1);
    await streamInTheClear(emu, assetL);
    const locator = await createSasLocator(emu, assetL, String(policy['Id']), { Type: 2 });
    await failingChangeset(entityPath('Locators', String(locator['Id'])), assetL);

    const gone = [
      entityPath('Assets', assetF),
      entityPath('Files', String(file['Id'])),
      entityPath('Assets', assetK),
      entityPath('ContentKeys', withKey.key.id),
      entityPath('Assets', assetL),
      entityPath('Locators', String(locator['Id'])),
    ];
    await expectConsistent(gone);
    expect((await emu.ams('DELETE', entityPath('AccessPolicies', String(policy['Id'])))).status).toBe(204);

    await emu.close();
    emu = await start();
    await expectConsistent(gone);
  }, 120_000);

  it('undoes a job it created even once the job is under way: canceled, then deleted, with nothing to report', async () => {
    await expectJobUndone(emu);
  }, 60_000);

  it('undoes a job it created under --job-progression polls:N too, where CancelJob holds a job Canceling until polled', async () => {
    const polled = await startTestEmulator({ jobProgression: { mode: 'polls', pollsPerState: 3 } });
    try {
      await expectJobUndone(polled);
    } finally {
      await polled.close();
    }
  }, 60_000);
});

/** A changeset that creates a job and then fails: the job is canceled and deleted, and the undo says nothing. */
async function expectJobUndone(emu: TestEmulator): Promise<void> {
  const input = await createAsset(emu, { Name: 'job input' });
  const job = {
    Name: 'undone',
    'InputMediaAssets@odata.bind': [`${emu.url}Assets('${encodeURIComponent(String(input['Id']))}')`],
    Tasks: [{ MediaProcessorId: STORAGE_DECRYPTION, TaskBody: taskBody() }],
  };
  const res = await emu.ams('POST', '$batch', {
    body: batchBody(BOUNDARY, [
      {
        changeset: [
          { method: 'POST', url: 'Jobs', headers: JSON_HEADERS, body: JSON.stringify(job) },
          { method: 'POST', url: 'Assets', headers: JSON_HEADERS, body: JSON.stringify({ Bogus: 1 }) },
        ],
      },
    ]),
    headers: { 'Content-Type': `multipart/mixed; boundary=${BOUNDARY}`, Accept: 'multipart/mixed' },
  });
  const [item] = readBatchResponse(res.headers.get('content-type'), res.text);
  if (!item || !('changeset' in item)) throw new Error('expected a changeset');
  expect(item.changeset.map((part) => part.status)).toEqual([400]);
  expect(item.changeset[0]!.headers['x-ms-emulator-undo']).toBeUndefined();
  expect((await emu.ams('GET', 'Jobs/$count')).text).toBe('0');
  expect((await emu.ams('GET', 'Tasks/$count')).text).toBe('0');
}
