import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { batchBody, readBatchResponse } from '../../../client/src/rest/batch-wire.js';
import { DEFAULT_LIMITS } from '../../src/config.js';
import { startTestEmulator, type TestEmulator } from '../../../test/support/emulator.js';
import { errorMessage } from '../helpers/api-fixtures.js';
import { jobIdOf, postJob, sample, uploadEncryptedAsset, type ClearFile } from '../helpers/jobs-fixtures.js';

/**
 * EncodingReservedUnitTypes over real HTTP: the account's one row in every format, its key as the
 * `guid'…'` literal the SDKs send, MERGE of the units within the quota, the 400s and 404s, and
 * the runner's concurrency following CurrentReservedUnits.
 */

const ACCOUNT_ID = '83e6aeb1-3c53-5f7d-a18d-de746a23da2a';
const ROW = `EncodingReservedUnitTypes(guid'${ACCOUNT_ID}')`;

let emu: TestEmulator;
beforeAll(async () => {
  emu = await startTestEmulator({ limits: { ...DEFAULT_LIMITS, maxRunningJobs: 3 } });
});
afterAll(() => emu.close());
beforeEach(() => emu.reset());

describe('reading the row', () => {
  it('a feed of one row, as .NET and PHP read it; the default units are the configured concurrency', async () => {
    const res = await emu.ams('GET', 'EncodingReservedUnitTypes');
    expect(res.status, res.text).toBe(200);
    expect(res.body.value).toEqual([{ AccountId: ACCOUNT_ID, ReservedUnitType: 0, CurrentReservedUnits: 3, MaxReservableUnits: 25 }]);
    expect(res.body['odata.metadata']).toContain('$metadata#EncodingReservedUnitTypes');
  });

  it("by key: guid'…' in either case, or quoted; verbose JSON names it by the guid literal", async () => {
    for (const path of [ROW, ROW.replace(ACCOUNT_ID, ACCOUNT_ID.toUpperCase()), `EncodingReservedUnitTypes('${ACCOUNT_ID}')`]) {
      const res = await emu.ams('GET', path);
      expect(res.status, `${path}: ${res.text}`).toBe(200);
      expect(res.body.AccountId).toBe(ACCOUNT_ID);
    }
    const verbose = await emu.ams('GET', ROW, { headers: { Accept: 'application/json;odata=verbose' } });
    expect(verbose.body.d.__metadata).toMatchObject({ type: 'Microsoft.Cloud.Media.Vod.Rest.Data.Models.EncodingReservedUnitType', uri: expect.stringContaining(`EncodingReservedUnitTypes(guid'${ACCOUNT_ID}')`) });
  });

  it('Atom: the AccountId typed Edm.Guid, the units Edm.Int32', async () => {
    const res = await emu.ams('GET', ROW, { headers: { Accept: 'application/atom+xml' } });
    expect(res.status, res.text).toBe(200);
    expect(res.text).toContain(`<d:AccountId m:type="Edm.Guid">${ACCOUNT_ID}</d:AccountId>`);
    expect(res.text).toContain('<d:CurrentReservedUnits m:type="Edm.Int32">3</d:CurrentReservedUnits>');
    const metadata = await emu.ams('GET', '$metadata');
    expect(metadata.text).toMatch(/<EntityType Name="EncodingReservedUnitType">\s*<Key>\s*<PropertyRef Name="AccountId"/);
    expect(metadata.text).toContain('<Property Name="AccountId" Type="Edm.Guid" Nullable="false"');
  });

  it('a malformed key is 400, a well-formed unknown one 404; the row cannot be created or deleted', async () => {
    expect((await emu.ams('GET', "EncodingReservedUnitTypes(guid'not-a-guid')")).status).toBe(400);
    const unknown = await emu.ams('GET', "EncodingReservedUnitTypes(guid'00000000-0000-0000-0000-000000000001')");
    expect(unknown.status).toBe(404);
    expect((await emu.ams('MERGE', "EncodingReservedUnitTypes(guid'00000000-0000-0000-0000-000000000001')", { body: { CurrentReservedUnits: 1 } })).status).toBe(404);
    expect((await emu.ams('MERGE', "EncodingReservedUnitTypes(guid'nope')", { body: { CurrentReservedUnits: 1 } })).status).toBe(400);
    expect((await emu.ams('POST', 'EncodingReservedUnitTypes', { body: { CurrentReservedUnits: 1 } })).status).toBe(405);
    expect((await emu.ams('DELETE', ROW)).status).toBe(405);
  });
});

describe('changing the units', () => {
  it('MERGE, PATCH and PUT of CurrentReservedUnits and ReservedUnitType: 204, and the row says so', async () => {
    expect((await emu.ams('MERGE', ROW, { body: { CurrentReservedUnits: 1 } })).status).toBe(204);
    expect((await emu.ams('PATCH', ROW, { body: { ReservedUnitType: 2 } })).status).toBe(204);
    expect((await emu.ams('GET', ROW)).body).toMatchObject({ CurrentReservedUnits: 1, ReservedUnitType: 2 });
    // The .NET SDK sends every property, the read-only ones too: they are ignored.
    expect((await emu.ams('PUT', ROW, { body: { AccountId: '00000000-0000-0000-0000-000000000001', ReservedUnitType: 1, CurrentReservedUnits: 25, MaxReservableUnits: 400 } })).status).toBe(204);
    expect((await emu.ams('GET', ROW)).body).toEqual(expect.objectContaining({ AccountId: ACCOUNT_ID, ReservedUnitType: 1, CurrentReservedUnits: 25, MaxReservableUnits: 25 }));
  });

  it('Atom MERGE as the Java SDK sends it (POST + X-HTTP-METHOD)', async () => {
    const D = 'http://schemas.microsoft.com/ado/2007/08/dataservices';
    const body = `<?xml version="1.0" encoding="utf-8"?><entry xmlns="http://www.w3.org/2005/Atom" xmlns:d="${D}" xmlns:m="${D}/metadata"><content type="application/xml"><m:properties><d:CurrentReservedUnits m:type="Edm.Int32">4</d:CurrentReservedUnits></m:properties></content></entry>`;
    const res = await emu.ams('POST', ROW, { body, headers: { 'Content-Type': 'application/atom+xml', 'X-HTTP-METHOD': 'MERGE', Accept: 'application/atom+xml' } });
    expect(res.status, res.text).toBe(204);
    expect((await emu.ams('GET', ROW)).body.CurrentReservedUnits).toBe(4);
  });

  it('beyond MaxReservableUnits, negative, or not a unit type: 400 saying why, nothing changed', async () => {
    for (const [body, fragment] of [
      [{ CurrentReservedUnits: 26 }, 'MaxReservableUnits 25'],
      [{ CurrentReservedUnits: -1 }, 'from 0 to MaxReservableUnits'],
      [{ ReservedUnitType: 3 }, 'use 0 (S1), 1 (S2) or 2 (S3)'],
      [{ CurrentReservedUnits: 'many' }, 'CurrentReservedUnits'],
    ] as const) {
      const res = await emu.ams('MERGE', ROW, { body });
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(errorMessage(res.body)).toContain(fragment);
    }
    expect((await emu.ams('GET', ROW)).body).toMatchObject({ CurrentReservedUnits: 3, ReservedUnitType: 0 });
  });

  it('$batch: a changeset MERGE of the units, and a read of the row', async () => {
    const boundary = 'batch_ru';
    const res = await emu.ams('POST', '$batch', {
      body: batchBody(boundary, [
        { changeset: [{ method: 'MERGE', url: `${emu.url}${ROW}`, headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ CurrentReservedUnits: 7 }) }] },
        { method: 'GET', url: `${emu.url}EncodingReservedUnitTypes`, headers: { Accept: 'application/json' } },
      ]),
      headers: { 'Content-Type': `multipart/mixed; boundary=${boundary}`, Accept: 'multipart/mixed' },
    });
    expect(res.status, res.text).toBe(202);
    const [changes, read] = readBatchResponse(res.headers.get('content-type'), res.text);
    expect(changes && 'changeset' in changes ? changes.changeset.map((p) => p.status) : []).toEqual([204]);
    expect(read && !('changeset' in read) ? JSON.parse(read.body).value[0].CurrentReservedUnits : undefined).toBe(7);
  });
});

describe('the units are how many jobs do their work at once', () => {
  it('one unit (polls): a second job stays Scheduled while the first runs, then runs once it has finished', async () => {
    const polled = await startTestEmulator({ jobProgression: { mode: 'polls', pollsPerState: 1 }, limits: { ...DEFAULT_LIMITS, maxRunningJobs: 3 } });
    try {
      expect((await polled.ams('MERGE', ROW, { body: { CurrentReservedUnits: 1 } })).status).toBe(204);
      const stateOf = async (jobId: string) => (await polled.ams('GET', `Jobs('${encodeURIComponent(jobId)}')`)).body.State as number;
      // Big enough that its work is still running a few requests later.
      const big: ClearFile[] = [{ name: 'big.mp4', data: sample(32 * 1024 * 1024) }];
      const small: ClearFile[] = [{ name: 'small.mp4', data: sample(1000) }];
      const first = jobIdOf(await postJob(polled, [(await uploadEncryptedAsset(polled, big)).assetId], 'minimal'));
      const second = jobIdOf(await postJob(polled, [(await uploadEncryptedAsset(polled, small)).assetId], 'minimal'));
      expect([await stateOf(first), await stateOf(first)]).toEqual([1, 2]);
      expect([await stateOf(second), await stateOf(second), await stateOf(second)]).toEqual([1, 1, 1]);
      let state = 2;
      for (let i = 0; i < 100 && state === 2; i++) state = await stateOf(first);
      expect(state).toBe(3);
      expect([await stateOf(second), await stateOf(second)]).toEqual([2, 3]);
    } finally {
      await polled.close();
    }
  });

  it('no units: jobs still run, one at a time (as the service ran them at S1 speed)', async () => {
    expect((await emu.ams('MERGE', ROW, { body: { CurrentReservedUnits: 0 } })).status).toBe(204);
    const input = await uploadEncryptedAsset(emu, [{ name: 'a.mp4', data: sample(100) }]);
    const jobs = await Promise.all([1, 2].map(async () => jobIdOf(await postJob(emu, [input.assetId], 'minimal'))));
    const states = await Promise.all(jobs.map(async (id) => (await emu.ams('GET', `Jobs('${encodeURIComponent(id)}')`)).body.State));
    expect(states).toEqual([3, 3]);
  });
});
