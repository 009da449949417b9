import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { entityPath, quoted, startTestEmulator, type JsonBody, type TestEmulator } from '../../../test/support/emulator.js';
import { createPolicy, createSasLocator, errorMessage } from '../helpers/api-fixtures.js';
import { DATA_NS, parseXml, rootText } from '../helpers/clients-xml.js';
import { jobIdOf, listOf, postJob, sample, uploadEncryptedAsset } from '../helpers/jobs-fixtures.js';

/**
 * `$links` of the navigations the emulator derives rather than keeps as links (an asset's
 * ParentAssets, Files and Locators, a locator's Asset, a job's Tasks): GET answers with the related
 * entities' URIs in every format, as WCF Data Services answered `$links` of any navigation property;
 * writing them is refused, since they follow from the entities themselves.
 */

let emu: TestEmulator;
let input: { assetId: string; files: string[] };
let output: string;
let jobId: string;
let locatorId: string;
beforeAll(async () => {
  emu = await startTestEmulator();
  const uploaded = await uploadEncryptedAsset(emu, [{ name: 'a.mp4', data: sample(1000) }, { name: 'b.mp4', data: sample(500) }]);
  input = { assetId: uploaded.assetId, files: (await listOf(emu, `${entityPath('Assets', uploaded.assetId)}/Files`)).map((f) => String(f.Id)) };
  jobId = jobIdOf(await postJob(emu, [uploaded.assetId], 'minimal'));
  output = String((await listOf(emu, `${entityPath('Jobs', jobId)}/OutputMediaAssets`))[0]!.Id);
  const policy = await createPolicy(emu, 1);
  locatorId = String((await createSasLocator(emu, uploaded.assetId, String(policy.Id))).Id);
});
afterAll(() => emu.close());

const url = (set: string, id: string): string => `${emu.url}${entityPath(set, id)}`;
const linksOf = async (path: string): Promise<string[]> => {
  const res = await emu.ams('GET', path);
  expect(res.status, res.text).toBe(200);
  return (res.body.value as JsonBody[]).map((link) => String(link.url));
};

describe('GET $links of a derived navigation', () => {
  it("ParentAssets of a job's output: its input, the same entities the navigation itself returns", async () => {
    const links = await linksOf(`${entityPath('Assets', output)}/$links/ParentAssets`);
    expect(links).toEqual([url('Assets', input.assetId)]);
    const navigated = await listOf(emu, `${entityPath('Assets', output)}/ParentAssets`);
    expect(navigated.map((a) => url('Assets', String(a.Id)))).toEqual(links);
    expect(await linksOf(`${entityPath('Assets', input.assetId)}/$links/ParentAssets`)).toEqual([]);
  });

  it("an asset's Files and Locators, a job's Tasks", async () => {
    expect((await linksOf(`${entityPath('Assets', input.assetId)}/$links/Files`)).sort()).toEqual(input.files.map((id) => url('Files', id)).sort());
    expect(await linksOf(`${entityPath('Assets', input.assetId)}/$links/Locators`)).toEqual([url('Locators', locatorId)]);
    const tasks = await listOf(emu, `${entityPath('Jobs', jobId)}/Tasks`);
    expect(await linksOf(`${entityPath('Jobs', jobId)}/$links/Tasks`)).toEqual(tasks.map((t) => url('Tasks', String(t.Id))));
  });

  it("a single-valued navigation (a locator's Asset) and one named target answer one uri", async () => {
    const asset = await emu.ams('GET', `${entityPath('Locators', locatorId)}/$links/Asset`);
    expect(asset.status, asset.text).toBe(200);
    expect(asset.body.url).toBe(url('Assets', input.assetId));
    const file = await emu.ams('GET', `${entityPath('Assets', input.assetId)}/$links/${entityPath('Files', input.files[0]!)}`);
    expect(file.status, file.text).toBe(200);
    expect(file.body.url).toBe(url('Files', input.files[0]!));
  });

  it('Atom/XML: <links> of <uri> in the dataservices namespace, as for ContentKeys', async () => {
    const res = await emu.ams('GET', `${entityPath('Assets', output)}/$links/ParentAssets`, { headers: { Accept: 'application/xml' } });
    expect(res.status).toBe(200);
    const links = parseXml(res.text);
    expect([links.uri, links.local]).toEqual([DATA_NS, 'links']);
    expect(links.children.map((c) => [c.uri, c.local, c.text])).toEqual([[DATA_NS, 'uri', url('Assets', input.assetId)]]);
    const one = await emu.ams('GET', `${entityPath('Locators', locatorId)}/$links/Asset`, { headers: { Accept: 'application/xml' } });
    expect(rootText(parseXml(one.text), 'uri', DATA_NS)).toBe(url('Assets', input.assetId));
  });

  it('verbose JSON: the links under d.results', async () => {
    const res = await emu.ams('GET', `${entityPath('Assets', output)}/$links/ParentAssets`, { headers: { Accept: 'application/json;odata=verbose' } });
    expect(res.status, res.text).toBe(200);
    expect(res.body.d.results).toEqual([{ uri: url('Assets', input.assetId) }]);
  });
});

describe('what is refused', () => {
  it('a target that is not among them is 404, a malformed id 400, an unknown source 404', async () => {
    const unknownFile = 'nb:cid:UUID:00000000-0000-0000-0000-000000000001';
    const notThere = await emu.ams('GET', `${entityPath('Assets', output)}/$links/${entityPath('Files', unknownFile)}`);
    expect(notThere.status).toBe(404);
    expect(errorMessage(notThere.body)).toContain('is not among the Files');
    expect((await emu.ams('GET', `${entityPath('Assets', input.assetId)}/$links/Files(${quoted('junk')})`)).status).toBe(400);
    expect((await emu.ams('GET', `Assets(${quoted('junk')})/$links/ParentAssets`)).status).toBe(400);
    expect((await emu.ams('GET', `${entityPath('Assets', 'nb:cid:UUID:00000000-0000-0000-0000-000000000002')}/$links/ParentAssets`)).status).toBe(404);
  });

  it('POST and DELETE are 405: these links follow from the entities themselves', async () => {
    const post = await emu.ams('POST', `${entityPath('Assets', output)}/$links/ParentAssets`, { body: { uri: url('Assets', input.assetId) } });
    expect(post.status).toBe(405);
    expect(errorMessage(post.body)).toContain('can only be read (GET)');
    const remove = await emu.ams('DELETE', `${entityPath('Assets', output)}/$links/${entityPath('ParentAssets', input.assetId)}`);
    expect(remove.status).toBe(405);
    expect(await linksOf(`${entityPath('Assets', output)}/$links/ParentAssets`)).toEqual([url('Assets', input.assetId)]);
  });
});
