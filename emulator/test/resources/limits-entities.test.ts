import { BlockBlobClient } from '@azure/storage-blob';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { configFromArgs, UsageError } from '../../src/cli.js';
import { DEFAULT_LIMITS } from '../../src/config.js';
import { entityPath, quoted, startTestEmulator, type TestEmulator } from '../../../test/support/emulator.js';
import { createAsset, createPolicy, createSasLocator, errorMessage, streamInTheClear } from '../helpers/api-fixtures.js';

/**
 * Entities per asset: files (`limits.maxFilesPerAsset`, `--max-files-per-asset`), whichever way
 * they are made, and locators (5, the service's own limit). Each is a clear 4xx naming the limit.
 */
const MAX_FILES = 3;
let emu: TestEmulator;
beforeAll(async () => {
  emu = await startTestEmulator({ limits: { ...DEFAULT_LIMITS, maxFilesPerAsset: MAX_FILES } });
});
afterAll(() => emu.close());
beforeEach(() => emu.reset());

async function postFile(assetId: string, name: string) {
  return emu.ams('POST', 'Files', { body: { Name: name, ParentAssetId: assetId } });
}

describe('files per asset', () => {
  it('the file past the limit is a 400 naming the limit and its flag; other assets are not affected; a delete makes room', async () => {
    const asset = String((await createAsset(emu)).Id);
    const other = String((await createAsset(emu)).Id);
    const ids: string[] = [];
    for (let i = 0; i < MAX_FILES; i++) {
      const res = await postFile(asset, `f${i}.mp4`);
      expect(res.status, res.text).toBe(201);
      ids.push(String(res.body.Id));
    }
    const over = await postFile(asset, 'one-too-many.mp4');
    expect(over.status).toBe(400);
    expect(errorMessage(over.body)).toBe(`The asset '${asset}' already has ${MAX_FILES} files, the emulator's limit per asset (--max-files-per-asset)`);
    expect((await emu.ams('GET', `${entityPath('Assets', asset)}/Files/$count`)).text).toBe(String(MAX_FILES));
    expect((await postFile(other, 'f0.mp4')).status).toBe(201);
    // Updating a file of a full asset is not adding one.
    expect((await emu.ams('MERGE', entityPath('Files', ids[0]!), { body: { MimeType: 'video/mp4' } })).status).toBe(204);
    expect((await emu.ams('DELETE', entityPath('Files', ids[0]!))).status).toBe(204);
    expect((await postFile(asset, 'room-again.mp4')).status).toBe(201);
  });

  it('CreateFileInfos that would pass the limit is refused whole: no file is made for any blob', async () => {
    const asset = String((await createAsset(emu)).Id);
    expect((await postFile(asset, 'existing.mp4')).status).toBe(201);
    // Write and Delete.
    const policy = await createPolicy(emu, 2 | 4);
    const locator = await createSasLocator(emu, asset, String(policy.Id));
    for (const name of ['existing.mp4', 'b1.mp4', 'b2.mp4', 'b3.mp4']) {
      await new BlockBlobClient(`${locator.BaseUri}/${name}${locator.ContentAccessComponent}`).uploadData(Buffer.from(name));
    }
    const infos = await emu.ams('GET', `CreateFileInfos?assetid=${quoted(asset)}`);
    expect(infos.status).toBe(400);
    expect(errorMessage(infos.body)).toBe(`CreateFileInfos would give the asset '${asset}' 4 files (3 blobs have none yet); the emulator's limit is ${MAX_FILES} per asset (--max-files-per-asset)`);
    expect((await emu.ams('GET', `${entityPath('Assets', asset)}/Files/$count`)).text).toBe('1');
    // With room for them, the same call makes them.
    await new BlockBlobClient(`${locator.BaseUri}/b3.mp4${locator.ContentAccessComponent}`).delete();
    expect((await emu.ams('GET', `CreateFileInfos?assetid=${quoted(asset)}`)).status).toBe(204);
    expect((await emu.ams('GET', `${entityPath('Assets', asset)}/Files/$count`)).text).toBe(String(MAX_FILES));
  });

  it('is set with --max-files-per-asset or AMS_EMULATOR_MAX_FILES_PER_ASSET, a whole number from 1', () => {
    expect(configFromArgs(['--max-files-per-asset', '25'], {}).config.limits).toEqual({ ...DEFAULT_LIMITS, maxFilesPerAsset: 25 });
    expect(configFromArgs([], { AMS_EMULATOR_MAX_FILES_PER_ASSET: '7' }).config.limits?.maxFilesPerAsset).toBe(7);
    expect(configFromArgs([], {}).config.limits).toBeUndefined();
    for (const bad of ['0', '-1', '1.5', 'many', '1e3']) {
      expect(() => configFromArgs(['--max-files-per-asset', bad], {}), bad).toThrow(UsageError);
    }
    expect(DEFAULT_LIMITS.maxFilesPerAsset).toBe(10_000);
  });
});

describe('locators per asset', () => {
  it('the sixth locator of an asset is a 409 naming the limit of 5', async () => {
    const asset = String((await createAsset(emu)).Id);
    const policy = String((await createPolicy(emu, 1)).Id);
    for (let i = 0; i < 5; i++) await createSasLocator(emu, asset, policy);
    const sixth = await emu.ams('POST', 'Locators', { body: { AssetId: asset, AccessPolicyId: policy, Type: 1 } });
    expect(sixth.status).toBe(409);
    expect(errorMessage(sixth.body)).toBe(`The asset '${asset}' already has 5 locators, the most an asset can have: delete one first`);
    // A streaming locator too, once the storage-encrypted asset may stream at all.
    await streamInTheClear(emu, asset);
    const origin = await emu.ams('POST', 'Locators', { body: { AssetId: asset, AccessPolicyId: policy, Type: 2 } });
    expect(origin.status).toBe(409);
    expect(errorMessage(origin.body)).toContain('already has 5 locators');
  });
});
