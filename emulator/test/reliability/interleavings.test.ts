import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BlobServiceClient } from '@azure/storage-blob';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startTestAzurite, type TestAzurite } from '../../../test/support/azurite.js';
import { ensureBuilt } from '../../../test/support/build.js';
import { entityPath, type JsonBody } from '../../../test/support/emulator.js';
import { encryptedFileBody, type ProtectionKey } from '../helpers/api-fixtures.js';
import { consistencyProblems, fetchState } from '../helpers/reliability-consistency.js';
import { encryptedAsset, protectionKeyOf } from '../helpers/reliability-entities.js';
import { startEmulatorProcess, type EmulatorProcess } from '../helpers/reliability-process.js';
import { startStorageGate, type HoldPhase, type StorageGate, type StorageRequest } from '../helpers/reliability-storage-gate.js';

/**
 * Where a request awaits storage (a SAS locator's stored policy, CreateFileInfos' listing, an asset
 * delete's container delete, --strict's read-back of the upload), another request may change what
 * it read before the await. Each case holds that storage call at a proxy, runs the conflicting
 * request to its end inside the window, then lets the first one finish: the outcome must be one a
 * serial order of the two could give, and nothing may dangle. Random races rarely hit these
 * windows (the request without a body is parsed first); holding the call hits them every time.
 */

const dirs: string[] = [];
const running: EmulatorProcess[] = [];
let azurite: TestAzurite;
let gate: StorageGate;

beforeAll(async () => {
  // A build of dist/ (when a source changed) can take a minute on a busy machine.
  await ensureBuilt();
  azurite = await startTestAzurite();
  gate = await startStorageGate(azurite.url);
}, 300_000);

afterAll(async () => {
  for (const emulator of running.splice(0)) await emulator.kill9();
  for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true });
  await gate?.close();
  await azurite?.stop();
});

async function start(strict: boolean): Promise<EmulatorProcess> {
  const location = await mkdtemp(join(tmpdir(), 'ams-reliability-interleavings-'));
  dirs.push(location);
  const emulator = await startEmulatorProcess({ location, strict, storageConnectionString: gate.connectionString });
  running.push(emulator);
  return emulator;
}

describe('a conflicting request inside a storage await', () => {
  let compat: EmulatorProcess;
  let strict: EmulatorProcess;
  const protections = new Map<EmulatorProcess, ProtectionKey>();
  const containerOf = (asset: JsonBody) => String(asset.Uri).split('/').pop()!;
  const acl = (asset: JsonBody) => (r: StorageRequest) => r.method === 'GET' && r.url.includes(`/${containerOf(asset)}?`) && r.url.includes('comp=acl');
  const headBlob = (asset: JsonBody, name: string) => (r: StorageRequest) => r.method === 'HEAD' && r.url.includes(`/${containerOf(asset)}/${name}`);

  beforeAll(async () => {
    compat = await start(false);
    strict = await start(true);
    for (const emulator of [compat, strict]) protections.set(emulator, await protectionKeyOf(emulator.ams));
  }, 120_000);

  // Each case checks the whole state: start each from an empty one, so a failure stays in its case.
  beforeEach(async () => {
    for (const emulator of [compat, strict]) expect((await fetch(`${emulator.baseUrl}_emulator/reset`, { method: 'POST', headers: { 'X-AMS-Emulator': '1' } })).status).toBe(200);
  });

  /** Start `first`, wait until it holds at the matching storage call, run `second` to the end, then let `first` finish. */
  async function inside<A, B>(matches: (r: StorageRequest) => boolean, first: () => Promise<A>, second: () => Promise<B>, phase: HoldPhase = 'request'): Promise<[A, B]> {
    const held = gate.holdNext(matches, phase);
    try {
      const started = first();
      // A request that never reaches its storage call would leave the window closed: say so.
      let reached = false;
      const finishedFirst = started.then((res) => {
        if (!reached) throw new Error(`the first request finished without the storage call: ${JSON.stringify(res).slice(0, 300)}`);
      });
      finishedFirst.catch(() => undefined);
      await Promise.race([held.reached.then(() => (reached = true)), finishedFirst]);
      const done = await second();
      held.release();
      return [await started, done];
    } finally {
      held.release();
    }
  }

  async function newAsset(emulator: EmulatorProcess): Promise<{ asset: JsonBody; keyId: string }> {
    const { assetId, keyId } = await encryptedAsset(emulator.ams, emulator.url, protections.get(emulator)!, 'window');
    const asset = await emulator.ams('GET', entityPath('Assets', assetId));
    return { asset: asset.body, keyId };
  }

  async function newPolicy(emulator: EmulatorProcess): Promise<string> {
    const policy = await emulator.ams('POST', 'AccessPolicies', { body: { Name: 'window', DurationInMinutes: 60, Permissions: 2 } });
    expect(policy.status, policy.text).toBe(201);
    return String(policy.body.Id);
  }

  function expectRefused(res: { status: number; text: string }): void {
    expect(res.status, res.text).toBeGreaterThanOrEqual(400);
    expect(res.status, res.text).toBeLessThan(500);
  }

  /** Either order of the two is a correct outcome; a 5xx is not. */
  function expectAnswered(res: { status: number; text: string }): void {
    expect(res.status, res.text).toBeLessThan(500);
  }

  it('a SAS locator whose access policy is deleted while its SAS is made is refused, not stored dangling', async () => {
    const { asset } = await newAsset(compat);
    const policyId = await newPolicy(compat);
    const [locator, deleted] = await inside(
      acl(asset),
      () => compat.ams('POST', 'Locators', { body: { AssetId: asset.Id, AccessPolicyId: policyId, Type: 1 } }),
      () => compat.ams('DELETE', entityPath('AccessPolicies', policyId)),
    );
    expect(deleted.status, deleted.text).toBe(204);
    expectRefused(locator);
    expect(consistencyProblems(await fetchState(compat.baseUrl))).toEqual([]);
  });

  it('a SAS locator whose asset is deleted while its SAS is made is not stored dangling', async () => {
    const { asset } = await newAsset(compat);
    const policyId = await newPolicy(compat);
    const [locator, deleted] = await inside(
      acl(asset),
      () => compat.ams('POST', 'Locators', { body: { AssetId: asset.Id, AccessPolicyId: policyId, Type: 1 } }),
      () => compat.ams('DELETE', entityPath('Assets', String(asset.Id))),
    );
    expect(deleted.status, deleted.text).toBe(204);
    expectAnswered(locator);
    expect(consistencyProblems(await fetchState(compat.baseUrl))).toEqual([]);
  });

  it('CreateFileInfos whose asset is deleted after the container was listed stores no file without its asset', async () => {
    const { asset } = await newAsset(compat);
    await BlobServiceClient.fromConnectionString(azurite.connectionString).getContainerClient(containerOf(asset)).uploadBlockBlob('upload.bin', 'bytes', 5);
    const [infos, deleted] = await inside(
      (r) => r.method === 'GET' && r.url.includes(`/${containerOf(asset)}?`) && r.url.includes('comp=list'),
      () => compat.ams('GET', `CreateFileInfos?assetid='${encodeURIComponent(String(asset.Id))}'`),
      () => compat.ams('DELETE', entityPath('Assets', String(asset.Id))),
      'response',
    );
    expect(deleted.status, deleted.text).toBe(204);
    expectAnswered(infos);
    expect(consistencyProblems(await fetchState(compat.baseUrl))).toEqual([]);
  });

  it('a file created while its asset is being deleted goes with the asset', async () => {
    const { asset, keyId } = await newAsset(compat);
    const [deleted, file] = await inside(
      (r) => r.method === 'DELETE' && r.url.includes(`/${containerOf(asset)}?`),
      () => compat.ams('DELETE', entityPath('Assets', String(asset.Id))),
      () => compat.ams('POST', 'Files', { body: encryptedFileBody(String(asset.Id), keyId, 'late.mp4') }),
    );
    expect(file.status, file.text).toBe(201);
    expect(deleted.status, deleted.text).toBe(204);
    expect(consistencyProblems(await fetchState(compat.baseUrl))).toEqual([]);
  });

  it('--strict: a file whose asset is deleted during its read-back is refused', async () => {
    const { asset, keyId } = await newAsset(strict);
    const [file, deleted] = await inside(
      headBlob(asset, 'late.mp4'),
      () => strict.ams('POST', 'Files', { body: encryptedFileBody(String(asset.Id), keyId, 'late.mp4') }),
      () => strict.ams('DELETE', entityPath('Assets', String(asset.Id))),
    );
    expect(deleted.status, deleted.text).toBe(204);
    expectRefused(file);
    expect(consistencyProblems(await fetchState(strict.baseUrl))).toEqual([]);
  });

  it('--strict: a MERGE that lands while another MERGE of the file is verified is kept', async () => {
    const { asset, keyId } = await newAsset(strict);
    const created = await strict.ams('POST', 'Files', { body: encryptedFileBody(String(asset.Id), keyId, 'merged.mp4') });
    expect(created.status, created.text).toBe(201);
    const path = entityPath('Files', String(created.body.Id));
    const [first, second] = await inside(
      headBlob(asset, 'merged.mp4'),
      () => strict.ams('MERGE', path, { body: { MimeType: 'video/x-first' } }),
      () => strict.ams('MERGE', path, { body: { ContentChecksum: 'second' } }),
    );
    expect([first.status, second.status]).toEqual([204, 204]);
    expect((await strict.ams('GET', path)).body).toMatchObject({ MimeType: 'video/x-first', ContentChecksum: 'second' });
  });

  it('--strict: a MERGE of a file deleted while it is verified does not bring the file back', async () => {
    const { asset, keyId } = await newAsset(strict);
    const created = await strict.ams('POST', 'Files', { body: encryptedFileBody(String(asset.Id), keyId, 'gone.mp4') });
    expect(created.status, created.text).toBe(201);
    const path = entityPath('Files', String(created.body.Id));
    const [merged, deleted] = await inside(
      headBlob(asset, 'gone.mp4'),
      () => strict.ams('MERGE', path, { body: { MimeType: 'video/x-late' } }),
      () => strict.ams('DELETE', path),
    );
    expect(deleted.status, deleted.text).toBe(204);
    expectRefused(merged);
    expect((await strict.ams('GET', path)).status).toBe(404);
  });
});
