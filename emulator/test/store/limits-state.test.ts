import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_LIMITS } from '../../src/config.js';
import { FINDINGS, findingCounts, MAX_FINDINGS, recordFinding } from '../../src/domain/findings.js';
import { ENTITY_TYPES } from '../../src/odata/edm.js';
import { DEFAULT_MAX_STRING_LENGTH, maxLengthOf } from '../../src/odata/property-limits.js';
import { openStore, StoreFullError } from '../../src/store/index.js';
import { entityPath, startTestEmulator, type TestEmulator } from '../../../test/support/emulator.js';
import { startTestAzurite, type TestAzurite } from '../../../test/support/azurite.js';
import { createAsset, createPolicy, errorMessage } from '../helpers/api-fixtures.js';
import { tempDirs } from '../helpers/store-temp.js';

/**
 * Issue 13, item 2: acknowledged data can never become unloadable. Property lengths are bounded
 * (the service's documented MaxLength, else the emulator's own), findings are a ring, and the
 * store refuses (507) a change that would grow the state past its bound; whatever was
 * acknowledged reads back after a restart.
 */

const temp = tempDirs();
afterEach(() => temp.cleanup());

let root: string;
let azurite: TestAzurite;
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'ams-limits-state-'));
  azurite = await startTestAzurite();
}, 60_000);
afterAll(async () => {
  await azurite?.stop();
  await rm(root, { recursive: true, force: true });
});

function emulatorAt(location: string | undefined, maxStateChars = DEFAULT_LIMITS.maxStateChars): Promise<TestEmulator> {
  return startTestEmulator({ location, storageConnectionString: azurite.connectionString, limits: { ...DEFAULT_LIMITS, maxStateChars } });
}

describe('property lengths', () => {
  it('publishes the service bounds and gives every other string the default', () => {
    const bound = (set: string, name: string) => {
      const type = ENTITY_TYPES.find((t) => t.set === set)!;
      return maxLengthOf(type, type.properties.find((p) => p.name === name)!);
    };
    expect([bound('Assets', 'Name'), bound('Assets', 'AlternateId'), bound('Files', 'Name'), bound('ContentKeys', 'Name')]).toEqual([512, 4000, 260, 4000]);
    expect([bound('Locators', 'Name'), bound('AccessPolicies', 'Name'), bound('Files', 'MimeType')]).toEqual([DEFAULT_MAX_STRING_LENGTH, DEFAULT_MAX_STRING_LENGTH, DEFAULT_MAX_STRING_LENGTH]);
  });

  it('accepts a string up to its bound and refuses one past it with 400, on create and MERGE, JSON and Atom', async () => {
    const emu = await emulatorAt(undefined);
    try {
      const asset = await createAsset(emu);
      const policy = await createPolicy(emu, 1);
      let fileNumber = 0;
      const cases: Array<{ set: string; property: string; limit: number; body: (value: string) => Record<string, unknown> }> = [
        { set: 'Assets', property: 'Name', limit: 512, body: (v) => ({ Name: v }) },
        { set: 'Assets', property: 'AlternateId', limit: 4000, body: (v) => ({ AlternateId: v }) },
        { set: 'Files', property: 'MimeType', limit: 4000, body: (v) => ({ Name: `f${fileNumber++}.mp4`, ParentAssetId: asset['Id'], MimeType: v }) },
        { set: 'AccessPolicies', property: 'Name', limit: 4000, body: (v) => ({ Name: v, DurationInMinutes: 60, Permissions: 1 }) },
      ];
      await fc.assert(
        fc.asyncProperty(fc.constantFrom(...cases), fc.integer({ min: -2, max: 2 }), fc.constantFrom(1, 1000), async (c, delta, factor) => {
          const length = delta <= 0 ? c.limit + delta : c.limit * factor + delta;
          const value = 'v'.repeat(length);
          const res = await emu.ams('POST', c.set, { body: c.body(value) });
          if (length <= c.limit) {
            expect(res.status, errorMessage(res.body)).toBe(201);
            expect(res.body[c.property]).toBe(value);
          } else {
            expect(res.status).toBe(400);
            expect(errorMessage(res.body)).toBe(`The property '${c.property}' of ${ENTITY_TYPES.find((t) => t.set === c.set)!.name} is ${length} characters long; the limit is ${c.limit}`);
          }
        }),
        { numRuns: 40 },
      );
      const merge = await emu.ams('MERGE', entityPath('Assets', String(asset['Id'])), { body: { Name: 'n'.repeat(513) } });
      expect(merge.status).toBe(400);
      const atom = await emu.ams('POST', 'Assets', {
        headers: { 'Content-Type': 'application/atom+xml', Accept: 'application/atom+xml' },
        body: `<entry xmlns="http://www.w3.org/2005/Atom" xmlns:d="http://schemas.microsoft.com/ado/2007/08/dataservices" xmlns:m="http://schemas.microsoft.com/ado/2007/08/dataservices/metadata"><content type="application/xml"><m:properties><d:Name>${'a'.repeat(3_900_000)}</d:Name></m:properties></content></entry>`,
      });
      expect(atom.status).toBe(400);
      const locator = await emu.ams('POST', 'Locators', { body: { AssetId: asset['Id'], AccessPolicyId: policy['Id'], Type: 1, Name: 'l'.repeat(4001) } });
      expect(locator.status).toBe(400);
    } finally {
      await emu.close();
    }
  }, 120_000);
});

describe('state size bound', () => {
  it('refuses a transaction that would grow the state past maxStateChars, accepts deletes, and reopens everything acknowledged', async () => {
    const dir = temp.make();
    const store = await openStore({ directory: dir, maxStateChars: 100_000, compactionMinBytes: 4096 });
    const pad = 'p'.repeat(1000);
    let acknowledged = 0;
    let refusal: unknown;
    for (let i = 0; i < 200 && refusal === undefined; i++) {
      refusal = await store.transaction((tx) => tx.put('items', `i${i}`, { i, pad })).then(
        () => {
          acknowledged++;
          return undefined;
        },
        (error: unknown) => error,
      );
    }
    expect(refusal).toBeInstanceOf(StoreFullError);
    expect((refusal as Error).message).toContain('past its limit of 100000');
    expect(store.stats().stateChars).toBeLessThanOrEqual(100_000);
    // Nothing of the refused transaction is left, and shrinking is always allowed.
    expect(store.count('items')).toBe(acknowledged);
    await store.transaction((tx) => tx.delete('items', 'i0'));
    await store.transaction((tx) => tx.put('items', 'small', { s: 1 }));
    await store.close();
    const reopened = await openStore({ directory: dir, maxStateChars: 100_000 });
    expect(reopened.count('items')).toBe(acknowledged);
    expect(reopened.stats().stateChars).toBe(store.stats().stateChars);
    await reopened.close();
  });

  it('soak: entities at their largest, over HTTP, end in 507 before the bound, and a restart reads every acknowledged one', async () => {
    // The route: 3.9 MB names. Scaled: a 2 Mi-character bound stands for the default
    // (a quarter of V8's longest string); the shape of the refusal is the same.
    const location = join(root, 'soak');
    const bound = 2 * 1024 * 1024;
    let emu = await emulatorAt(location, bound);
    const created: string[] = [];
    let refused: Awaited<ReturnType<TestEmulator['ams']>> | undefined;
    try {
      expect((await emu.ams('POST', 'Assets', { body: { Name: 'n'.repeat(3_900_000) } })).status).toBe(400);
      for (let i = 0; i < 2000 && refused === undefined; i++) {
        const res = await emu.ams('POST', 'Assets', { body: { Name: `${i}-${'n'.repeat(500)}`, AlternateId: 'a'.repeat(4000) } });
        if (res.status === 201) created.push(String(res.body['Id']));
        else refused = res;
      }
      expect(refused?.status).toBe(507);
      expect(errorMessage(refused?.body as Record<string, unknown> | undefined)).toContain(location);
      const state = await emu.admin('GET', 'state');
      expect(state.status).toBe(200);
      // Deleting makes room again.
      expect((await emu.ams('DELETE', entityPath('Assets', created.pop()!))).status).toBe(204);
      const again = await emu.ams('POST', 'Assets', { body: { Name: 'after-delete' } });
      expect(again.status).toBe(201);
      created.push(String(again.body['Id']));
    } finally {
      await emu.close();
    }
    emu = await emulatorAt(location, bound);
    try {
      const count = await emu.ams('GET', 'Assets/$count');
      expect(Number(count.text)).toBe(created.length);
      for (const id of [created[0]!, created.at(-1)!]) expect((await emu.ams('GET', entityPath('Assets', id))).status).toBe(200);
    } finally {
      await emu.close();
    }
  }, 180_000);
});

describe('findings ring', () => {
  it(`keeps the newest ${MAX_FINDINGS} findings and exact counts per rule across eviction and restart`, async () => {
    const dir = temp.make();
    let store = await openStore({ directory: dir });
    const extra = 25;
    const rules = ['unsupported-api-version', 'iv-reused'];
    await store.transaction((tx) => {
      for (let i = 0; i < MAX_FINDINGS + extra; i++) {
        recordFinding(tx, undefined, { rule: rules[i % 2]!, message: `m${i}` }, `f${i}`, new Date(0));
      }
    });
    const check = () => {
      expect(store.count(FINDINGS)).toBe(MAX_FINDINGS);
      expect(store.get(FINDINGS, `f${extra - 1}`)).toBeUndefined();
      expect(store.get(FINDINGS, `f${extra}`)).toBeDefined();
      const total = MAX_FINDINGS + extra;
      expect(findingCounts(store)).toEqual({ [rules[0]!]: Math.ceil(total / 2), [rules[1]!]: Math.floor(total / 2) });
    };
    check();
    await store.close();
    store = await openStore({ directory: dir });
    check();
    await store.close();
  });
});
