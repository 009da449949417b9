import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { entityPath, startTestEmulator, type JsonBody, type TestEmulator } from '../../../test/support/emulator.js';
import { createPolicy, createSasLocator, streamInTheClear } from '../helpers/api-fixtures.js';
import { DOTNET_NON_NULLABLE, modelTypeName, nullsInNonNullable } from '../helpers/clients-clr.js';
import { ATOM_NS, atomEntries, atomProperties, atomPropertyTypes, DATA_NS, METADATA_NS, parseXml } from '../helpers/clients-xml.js';
import { getJob, postJob, jobIdOf, uploadEncryptedAsset } from '../helpers/jobs-fixtures.js';

/**
 * What a WCF Data Services client materialises: every entity the emulator writes, of every set, in
 * Atom, JSON minimal and JSON verbose, has a value in each property the .NET SDK's data classes
 * declare with a non-nullable CLR type (Locator.ExpirationDateTime, Task.Progress, the Int32 and
 * Boolean fields); and a complex-collection property (Task ErrorDetails) is written as a
 * collection, not as text.
 */

let emu: TestEmulator;
let failedTaskId: string;
beforeAll(async () => {
  emu = await startTestEmulator();
  // One of everything: an encrypted asset with files, its key, policies, a SAS and an origin
  // locator, a finished job and a failed one (its task has ErrorDetails).
  const good = await uploadEncryptedAsset(emu, [{ name: 'good.mp4', data: Buffer.from('0000ftypisom-content') }]);
  const bad = await uploadEncryptedAsset(emu, [{ name: 'bad.mp4', data: Buffer.from('bad iv'), ivText: '0x1F' }]);
  await createSasLocator(emu, good.assetId, String((await createPolicy(emu, 2)).Id));
  await streamInTheClear(emu, good.assetId);
  await createSasLocator(emu, good.assetId, String((await createPolicy(emu, 1)).Id), { Type: 2 });
  const finished = await postJob(emu, [good.assetId], 'minimal', { name: 'finished' });
  const failed = await postJob(emu, [bad.assetId], 'minimal', { name: 'failed' });
  expect((await getJob(emu, jobIdOf(finished))).State).toBe(3);
  expect((await getJob(emu, jobIdOf(failed))).State).toBe(4);
  const tasks = await emu.ams('GET', `${entityPath('Jobs', jobIdOf(failed))}/Tasks`);
  failedTaskId = tasks.body.value[0].Id;
  // Content protection: a delivery policy with no configuration, an authorization policy, an open option.
  for (const [set, body] of [
    ['AssetDeliveryPolicies', { AssetDeliveryProtocol: 16, AssetDeliveryPolicyType: 2 }],
    ['ContentKeyAuthorizationPolicies', {}],
    ['ContentKeyAuthorizationPolicyOptions', { KeyDeliveryType: 2, Restrictions: [{ KeyRestrictionType: 0 }] }],
  ] as const) {
    expect((await emu.ams('POST', set, { body })).status, set).toBe(201);
  }
});
afterAll(() => emu.close());

const SETS = ['Assets', 'Files', 'ContentKeys', 'AccessPolicies', 'Locators', 'Jobs', 'Tasks', 'MediaProcessors', 'StorageAccounts', 'AssetDeliveryPolicies', 'ContentKeyAuthorizationPolicies', 'ContentKeyAuthorizationPolicyOptions'];

describe('every entity written can be materialised into the .NET SDK data classes', () => {
  it.each(SETS)('%s in Atom: values (with m:type) in every non-nullable CLR property', async (set) => {
    const res = await emu.ams('GET', set, { headers: { Accept: 'application/atom+xml,application/xml' } });
    expect(res.status, res.text).toBe(200);
    const entries = atomEntries(parseXml(res.text));
    expect(entries.length, `${set} is empty`).toBeGreaterThan(0);
    for (const entry of entries) {
      const type = modelTypeName(entry.children.find((c) => c.uri === ATOM_NS && c.local === 'category')!.attrs['term']!);
      expect(nullsInNonNullable(type, atomProperties(entry)), `${set} ${type}`).toEqual([]);
      const types = atomPropertyTypes(entry);
      for (const name of DOTNET_NON_NULLABLE[type]!) expect(types[name], `${type}.${name} m:type`).toMatch(/^Edm\./);
    }
  });

  it.each(SETS)('%s in JSON minimal and verbose: no null in a non-nullable CLR property', async (set) => {
    const minimal = await emu.ams('GET', set);
    const verbose = await emu.ams('GET', set, { headers: { Accept: 'application/json;odata=verbose' } });
    for (const entity of verbose.body.d.results as JsonBody[]) {
      expect(nullsInNonNullable(modelTypeName(entity.__metadata.type), entity), set).toEqual([]);
    }
    const type = modelTypeName((verbose.body.d.results as JsonBody[])[0]!.__metadata.type);
    for (const entity of minimal.body.value as JsonBody[]) expect(nullsInNonNullable(type, entity), set).toEqual([]);
  });
});

describe('a complex-collection property read on its own', () => {
  it("GET Tasks('..')/ErrorDetails in Atom: the collection element with its items, not [object Object]", async () => {
    const res = await emu.ams('GET', `${entityPath('Tasks', failedTaskId)}/ErrorDetails`, { headers: { Accept: 'application/atom+xml,application/xml' } });
    expect(res.status, res.text).toBe(200);
    expect(res.text).not.toContain('[object Object]');
    const root = parseXml(res.text);
    expect([root.uri, root.local]).toEqual([DATA_NS, 'ErrorDetails']);
    expect(root.attrs[`{${METADATA_NS}}type`]).toBe('Collection(Microsoft.Cloud.Media.Vod.Rest.Data.Models.ErrorDetail)');
    const items = root.children.filter((c) => c.uri === DATA_NS && c.local === 'element');
    expect(items.length).toBeGreaterThan(0);
    const first = Object.fromEntries(items[0]!.children.map((c) => [c.local, c.text]));
    expect(first['Code']).toMatch(/\w/);
    expect(first['Message']).toMatch(/bad\.mp4/);
    // The same items as in the task entry itself.
    const task = await emu.ams('GET', entityPath('Tasks', failedTaskId));
    expect(items.map((i) => Object.fromEntries(i.children.map((c) => [c.local, c.text])))).toEqual(task.body.ErrorDetails);
  });

  it('in JSON minimal and verbose, and $value of it is a 400', async () => {
    const path = `${entityPath('Tasks', failedTaskId)}/ErrorDetails`;
    const minimal = await emu.ams('GET', path);
    expect(minimal.body['odata.metadata']).toBe(`${emu.url}$metadata#Collection(Microsoft.Cloud.Media.Vod.Rest.Data.Models.ErrorDetail)`);
    expect(minimal.body.value.length).toBeGreaterThan(0);
    const verbose = await emu.ams('GET', path, { headers: { Accept: 'application/json;odata=verbose' } });
    expect(verbose.body.d.ErrorDetails.__metadata).toEqual({ type: 'Collection(Microsoft.Cloud.Media.Vod.Rest.Data.Models.ErrorDetail)' });
    expect(verbose.body.d.ErrorDetails.results.length).toBe(minimal.body.value.length);
    const raw = await emu.ams('GET', `${path}/$value`);
    expect(raw.status).toBe(400);
    expect(raw.body['odata.error'].message.value).toMatch(/collection of ErrorDetail, which has no raw \$value/);
  });
});
