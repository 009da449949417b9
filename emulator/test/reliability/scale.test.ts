import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestAzurite, type TestAzurite } from '../../../test/support/azurite.js';
import { entityPath, startTestEmulator, type JsonBody, type TestEmulator } from '../../../test/support/emulator.js';
import { encryptedFileBody } from '../helpers/api-fixtures.js';
import { consistencyProblems, fetchState } from '../helpers/reliability-consistency.js';
import { buildScaleState, scaleName, type ScaleState } from '../helpers/reliability-scale-state.js';

/**
 * 10,000 storage-encrypted assets, each with its content key linked and one encrypted file (the
 * state is built through the store API from entities the emulator made, then served by an emulator
 * started on it, in --strict mode): every page of `$top`/`$skip`, `$filter` (on indexed and
 * unindexed properties), `$orderby`, `$inlinecount` and navigation returns exactly the right
 * entities, and creates, IV checks and cascading deletes stay correct at that size. The speed at
 * this size is measured by `bench/scale.ts`, not asserted here.
 */

const COUNT = 10_000;

let azurite: TestAzurite;
let directory: string;
let state: ScaleState;
let emu: TestEmulator;

beforeAll(async () => {
  azurite = await startTestAzurite();
  directory = await mkdtemp(join(tmpdir(), 'ams-reliability-scale-'));
  state = await buildScaleState(directory, azurite.connectionString, COUNT);
  emu = await startTestEmulator({ location: directory, storageConnectionString: azurite.connectionString, strict: true });
}, 180_000);

afterAll(async () => {
  await emu?.close();
  await azurite?.stop();
  if (directory) await rm(directory, { recursive: true, force: true });
});

async function page(path: string): Promise<JsonBody> {
  const res = await emu.ams('GET', path);
  expect(res.status, res.text).toBe(200);
  return res.body;
}

const ids = (body: JsonBody) => (body.value as JsonBody[]).map((e) => String(e.Id));
const names = (body: JsonBody) => (body.value as JsonBody[]).map((e) => String(e.Name));

describe(`${COUNT} assets with files and keys`, () => {
  it('pages through every asset and every file with $top/$skip, in creation order, each once', async () => {
    const assets: string[] = [];
    const files: string[] = [];
    for (let skip = 0; skip < COUNT + 1000; skip += 1000) {
      assets.push(...ids(await page(`Assets?$top=1000&$skip=${skip}`)));
      files.push(...ids(await page(`Files?$skip=${skip}`)));
    }
    expect(assets).toEqual(state.assets.map((a) => a.id));
    expect(files).toEqual(state.assets.map((a) => a.fileId));
    const counted = await page('Assets?$inlinecount=allpages&$top=3&$skip=4321');
    expect(Number(counted['odata.count'])).toBe(COUNT);
    expect(names(counted)).toEqual([4321, 4322, 4323].map(scaleName));
    for (const set of ['Assets', 'Files', 'ContentKeys']) {
      const res = await emu.ams('GET', `${set}/$count`);
      expect(res.text, set).toBe(String(COUNT));
    }
  });

  it('filters on indexed and unindexed properties, with paging and counts', async () => {
    const target = state.assets[9_876]!;
    expect(ids(await page(`Assets?$filter=Name eq '${target.name}'`))).toEqual([target.id]);
    expect(ids(await page("Assets?$filter=Name eq 'scale-99999'"))).toEqual([]);
    expect(ids(await page(`Assets?$filter=Options eq 1 and Name eq '${target.name}' and startswith(Name,'scale-')`))).toEqual([target.id]);
    expect(ids(await page(`Assets?$filter=Name eq '${target.name}' or Name eq '${state.assets[5]!.name}'`))).toEqual([state.assets[5]!.id, target.id]);

    const prefix = await page("Assets?$filter=startswith(Name,'scale-0120')&$top=3&$skip=2&$inlinecount=allpages");
    expect(names(prefix)).toEqual([1202, 1203, 1204].map(scaleName));
    expect(Number(prefix['odata.count'])).toBe(10);

    const files = await page(`Files?$filter=ParentAssetId eq '${target.id}'`);
    expect(ids(files)).toEqual([target.fileId]);
    expect((files.value as JsonBody[])[0]!.InitializationVector).toBe(target.iv);
    expect(ids(await page(`Files?$filter=ParentAssetId eq '${target.id}' and IsEncrypted eq true`))).toEqual([target.fileId]);
    expect(ids(await page(`Files?$filter=ParentAssetId eq '${target.id}' and MimeType eq 'text/plain'`))).toEqual([]);
    expect(ids(await page(`ContentKeys?$filter=Id eq '${target.keyId}'`))).toEqual([target.keyId]);

    expect(names(await page('Assets?$orderby=Name desc&$top=5'))).toEqual([9999, 9998, 9997, 9996, 9995].map(scaleName));
    expect(ids(await page('Files?$top=100&$skip=9950'))).toEqual(state.assets.slice(9_950).map((a) => a.fileId));
  });

  it('follows navigation from one asset among all of them', async () => {
    const target = state.assets[4_242]!;
    expect(ids(await page(`${entityPath('Assets', target.id)}/Files`))).toEqual([target.fileId]);
    expect(ids(await page(`${entityPath('Assets', target.id)}/ContentKeys`))).toEqual([target.keyId]);
    const links = await page(`${entityPath('Assets', target.id)}/$links/ContentKeys`);
    expect((links.value as JsonBody[]).map((l) => String(l.url))).toEqual([`${emu.url}${entityPath('ContentKeys', target.keyId)}`]);
  });

  it('checks IVs against every file, creates, merges and deletes with a cascade', async () => {
    const one = state.assets[17]!;
    const other = state.assets[9_017]!;
    // An IV already used under this key: refused (strict), found among 10,000 files.
    const reused = await emu.ams('POST', 'Files', { body: encryptedFileBody(one.id, one.keyId, 'again.mp4', one.iv) });
    expect(reused.status, reused.text).toBe(409);
    expect(reused.text).toContain(one.fileId);
    // The same IV under another key is fine; so is a fresh IV under this key.
    expect((await emu.ams('POST', 'Files', { body: encryptedFileBody(other.id, other.keyId, 'same-iv-other-key.mp4', one.iv) })).status).toBe(201);
    expect((await emu.ams('POST', 'Files', { body: encryptedFileBody(one.id, one.keyId, 'fresh.mp4', '123') })).status).toBe(201);
    // The IV index follows a MERGE: the moved IV is free again, the new one taken.
    const moved = await emu.ams('MERGE', entityPath('Files', one.fileId), { body: { InitializationVector: '456' } });
    expect(moved.status, moved.text).toBe(204);
    expect((await emu.ams('POST', 'Files', { body: encryptedFileBody(one.id, one.keyId, 'old-iv.mp4', one.iv) })).status).toBe(201);
    expect((await emu.ams('POST', 'Files', { body: encryptedFileBody(one.id, one.keyId, 'new-iv.mp4', '456') })).status).toBe(409);

    const created = await emu.ams('POST', 'Assets', { body: { Name: 'scale-new' } });
    expect(created.status, created.text).toBe(201);
    expect(ids(await page("Assets?$filter=Name eq 'scale-new'"))).toEqual([String(created.body.Id)]);
    expect((await emu.ams('MERGE', entityPath('Assets', String(created.body.Id)), { body: { Name: 'scale-renamed' } })).status).toBe(204);
    expect(ids(await page("Assets?$filter=Name eq 'scale-new'"))).toEqual([]);
    expect(ids(await page("Assets?$filter=Name eq 'scale-renamed'"))).toEqual([String(created.body.Id)]);

    const gone = state.assets[5_000]!;
    expect((await emu.ams('DELETE', entityPath('Assets', gone.id))).status).toBe(204);
    expect(ids(await page(`Files?$filter=ParentAssetId eq '${gone.id}'`))).toEqual([]);
    expect((await emu.ams('GET', entityPath('ContentKeys', gone.keyId))).status).toBe(404);
    expect((await emu.ams('GET', entityPath('Files', gone.fileId))).status).toBe(404);
    expect(consistencyProblems(await fetchState(emu.baseUrl))).toEqual([]);
  });
});
