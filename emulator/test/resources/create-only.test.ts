import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { entityPath, startTestEmulator, type JsonBody, type TestEmulator } from '../../../test/support/emulator.js';
import { createAsset, createFile, createPolicy, createStorageKey, errorMessage, protectionKey, type ProtectionKey } from '../helpers/api-fixtures.js';
import { caseFlipped } from '../helpers/fuzz-values.js';

/**
 * MERGE may echo a create-only property unchanged (the .NET SDK sends every property) but never
 * change it. Base64 (EncryptedContentKey, Checksum) is compared exactly: flipping a letter's case
 * is another key. Ids are compared canonically (GUIDs have no case) and the stored spelling is
 * kept, so the entity stays in its parent's indexes.
 */

let emu: TestEmulator;
let strict: TestEmulator;
let protection: ProtectionKey;

beforeAll(async () => {
  [emu, strict] = await Promise.all([startTestEmulator(), startTestEmulator({ strict: true })]);
  protection = await protectionKey(emu);
});
afterAll(async () => {
  await Promise.all([emu?.close(), strict?.close()]);
});

async function get(path: string): Promise<JsonBody> {
  const res = await emu.ams('GET', path);
  expect(res.status, res.text).toBe(200);
  return res.body;
}

async function originLocator(assetId: string): Promise<JsonBody> {
  const policy = await createPolicy(emu, 1);
  const res = await emu.ams('POST', 'Locators', { body: { AssetId: assetId, AccessPolicyId: policy.Id, Type: 2 } });
  expect(res.status, res.text).toBe(201);
  return res.body;
}

describe('base64 create-only values: a case flip is a change (400), and nothing is stored', () => {
  for (const property of ['EncryptedContentKey', 'Checksum'] as const) {
    it(property, async () => {
      const key = await createStorageKey(emu, protection);
      const path = entityPath('ContentKeys', key.id);
      const original = String(key.request[property]);
      await fc.assert(
        fc.asyncProperty(caseFlipped(original), async (flipped) => {
          const res = await emu.ams('MERGE', path, { body: { [property]: flipped } });
          expect(res.status, res.text).toBe(400);
          expect(errorMessage(res.body)).toContain(`'${property}' of ContentKey cannot be updated`);
          expect((await get(path))[property]).toBe(original);
        }),
        { numRuns: 15 },
      );
      // The key still opens: the emulator can rewrap it for a client.
      expect((await emu.ams('GET', `RebindContentKey?id='${encodeURIComponent(key.id)}'&x509Certificate=''`)).status).toBe(200);
    });
  }
});

describe('--strict', () => {
  it('a case-flipped EncryptedContentKey is refused the same way, and the key still opens', async () => {
    const own = await protectionKey(strict);
    const key = await createStorageKey(strict, own);
    const path = entityPath('ContentKeys', key.id);
    const original = String(key.request['EncryptedContentKey']);
    const [flipped] = fc.sample(caseFlipped(original), 1);
    const res = await strict.ams('MERGE', path, { body: { EncryptedContentKey: flipped } });
    expect(res.status, res.text).toBe(400);
    expect((await strict.ams('GET', path)).body.EncryptedContentKey).toBe(original);
    expect((await strict.ams('GET', `RebindContentKey?id='${encodeURIComponent(key.id)}'&x509Certificate=''`)).status).toBe(200);
  });
});

describe('id create-only values: a case flip is the same id (204), and the stored spelling stays', () => {
  it("a locator's AssetId: the locator stays in its asset's index, and goes with the asset", async () => {
    const asset = await createAsset(emu, { Name: 'a', Options: 0 });
    const assetId = String(asset.Id);
    const locator = await originLocator(assetId);
    const path = entityPath('Locators', String(locator.Id));
    await fc.assert(
      fc.asyncProperty(caseFlipped(assetId), async (flipped) => {
        const res = await emu.ams('MERGE', path, { body: { AssetId: flipped } });
        expect(res.status, res.text).toBe(204);
        expect((await get(path)).AssetId).toBe(assetId);
        expect((await get(`${entityPath('Assets', assetId)}/Locators`)).value.map((l: JsonBody) => l.Id)).toEqual([locator.Id]);
      }),
      { numRuns: 10 },
    );
    expect((await emu.ams('DELETE', entityPath('Assets', assetId))).status).toBe(204);
    expect((await emu.ams('GET', path)).status).toBe(404);
  });

  it("a file's ParentAssetId and a key's Id and ProtectionKeyId", async () => {
    const asset = await createAsset(emu, { Name: 'a', Options: 0 });
    const assetId = String(asset.Id);
    const file = await createFile(emu, { Name: 'f.bin', ParentAssetId: assetId });
    const filePath = entityPath('Files', String(file.Id));
    const key = await createStorageKey(emu, protection);
    const keyPath = entityPath('ContentKeys', key.id);
    await fc.assert(
      fc.asyncProperty(caseFlipped(assetId), caseFlipped(key.id), caseFlipped(protection.thumbprint), async (parent, id, thumbprint) => {
        expect((await emu.ams('MERGE', filePath, { body: { ParentAssetId: parent } })).status).toBe(204);
        expect((await get(filePath)).ParentAssetId).toBe(assetId);
        expect((await get(`${entityPath('Assets', assetId)}/Files`)).value).toHaveLength(1);
        expect((await emu.ams('MERGE', keyPath, { body: { Id: id, ProtectionKeyId: thumbprint } })).status).toBe(204);
        const stored = await get(keyPath);
        expect([stored.Id, stored.ProtectionKeyId]).toEqual([key.id, protection.thumbprint]);
      }),
      { numRuns: 10 },
    );
  });

  it('another id is still a change (400)', async () => {
    const [a, b] = [await createAsset(emu, { Name: 'a', Options: 0 }), await createAsset(emu, { Name: 'b', Options: 0 })];
    const locator = await originLocator(String(a.Id));
    const res = await emu.ams('MERGE', entityPath('Locators', String(locator.Id)), { body: { AssetId: String(b.Id).toUpperCase() } });
    expect(res.status).toBe(400);
    expect((await get(entityPath('Locators', String(locator.Id)))).AssetId).toBe(a.Id);
  });
});
