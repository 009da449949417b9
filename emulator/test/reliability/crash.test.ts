import { randomUUID } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatIv, formatNbId, randomIv } from '../../../client/src/crypto/index.js';
import { AccessPolicy, Asset, AssetFile, ContentKey, Locator, type EntityTypeDef } from '../../src/odata/edm.js';
import { canonicalId } from '../../src/odata/uri.js';
import type { JsonRecord } from '../../src/store/types.js';
import { startTestAzurite, type TestAzurite } from '../../../test/support/azurite.js';
import { ensureBuilt } from '../../../test/support/build.js';
import { entityPath, type AmsResponse } from '../../../test/support/emulator.js';
import { encryptedFileBody, storageKeyBody, type ProtectionKey } from '../helpers/api-fixtures.js';
import { consistencyProblems, fetchState, type StateDump } from '../helpers/reliability-consistency.js';
import { ABSENT, CrashModel } from '../helpers/reliability-crash-model.js';
import { startEmulatorProcess, type EmulatorProcess } from '../helpers/reliability-process.js';
import { mulberry32 } from '../../src/seeded-random.js';

/**
 * `kill -9` of the emulator process at random moments of a write-heavy run, then a restart on the
 * same directory: the lock the dead process left is taken over without help, every write a client
 * saw acknowledged (201/204) is there, and nothing half-written shows (every entity complete, no
 * file without its asset, no link or locator pointing at nothing). Storage is a separate Azurite,
 * so only the emulator dies.
 */

const ROUNDS = 6;
const WORKERS = 8;
const PRESENT = 'present';
/** Big MERGEs fill the journal, so compactions (snapshot rewrites) happen between the kills. */
const PADDING = 'p'.repeat(3_000);
const SEED = Number(process.env['RELIABILITY_SEED'] ?? Date.now() % 1_000_000);




/** The emulator the workers talk to; undefined while it is dead, and workers park until the next one. */
class World {
  emulator: EmulatorProcess | undefined;
  protection!: ProtectionKey;
  parked = 0;
  stopped = false;
  #resume: (() => void) | undefined;
  #ready: Promise<void> = Promise.resolve();
  #allParked: (() => void) | undefined;

  pause(): void {
    this.emulator = undefined;
    this.#ready = new Promise((resolve) => (this.#resume = resolve));
  }

  resume(emulator: EmulatorProcess): void {
    this.emulator = emulator;
    this.#resume?.();
  }

  /** A worker waits here until an emulator runs again. */
  async park(): Promise<void> {
    this.parked++;
    if (this.parked === WORKERS) this.#allParked?.();
    await this.#ready;
    this.parked--;
  }

  /** Resolves once every worker waits for the next emulator (no request is in flight). */
  allParked(): Promise<void> {
    if (this.parked === WORKERS) return Promise.resolve();
    return new Promise((resolve) => (this.#allParked = resolve));
  }
}

interface OwnAsset {
  id: string;
  keyId: string;
  files: string[];
}

/** One client: keys, assets, links, files, locators, MERGEs and file deletes, one request at a time. */
async function worker(index: number, world: World, model: CrashModel, random: () => number): Promise<void> {
  const assets: OwnAsset[] = [];
  let policyId: string | undefined;
  /** One NoDynamicEncryption policy, linked to each asset: a storage-encrypted asset streams only with one. */
  let deliveryId: string | undefined;
  let serial = 0;
  /** Send; a 2xx acknowledges the write, another answer refuses it, no answer leaves it unknown. */
  const send = async (values: Record<string, string>, method: string, path: string, body?: unknown): Promise<AmsResponse | undefined> => {
    const emulator = world.emulator;
    if (emulator === undefined) return undefined;
    const write = model.begin(values);
    let res: AmsResponse;
    try {
      res = await emulator.ams(method, path, body === undefined ? {} : { body });
    } catch {
      return undefined;
    }
    if (res.status >= 500) throw new Error(`${method} ${path} answered ${res.status}: ${res.text}`);
    if (res.status >= 200 && res.status < 300) write.ack();
    else write.refuse();
    return res;
  };

  const step = async (): Promise<boolean> => {
    const pick = random();
    const asset = assets.length > 0 ? assets[Math.floor(random() * assets.length)]! : undefined;
    if (asset === undefined || pick < 0.12) {
      const key = storageKeyBody(world.protection);
      const keyId = canonicalId(ContentKey, key.id);
      if (!(await send({ [`key ${keyId}`]: PRESENT }, 'POST', 'ContentKeys', key.request))) return false;
      const created = await send({}, 'POST', 'Assets', { Name: `w${index}-${serial++}`, Options: 1 });
      if (created?.status !== 201) return created !== undefined;
      const assetId = String(created.body.Id);
      model.learned({ [`asset ${assetId}`]: PRESENT });
      if (!(await send({ [`link ${assetId}|${keyId}`]: PRESENT }, 'POST', `${entityPath('Assets', assetId)}/$links/ContentKeys`, { uri: `${world.emulator?.url ?? ''}${entityPath('ContentKeys', key.id)}` }))) return false;
      if (deliveryId === undefined) {
        const delivery = await send({}, 'POST', 'AssetDeliveryPolicies', { Name: `w${index}`, AssetDeliveryProtocol: 0x17, AssetDeliveryPolicyType: 2, AssetDeliveryConfiguration: null });
        if (delivery?.status !== 201) return false;
        deliveryId = String(delivery.body.Id);
      }
      const streamable = await send({}, 'POST', `${entityPath('Assets', assetId)}/$links/DeliveryPolicies`, { uri: `${world.emulator?.url ?? ''}${entityPath('AssetDeliveryPolicies', deliveryId)}` });
      if (streamable?.status !== 204) return false;
      assets.push({ id: assetId, keyId: key.id, files: [] });
      return true;
    }
    if (pick < 0.4) {
      const created = await send({}, 'POST', 'Files', encryptedFileBody(asset.id, asset.keyId, `f${serial++}.mp4`, formatIv(randomIv())));
      if (created?.status !== 201) return created !== undefined;
      const fileId = String(created.body.Id);
      model.learned({ [`file ${fileId}`]: PRESENT, [`file ${fileId} InitializationVector`]: String(created.body.InitializationVector), [`file ${fileId} MimeType`]: String(created.body.MimeType) });
      asset.files.push(fileId);
      return true;
    }
    if (pick < 0.6) {
      const value = `w${index}-${serial++}-${PADDING}`;
      return (await send({ [`asset ${asset.id} AlternateId`]: value }, 'MERGE', entityPath('Assets', asset.id), { AlternateId: value })) !== undefined;
    }
    const fileId = asset.files.length > 0 ? asset.files[Math.floor(random() * asset.files.length)]! : undefined;
    if (fileId !== undefined && pick < 0.8) {
      const value = `video/x-w${index}-${serial++}`;
      return (await send({ [`file ${fileId} MimeType`]: value }, 'MERGE', entityPath('Files', fileId), { MimeType: value })) !== undefined;
    }
    if (fileId !== undefined && pick < 0.87) {
      asset.files.splice(asset.files.indexOf(fileId), 1);
      return (await send({ [`file ${fileId}`]: ABSENT }, 'DELETE', entityPath('Files', fileId))) !== undefined;
    }
    if (policyId === undefined) {
      const policy = await send({}, 'POST', 'AccessPolicies', { Name: `w${index}`, DurationInMinutes: 600, Permissions: 1 });
      if (policy?.status !== 201) return policy !== undefined;
      policyId = String(policy.body.Id);
      model.learned({ [`policy ${policyId}`]: PRESENT });
      return true;
    }
    // The client names the locator, so even one whose answer never came is tracked.
    const locatorId = formatNbId('lid', randomUUID());
    return (await send({ [`locator ${canonicalId(Locator, locatorId)}`]: PRESENT }, 'POST', 'Locators', { Id: locatorId, AssetId: asset.id, AccessPolicyId: policyId, Type: 2 })) !== undefined;
  };

  while (!world.stopped) {
    if (world.emulator === undefined || !(await step())) await world.park();
  }
}

/** The register values the state holds, for every register the model knows. */
function lostWrites(model: CrashModel, state: StateDump): string[] {
  const byId = (type: EntityTypeDef, records: JsonRecord[]) => new Map(records.map((r) => [canonicalId(type, String(r['Id'])), r]));
  const sets: Record<string, Map<string, JsonRecord>> = {
    key: byId(ContentKey, state.contentKeys),
    asset: byId(Asset, state.assets),
    file: byId(AssetFile, state.files),
    policy: byId(AccessPolicy, state.accessPolicies),
    locator: byId(Locator, state.locators),
  };
  const links = new Set(state.assetContentKeys.map((l) => `${String(l['assetId'])}|${String(l['keyId'])}`));
  const problems: string[] = [];
  for (const register of model.registers()) {
    const [kind, id, property] = register.split(' ') as [string, string, string | undefined];
    let actual: string;
    if (kind === 'link') actual = links.has(id) ? PRESENT : ABSENT;
    else {
      const record = sets[kind]!.get(id);
      if (property === undefined) actual = record ? PRESENT : ABSENT;
      else if (!record) continue; // The entity's own register says whether it may be gone.
      else actual = record[property] === null ? ABSENT : String(record[property]);
    }
    const problem = model.problem(register, actual);
    if (problem) problems.push(problem);
  }
  return problems;
}

let azurite: TestAzurite;
let location: string;

beforeAll(async () => {
  await ensureBuilt();
  azurite = await startTestAzurite();
  location = await mkdtemp(join(tmpdir(), 'ams-reliability-crash-'));
}, 300_000);

afterAll(async () => {
  await azurite?.stop();
  if (location) await rm(location, { recursive: true, force: true });
});

describe('kill -9 during a write-heavy run', () => {
  it(`loses no acknowledged write over ${ROUNDS} kills at random moments, and restarts on the dead process's lock`, async () => {
    const random = mulberry32(SEED);
    const model = new CrashModel();
    const world = new World();
    const start = () => startEmulatorProcess({ location, storageConnectionString: azurite.connectionString });
    let emulator = await start();
    const id = await emulator.ams('GET', 'GetProtectionKeyId?contentKeyType=1');
    const cert = await emulator.ams('GET', `GetProtectionKey?ProtectionKeyId='${String(id.body.value)}'`);
    world.protection = { thumbprint: String(id.body.value), certificate: String(cert.body.value) };
    world.resume(emulator);
    const workers = Array.from({ length: WORKERS }, (_, i) => worker(i, world, model, mulberry32(SEED * 31 + i)));
    // A worker that fails (a 5xx) stops the test at once instead of leaving it waiting for it to park.
    const failure = Promise.race(workers.map((w) => w.then(() => new Promise<never>(() => undefined))));
    const killedWhileWriting: number[] = [];
    try {
      for (let round = 0; round < ROUNDS; round++) {
        const before = model.acknowledged;
        // Kill at a random moment once the workload is under way (a busy machine can take a while to get going).
        while (model.acknowledged < before + 10) await Promise.race([new Promise((resolve) => setTimeout(resolve, 20)), failure]);
        await new Promise((resolve) => setTimeout(resolve, random() * 1_000));
        world.pause();
        await emulator.kill9();
        const deadPid = emulator.pid;
        await Promise.race([world.allParked(), failure]);
        model.crashed();
        killedWhileWriting.push(model.acknowledged - before);

        // The dead process's lock is still there; the restart takes it over on its own.
        const lock = JSON.parse(await readFile(join(location, 'ams-emulator.lock'), 'utf8')) as { pid: number };
        expect(lock.pid).toBe(deadPid);
        emulator = await start();

        const state = await fetchState(emulator.baseUrl);
        expect(consistencyProblems(state), `round ${round}, seed ${SEED}`).toEqual([]);
        expect(lostWrites(model, state), `round ${round}, seed ${SEED}`).toEqual([]);
        world.resume(emulator);
      }
    } finally {
      world.stopped = true;
      world.resume(emulator);
      await Promise.allSettled(workers);
      await emulator.kill9();
    }
    // The kills cut requests in flight, not an idle process.
    expect(model.unknown).toBeGreaterThan(0);
    console.log(
      `reliability: ${ROUNDS} kill -9 survived (seed ${SEED}), ${model.acknowledged} acknowledged writes all present, ` +
        `${model.unknown} unanswered at the kills, writes per round ${killedWhileWriting.join('/')}`,
    );
  }, 240_000);
});
