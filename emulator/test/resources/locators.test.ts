import { randomBytes, randomUUID } from 'node:crypto';
import { BlobServiceClient, BlockBlobClient, RestError } from '@azure/storage-blob';
import fc from 'fast-check';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { formatNbId } from '../../../client/src/crypto/index.js';
import { entityPath, startTestEmulator, type JsonBody, type TestEmulator } from '../../../test/support/emulator.js';
import { createAsset, createPolicy, createSasLocator, errorMessage } from '../helpers/api-fixtures.js';
import { outOfRangeDate } from '../helpers/fuzz-values.js';

/**
 * AccessPolicies and Locators, with the SAS proven against the real Azurite: the upload half of the
 * workflow is the client talking to storage with `BaseUri + '/' + name + ContentAccessComponent`.
 */

let emu: TestEmulator;
let blobs: BlobServiceClient;

beforeAll(async () => {
  emu = await startTestEmulator();
  blobs = BlobServiceClient.fromConnectionString(emu.emulator.storage.connectionString);
});
afterAll(() => emu.close());
beforeEach(() => emu.reset());

const READ = 1;
const WRITE = 2;
const LIST = 8;

function blobClient(locator: JsonBody, name: string): BlockBlobClient {
  return new BlockBlobClient(`${locator.BaseUri}/${name}${locator.ContentAccessComponent}`);
}

async function uploadStatus(locator: JsonBody, name: string, data: Buffer): Promise<number> {
  try {
    const res = await blobClient(locator, name).upload(data, data.length);
    return res._response.status;
  } catch (err) {
    if (err instanceof RestError) return err.statusCode ?? -1;
    throw err;
  }
}

async function blobBytes(asset: JsonBody, name: string): Promise<Buffer> {
  return blobs.getContainerClient(String(asset.Uri).split('/').pop()!).getBlobClient(name).downloadToBuffer();
}

describe('AccessPolicies', () => {
  it('creates a policy with DurationInMinutes as a double (440.0 on the wire) and Permissions flags', async () => {
    const res = await emu.ams('POST', 'AccessPolicies', { body: { Name: 'SdkUpload', DurationInMinutes: 440, Permissions: WRITE } });
    expect(res.status).toBe(201);
    expect(res.headers.get('location')).toBe(`${emu.url}AccessPolicies('${encodeURIComponent(res.body.Id)}')`);
    expect(res.body.Id).toMatch(/^nb:pid:UUID:/);
    expect(res.text).toContain('"DurationInMinutes":440.0');
    expect(res.body.Permissions).toBe(WRITE);
    const fraction = await emu.ams('POST', 'AccessPolicies', { body: { Name: 'f', DurationInMinutes: '10.5', Permissions: '9' } });
    expect(fraction.status).toBe(201);
    expect(fraction.body.DurationInMinutes).toBe(10.5);
    expect(fraction.body.Permissions).toBe(READ | LIST);
  });

  it('accepts the DOC examples\' quoted "440" and Java\'s 10.0', async () => {
    for (const minutes of ['440', '10.0', 10.0]) {
      const res = await emu.ams('POST', 'AccessPolicies', { body: { Name: 'q', DurationInMinutes: minutes, Permissions: 1 } });
      expect(res.status, String(minutes)).toBe(201);
      expect(res.body.DurationInMinutes).toBe(Number(minutes));
    }
  });

  it('answers a missing DurationInMinutes with a 400 naming it, not the service\'s 500', async () => {
    const res = await emu.ams('POST', 'AccessPolicies', { body: { Name: 'no duration', Permissions: 2 } });
    expect(res.status).toBe(400);
    expect(errorMessage(res.body)).toMatch(/DurationInMinutes/);
    expect((await emu.ams('POST', 'AccessPolicies', { body: { DurationInMinutes: 5 } })).status).toBe(400);
  });

  it.each([
    [{ Name: 'p', DurationInMinutes: 5, Permissions: 16 }, /Permissions 16/],
    [{ Name: 'p', DurationInMinutes: 5, Permissions: -1 }, /Permissions -1/],
    [{ Name: 'p', DurationInMinutes: 5, Permissions: 1.5 }, /Permissions/],
    [{ Name: 'p', DurationInMinutes: 0, Permissions: 1 }, /DurationInMinutes 0/],
    [{ Name: 'p', DurationInMinutes: 'ten', Permissions: 1 }, /DurationInMinutes/],
  ])('refuses %j with a 400', async (body, message) => {
    const res = await emu.ams('POST', 'AccessPolicies', { body });
    expect(res.status).toBe(400);
    expect(errorMessage(res.body)).toMatch(message);
  });

  it('GETs and DELETEs a policy; a policy a locator uses cannot be deleted (409)', async () => {
    const policy = await createPolicy(emu, READ);
    const path = entityPath('AccessPolicies', policy.Id);
    expect((await emu.ams('GET', path)).body.Name).toBe(`policy-${READ}`);
    expect((await emu.ams('GET', 'AccessPolicies')).body.value).toHaveLength(1);
    const asset = await createAsset(emu);
    const locator = await createSasLocator(emu, asset.Id, policy.Id);
    expect((await emu.ams('DELETE', path)).status).toBe(409);
    expect((await emu.ams('DELETE', entityPath('Locators', locator.Id))).status).toBe(204);
    expect((await emu.ams('DELETE', path)).status).toBe(204);
    expect((await emu.ams('GET', path)).status).toBe(404);
  });

  it('cannot be updated (400), and MERGE of an unknown policy is 404', async () => {
    const policy = await createPolicy(emu, READ);
    const res = await emu.ams('MERGE', entityPath('AccessPolicies', policy.Id), { body: { DurationInMinutes: 5 } });
    expect(res.status).toBe(400);
    expect(errorMessage(res.body)).toMatch(/cannot be updated/);
    expect((await emu.ams('GET', entityPath('AccessPolicies', policy.Id))).body.DurationInMinutes).toBe(60);
    expect((await emu.ams('MERGE', entityPath('AccessPolicies', formatNbId('pid', randomUUID())), { body: { Name: 'x' } })).status).toBe(404);
  });
});

describe('SAS locators', () => {
  it('carry a real container SAS: sv >= 2015-04-05, sr=c, si = the locator GUID; Path = BaseUri + ContentAccessComponent', async () => {
    const asset = await createAsset(emu);
    const policy = await createPolicy(emu, WRITE, 60);
    const before = Date.now();
    const locator = await createSasLocator(emu, asset.Id, policy.Id);
    expect(locator.Id).toMatch(/^nb:lid:UUID:/);
    expect(locator.Type).toBe(1);
    expect(locator.AssetId).toBe(asset.Id);
    expect(locator.AccessPolicyId).toBe(policy.Id);
    expect(locator.BaseUri).toBe(asset.Uri);
    expect(String(locator.ContentAccessComponent).startsWith('?')).toBe(true);
    expect(locator.Path).toBe(`${locator.BaseUri}${locator.ContentAccessComponent}`);
    const sas = new URLSearchParams(String(locator.ContentAccessComponent).slice(1));
    expect(sas.get('sv')! >= '2015-04-05').toBe(true);
    expect(sas.get('sr')).toBe('c');
    expect(sas.get('si')).toBe(String(locator.Id).replace('nb:lid:UUID:', ''));
    expect(sas.get('sig')).toBeTruthy();
    const expires = Date.parse(locator.ExpirationDateTime);
    expect(expires).toBeGreaterThanOrEqual(before + 60 * 60_000 - 1000);
    expect(expires).toBeLessThanOrEqual(Date.now() + 60 * 60_000 + 1000);
  });

  it('take an upload with @azure/storage-blob through BaseUri/name + ContentAccessComponent', async () => {
    const asset = await createAsset(emu);
    const locator = await createSasLocator(emu, asset.Id, (await createPolicy(emu, WRITE)).Id);
    const data = randomBytes(300_000);
    await blobClient(locator, 'movie.mp4').upload(data, data.length);
    expect((await blobBytes(asset, 'movie.mp4')).equals(data)).toBe(true);
  });

  it('with a Read policy cannot write (403), but can read', async () => {
    const asset = await createAsset(emu);
    const writer = await createSasLocator(emu, asset.Id, (await createPolicy(emu, WRITE)).Id);
    const reader = await createSasLocator(emu, asset.Id, (await createPolicy(emu, READ)).Id);
    const data = randomBytes(1000);
    expect(await uploadStatus(writer, 'a.bin', data)).toBe(201);
    expect(await uploadStatus(reader, 'b.bin', data)).toBe(403);
    expect((await blobClient(reader, 'a.bin').downloadToBuffer()).equals(data)).toBe(true);
  });

  it('end at StartTime + DurationInMinutes, whatever spelling StartTime came in', async () => {
    const asset = await createAsset(emu);
    const policy = await createPolicy(emu, READ, 30);
    const cases: [string, string][] = [
      ['2026-11-28T20:00:00Z', '2026-11-28T20:30:00.0000000Z'],
      ['2026-11-28T20:00:00', '2026-11-28T20:30:00.0000000Z'],
      ['11/28/2026 08:03:48 PM', '2026-11-28T20:33:48.0000000Z'],
    ];
    for (const [start, expected] of cases) {
      const locator = await createSasLocator(emu, asset.Id, policy.Id, { StartTime: start });
      expect(locator.ExpirationDateTime, start).toBe(expected);
      expect((await emu.ams('DELETE', entityPath('Locators', locator.Id))).status).toBe(204);
    }
  });

  it('allow at most 5 per asset: the 6th is 409, and deleting one makes room', async () => {
    const asset = await createAsset(emu);
    const policy = await createPolicy(emu, WRITE);
    const made: JsonBody[] = [];
    for (let i = 0; i < 5; i++) made.push(await createSasLocator(emu, asset.Id, policy.Id));
    const sixth = await emu.ams('POST', 'Locators', { body: { AssetId: asset.Id, AccessPolicyId: policy.Id, Type: 1 } });
    expect(sixth.status).toBe(409);
    expect(errorMessage(sixth.body)).toMatch(/5 locators/);
    expect((await emu.ams('GET', `${entityPath('Assets', asset.Id)}/Locators`)).body.value).toHaveLength(5);
    // Every one of the five still works.
    for (const [i, l] of made.entries()) expect(await uploadStatus(l, `f${i}`, Buffer.from('x'))).toBe(201);
    expect((await emu.ams('DELETE', entityPath('Locators', made[0]!.Id))).status).toBe(204);
    await createSasLocator(emu, asset.Id, policy.Id);
    // Another asset has its own five.
    const other = await createAsset(emu);
    await createSasLocator(emu, other.Id, policy.Id);
  });

  it('stay at 5 per asset when 8 are created at once, and each of the 5 works', async () => {
    const asset = await createAsset(emu);
    const policy = await createPolicy(emu, WRITE);
    const results = await Promise.all(Array.from({ length: 8 }, () => emu.ams('POST', 'Locators', { body: { AssetId: asset.Id, AccessPolicyId: policy.Id, Type: 1 } })));
    expect(results.map((r) => r.status).sort()).toEqual([201, 201, 201, 201, 201, 409, 409, 409]);
    const made = results.filter((r) => r.status === 201).map((r) => r.body);
    for (const [i, l] of made.entries()) expect(await uploadStatus(l, `race${i}`, Buffer.from('x'))).toBe(201);
    expect((await emu.ams('GET', `${entityPath('Assets', asset.Id)}/Locators`)).body.value).toHaveLength(5);
  });

  it('cannot be updated (400)', async () => {
    const asset = await createAsset(emu);
    const locator = await createSasLocator(emu, asset.Id, (await createPolicy(emu, WRITE)).Id);
    const res = await emu.ams('MERGE', entityPath('Locators', locator.Id), { body: { ExpirationDateTime: '2030-01-01T00:00:00Z' } });
    expect(res.status).toBe(400);
    expect(errorMessage(res.body)).toMatch(/SAS locator cannot be updated/);
    expect((await emu.ams('GET', entityPath('Locators', locator.Id))).body.ExpirationDateTime).toBe(locator.ExpirationDateTime);
  });

  it('DELETE revokes the SAS in storage (403 afterwards) and the entity (404)', async () => {
    const asset = await createAsset(emu);
    const locator = await createSasLocator(emu, asset.Id, (await createPolicy(emu, WRITE)).Id);
    expect(await uploadStatus(locator, 'before.bin', Buffer.from('ok'))).toBe(201);
    expect((await emu.ams('DELETE', entityPath('Locators', locator.Id))).status).toBe(204);
    expect(await uploadStatus(locator, 'after.bin', Buffer.from('no'))).toBe(403);
    expect((await emu.ams('GET', entityPath('Locators', locator.Id))).status).toBe(404);
    expect((await emu.ams('DELETE', entityPath('Locators', locator.Id))).status).toBe(404);
  });

  it('take a client-chosen Id (.NET) and answer 409 when it is reused', async () => {
    const asset = await createAsset(emu);
    const policy = await createPolicy(emu, WRITE);
    const id = formatNbId('lid', randomUUID());
    const locator = await createSasLocator(emu, asset.Id, policy.Id, { Id: id });
    expect(locator.Id).toBe(id);
    const again = await emu.ams('POST', 'Locators', { body: { Id: id, AssetId: asset.Id, AccessPolicyId: policy.Id, Type: 1 } });
    expect(again.status).toBe(409);
    expect((await emu.ams('GET', `${entityPath('Assets', asset.Id)}/Locators`)).body.value).toHaveLength(1);
  });

  it('bind the asset and policy through verbose __metadata links, as the .NET SDK binds navigation', async () => {
    const asset = await createAsset(emu);
    const policy = await createPolicy(emu, WRITE);
    const res = await emu.ams('POST', 'Locators', {
      headers: { 'Content-Type': 'application/json;odata=verbose', Accept: 'application/json;odata=verbose' },
      body: { Type: 1, Asset: { __metadata: { uri: `${emu.url}${entityPath('Assets', asset.Id)}` } }, AccessPolicy: { __metadata: { uri: `${emu.url}${entityPath('AccessPolicies', policy.Id)}` } } },
    });
    expect(res.status, res.text).toBe(201);
    expect(res.body.d.AssetId).toBe(asset.Id);
    expect(res.body.d.AccessPolicyId).toBe(policy.Id);
  });

  it('answer 409 on an asset whose container is gone, as the service did', async () => {
    const asset = await createAsset(emu);
    await blobs.getContainerClient(String(asset.Uri).split('/').pop()!).delete();
    const res = await emu.ams('POST', 'Locators', { body: { AssetId: asset.Id, AccessPolicyId: (await createPolicy(emu, WRITE)).Id, Type: 1 } });
    expect(res.status).toBe(409);
    expect(errorMessage(res.body)).toMatch(/container .* no longer exists/);
    expect((await emu.ams('GET', 'Locators')).body.value).toEqual([]);
  });

  it('refuse an unknown asset or policy (404), missing ones or an unsupported Type (400)', async () => {
    const asset = await createAsset(emu);
    const policy = await createPolicy(emu, WRITE);
    const post = (body: JsonBody) => emu.ams('POST', 'Locators', { body });
    expect((await post({ AssetId: formatNbId('cid', randomUUID()), AccessPolicyId: policy.Id, Type: 1 })).status).toBe(404);
    expect((await post({ AssetId: asset.Id, AccessPolicyId: formatNbId('pid', randomUUID()), Type: 1 })).status).toBe(404);
    expect((await post({ AccessPolicyId: policy.Id, Type: 1 })).status).toBe(400);
    expect((await post({ AssetId: asset.Id, Type: 1 })).status).toBe(400);
    for (const type of [0, 3, undefined]) {
      const res = await post({ AssetId: asset.Id, AccessPolicyId: policy.Id, Type: type });
      expect(res.status, String(type)).toBe(400);
      expect(errorMessage(res.body)).toMatch(/Type/);
    }
    expect((await emu.ams('GET', 'Locators')).body.value).toEqual([]);
  });
});

describe('dates outside the Edm.DateTime range', () => {
  /** Every Atom read of the locators still works: the SDKs all read Atom. */
  async function atomLocatorsReadable(): Promise<void> {
    const res = await emu.ams('GET', 'Locators', { headers: { Accept: 'application/atom+xml' } });
    expect(res.status, res.text.slice(0, 300)).toBe(200);
  }

  it('a locator whose StartTime + DurationInMinutes passes 9999-12-31 is refused (400) at create, nothing stored', async () => {
    const asset = await createAsset(emu, { Name: 'far', Options: 0 });
    const policy = await createPolicy(emu, READ, 60 * 24 * 365);
    for (const type of [1, 2]) {
      const res = await emu.ams('POST', 'Locators', { body: { AssetId: asset.Id, AccessPolicyId: policy.Id, Type: type, StartTime: '9999-12-31T00:00:00Z' } });
      expect(res.status, res.text).toBe(400);
      expect(errorMessage(res.body)).toMatch(/would expire at \+010000-12-30T00:00:00.000Z .*outside the Edm.DateTime range/);
    }
    expect((await emu.ams('GET', `${entityPath('Assets', asset.Id)}/Locators`)).body.value).toEqual([]);
    // The latest window that still ends in range is fine.
    const edge = await emu.ams('POST', 'Locators', { body: { AssetId: asset.Id, AccessPolicyId: (await createPolicy(emu, READ, 1)).Id, Type: 2, StartTime: '9999-12-31T23:58:59Z' } });
    expect(edge.status, edge.text).toBe(201);
    await atomLocatorsReadable();
  });

  it('any out-of-range date at create or MERGE is refused (400) and every Atom read keeps working (property)', async () => {
    const asset = await createAsset(emu, { Name: 'far', Options: 0 });
    const policy = await createPolicy(emu, READ);
    const locator = await emu.ams('POST', 'Locators', { body: { AssetId: asset.Id, AccessPolicyId: policy.Id, Type: 2 } });
    expect(locator.status).toBe(201);
    const path = entityPath('Locators', locator.body.Id);
    await fc.assert(
      fc.asyncProperty(outOfRangeDate, fc.constantFrom('StartTime', 'ExpirationDateTime'), async (date, property) => {
        const created = await emu.ams('POST', 'Locators', { body: { AssetId: asset.Id, AccessPolicyId: policy.Id, Type: 2, [property]: date } });
        expect(created.status, created.text).toBe(400);
        const merged = await emu.ams('MERGE', path, { body: { [property]: date } });
        expect(merged.status, merged.text).toBe(400);
        expect(errorMessage(merged.body)).toContain('outside the Edm.DateTime range');
      }),
      { numRuns: 25 },
    );
    expect((await emu.ams('GET', path)).body.ExpirationDateTime).toBe(locator.body.ExpirationDateTime);
    await atomLocatorsReadable();
  });
});

describe('origin locators', () => {
  it('need a read-only policy, and may move their window with MERGE', async () => {
    const asset = await createAsset(emu, { Name: 'stream', Options: 0 });
    const writePolicy = await createPolicy(emu, WRITE);
    const refused = await emu.ams('POST', 'Locators', { body: { AssetId: asset.Id, AccessPolicyId: writePolicy.Id, Type: 2 } });
    expect(refused.status).toBe(400);
    const locator = await emu.ams('POST', 'Locators', { body: { AssetId: asset.Id, AccessPolicyId: (await createPolicy(emu, READ)).Id, Type: 2 } });
    expect(locator.status).toBe(201);
    const guid = String(locator.body.Id).replace('nb:lid:UUID:', '');
    expect(locator.body.ContentAccessComponent).toBe(guid);
    expect(locator.body.Path).toBe(`${locator.body.BaseUri}/${guid}/`);
    const path = entityPath('Locators', locator.body.Id);
    expect((await emu.ams('MERGE', path, { body: { ExpirationDateTime: '2030-01-01T00:00:00Z' } })).status).toBe(204);
    expect((await emu.ams('GET', path)).body.ExpirationDateTime).toBe('2030-01-01T00:00:00.0000000Z');
  });
});
