import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { entityPath, startTestEmulator, type TestEmulator } from '../../../test/support/emulator.js';
import { createAsset, createFile, encryptedAsset, encryptedFileBody, errorMessage, protectionKey } from '../helpers/api-fixtures.js';

/**
 * Requests racing over one entity answer as if they ran one after the other: of N DELETEs of one
 * asset exactly one deletes it (204) and the others find nothing (404); a MERGE that loses to a
 * DELETE finds nothing (404), never a 400 blaming the client's body.
 */

let compat: TestEmulator;
let strict: TestEmulator;

beforeAll(async () => {
  [compat, strict] = await Promise.all([startTestEmulator(), startTestEmulator({ strict: true })]);
});
afterAll(async () => {
  await Promise.all([compat?.close(), strict?.close()]);
});

const AT_ONCE = 16;

describe.each([
  ['compat', () => compat],
  ['--strict', () => strict],
])('%s', (_label, emulator) => {
  it(`${AT_ONCE} concurrent DELETEs of one asset: exactly one 204, the rest 404`, async () => {
    const emu = emulator();
    for (let round = 0; round < 5; round++) {
      const asset = await createAsset(emu, { Name: `doomed-${round}`, Options: 0 });
      await createFile(emu, { Name: 'f.bin', ParentAssetId: asset.Id });
      const answers = await Promise.all(Array.from({ length: AT_ONCE }, () => emu.ams('DELETE', entityPath('Assets', String(asset.Id)))));
      expect(answers.map((a) => a.status).sort()).toEqual([204, ...Array<number>(AT_ONCE - 1).fill(404)]);
      for (const a of answers.filter((x) => x.status === 404)) expect(errorMessage(a.body)).toMatch(/Asset/);
    }
  });

  it('a MERGE racing the DELETE of its file (or of its asset) is a 404, never a 400', async () => {
    const emu = emulator();
    const protection = await protectionKey(emu);
    const { asset, key } = await encryptedAsset(emu, protection);
    for (let round = 0; round < 20; round++) {
      const file = await createFile(emu, encryptedFileBody(String(asset.Id), key.id, `f-${round}.mp4`));
      const path = entityPath('Files', String(file.Id));
      const [merges, deleted] = await Promise.all([
        Promise.all(Array.from({ length: 4 }, (_, i) => emu.ams('MERGE', path, { body: { ContentFileSize: String(100 + i) } }))),
        emu.ams('DELETE', path),
      ]);
      expect(deleted.status).toBe(204);
      for (const merge of merges) {
        expect([204, 404], merge.text).toContain(merge.status);
      }
    }
    for (let round = 0; round < 10; round++) {
      const parent = await createAsset(emu, { Name: `parent-${round}`, Options: 0 });
      const file = await createFile(emu, { Name: 'p.bin', ParentAssetId: parent.Id });
      const [merge, deleted] = await Promise.all([emu.ams('MERGE', entityPath('Files', String(file.Id)), { body: { MimeType: 'video/mp4' } }), emu.ams('DELETE', entityPath('Assets', String(parent.Id)))]);
      expect(deleted.status).toBe(204);
      expect([204, 404], merge.text).toContain(merge.status);
    }
  });
});
