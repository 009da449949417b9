import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ContainerClient } from '@azure/storage-blob';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatIv, randomIv } from '../../../client/src/crypto/index.js';
import { AssetFile } from '../../src/odata/edm.js';
import { canonicalId } from '../../src/odata/uri.js';
import { COLLECTIONS } from '../../src/model/collections.js';
import { openStore } from '../../src/store/index.js';
import { MODEL_SCHEMA } from '../../src/model/schema.js';
import { startTestAzurite } from '../../../test/support/azurite.js';
import { entityPath, quoted, type JsonBody, type TestEmulator, startTestEmulator } from '../../../test/support/emulator.js';
import { createAsset, createFile, createPolicy, createSasLocator, encryptedAsset, errorMessage, protectionKey, streamInTheClear } from '../helpers/api-fixtures.js';
import { namesWithPathSegments } from '../helpers/fuzz-values.js';
import { downloadAsset, getJob, jobIdOf, postJob, sample, uploadEncryptedAsset, type UploadedAsset } from '../helpers/jobs-fixtures.js';

/**
 * A file name is a blob name in its asset's container: names that walk out of it
 * (`../asset-<other>/x`) must never be stored, served or written, over real HTTP and real Azurite.
 * The attacks are the ones an adversarial run found: an origin locator serving another asset's
 * clear bytes, and a Storage Decryption job writing over another asset's blob.
 */

let emu: TestEmulator;
let victim: UploadedAsset;
let victimContainer: string;
const SECRET = 'secret.bin';

beforeAll(async () => {
  emu = await startTestEmulator();
  victim = await uploadEncryptedAsset(emu, [{ name: SECRET, data: sample(4096), clear: true }]);
  const asset = await emu.ams('GET', entityPath('Assets', victim.assetId));
  victimContainer = new URL(String(asset.body.Uri)).pathname.split('/').pop()!;
});
afterAll(() => emu.close());

/** Ways to spell "the victim's secret" relative to another asset's container. */
function escapingNames(): string[] {
  const target = `${victimContainer}/${SECRET}`;
  return [
    `../${target}`,
    `a/../../${target}`,
    `..\\${victimContainer}\\${SECRET}`,
    `%2e%2e/${target}`,
    `%2E%2E%2F${victimContainer}%2F${SECRET}`,
    `%252e%252e/${target}`,
    `./../${target}`,
  ];
}

async function victimBytesUnchanged(): Promise<void> {
  const files = await downloadAsset(emu, victim.assetId);
  expect(files.get(SECRET)?.equals(victim.files[0]!.data), 'the victim blob is untouched').toBe(true);
}

function clearFileBody(assetId: string, name: string): JsonBody {
  return { Name: name, ParentAssetId: assetId, IsEncrypted: false };
}

describe('names that leave the container are refused with a 400 that says why', () => {
  it('POST Files', async () => {
    const attacker = await createAsset(emu, { Name: 'attacker', Options: 0 });
    for (const name of escapingNames()) {
      const res = await emu.ams('POST', 'Files', { body: clearFileBody(String(attacker.Id), name) });
      expect(res.status, `${name}: ${res.text}`).toBe(400);
      expect(errorMessage(res.body)).toMatch(/outside the asset's container|backslash|starts with '\/'/);
    }
    const files = await emu.ams('GET', `${entityPath('Assets', String(attacker.Id))}/Files`);
    expect(files.body.value).toEqual([]);
  });

  it('MERGE of a file Name', async () => {
    const attacker = await createAsset(emu, { Name: 'attacker', Options: 0 });
    const file = await createFile(emu, clearFileBody(String(attacker.Id), 'innocent.bin'));
    for (const name of escapingNames()) {
      const res = await emu.ams('MERGE', entityPath('Files', String(file.Id)), { body: { Name: name } });
      expect(res.status, `${name}: ${res.text}`).toBe(400);
    }
    expect((await emu.ams('GET', entityPath('Files', String(file.Id)))).body.Name).toBe('innocent.bin');
  });

  it('generated names with dot segments, in any spelling, never become a file', async () => {
    const attacker = await createAsset(emu, { Name: 'attacker', Options: 0 });
    await fc.assert(
      fc.asyncProperty(namesWithPathSegments([victimContainer, SECRET]), async ({ name, escapes }) => {
        const res = await emu.ams('POST', 'Files', { body: clearFileBody(String(attacker.Id), name) });
        if (escapes) expect(res.status, `${name}: ${res.text}`).toBe(400);
        else if (res.status === 201) await emu.ams('DELETE', entityPath('Files', String(res.body.Id)));
        else expect(res.status, `${name}: ${res.text}`).toBe(400);
      }),
      { numRuns: 80 },
    );
    await victimBytesUnchanged();
  });

  it('legitimate names keep working: spaces, Unicode, folders, dots inside a segment', async () => {
    const asset = await createAsset(emu, { Name: 'plain', Options: 0 });
    for (const name of ['clip with spaces é.mp4', '日本語/ファイル.ts', 'a/b/c.bin', 'a..b.mp4', '.hidden', 'v1.0/..x', '100%.bin']) {
      const res = await emu.ams('POST', 'Files', { body: clearFileBody(String(asset.Id), name) });
      expect(res.status, `${name}: ${res.text}`).toBe(201);
    }
  });
});

describe('the attacks', () => {
  it("an origin locator cannot serve another asset's blob", async () => {
    const attacker = await createAsset(emu, { Name: 'attacker', Options: 0 });
    const name = `../${victimContainer}/${SECRET}`;
    const posted = await emu.ams('POST', 'Files', { body: clearFileBody(String(attacker.Id), name) });
    const policy = await createPolicy(emu, 1);
    const locator = await emu.ams('POST', 'Locators', { body: { AssetId: attacker.Id, AccessPolicyId: policy.Id, Type: 2 } });
    expect(locator.status, locator.text).toBe(201);
    for (const path of [encodeURIComponent(name), `..%2F${victimContainer}%2F${SECRET}`, `%2e%2e%2F${victimContainer}%2F${SECRET}`]) {
      const res = await fetch(`${locator.body.Path}${path}`);
      const body = Buffer.from(await res.arrayBuffer());
      expect(body.includes(victim.files[0]!.data.subarray(0, 64)), `${path} serves the victim's bytes`).toBe(false);
      expect(res.status, path).toBe(400);
      expect(JSON.parse(body.toString()).error.message).toContain("outside the asset's container");
    }
    expect(posted.status, posted.text).toBe(400);
  });

  it("a Storage Decryption job cannot write over another asset's blob", async () => {
    const { asset, key } = await encryptedAsset(emu, await protectionKey(emu));
    const name = `../${victimContainer}/${SECRET}`;
    const posted = await emu.ams('POST', 'Files', {
      body: { Name: name, ParentAssetId: asset.Id, IsEncrypted: true, EncryptionScheme: 'StorageEncryption', EncryptionVersion: '1.0', EncryptionKeyId: key.id, InitializationVector: formatIv(randomIv()) },
    });
    const job = await postJob(emu, [String(asset.Id)], 'minimal');
    expect(job.status, job.text).toBe(201);
    await getJob(emu, jobIdOf(job));
    await victimBytesUnchanged();
    expect(posted.status, posted.text).toBe(400);
  });

  it("CreateFileInfos does not make a file of a blob whose name leaves the container", async () => {
    const attacker = await createAsset(emu, { Name: 'attacker', Options: 0 });
    const policy = await createPolicy(emu, 2);
    const locator = await createSasLocator(emu, String(attacker.Id), String(policy.Id));
    // Raw HTTP stores what the SDK would normalise: a blob literally named '../<victim>/secret.bin'.
    const url = `${locator.BaseUri}/..%2F${victimContainer}%2F${SECRET}${locator.ContentAccessComponent}`;
    const put = await fetch(url, { method: 'PUT', headers: { 'x-ms-blob-type': 'BlockBlob', 'x-ms-version': '2021-08-06' }, body: 'x' });
    expect(put.status, await put.text()).toBe(201);
    const container = new URL(String(locator.BaseUri)).pathname.split('/').pop()!;
    const listed: string[] = [];
    for await (const blob of new ContainerClient(emu.emulator.storage.connectionString, container).listBlobsFlat()) listed.push(blob.name);
    expect(listed).toEqual([`../${victimContainer}/${SECRET}`]);

    const res = await emu.ams('POST', `CreateFileInfos?assetid=${quoted(String(attacker.Id))}`);
    expect(res.status, res.text).toBe(400);
    expect(errorMessage(res.body)).toContain("outside the asset's container");
    const files = await emu.ams('GET', `${entityPath('Assets', String(attacker.Id))}/Files`);
    expect(files.body.value).toEqual([]);
    await victimBytesUnchanged();
  });
});

describe('a name stored before names were checked (an old data directory) reaches nothing outside its container', () => {
  it('the job fails on that file with the reason, origin refuses the path, and the victim is untouched', async () => {
    const azurite = await startTestAzurite();
    const dir = await mkdtemp(join(tmpdir(), 'ams-legacy-names-'));
    const config = { storageConnectionString: azurite.connectionString, location: dir };
    try {
      const before = await startTestEmulator(config);
      const target = await uploadEncryptedAsset(before, [{ name: SECRET, data: sample(2048), clear: true }]);
      const targetContainer = new URL(String((await before.ams('GET', entityPath('Assets', target.assetId))).body.Uri)).pathname.split('/').pop()!;
      const attacker = await uploadEncryptedAsset(before, [{ name: 'innocent.mp4', data: sample(2048) }]);
      await streamInTheClear(before, attacker.assetId);
      const policy = await createPolicy(before, 1);
      const locator = await before.ams('POST', 'Locators', { body: { AssetId: attacker.assetId, AccessPolicyId: policy.Id, Type: 2 } });
      expect(locator.status).toBe(201);
      await before.close();

      // What an emulator without the check stored for POST Files {"Name": "../asset-<victim>/secret.bin"}.
      const escaping = `../${targetContainer}/${SECRET}`;
      const store = await openStore({ directory: dir, schema: MODEL_SCHEMA });
      await store.transaction((tx) => {
        const id = canonicalId(AssetFile, attacker.files[0]!.id);
        tx.put(COLLECTIONS.Files, id, { ...tx.get(COLLECTIONS.Files, id)!, Name: escaping });
      });
      await store.close();

      const after = await startTestEmulator(config);
      try {
        // The locator's Path names the first emulator's port; the path below it is the same.
        const served = await fetch(`${after.baseUrl}origin/${String(locator.body.ContentAccessComponent)}/${encodeURIComponent(escaping)}`);
        expect(served.status).toBe(400);
        const job = await postJob(after, [attacker.assetId], 'minimal');
        expect(job.status, job.text).toBe(201);
        const finished = await getJob(after, jobIdOf(job));
        expect(finished.State).toBe(4);
        const tasks = await after.ams('GET', `${entityPath('Jobs', jobIdOf(job))}/Tasks`);
        expect(JSON.stringify(tasks.body.value[0].ErrorDetails)).toContain("outside the asset's container");
        const verify = await after.admin('POST', `files/${encodeURIComponent(attacker.files[0]!.id)}/verify?wait=10`);
        expect(verify.status).toBeLessThan(500);
        const files = await downloadAsset(after, target.assetId);
        expect(files.get(SECRET)?.equals(target.files[0]!.data), 'the victim blob is untouched').toBe(true);
      } finally {
        await after.close();
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
      await azurite.stop();
    }
  });
});
