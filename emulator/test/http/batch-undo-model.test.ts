import { randomUUID } from 'node:crypto';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { batchBody, readBatchResponse, type BatchRequestPart, type PartResponse } from '../../../client/src/rest/batch-wire.js';
import { formatNbId } from '../../../client/src/crypto/index.js';
import { ACCOUNT_ID } from '../../src/model/encoding-reserved-unit-type.js';
import { entityPath, startTestEmulator, type JsonBody, type TestEmulator } from '../../../test/support/emulator.js';
import { createAsset, createFile, createPolicy, createSasLocator, encryptedAsset, linkKey, protectionKey } from '../helpers/api-fixtures.js';
import { createEnvelopeKey, createOption, openRestriction } from '../helpers/delivery-fixtures.js';

/**
 * A failed changeset leaves the state as it found it, for every entity set and every kind of
 * change the emulator can undo: a changeset of changes followed by a request that fails is
 * answered with that failure, says nothing was left undone, and every GET (every entity set, every
 * `$links` list, the stored state behind them) answers as before. First each change kind alone
 * (and each must have succeeded before the failure, or the case proves nothing), then random
 * sequences of them, where earlier changes of the changeset meet later ones (a key unlinked then
 * deleted, an endpoint started then scaled).
 *
 * Not covered, because the emulator cannot undo them and says so (batch-undo-integrity.test.ts):
 * an asset's delete, an IngestManifest's (their containers go), a SAS locator's.
 */

const BOUNDARY = 'batch_7c1e9a0d-undo-model';
const JSON_HEADERS = { 'Content-Type': 'application/json', Accept: 'application/json' };
const UNITS = `EncodingReservedUnitTypes(guid'${ACCOUNT_ID}')`;

let emu: TestEmulator;

/** What the changes act on: one or more of every kind of entity, linked as a publisher links them. */
interface Fixture {
  assets: string[];
  encrypted: string;
  envelopeAsset: string;
  plain: string;
  file: string;
  storageKey: string;
  envelopeKey: string;
  /** A write policy no locator uses, and the read policy of the origin locator. */
  accessPolicies: string[];
  readPolicy: string;
  originLocator: string;
  deliveryPolicies: string[];
  spareDeliveryPolicy: string;
  authorizationPolicies: string[];
  options: string[];
  notificationEndPoints: string[];
  manifest: string;
  manifestAsset: string;
  manifestFiles: string[];
  endpoints: string[];
}
let fx: Fixture;

async function post(set: string, body: JsonBody, status = 201): Promise<JsonBody> {
  const res = await emu.ams('POST', set, { body });
  expect(res.status, `${set}: ${res.text}`).toBe(status);
  return res.body;
}

async function link(source: string, nav: string, target: string): Promise<void> {
  const res = await emu.ams('POST', `${source}/$links/${nav}`, { body: { uri: `${emu.url}${target}` } });
  expect(res.status, res.text).toBe(204);
}

async function buildFixture(): Promise<Fixture> {
  const protection = await protectionKey(emu);
  const { asset, key } = await encryptedAsset(emu, protection);
  const encrypted = String(asset.Id);
  const file = await createFile(emu, { Name: 'movie.mp4', ParentAssetId: encrypted, MimeType: 'video/mp4' });
  const envelope = await createEnvelopeKey(emu, protection);
  const envelopeAsset = String((await createAsset(emu, { Name: 'protected', Options: 0 })).Id);
  await linkKey(emu, envelopeAsset, envelope.id);
  const plain = String((await createAsset(emu, { Name: 'plain', Options: 0 })).Id);

  const writePolicy = String((await createPolicy(emu, 2)).Id);
  const readPolicy = String((await createPolicy(emu, 1)).Id);
  const originLocator = String((await createSasLocator(emu, plain, readPolicy, { Type: 2 })).Id);

  const clear = await post('AssetDeliveryPolicies', { Name: 'clear', AssetDeliveryProtocol: 1, AssetDeliveryPolicyType: 2, AssetDeliveryConfiguration: null });
  const envelopePolicy = await post('AssetDeliveryPolicies', {
    Name: 'envelope',
    AssetDeliveryProtocol: 4,
    AssetDeliveryPolicyType: 3,
    AssetDeliveryConfiguration: JSON.stringify([{ Key: 2, Value: 'https://keys.example.test/' }]),
  });
  const spare = await post('AssetDeliveryPolicies', { Name: 'spare', AssetDeliveryProtocol: 2, AssetDeliveryPolicyType: 2, AssetDeliveryConfiguration: null });
  for (const policy of [clear, envelopePolicy]) await link(entityPath('Assets', envelopeAsset), 'DeliveryPolicies', entityPath('AssetDeliveryPolicies', String(policy.Id)));
  // A storage-encrypted asset streams only with a delivery policy, so the origin-locator case has one to stand on.
  await link(entityPath('Assets', encrypted), 'DeliveryPolicies', entityPath('AssetDeliveryPolicies', String(clear.Id)));

  const used = String((await post('ContentKeyAuthorizationPolicies', { Name: 'used' })).Id);
  const free = String((await post('ContentKeyAuthorizationPolicies', { Name: 'free' })).Id);
  const options = [String((await createOption(emu, openRestriction)).Id), String((await createOption(emu, openRestriction)).Id)];
  await link(entityPath('ContentKeyAuthorizationPolicies', used), 'Options', entityPath('ContentKeyAuthorizationPolicyOptions', options[0]!));
  for (const option of options) await link(entityPath('ContentKeyAuthorizationPolicies', free), 'Options', entityPath('ContentKeyAuthorizationPolicyOptions', option));
  expect((await emu.ams('MERGE', entityPath('ContentKeys', envelope.id), { body: { AuthorizationPolicyId: used } })).status).toBe(204);

  const notificationEndPoints = [
    String((await post('NotificationEndPoints', { Name: 'queue', EndPointType: 1, EndPointAddress: 'undo-model' })).Id),
    String((await post('NotificationEndPoints', { Name: 'hook', EndPointType: 3, EndPointAddress: 'http://127.0.0.1:9/hook' })).Id),
  ];

  const manifest = String((await post('IngestManifests', { Name: 'bulk' })).Id);
  const manifestAsset = String((await post('IngestManifestAssets', { ParentIngestManifestId: manifest, Asset: { Id: encrypted } })).Id);
  const manifestFiles: string[] = [];
  for (const name of ['one.mp4', 'two.mp4']) {
    manifestFiles.push(String((await post('IngestManifestFiles', { Name: name, ParentIngestManifestId: manifest, ParentIngestManifestAssetId: manifestAsset, MimeType: 'video/mp4' })).Id));
  }

  // The default endpoint (made by the first read), one stopped and one running.
  const defaultEndpoint = String((await emu.ams('GET', 'StreamingEndpoints')).body.value[0].Id);
  const stopped = String((await post('StreamingEndpoints', { Name: 'stopped' }, 202)).Id);
  const running = String((await post('StreamingEndpoints', { Name: 'running', State: 'Running' }, 202)).Id);

  return {
    assets: [encrypted, envelopeAsset, plain],
    encrypted,
    envelopeAsset,
    plain,
    file: String(file.Id),
    storageKey: key.id,
    envelopeKey: envelope.id,
    accessPolicies: [writePolicy, readPolicy],
    readPolicy,
    originLocator,
    deliveryPolicies: [String(clear.Id), String(envelopePolicy.Id), String(spare.Id)],
    spareDeliveryPolicy: String(spare.Id),
    authorizationPolicies: [used, free],
    options,
    notificationEndPoints,
    manifest,
    manifestAsset,
    manifestFiles,
    endpoints: [defaultEndpoint, stopped, running],
  };
}

// ---------------------------------------------------------------- the changes

/** One operation of a changeset, built from the fixture. */
interface Op {
  method: string;
  url: string;
  body?: JsonBody | string;
}

/** A kind of change: `make` picks its target and values from `n` (any natural number). */
interface ChangeKind {
  name: string;
  make(f: Fixture, n: number): Op;
}

const at = <T>(items: readonly T[], n: number): T => items[n % items.length]!;
const uriOf = (set: string, id: string) => ({ uri: `${emu.url}${entityPath(set, id)}` });

const CHANGES: readonly ChangeKind[] = [
  // The core sets.
  { name: 'POST Assets', make: (_f, n) => ({ method: 'POST', url: 'Assets', body: { Name: `made ${n}` } }) },
  { name: 'MERGE Assets', make: (f, n) => ({ method: 'MERGE', url: entityPath('Assets', at(f.assets, n)), body: { Name: `renamed ${n}` } }) },
  { name: 'POST Files', make: (f, n) => ({ method: 'POST', url: 'Files', body: { Name: `extra${n % 3}.mp4`, ParentAssetId: at(f.assets, n) } }) },
  { name: 'MERGE Files', make: (f, n) => ({ method: 'MERGE', url: entityPath('Files', f.file), body: { MimeType: `video/x-${n}`, IsPrimary: n % 2 === 0 } }) },
  { name: 'DELETE Files', make: (f) => ({ method: 'DELETE', url: entityPath('Files', f.file) }) },
  { name: 'MERGE ContentKeys', make: (f, n) => ({ method: 'MERGE', url: entityPath('ContentKeys', at([f.envelopeKey, f.storageKey], n)), body: { Name: `key ${n}` } }) },
  {
    name: 'MERGE ContentKeys AuthorizationPolicyId',
    make: (f, n) => ({ method: 'MERGE', url: entityPath('ContentKeys', f.envelopeKey), body: { AuthorizationPolicyId: at([f.authorizationPolicies[1]!, null], n) } }),
  },
  { name: 'DELETE ContentKeys', make: (f, n) => ({ method: 'DELETE', url: entityPath('ContentKeys', at([f.envelopeKey, f.storageKey], n)) }) },
  { name: 'POST Assets/$links/ContentKeys', make: (f) => ({ method: 'POST', url: `${entityPath('Assets', f.plain)}/$links/ContentKeys`, body: uriOf('ContentKeys', f.envelopeKey) }) },
  {
    name: 'DELETE Assets/$links/ContentKeys',
    make: (f, n) => {
      const [asset, key] = at([[f.envelopeAsset, f.envelopeKey], [f.encrypted, f.storageKey]], n);
      return { method: 'DELETE', url: `${entityPath('Assets', asset!)}/$links/${entityPath('ContentKeys', key!)}` };
    },
  },
  { name: 'POST AccessPolicies', make: (_f, n) => ({ method: 'POST', url: 'AccessPolicies', body: { Name: `p${n}`, DurationInMinutes: 60, Permissions: 1 } }) },
  // The write policy is unused; the read policy has the origin locator (409 unless it went first).
  { name: 'DELETE AccessPolicies', make: (f, n) => ({ method: 'DELETE', url: entityPath('AccessPolicies', at(f.accessPolicies, n)) }) },
  { name: 'POST Locators (origin)', make: (f, n) => ({ method: 'POST', url: 'Locators', body: { AssetId: at([f.encrypted, f.envelopeAsset], n), AccessPolicyId: f.readPolicy, Type: 2 } }) },
  { name: 'DELETE Locators (origin)', make: (f) => ({ method: 'DELETE', url: entityPath('Locators', f.originLocator) }) },

  // Reserved units: beyond 25 (MaxReservableUnits) or a type beyond 2 is refused.
  { name: 'MERGE EncodingReservedUnitTypes', make: (_f, n) => ({ method: 'MERGE', url: UNITS, body: { CurrentReservedUnits: (n * 7) % 30, ReservedUnitType: n % 4 } }) },

  // Job notifications.
  { name: 'POST NotificationEndPoints', make: (_f, n) => ({ method: 'POST', url: 'NotificationEndPoints', body: { Name: `n${n}`, EndPointType: 1, EndPointAddress: `undo-${n % 5}` } }) },
  { name: 'MERGE NotificationEndPoints', make: (f, n) => ({ method: 'MERGE', url: entityPath('NotificationEndPoints', at(f.notificationEndPoints, n)), body: { Name: `endpoint ${n}` } }) },
  { name: 'DELETE NotificationEndPoints', make: (f, n) => ({ method: 'DELETE', url: entityPath('NotificationEndPoints', at(f.notificationEndPoints, n)) }) },

  // Bulk ingest (a manifest's delete removes its upload container: not undone, not here).
  { name: 'POST IngestManifests', make: (_f, n) => ({ method: 'POST', url: 'IngestManifests', body: { Name: `m${n}` } }) },
  { name: 'MERGE IngestManifests', make: (f, n) => ({ method: 'MERGE', url: entityPath('IngestManifests', f.manifest), body: { Name: `manifest ${n}` } }) },
  { name: 'POST IngestManifestAssets', make: (f, n) => ({ method: 'POST', url: 'IngestManifestAssets', body: { ParentIngestManifestId: f.manifest, Asset: { Id: at([f.plain, f.envelopeAsset, f.encrypted], n) } } }) },
  { name: 'DELETE IngestManifestAssets', make: (f) => ({ method: 'DELETE', url: entityPath('IngestManifestAssets', f.manifestAsset) }) },
  {
    name: 'POST IngestManifestFiles',
    make: (f, n) => ({ method: 'POST', url: 'IngestManifestFiles', body: { Name: at(['three.mp4', 'four.mp4', 'one.mp4'], n), ParentIngestManifestId: f.manifest, ParentIngestManifestAssetId: f.manifestAsset } }),
  },
  { name: 'MERGE IngestManifestFiles', make: (f, n) => ({ method: 'MERGE', url: entityPath('IngestManifestFiles', at(f.manifestFiles, n)), body: { MimeType: `video/x-${n}`, IsPrimary: n % 2 === 1 } }) },
  { name: 'DELETE IngestManifestFiles', make: (f, n) => ({ method: 'DELETE', url: entityPath('IngestManifestFiles', at(f.manifestFiles, n)) }) },

  // Delivery: policies, authorization policies, options and their $links.
  { name: 'POST AssetDeliveryPolicies', make: (_f, n) => ({ method: 'POST', url: 'AssetDeliveryPolicies', body: { Name: `d${n}`, AssetDeliveryProtocol: 8, AssetDeliveryPolicyType: 2 } }) },
  { name: 'MERGE AssetDeliveryPolicies', make: (f, n) => ({ method: 'MERGE', url: entityPath('AssetDeliveryPolicies', at(f.deliveryPolicies, n)), body: { Name: `delivery ${n}`, AssetDeliveryProtocol: at([1, 2, 16], n) } }) },
  { name: 'DELETE AssetDeliveryPolicies', make: (f, n) => ({ method: 'DELETE', url: entityPath('AssetDeliveryPolicies', at(f.deliveryPolicies, n)) }) },
  {
    name: 'POST Assets/$links/DeliveryPolicies',
    make: (f, n) => ({ method: 'POST', url: `${entityPath('Assets', at([f.envelopeAsset, f.encrypted], n))}/$links/DeliveryPolicies`, body: uriOf('AssetDeliveryPolicies', f.spareDeliveryPolicy) }),
  },
  {
    name: 'DELETE Assets/$links/DeliveryPolicies',
    make: (f, n) => ({ method: 'DELETE', url: `${entityPath('Assets', f.envelopeAsset)}/$links/${entityPath('DeliveryPolicies', at(f.deliveryPolicies.slice(0, 2), n))}` }),
  },
  { name: 'POST ContentKeyAuthorizationPolicies', make: (_f, n) => ({ method: 'POST', url: 'ContentKeyAuthorizationPolicies', body: { Name: `c${n}` } }) },
  { name: 'MERGE ContentKeyAuthorizationPolicies', make: (f, n) => ({ method: 'MERGE', url: entityPath('ContentKeyAuthorizationPolicies', at(f.authorizationPolicies, n)), body: { Name: `authorization ${n}` } }) },
  // The first is the envelope key's (409 unless the key let go of it first).
  { name: 'DELETE ContentKeyAuthorizationPolicies', make: (f, n) => ({ method: 'DELETE', url: entityPath('ContentKeyAuthorizationPolicies', at([f.authorizationPolicies[1]!, f.authorizationPolicies[0]!], n)) }) },
  {
    name: 'POST ContentKeyAuthorizationPolicies/$links/Options',
    make: (f) => ({ method: 'POST', url: `${entityPath('ContentKeyAuthorizationPolicies', f.authorizationPolicies[0]!)}/$links/Options`, body: uriOf('ContentKeyAuthorizationPolicyOptions', f.options[1]!) }),
  },
  {
    name: 'DELETE ContentKeyAuthorizationPolicies/$links/Options',
    make: (f, n) => ({ method: 'DELETE', url: `${entityPath('ContentKeyAuthorizationPolicies', f.authorizationPolicies[1]!)}/$links/${entityPath('Options', at(f.options, n))}` }),
  },
  { name: 'POST ContentKeyAuthorizationPolicyOptions', make: (_f, n) => ({ method: 'POST', url: 'ContentKeyAuthorizationPolicyOptions', body: { Name: `o${n}`, KeyDeliveryType: 2, KeyDeliveryConfiguration: '', Restrictions: [openRestriction] } }) },
  { name: 'MERGE ContentKeyAuthorizationPolicyOptions', make: (f, n) => ({ method: 'MERGE', url: entityPath('ContentKeyAuthorizationPolicyOptions', at(f.options, n)), body: { Name: `option ${n}` } }) },
  { name: 'DELETE ContentKeyAuthorizationPolicyOptions', make: (f, n) => ({ method: 'DELETE', url: entityPath('ContentKeyAuthorizationPolicyOptions', at(f.options, n)) }) },

  // Streaming endpoints: answered 202 with an operation, which may itself fail (start a running one).
  { name: 'POST StreamingEndpoints', make: (_f, n) => ({ method: 'POST', url: 'StreamingEndpoints', body: { Name: `se${n}`, State: at(['Stopped', 'Running'], n) } }) },
  { name: 'MERGE StreamingEndpoints', make: (f, n) => ({ method: 'MERGE', url: entityPath('StreamingEndpoints', at(f.endpoints, n)), body: { Description: `endpoint ${n}`, CdnEnabled: false } }) },
  { name: 'DELETE StreamingEndpoints', make: (f, n) => ({ method: 'DELETE', url: entityPath('StreamingEndpoints', at(f.endpoints.slice(1), n)) }) },
  { name: 'StreamingEndpoints/Start', make: (f, n) => ({ method: 'POST', url: `${entityPath('StreamingEndpoints', at(f.endpoints, n))}/Start`, body: '' }) },
  { name: 'StreamingEndpoints/Stop', make: (f, n) => ({ method: 'POST', url: `${entityPath('StreamingEndpoints', at(f.endpoints, n))}/Stop`, body: '' }) },
  { name: 'StreamingEndpoints/Scale', make: (f, n) => ({ method: 'POST', url: `${entityPath('StreamingEndpoints', at(f.endpoints, n))}/Scale`, body: { scaleUnits: 1 + (n % 3) } }) },
];

/** The last operation: each fails, in a different way (400 body, 404 unknown id, 400 malformed id). */
const FAILURES: readonly ((f: Fixture) => Op)[] = [
  () => ({ method: 'POST', url: 'Assets', body: { Bogus: 1 } }),
  () => ({ method: 'MERGE', url: entityPath('Assets', formatNbId('cid', randomUUID())), body: { Name: 'nobody' } }),
  () => ({ method: 'DELETE', url: "NotificationEndPoints('not-an-id')" }),
];

/** Run `ops` as one changeset; each carries its index as Content-ID, so the failure names itself. */
async function changeset(ops: readonly Op[]): Promise<PartResponse[]> {
  const parts: BatchRequestPart[] = ops.map((op, i) => ({
    method: op.method,
    url: op.url,
    headers: JSON_HEADERS,
    contentId: String(i),
    ...(op.body === undefined ? {} : { body: typeof op.body === 'string' ? op.body : JSON.stringify(op.body) }),
  }));
  const res = await emu.ams('POST', '$batch', {
    body: batchBody(BOUNDARY, [{ changeset: parts }]),
    headers: { 'Content-Type': `multipart/mixed; boundary=${BOUNDARY}`, Accept: 'multipart/mixed' },
  });
  expect(res.status, res.text).toBe(202);
  const [item] = readBatchResponse(res.headers.get('content-type'), res.text);
  if (!item || !('changeset' in item)) throw new Error(`expected a changeset: ${res.text.slice(0, 500)}`);
  return item.changeset;
}

// ---------------------------------------------------------------- the state

const ENTITY_SETS = [
  'Assets', 'Files', 'ContentKeys', 'AccessPolicies', 'Locators', 'AssetDeliveryPolicies', 'ContentKeyAuthorizationPolicies',
  'ContentKeyAuthorizationPolicyOptions', 'NotificationEndPoints', 'IngestManifests', 'IngestManifestAssets', 'IngestManifestFiles',
  'StreamingEndpoints', 'EncodingReservedUnitTypes',
];
/**
 * Logs of what happened, not entity state: a finding or a verification made meanwhile stays, and
 * so does the notification outbox's record of an endpoint's registration message (a message on a
 * queue cannot be taken back; one not sent yet is marked failed, the endpoint deleted, and never sent).
 */
const OBSERVATIONS = new Set(['findings', 'verifications', 'notificationDeliveries']);

const byJson = (rows: unknown[]): string[] => rows.map((r) => JSON.stringify(r)).sort();

async function values(path: string): Promise<JsonBody[]> {
  const res = await emu.ams('GET', path);
  expect(res.status, `GET ${path}: ${res.text.slice(0, 300)}`).toBe(200);
  return res.body.value as JsonBody[];
}

/**
 * Everything a client can read (every entity set; every asset's keys and delivery policies and
 * every authorization policy's options) and the stored state behind it, order aside: OData
 * promises no order without $orderby, and a record put back goes last in its set.
 */
async function everything(): Promise<Record<string, string[]>> {
  const out: Record<string, string[]> = {};
  for (const set of ENTITY_SETS) out[set] = byJson(await values(set));
  for (const asset of (await values('Assets')).map((a) => String(a.Id))) {
    out[`${asset}/ContentKeys`] = byJson((await values(`${entityPath('Assets', asset)}/ContentKeys`)).map((k) => k.Id));
    out[`${asset}/DeliveryPolicies`] = byJson((await values(`${entityPath('Assets', asset)}/DeliveryPolicies`)).map((p) => p.Id));
  }
  for (const policy of (await values('ContentKeyAuthorizationPolicies')).map((p) => String(p.Id))) {
    out[`${policy}/Options`] = byJson((await values(`${entityPath('ContentKeyAuthorizationPolicies', policy)}/Options`)).map((o) => o.Id));
  }
  const dump = await emu.admin('GET', 'state');
  expect(dump.status).toBe(200);
  for (const [collection, rows] of Object.entries(dump.body.state as Record<string, unknown[]>)) {
    if (!OBSERVATIONS.has(collection)) out[`stored ${collection}`] = byJson(rows);
  }
  return out;
}

/**
 * Run `changes` then a failure as one changeset: the answer is one failure with nothing left
 * undone, and the state is as before. Returns how many of the changes succeeded before the
 * changeset stopped.
 */
async function expectUndone(ops: readonly Op[], failure: Op): Promise<{ reached: number; answer: string }> {
  const before = await everything();
  const answer = await changeset([...ops, failure]);
  expect(answer, JSON.stringify(answer)).toHaveLength(1);
  const [failed] = answer;
  expect(failed!.status).toBeGreaterThanOrEqual(400);
  expect(failed!.status).toBeLessThan(500);
  expect(failed!.headers['x-ms-emulator-undo'], 'nothing may be left undone').toBeUndefined();
  expect(await everything()).toEqual(before);
  return { reached: Number(failed!.headers['content-id']), answer: `${failed!.status} ${failed!.body.slice(0, 300)}` };
}

beforeAll(async () => {
  emu = await startTestEmulator();
  fx = await buildFixture();
}, 60_000);
afterAll(() => emu?.close());

describe('a streaming endpoint operation still in progress (--operation-progression polls:N)', () => {
  let fast: TestEmulator;
  beforeAll(async () => {
    fast = emu;
    emu = await startTestEmulator({ operationProgression: { mode: 'polls', pollsPerState: 3 } });
  });
  afterAll(async () => {
    await emu.close();
    emu = fast;
  });

  it('is put back with its endpoint: Starting, Deleting or Scaling endpoints are as before, their operations gone', async () => {
    const stopped = String((await post('StreamingEndpoints', { Name: 'paced' }, 202)).Id);
    const ops: Op[] = [
      { method: 'POST', url: `${entityPath('StreamingEndpoints', stopped)}/Start`, body: '' },
      { method: 'POST', url: 'StreamingEndpoints', body: { Name: 'pacedmade', State: 'Running' } },
    ];
    for (const op of ops) {
      const { reached } = await expectUndone([op], FAILURES[0]!(fx));
      expect(reached).toBe(1);
    }
    // Busy from the Start, the Scale is accepted as an operation that will fail (OperationInProgress): both go.
    const { reached } = await expectUndone([ops[0]!, { method: 'POST', url: `${entityPath('StreamingEndpoints', stopped)}/Scale`, body: { scaleUnits: 2 } }], FAILURES[0]!(fx));
    expect(reached).toBe(2);
  });
});

describe('a failed changeset puts every change back', () => {
  it('the fixture is what the changes expect: both kinds of endpoint run and stop, the default endpoint exists', async () => {
    const states = (await values('StreamingEndpoints')).map((e) => `${e.Name}:${e.State}`).sort();
    expect(states).toEqual(['default:Stopped', 'running:Running', 'stopped:Stopped']);
  });

  it.each(CHANGES.map((c) => [c.name, c] as const))('%s', async (_name, kind) => {
    // Every target the change can pick, each followed by a failure.
    for (let n = 0; n < 3; n++) {
      const { reached, answer } = await expectUndone([kind.make(fx, n)], at(FAILURES, n)(fx));
      // The change itself succeeded (the failure is the last operation), or this proves nothing.
      if (n === 0) expect(reached, `${kind.name} did not succeed on its first target: ${answer}`).toBe(1);
    }
  });

  it('for random changesets of every kind, where a later change meets an earlier one', async () => {
    const succeeded = new Set<string>();
    const kinds = fc.array(fc.tuple(fc.constantFrom(...CHANGES), fc.nat(20)), { minLength: 1, maxLength: 4 });
    await fc.assert(
      fc.asyncProperty(kinds, fc.nat(FAILURES.length - 1), async (picked, failure) => {
        const { reached } = await expectUndone(
          picked.map(([kind, n]) => kind.make(fx, n)),
          FAILURES[failure]!(fx),
        );
        for (const [kind] of picked.slice(0, reached)) succeeded.add(kind.name);
      }),
      { numRuns: 120, interruptAfterTimeLimit: 120_000, markInterruptAsFailure: true },
    );
    // Sequences did more than bounce off their first refusal.
    expect(succeeded.size, [...succeeded].join(', ')).toBeGreaterThan(CHANGES.length / 2);
  }, 180_000);
});
