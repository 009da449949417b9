import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatIv, randomIv } from '../../../client/src/crypto/index.js';
import { ivIdentity } from '../../src/domain/ivs.js';
import { ContentKey } from '../../src/odata/edm.js';
import { canonicalId } from '../../src/odata/uri.js';
import { startTestAzurite, type TestAzurite } from '../../../test/support/azurite.js';
import { ensureBuilt } from '../../../test/support/build.js';
import { entityPath, type AmsCaller, type JsonBody } from '../../../test/support/emulator.js';
import { encryptedFileBody, type ProtectionKey } from '../helpers/api-fixtures.js';
import { consistencyProblems, fetchState, type StateDump } from '../helpers/reliability-consistency.js';
import { encryptedAsset, protectionKeyOf } from '../helpers/reliability-entities.js';
import { CallLog, RegisterHistory } from '../helpers/reliability-history.js';
import { startEmulatorProcess, type EmulatorProcess } from '../helpers/reliability-process.js';
import { startTornReader } from '../helpers/reliability-torn-reader.js';

/**
 * 32 clients at once against one emulator process in file mode: creates of keys, assets, links and
 * files, MERGEs of their own entities and of entities they all share. Nothing acknowledged may be
 * lost, concurrent MERGEs of one property end with one written value (the last one in any order
 * the requests could have run in), and a reader polling the data directory the whole time never
 * sees a torn state file or journal line. With --strict, two creates racing with one key and one
 * IV never both succeed. (Requests run inside each other's storage awaits: reliability-interleavings.)
 */

const CLIENTS = 32;
const ROUNDS = 5;
const SHARED = 4;
/** AlternateId holds up to 4000 characters: big MERGEs grow the journal so that it is compacted (state.json rewritten) under the reader. */
const PADDING = 'x'.repeat(3_800);

const dirs: string[] = [];
const running: EmulatorProcess[] = [];
let azurite: TestAzurite;

beforeAll(async () => {
  // A build of dist/ (when a source changed) can take a minute on a busy machine.
  await ensureBuilt();
  azurite = await startTestAzurite();
}, 300_000);

afterAll(async () => {
  for (const emulator of running.splice(0)) await emulator.kill9();
  for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true });
  await azurite?.stop();
});

async function start(strict: boolean): Promise<{ emulator: EmulatorProcess; location: string }> {
  const location = await mkdtemp(join(tmpdir(), 'ams-reliability-concurrency-'));
  dirs.push(location);
  const emulator = await startEmulatorProcess({ location, strict, storageConnectionString: azurite.connectionString });
  running.push(emulator);
  return { emulator, location };
}

async function listAll(ams: AmsCaller, set: string): Promise<JsonBody[]> {
  const out: JsonBody[] = [];
  for (let skip = 0; ; skip += 1000) {
    const page = await ams('GET', `${set}?$top=1000&$skip=${skip}`);
    expect(page.status, page.text).toBe(200);
    const value = page.body.value as JsonBody[];
    out.push(...value);
    if (value.length < 1000) return out;
  }
}

interface Expected {
  keys: Set<string>;
  assets: Map<string, { keyId: string }>;
  files: Map<string, { assetId: string; iv: string }>;
}

const ok = (status: number) => status === 204;

/** One client's rounds: its own entities, then MERGEs of the shared ones. */
async function client(index: number, ams: AmsCaller, url: string, protection: ProtectionKey, shared: { assets: string[]; files: string[] }, expected: Expected, history: RegisterHistory): Promise<void> {
  for (let round = 0; round < ROUNDS; round++) {
    const tag = `c${index}-r${round}`;
    const { assetId, keyId } = await encryptedAsset(ams, url, protection, `asset-${tag}`);
    expected.keys.add(keyId);
    expected.assets.set(assetId, { keyId });
    const fileIds: string[] = [];
    for (const n of [1, 2]) {
      const iv = formatIv(randomIv());
      const file = await ams('POST', 'Files', { body: encryptedFileBody(assetId, keyId, `part-${n}.mp4`, iv) });
      expect(file.status, file.text).toBe(201);
      fileIds.push(String(file.body.Id));
      expected.files.set(String(file.body.Id), { assetId, iv });
    }
    const own = await history.write({ [`asset ${assetId} AlternateId`]: `${tag}-${PADDING}` }, () => ams('MERGE', entityPath('Assets', assetId), { body: { AlternateId: `${tag}-${PADDING}` } }), ok);
    expect(own.status, own.text).toBe(204);
    const ownFile = await history.write({ [`file ${fileIds[0]} MimeType`]: `video/x-${tag}` }, () => ams('MERGE', entityPath('Files', fileIds[0]!), { body: { MimeType: `video/x-${tag}` } }), ok);
    expect(ownFile.status, ownFile.text).toBe(204);

    const sharedAsset = shared.assets[(index + round) % SHARED]!;
    const merged = await history.write(
      { [`asset ${sharedAsset} Name`]: tag, [`asset ${sharedAsset} AlternateId`]: `${tag}-${PADDING}` },
      () => ams('MERGE', entityPath('Assets', sharedAsset), { body: { Name: tag, AlternateId: `${tag}-${PADDING}` } }),
      ok,
    );
    expect(merged.status, merged.text).toBe(204);
    // Half the clients write one property of a shared file and half another: both kinds must survive.
    const sharedFile = shared.files[(index + round) % SHARED]!;
    const property = index % 2 === 0 ? 'MimeType' : 'ContentChecksum';
    const value = `${property === 'MimeType' ? 'video/x-' : ''}${tag}`;
    const mergedFile = await history.write({ [`file ${sharedFile} ${property}`]: value }, () => ams('MERGE', entityPath('Files', sharedFile), { body: { [property]: value } }), ok);
    expect(mergedFile.status, mergedFile.text).toBe(204);
  }
}

/** Every problem with the state against what the clients were told; empty when nothing was lost. */
async function lostWrites(emulator: EmulatorProcess, state: StateDump, expected: Expected, history: RegisterHistory): Promise<string[]> {
  const problems: string[] = [];
  const assets = new Map((await listAll(emulator.ams, 'Assets')).map((a) => [String(a.Id), a]));
  const files = new Map((await listAll(emulator.ams, 'Files')).map((f) => [String(f.Id), f]));
  const keys = new Set((await listAll(emulator.ams, 'ContentKeys')).map((k) => String(k.Id)));
  for (const keyId of expected.keys) if (!keys.has(keyId)) problems.push(`acknowledged key ${keyId} is missing`);
  const links = new Set(state.assetContentKeys.map((l) => `${String(l['assetId'])}|${String(l['keyId'])}`));
  for (const [assetId, { keyId }] of expected.assets) {
    if (!assets.has(assetId)) problems.push(`acknowledged asset ${assetId} is missing`);
    if (!links.has(`${assetId}|${canonicalId(ContentKey, keyId)}`)) problems.push(`acknowledged link ${assetId} -> ${keyId} is missing`);
  }
  for (const [fileId, { assetId, iv }] of expected.files) {
    const file = files.get(fileId);
    if (!file) problems.push(`acknowledged file ${fileId} is missing`);
    else if (file.ParentAssetId !== assetId || file.InitializationVector !== iv) problems.push(`file ${fileId} changed: ${JSON.stringify(file)}`);
  }
  for (const register of history.registers()) {
    const [kind, id, property] = register.split(' ') as [string, string, string];
    const entity = kind === 'asset' ? assets.get(id) : files.get(id);
    const problem = history.problem(register, entity?.[property]);
    if (problem) problems.push(problem);
  }
  // One MERGE wrote both of a shared asset's properties: never half of one and half of another.
  for (const id of new Set(history.registers().filter((r) => r.endsWith(' Name')).map((r) => r.split(' ')[1]!))) {
    const asset = assets.get(id);
    if (asset && !String(asset.AlternateId).startsWith(`${String(asset.Name)}-`)) problems.push(`asset ${id} mixes two MERGEs: Name ${asset.Name}, AlternateId ${String(asset.AlternateId).slice(0, 20)}...`);
  }
  return problems;
}

describe.each([
  ['compat', false],
  ['strict', true],
])('%s mode', (_mode, strict) => {
  it(`${CLIENTS} clients at once lose no acknowledged create or MERGE, never answer 5xx, and never leave a torn file on disk`, async () => {
    const { emulator, location } = await start(strict);
    const protection = await protectionKeyOf(emulator.ams);
    const log = new CallLog();
    const ams = log.wrap(emulator.ams);
    const history = new RegisterHistory();
    const expected: Expected = { keys: new Set(), assets: new Map(), files: new Map() };
    const shared = { assets: [] as string[], files: [] as string[] };
    for (let i = 0; i < SHARED; i++) {
      const { assetId, keyId } = await encryptedAsset(ams, emulator.url, protection, `shared-${i}`);
      const file = await ams('POST', 'Files', { body: encryptedFileBody(assetId, keyId, 'shared.mp4') });
      expect(file.status, file.text).toBe(201);
      shared.assets.push(assetId);
      shared.files.push(String(file.body.Id));
    }

    const reader = startTornReader(location);
    let report;
    try {
      await Promise.all(Array.from({ length: CLIENTS }, (_, index) => client(index, ams, emulator.url, protection, shared, expected, history)));
    } finally {
      report = await reader.stop();
    }

    expect(log.serverErrors).toEqual([]);
    expect(report.torn).toEqual([]);
    expect(report.snapshotReads).toBeGreaterThan(0);
    expect(report.journalLines).toBeGreaterThan(0);
    // The journal was compacted at least once under the reader: state.json was rewritten.
    expect(report.generations.length, `generations seen: ${report.generations.join(', ')}`).toBeGreaterThan(1);

    const state = await fetchState(emulator.baseUrl);
    expect(consistencyProblems(state)).toEqual([]);
    expect(await lostWrites(emulator, state, expected, history)).toEqual([]);

    // And all of it is on disk: a clean restart shows the same state.
    await emulator.stop();
    const again = await startEmulatorProcess({ location, strict, storageConnectionString: azurite.connectionString });
    running.push(again);
    expect(await fetchState(again.baseUrl)).toEqual(state);
    console.log(
      `reliability (${strict ? 'strict' : 'compat'}): ${CLIENTS} clients, ${log.requests} requests (${[...log.statuses].map(([s, n]) => `${n}x${s}`).join(', ')}), ` +
        `0 lost; reader: ${report.snapshotReads} state.json reads over ${report.generations.length} generations, ${report.journalLines} journal lines, 0 torn`,
    );
  }, 180_000);
});

describe('--strict: one key, one IV', () => {
  let emulator: EmulatorProcess;
  let protection: ProtectionKey;
  const RACES = 48;
  const AT_ONCE = 8;

  beforeAll(async () => {
    emulator = (await start(true)).emulator;
    protection = await protectionKeyOf(emulator.ams);
  }, 120_000);

  /** Two writes of one IV under one key, sent together; returns both statuses. */
  async function race(variant: number): Promise<number[]> {
    const ams = emulator.ams;
    const a = await encryptedAsset(ams, emulator.url, protection, `race-${variant}`);
    const iv = formatIv(randomIv());
    if (variant % 3 === 0) {
      // Two new files of one asset.
      return Promise.all([1, 2].map(async (n) => (await ams('POST', 'Files', { body: encryptedFileBody(a.assetId, a.keyId, `same-${n}.mp4`, iv) })).status));
    }
    if (variant % 3 === 1) {
      // Two assets sharing the key (the file names the key explicitly).
      const other = await ams('POST', 'Assets', { body: { Name: `race-${variant}-b`, Options: 0 } });
      expect(other.status, other.text).toBe(201);
      return Promise.all([a.assetId, String(other.body.Id)].map(async (assetId) => (await ams('POST', 'Files', { body: encryptedFileBody(assetId, a.keyId, 'same.mp4', iv) })).status));
    }
    // A new file and a MERGE giving an existing file the same IV.
    const existing = await ams('POST', 'Files', { body: encryptedFileBody(a.assetId, a.keyId, 'existing.mp4') });
    expect(existing.status, existing.text).toBe(201);
    return Promise.all([
      ams('POST', 'Files', { body: encryptedFileBody(a.assetId, a.keyId, 'new.mp4', iv) }).then((r) => r.status === 201 ? 'ok' : r.status),
      ams('MERGE', entityPath('Files', String(existing.body.Id)), { body: { InitializationVector: iv } }).then((r) => r.status === 204 ? 'ok' : r.status),
    ]).then((statuses) => statuses.map((s) => (s === 'ok' ? 201 : s)));
  }

  it(`never lets both of two racing writes of one IV succeed (${RACES} races, ${AT_ONCE} at a time)`, async () => {
    const outcomes: number[][] = [];
    for (let start = 0; start < RACES; start += AT_ONCE) {
      outcomes.push(...(await Promise.all(Array.from({ length: AT_ONCE }, (_, i) => race(start + i)))));
    }
    for (const statuses of outcomes) expect([...statuses].sort()).toEqual([201, 409]);

    // And the stored state agrees: under each key, no IV twice.
    const state = await fetchState(emulator.baseUrl);
    const seen = new Map<string, string>();
    for (const file of state.files) {
      if (file['IsEncrypted'] !== true || typeof file['InitializationVector'] !== 'string') continue;
      const slot = `${canonicalId(ContentKey, String(file['EncryptionKeyId']))} ${ivIdentity(file['InitializationVector'])}`;
      expect(seen.get(slot), `${String(file['Id'])} reuses the IV of ${seen.get(slot)}`).toBeUndefined();
      seen.set(slot, String(file['Id']));
    }
    expect(consistencyProblems(state)).toEqual([]);
  });
});
