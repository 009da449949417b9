import { randomBytes, randomUUID } from 'node:crypto';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { contentKeyChecksum, formatKeyId, formatNbId, wrapContentKey } from '../../../client/src/crypto/index.js';
import { entityPath, startTestEmulator, type AmsResponse, type JsonBody, type TestEmulator } from '../../../test/support/emulator.js';
import { protectionKey, type ProtectionKey } from '../helpers/api-fixtures.js';

/**
 * Model-based test: random sequences of creates, links, MERGEs and deletes (valid and invalid) run
 * against the emulator over HTTP and against a plain in-memory model of the rules. After every step
 * the emulator's status is the model's and never a 5xx; after every sequence the emulator's state,
 * read back with GETs, is the model's.
 */

// ---------------------------------------------------------------- the model

interface AssetM { id: string; name: string; options: number }
interface KeyM { id: string; type: number; name: string | null }
interface FileM { id: string; assetId: string; name: string; primary: boolean }
interface PolicyM { id: string }
interface LocatorM { id: string; assetId: string; policyId: string }

class Model {
  assets: AssetM[] = [];
  keys: KeyM[] = [];
  links: { assetId: string; keyId: string }[] = [];
  files: FileM[] = [];
  policies: PolicyM[] = [];
  locators: LocatorM[] = [];

  deleteAsset(id: string): void {
    this.assets = this.assets.filter((a) => a.id !== id);
    this.files = this.files.filter((f) => f.assetId !== id);
    this.locators = this.locators.filter((l) => l.assetId !== id);
    const linked = this.links.filter((l) => l.assetId === id).map((l) => l.keyId);
    this.links = this.links.filter((l) => l.assetId !== id);
    for (const keyId of linked) {
      const stillUsed = this.links.some((l) => l.keyId === keyId);
      const key = this.keys.find((k) => k.id === keyId);
      // The asset's storage (or common) key goes with it unless another asset still uses it.
      if (!stillUsed && key && (key.type === 1 || key.type === 0)) this.keys = this.keys.filter((k) => k.id !== keyId);
    }
  }
}

/** Which entity a command names: an existing one (by index), a well-formed unknown id, or a malformed id. */
type Pick = number | 'unknown' | 'malformed';
const pick: fc.Arbitrary<Pick> = fc.oneof({ weight: 8, arbitrary: fc.nat(20) }, { weight: 1, arbitrary: fc.constant('unknown' as const) }, { weight: 1, arbitrary: fc.constant('malformed' as const) });

interface Target<T> { kind: 'existing'; item: T; id: string }
type Resolved<T> = Target<T> | { kind: 'unknown'; id: string } | { kind: 'malformed'; id: string };

function resolve<T extends { id: string }>(items: readonly T[], p: Pick, tag: string): Resolved<T> {
  if (p === 'malformed') return { kind: 'malformed', id: `not-an-${tag}-id` };
  if (p === 'unknown' || items.length === 0) return { kind: 'unknown', id: formatNbId(tag, randomUUID()) };
  const item = items[p % items.length]!;
  return { kind: 'existing', item, id: item.id };
}

/** The status a lookup of a resolved id gives: 400 malformed, 404 unknown, undefined when found. */
function lookupStatus(r: Resolved<unknown>): number | undefined {
  return r.kind === 'malformed' ? 400 : r.kind === 'unknown' ? 404 : undefined;
}

/** Statuses seen per command kind, to check the runs reached the success and conflict paths. */
const STATS = new Map<string, number>();
// ---------------------------------------------------------------- the commands

interface Real {
  emu: TestEmulator;
  protection: ProtectionKey;
}

abstract class Step implements fc.AsyncCommand<Model, Real> {
  check(): boolean {
    return true;
  }
  abstract run(m: Model, r: Real): Promise<void>;
  abstract toString(): string;
}

/** Run a call, check its status against the model's expectation and that it is never a 5xx. */
async function expectStatus(res: Promise<AmsResponse>, expected: number, what: string): Promise<AmsResponse> {
  const done = await res;
  const kind = `${what.split('(')[0]} ${done.status}`;
  STATS.set(kind, (STATS.get(kind) ?? 0) + 1);
  expect(done.status, `${what}: ${done.text.slice(0, 300)}`).toBeLessThan(500);
  expect(done.status, `${what}: ${done.text.slice(0, 300)}`).toBe(expected);
  return done;
}

class CreateAsset extends Step {
  constructor(readonly name: string, readonly options: number) { super(); }
  async run(m: Model, { emu }: Real) {
    const expected = [0, 1, 2, 4].includes(this.options) ? 201 : 400;
    const res = await expectStatus(emu.ams('POST', 'Assets', { body: { Name: this.name, Options: this.options } }), expected, this.toString());
    if (expected === 201) m.assets.push({ id: res.body.Id, name: this.name, options: this.options });
  }
  toString() { return `CreateAsset(${JSON.stringify(this.name)}, ${this.options})`; }
}

class MergeAsset extends Step {
  constructor(readonly target: Pick, readonly name: string, readonly options: number | undefined) { super(); }
  async run(m: Model, { emu }: Real) {
    const t = resolve(m.assets, this.target, 'cid');
    const body: JsonBody = { Name: this.name };
    if (this.options !== undefined) body.Options = this.options;
    const expected = lookupStatus(t) ?? (t.kind === 'existing' && this.options !== undefined && this.options !== t.item.options ? 400 : 204);
    await expectStatus(emu.ams('MERGE', entityPath('Assets', t.id), { body }), expected, this.toString());
    if (expected === 204 && t.kind === 'existing') t.item.name = this.name;
  }
  toString() { return `MergeAsset(${this.target}, ${JSON.stringify(this.name)}, ${this.options})`; }
}

class DeleteAsset extends Step {
  constructor(readonly target: Pick) { super(); }
  async run(m: Model, { emu }: Real) {
    const t = resolve(m.assets, this.target, 'cid');
    const expected = lookupStatus(t) ?? 204;
    await expectStatus(emu.ams('DELETE', entityPath('Assets', t.id)), expected, this.toString());
    if (expected === 204) m.deleteAsset(t.id);
  }
  toString() { return `DeleteAsset(${this.target})`; }
}

class CreateKey extends Step {
  constructor(readonly type: 0 | 1, readonly duplicateOf: Pick | undefined, readonly malformed: boolean) { super(); }
  async run(m: Model, { emu, protection }: Real) {
    const key = randomBytes(this.type === 1 ? 32 : 16);
    let id = formatKeyId(randomUUID());
    let expected = 201;
    if (this.malformed) {
      id = 'nb:kid:UUID:not-a-guid';
      expected = 400;
    } else if (this.duplicateOf !== undefined && m.keys.length > 0 && typeof this.duplicateOf === 'number') {
      id = m.keys[this.duplicateOf % m.keys.length]!.id;
      expected = 409;
    }
    const body = { Id: id, ContentKeyType: this.type, EncryptedContentKey: wrapContentKey(protection.certificate, key).toString('base64'), ProtectionKeyId: protection.thumbprint, ProtectionKeyType: 0, Checksum: expected === 400 ? '' : contentKeyChecksum(key, id) };
    await expectStatus(emu.ams('POST', 'ContentKeys', { body }), expected, this.toString());
    if (expected === 201) m.keys.push({ id, type: this.type, name: null });
  }
  toString() { return `CreateKey(${this.type}, dup=${this.duplicateOf}, malformed=${this.malformed})`; }
}

class MergeKey extends Step {
  constructor(readonly target: Pick, readonly name: string, readonly changeType: boolean) { super(); }
  async run(m: Model, { emu }: Real) {
    const t = resolve(m.keys, this.target, 'kid');
    const body: JsonBody = { Name: this.name };
    if (this.changeType && t.kind === 'existing') body.ContentKeyType = t.item.type === 1 ? 0 : 1;
    const expected = lookupStatus(t) ?? (this.changeType ? 400 : 204);
    await expectStatus(emu.ams('MERGE', entityPath('ContentKeys', t.id), { body }), expected, this.toString());
    if (expected === 204 && t.kind === 'existing') t.item.name = this.name;
  }
  toString() { return `MergeKey(${this.target}, ${JSON.stringify(this.name)}, changeType=${this.changeType})`; }
}

class DeleteKey extends Step {
  constructor(readonly target: Pick) { super(); }
  async run(m: Model, { emu }: Real) {
    const t = resolve(m.keys, this.target, 'kid');
    const expected = lookupStatus(t) ?? 204;
    await expectStatus(emu.ams('DELETE', entityPath('ContentKeys', t.id)), expected, this.toString());
    if (expected === 204) {
      m.keys = m.keys.filter((k) => k.id !== t.id);
      m.links = m.links.filter((l) => l.keyId !== t.id);
    }
  }
  toString() { return `DeleteKey(${this.target})`; }
}

class Link extends Step {
  constructor(readonly asset: Pick, readonly key: Pick) { super(); }
  async run(m: Model, { emu }: Real) {
    const a = resolve(m.assets, this.asset, 'cid');
    const k = resolve(m.keys, this.key, 'kid');
    // A malformed id, in the URL or the body, is 400 before anything is looked up.
    let expected = a.kind === 'malformed' || k.kind === 'malformed' ? 400 : (lookupStatus(a) ?? lookupStatus(k));
    if (expected === undefined && a.kind === 'existing' && k.kind === 'existing') {
      const linked = m.links.filter((l) => l.assetId === a.id);
      if (linked.some((l) => l.keyId === k.id)) expected = 409;
      else if (a.item.options === 1 && k.item.type === 1 && linked.some((l) => m.keys.find((x) => x.id === l.keyId)?.type === 1)) expected = 409;
      else expected = 204;
    }
    // Any host: the key is resolved from the URI's path.
    const uri = `https://somewhere.example/api/${entityPath('ContentKeys', k.id)}`;
    await expectStatus(emu.ams('POST', `${entityPath('Assets', a.id)}/$links/ContentKeys`, { body: { uri } }), expected!, this.toString());
    if (expected === 204) m.links.push({ assetId: a.id, keyId: k.id });
  }
  toString() { return `Link(${this.asset}, ${this.key})`; }
}

class Unlink extends Step {
  constructor(readonly asset: Pick, readonly key: Pick) { super(); }
  async run(m: Model, { emu }: Real) {
    const a = resolve(m.assets, this.asset, 'cid');
    const k = resolve(m.keys, this.key, 'kid');
    let expected = k.kind === 'malformed' ? 400 : lookupStatus(a);
    if (expected === undefined) expected = m.links.some((l) => l.assetId === a.id && l.keyId === k.id) ? 204 : 404;
    await expectStatus(emu.ams('DELETE', `${entityPath('Assets', a.id)}/$links/${entityPath('ContentKeys', k.id)}`), expected, this.toString());
    if (expected === 204) m.links = m.links.filter((l) => !(l.assetId === a.id && l.keyId === k.id));
  }
  toString() { return `Unlink(${this.asset}, ${this.key})`; }
}

/** Whether `name`/`primary` for a file in `assetId` conflicts with the asset's other files. */
function fileConflict(m: Model, assetId: string, self: string | undefined, name: string, primary: boolean): boolean {
  const siblings = m.files.filter((f) => f.assetId === assetId && f.id !== self);
  return siblings.some((f) => f.name === name) || (primary && siblings.some((f) => f.primary));
}

class CreateFile extends Step {
  constructor(readonly asset: Pick, readonly name: string, readonly primary: boolean) { super(); }
  async run(m: Model, { emu }: Real) {
    const a = resolve(m.assets, this.asset, 'cid');
    const expected = lookupStatus(a) ?? (fileConflict(m, a.id, undefined, this.name, this.primary) ? 409 : 201);
    const res = await expectStatus(emu.ams('POST', 'Files', { body: { Name: this.name, ParentAssetId: a.id, IsPrimary: this.primary } }), expected, this.toString());
    if (expected === 201) m.files.push({ id: res.body.Id, assetId: a.id, name: this.name, primary: this.primary });
  }
  toString() { return `CreateFile(${this.asset}, ${JSON.stringify(this.name)}, primary=${this.primary})`; }
}

class MergeFile extends Step {
  constructor(readonly target: Pick, readonly name: string | undefined, readonly primary: boolean | undefined) { super(); }
  async run(m: Model, { emu }: Real) {
    const t = resolve(m.files, this.target, 'cid');
    const body: JsonBody = {};
    if (this.name !== undefined) body.Name = this.name;
    if (this.primary !== undefined) body.IsPrimary = this.primary;
    let expected = lookupStatus(t);
    if (expected === undefined && t.kind === 'existing') {
      const name = this.name ?? t.item.name;
      const primary = this.primary ?? t.item.primary;
      expected = fileConflict(m, t.item.assetId, t.id, name, primary) ? 409 : 204;
    }
    await expectStatus(emu.ams('MERGE', entityPath('Files', t.id), { body }), expected!, this.toString());
    if (expected === 204 && t.kind === 'existing') {
      t.item.name = this.name ?? t.item.name;
      t.item.primary = this.primary ?? t.item.primary;
    }
  }
  toString() { return `MergeFile(${this.target}, ${JSON.stringify(this.name)}, primary=${this.primary})`; }
}

class DeleteFile extends Step {
  constructor(readonly target: Pick) { super(); }
  async run(m: Model, { emu }: Real) {
    const t = resolve(m.files, this.target, 'cid');
    const expected = lookupStatus(t) ?? 204;
    await expectStatus(emu.ams('DELETE', entityPath('Files', t.id)), expected, this.toString());
    if (expected === 204) m.files = m.files.filter((f) => f.id !== t.id);
  }
  toString() { return `DeleteFile(${this.target})`; }
}

class CreatePolicy extends Step {
  constructor(readonly minutes: number | undefined, readonly permissions: number) { super(); }
  async run(m: Model, { emu }: Real) {
    const valid = this.minutes !== undefined && this.minutes > 0 && this.permissions >= 0 && this.permissions <= 15;
    const body: JsonBody = { Name: 'p', Permissions: this.permissions };
    if (this.minutes !== undefined) body.DurationInMinutes = this.minutes;
    const res = await expectStatus(emu.ams('POST', 'AccessPolicies', { body }), valid ? 201 : 400, this.toString());
    if (valid) m.policies.push({ id: res.body.Id });
  }
  toString() { return `CreatePolicy(${this.minutes}, ${this.permissions})`; }
}

class DeletePolicy extends Step {
  constructor(readonly target: Pick) { super(); }
  async run(m: Model, { emu }: Real) {
    const t = resolve(m.policies, this.target, 'pid');
    const expected = lookupStatus(t) ?? (m.locators.some((l) => l.policyId === t.id) ? 409 : 204);
    await expectStatus(emu.ams('DELETE', entityPath('AccessPolicies', t.id)), expected, this.toString());
    if (expected === 204) m.policies = m.policies.filter((p) => p.id !== t.id);
  }
  toString() { return `DeletePolicy(${this.target})`; }
}

class CreateLocator extends Step {
  constructor(readonly asset: Pick, readonly policy: Pick) { super(); }
  async run(m: Model, { emu }: Real) {
    const a = resolve(m.assets, this.asset, 'cid');
    const p = resolve(m.policies, this.policy, 'pid');
    const expected = lookupStatus(a) ?? lookupStatus(p) ?? (m.locators.filter((l) => l.assetId === a.id).length >= 5 ? 409 : 201);
    const res = await expectStatus(emu.ams('POST', 'Locators', { body: { AssetId: a.id, AccessPolicyId: p.id, Type: 1 } }), expected, this.toString());
    if (expected === 201) m.locators.push({ id: res.body.Id, assetId: a.id, policyId: p.id });
  }
  toString() { return `CreateLocator(${this.asset}, ${this.policy})`; }
}

class MergeLocator extends Step {
  constructor(readonly target: Pick) { super(); }
  async run(m: Model, { emu }: Real) {
    const t = resolve(m.locators, this.target, 'lid');
    // SAS locators are never updatable.
    await expectStatus(emu.ams('MERGE', entityPath('Locators', t.id), { body: { Name: 'x' } }), lookupStatus(t) ?? 400, this.toString());
  }
  toString() { return `MergeLocator(${this.target})`; }
}

class DeleteLocator extends Step {
  constructor(readonly target: Pick) { super(); }
  async run(m: Model, { emu }: Real) {
    const t = resolve(m.locators, this.target, 'lid');
    const expected = lookupStatus(t) ?? 204;
    await expectStatus(emu.ams('DELETE', entityPath('Locators', t.id)), expected, this.toString());
    if (expected === 204) m.locators = m.locators.filter((l) => l.id !== t.id);
  }
  toString() { return `DeleteLocator(${this.target})`; }
}

const name = fc.constantFrom('a.mp4', 'b.mp4', 'c.mp4');
const createAsset = fc.tuple(fc.constantFrom('x', 'y', 'movie'), fc.constantFrom(0, 1, 1, 4, 3)).map(([n, o]) => new CreateAsset(n, o));
const createKey = fc.tuple(fc.constantFrom(0 as const, 1 as const, 1 as const), fc.oneof({ weight: 4, arbitrary: fc.constant(undefined) }, { weight: 1, arbitrary: pick }), fc.nat(6).map((n) => n === 0)).map(([t, d, bad]) => new CreateKey(t, d, bad));
const link = fc.tuple(pick, pick).map(([a, k]) => new Link(a, k));
const createFile = fc.tuple(pick, name, fc.boolean()).map(([a, n, p]) => new CreateFile(a, n, p));
const createPolicy = fc.tuple(fc.option(fc.constantFrom(0, 1.5, 60, 720), { nil: undefined, freq: 6 }), fc.constantFrom(1, 2, 3, 15, 16)).map(([d, p]) => new CreatePolicy(d, p));
const createLocator = fc.tuple(pick, pick).map(([a, p]) => new CreateLocator(a, p));
/** Creates appear more than once: the list is drawn from uniformly, and most steps need entities to act on. */
const commands = [
  createAsset,
  createAsset,
  createAsset,
  fc.tuple(pick, fc.string({ maxLength: 8 }), fc.option(fc.constantFrom(0, 1), { nil: undefined })).map(([t, n, o]) => new MergeAsset(t, n, o)),
  pick.map((t) => new DeleteAsset(t)),
  createKey,
  createKey,
  createKey,
  fc.tuple(pick, fc.string({ maxLength: 8 }), fc.boolean()).map(([t, n, c]) => new MergeKey(t, n, c)),
  pick.map((t) => new DeleteKey(t)),
  link,
  link,
  link,
  fc.tuple(pick, pick).map(([a, k]) => new Unlink(a, k)),
  createFile,
  createFile,
  createFile,
  fc.tuple(pick, fc.option(name, { nil: undefined }), fc.option(fc.boolean(), { nil: undefined })).map(([t, n, p]) => new MergeFile(t, n, p)),
  pick.map((t) => new DeleteFile(t)),
  createPolicy,
  createPolicy,
  pick.map((t) => new DeletePolicy(t)),
  createLocator,
  createLocator,
  createLocator,
  pick.map((t) => new MergeLocator(t)),
  pick.map((t) => new DeleteLocator(t)),
];

const PRELUDE = (): Step[] => [new CreateAsset('plain', 0), new CreateAsset('encrypted', 1), new CreateKey(0, undefined, false), new CreateKey(1, undefined, false), new CreateKey(1, undefined, false), new CreatePolicy(60, 2)];

// ---------------------------------------------------------------- the state comparison

const lower = (s: string) => s.toLowerCase();

async function list(emu: TestEmulator, path: string): Promise<JsonBody[]> {
  const res = await emu.ams('GET', path);
  expect(res.status, res.text).toBe(200);
  return res.body.value as JsonBody[];
}

async function expectSameState(m: Model, emu: TestEmulator): Promise<void> {
  const sort = <T>(xs: T[]) => xs.map((x) => JSON.stringify(x)).sort();
  expect(sort((await list(emu, 'Assets')).map((a) => ({ id: a.Id, name: a.Name, options: a.Options })))).toEqual(sort(m.assets.map((a) => ({ id: a.id, name: a.name, options: a.options }))));
  expect(sort((await list(emu, 'ContentKeys')).map((k) => ({ id: lower(k.Id), type: k.ContentKeyType, name: k.Name })))).toEqual(sort(m.keys.map((k) => ({ id: lower(k.id), type: k.type, name: k.name }))));
  expect(sort((await list(emu, 'Files')).map((f) => ({ id: f.Id, assetId: f.ParentAssetId, name: f.Name, primary: f.IsPrimary })))).toEqual(sort(m.files.map((f) => ({ ...f }))));
  expect(sort((await list(emu, 'AccessPolicies')).map((p) => ({ id: p.Id })))).toEqual(sort(m.policies.map((p) => ({ ...p }))));
  expect(sort((await list(emu, 'Locators')).map((l) => ({ id: l.Id, assetId: l.AssetId, policyId: l.AccessPolicyId })))).toEqual(sort(m.locators.map((l) => ({ ...l }))));
  for (const a of m.assets) {
    const linked = (await list(emu, `${entityPath('Assets', a.id)}/ContentKeys`)).map((k) => lower(k.Id));
    expect(linked.sort(), `links of ${a.id}`).toEqual(m.links.filter((l) => l.assetId === a.id).map((l) => lower(l.keyId)).sort());
    const locators = await list(emu, `${entityPath('Assets', a.id)}/Locators`);
    expect(locators.length).toBe(m.locators.filter((l) => l.assetId === a.id).length);
  }
}

// ---------------------------------------------------------------- the run

let emu: TestEmulator;
let protection: ProtectionKey;

beforeAll(async () => {
  emu = await startTestEmulator();
  protection = await protectionKey(emu);
});
afterAll(() => emu.close());

describe('the emulator against a model of its rules', () => {
  it('agrees on every status and on the final state, and never answers 5xx', async () => {
    await fc.assert(
      fc.asyncProperty(fc.commands(commands, { maxCommands: 80, size: 'max' }), async (cmds) => {
        await emu.reset();
        const model = new Model();
        const real = { emu, protection };
        // Every run starts with one of each kind, so the random steps meet entities, not 404s.
        for (const step of PRELUDE()) await step.run(model, real);
        await fc.asyncModelRun(() => ({ model, real }), cmds);
        await expectSameState(model, emu);
      }),
      // Shrinking over real HTTP is slow: give it a bounded time, and report what it reached.
      { numRuns: 20, interruptAfterTimeLimit: 100_000, markInterruptAsFailure: true },
    );
    // The runs did more than bounce off 404s: creates, links, deletes and conflicts all happened.
    for (const kind of ['CreateAsset 201', 'CreateKey 201', 'CreateKey 409', 'CreateFile 201', 'CreateFile 409', 'CreatePolicy 201', 'CreateLocator 201', 'Link 204', 'DeleteAsset 204', 'MergeAsset 204']) {
      expect(STATS.get(kind) ?? 0, `${kind} in ${JSON.stringify([...STATS])}`).toBeGreaterThan(0);
    }
  }, 150_000);
});
