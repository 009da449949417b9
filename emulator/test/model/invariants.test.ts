import { randomBytes } from 'node:crypto';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { contentKeyChecksum, formatIv, formatKeyId, wrapContentKey } from '../../../client/src/crypto/index.js';
import { NO_EVENTS, type Services } from '../../src/app/services.js';
import { defaultConfig } from '../../src/config.js';
import { ContentKeyOpener } from '../../src/domain/content-keys.js';
import { StrictRefusal } from '../../src/domain/deviations.js';
import type { RequestInfo } from '../../src/domain/findings.js';
import { createIdGenerator } from '../../src/ids.js';
import { createAccessPolicy, deleteAccessPolicy } from '../../src/model/access-policy.js';
import { assetStorageKeyId, createAsset, deleteAsset, getAsset } from '../../src/model/asset.js';
import { createDeliveryPolicy, deliveryPoliciesOfAsset, deliveryPolicyKey, linkDeliveryPolicy } from '../../src/model/asset-delivery-policy.js';
import { createFile, deleteFile, fileKeyId, filesOfAsset } from '../../src/model/asset-file.js';
import { keysOfAsset, linkKeyToAsset, unlinkKeyFromAsset } from '../../src/model/asset-key-link.js';
import { ASSET_KEY_LINKS, COLLECTIONS } from '../../src/model/collections.js';
import { createContentKey, deleteContentKey } from '../../src/model/content-key.js';
import { AccessPermissions, AssetCreationOptions, ContentKeyType, LocatorType } from '../../src/model/enums.js';
import { createLocator, deleteLocator, MAX_LOCATORS_PER_ASSET } from '../../src/model/locator.js';
import type { AssetFileRecord, AssetKeyLinkRecord, AssetRecord, ContentKeyRecord, LocatorRecord } from '../../src/model/records.js';
import { Refusal } from '../../src/model/refusal.js';
import { loadOrCreateSecrets } from '../../src/secrets/index.js';
import { openStore, type InstrumentedStore } from '../../src/store/index.js';
import { startTestAzurite, type TestAzurite } from '../../../test/support/azurite.js';

/**
 * The model's invariants and cascades, called directly (no HTTP) against an in-memory store and a
 * real Azurite for the containers and SAS policies.
 */
let azurite: TestAzurite;
let services: Services;
let store: InstrumentedStore;
const request: RequestInfo = { requestId: 'test', client: 'model-test', method: 'POST', path: '/api/' };

beforeAll(async () => {
  azurite = await startTestAzurite();
  store = await openStore({});
  const secrets = await loadOrCreateSecrets(undefined);
  services = {
    config: defaultConfig(),
    store,
    storage: azurite.storage,
    secrets,
    keys: new ContentKeyOpener(secrets.protectionPrivateKey),
    ids: createIdGenerator(7),
    now: () => new Date(),
    events: NO_EVENTS,
  };
});
afterAll(async () => {
  await store?.close();
  await azurite?.stop();
});

function keyValues(type: number): Map<string, string | number> {
  const key = randomBytes(32);
  const id = formatKeyId(services.ids.guid());
  return new Map<string, string | number>([
    ['Id', id],
    ['ContentKeyType', type],
    ['EncryptedContentKey', wrapContentKey(services.secrets.protection.der, key).toString('base64')],
    ['Checksum', contentKeyChecksum(key, id, 'dotnet')],
  ]);
}

const values = (entries: Record<string, string | number | boolean>) => new Map(Object.entries(entries));

/** Everything the model promises about the stored state, as a list of what is broken (empty when nothing is). */
function brokenInvariants(): string[] {
  const problems: string[] = [];
  const has = (collection: string, id: string) => store.has(collection, id);
  for (const link of store.values<AssetKeyLinkRecord>(ASSET_KEY_LINKS)) {
    if (!has(COLLECTIONS.Assets, link.assetId) || !has(COLLECTIONS.ContentKeys, link.keyId)) problems.push(`link ${link.assetId} -> ${link.keyId} lacks an end`);
  }
  const names = new Set<string>();
  for (const file of store.values<AssetFileRecord>(COLLECTIONS.Files)) {
    if (!has(COLLECTIONS.Assets, file.ParentAssetId)) problems.push(`file ${file.Id} has no asset`);
    const name = `${file.ParentAssetId}/${file.Name}`;
    if (names.has(name)) problems.push(`two files named ${name}`);
    names.add(name);
  }
  const perAsset = new Map<string, number>();
  for (const locator of store.values<LocatorRecord>(COLLECTIONS.Locators)) {
    if (!has(COLLECTIONS.Assets, locator.AssetId)) problems.push(`locator ${locator.Id} has no asset`);
    if (!has(COLLECTIONS.AccessPolicies, locator.AccessPolicyId)) problems.push(`locator ${locator.Id} has no policy`);
    perAsset.set(locator.AssetId, (perAsset.get(locator.AssetId) ?? 0) + 1);
  }
  for (const [assetId, count] of perAsset) if (count > MAX_LOCATORS_PER_ASSET) problems.push(`asset ${assetId} has ${count} locators`);
  for (const asset of store.values<AssetRecord>(COLLECTIONS.Assets)) {
    const storageKeys = keysOfAsset(store, asset.Id).filter((k) => k.ContentKeyType === ContentKeyType.StorageEncryption);
    if (asset.Options === AssetCreationOptions.StorageEncrypted && storageKeys.length > 1) problems.push(`storage-encrypted asset ${asset.Id} has ${storageKeys.length} storage keys`);
  }
  for (const locator of store.values<LocatorRecord>(COLLECTIONS.Locators)) {
    const asset = store.get<AssetRecord>(COLLECTIONS.Assets, locator.AssetId);
    if (locator.Type === LocatorType.OnDemandOrigin && asset?.Options === AssetCreationOptions.StorageEncrypted && deliveryPoliciesOfAsset(store, asset.Id).length === 0) {
      problems.push(`storage-encrypted asset ${asset.Id} streams (locator ${locator.Id}) with no delivery policy`);
    }
  }
  return problems;
}

describe('model: cascades', () => {
  it("an asset's delete takes its files, locators, links and the storage key no other asset uses, and keeps a shared one", async () => {
    const asset = await createAsset(services, values({ Name: 'a', Options: AssetCreationOptions.StorageEncrypted }));
    const other = await createAsset(services, values({ Name: 'b' }));
    const own = await createContentKey(services, keyValues(ContentKeyType.StorageEncryption), request);
    const shared = await createContentKey(services, keyValues(ContentKeyType.EnvelopeEncryption), request);
    await linkKeyToAsset(services, asset.Id, own.Id, request);
    await linkKeyToAsset(services, asset.Id, shared.Id, request);
    await linkKeyToAsset(services, other.Id, shared.Id, request);
    const file = await createFile(services, values({ Name: 'x.mp4', ParentAssetId: asset.Id }), request);
    const policy = await createAccessPolicy(services, values({ Name: 'read', DurationInMinutes: 60, Permissions: AccessPermissions.Read }));
    const locator = await createLocator(services, { values: values({ Type: LocatorType.Sas }), assetKey: asset.Id, policyKey: policy.Id, originBase: 'http://e/origin' });
    expect(assetStorageKeyId(store, asset.Id)).toBe(own.Id);
    expect(fileKeyId(store, file)).toBe(own.Id);

    await deleteAsset(services, asset.Id, false, request);
    expect(getAsset(store, asset.Id)).toBeUndefined();
    expect(store.has(COLLECTIONS.Files, file.Id)).toBe(false);
    expect(store.has(COLLECTIONS.Locators, locator.Id)).toBe(false);
    expect(store.has(COLLECTIONS.ContentKeys, own.Id)).toBe(false);
    expect(store.has(COLLECTIONS.ContentKeys, shared.Id)).toBe(true);
    expect(keysOfAsset(store, other.Id).map((k) => k.Id)).toEqual([shared.Id]);
    expect(await azurite.storage.containerExists(`asset-${asset.Id.slice('nb:cid:UUID:'.length)}`)).toBe(false);
    // The policy is free again.
    await deleteAccessPolicy(services, policy.Id);
    expect(brokenInvariants()).toEqual([]);
  });

  it("a key's delete takes its links; a policy's delete is refused while a locator uses it", async () => {
    const asset = await createAsset(services, values({ Name: 'c' }));
    const key = await createContentKey(services, keyValues(ContentKeyType.StorageEncryption), request);
    await linkKeyToAsset(services, asset.Id, key.Id, request);
    await deleteContentKey(services, key.Id);
    expect(keysOfAsset(store, asset.Id)).toEqual([]);
    expect([...store.values<AssetKeyLinkRecord>(ASSET_KEY_LINKS)].filter((l) => l.assetId === asset.Id)).toEqual([]);

    const policy = await createAccessPolicy(services, values({ Name: 'origin', DurationInMinutes: 60, Permissions: AccessPermissions.Read }));
    const locator = await createLocator(services, { values: values({ Type: LocatorType.OnDemandOrigin }), assetKey: asset.Id, policyKey: policy.Id, originBase: 'http://e/origin' });
    await expect(deleteAccessPolicy(services, policy.Id)).rejects.toMatchObject({ kind: 'conflict' });
    await deleteLocator(services, locator.Id);
    await deleteAccessPolicy(services, policy.Id);
    expect(store.has(COLLECTIONS.AccessPolicies, policy.Id)).toBe(false);
  });

  it('refuses what breaks an invariant with the Refusal kind the wire maps to its status', async () => {
    const asset = await createAsset(services, values({ Name: 'd', Options: AssetCreationOptions.StorageEncrypted }));
    await expect(createAsset(services, values({ Options: 3 }))).rejects.toMatchObject({ kind: 'invalid', message: expect.stringContaining('Options 3 is not an AssetCreationOptions value') });
    await createFile(services, values({ Name: 'same', ParentAssetId: asset.Id }), request);
    await expect(createFile(services, values({ Name: 'same', ParentAssetId: asset.Id }), request)).rejects.toMatchObject({ kind: 'conflict' });
    await expect(createFile(services, values({ Name: 'x', ParentAssetId: 'nb:cid:UUID:00000000-0000-0000-0000-000000000000' }), request)).rejects.toMatchObject({ kind: 'not-found' });
    await expect(createFile(services, values({ Name: 'x', ParentAssetId: 'not-an-id' }), request)).rejects.toMatchObject({ kind: 'invalid' });
    const first = await createContentKey(services, keyValues(ContentKeyType.StorageEncryption), request);
    const second = await createContentKey(services, keyValues(ContentKeyType.StorageEncryption), request);
    await linkKeyToAsset(services, asset.Id, first.Id, request);
    await expect(linkKeyToAsset(services, asset.Id, second.Id, request)).rejects.toMatchObject({ kind: 'conflict', message: expect.stringContaining('already has a StorageEncryption key') });
    await expect(linkKeyToAsset(services, asset.Id, first.Id, request)).rejects.toMatchObject({ kind: 'conflict', message: expect.stringContaining('already linked') });
    const policy = await createAccessPolicy(services, values({ Name: 'rw', DurationInMinutes: 60, Permissions: AccessPermissions.Read | AccessPermissions.Write }));
    await expect(createLocator(services, { values: values({ Type: LocatorType.OnDemandOrigin }), assetKey: asset.Id, policyKey: policy.Id, originBase: 'http://e/origin' })).rejects.toMatchObject({ kind: 'invalid', message: expect.stringContaining('needs a read-only AccessPolicy') });
    expect(brokenInvariants()).toEqual([]);
  });

  it('a storage-encrypted asset streams only with a delivery policy; a clear one without', async () => {
    const read = await createAccessPolicy(services, values({ Name: 'read', DurationInMinutes: 60, Permissions: AccessPermissions.Read }));
    const origin = (assetId: string) => createLocator(services, { values: values({ Type: LocatorType.OnDemandOrigin }), assetKey: assetId, policyKey: read.Id, originBase: 'http://e/origin' });
    const encrypted = await createAsset(services, values({ Name: 'encrypted', Options: AssetCreationOptions.StorageEncrypted }));
    await expect(origin(encrypted.Id)).rejects.toMatchObject({ kind: 'invalid', message: expect.stringMatching(/^A streaming \(OnDemandOrigin\) locator cannot be created on the storage encrypted asset '.*' when no asset delivery policy is set/) });
    // A SAS locator (an upload or a download) needs none.
    await createLocator(services, { values: values({ Type: LocatorType.Sas }), assetKey: encrypted.Id, policyKey: read.Id, originBase: 'http://e/origin' });
    const clear = await createDeliveryPolicy(services, values({ Name: 'clear', AssetDeliveryProtocol: 7, AssetDeliveryPolicyType: 2 }));
    await store.transaction((tx) => linkDeliveryPolicy(tx, encrypted.Id, deliveryPolicyKey(clear.Id)));
    expect((await origin(encrypted.Id)).Type).toBe(LocatorType.OnDemandOrigin);
    const plain = await createAsset(services, values({ Name: 'plain' }));
    expect((await origin(plain.Id)).Type).toBe(LocatorType.OnDemandOrigin);
    expect(brokenInvariants()).toEqual([]);
  });
});

describe('model: invariants under any sequence of operations', () => {
  type Op =
    | { kind: 'asset'; storageEncrypted: boolean }
    | { kind: 'file'; asset: number; name: number; iv: number }
    | { kind: 'key'; storage: boolean }
    | { kind: 'link'; asset: number; key: number }
    | { kind: 'unlink'; index: number }
    | { kind: 'policy' }
    | { kind: 'clearDelivery'; asset: number }
    | { kind: 'locator'; asset: number; policy: number; sas: boolean }
    | { kind: 'deleteAsset' | 'deleteFile' | 'deleteKey' | 'deletePolicy' | 'deleteLocator'; index: number };
  const index = fc.nat(7);
  const op: fc.Arbitrary<Op> = fc.oneof(
    // Assets first among equals: most operations need one.
    { arbitrary: fc.record({ kind: fc.constant('asset' as const), storageEncrypted: fc.boolean() }), weight: 3 },
    fc.record({ kind: fc.constant('file' as const), asset: index, name: fc.nat(3), iv: fc.nat(3) }),
    fc.record({ kind: fc.constant('key' as const), storage: fc.boolean() }),
    fc.record({ kind: fc.constant('link' as const), asset: index, key: index }),
    fc.record({ kind: fc.constant('unlink' as const), index }),
    fc.record({ kind: fc.constant('policy' as const) }),
    fc.record({ kind: fc.constant('clearDelivery' as const), asset: index }),
    fc.record({ kind: fc.constant('locator' as const), asset: index, policy: index, sas: fc.boolean() }),
    { arbitrary: fc.record({ kind: fc.constantFrom('deleteAsset' as const, 'deleteFile' as const, 'deleteKey' as const, 'deletePolicy' as const, 'deleteLocator' as const), index }), weight: 3 },
  );

  /** The n-th stored record of a collection (wrapping), or a well-formed id that names nothing. */
  function nth(collection: string, n: number, tag: string): string {
    const ids = [...store.values<{ Id: string }>(collection)].map((r) => r.Id);
    return ids.length > 0 ? ids[n % ids.length]! : `nb:${tag}:UUID:00000000-0000-0000-0000-00000000000${n}`;
  }

  async function run(o: Op): Promise<void> {
    const asset = (n: number) => nth(COLLECTIONS.Assets, n, 'cid');
    const key = (n: number) => nth(COLLECTIONS.ContentKeys, n, 'kid');
    const policy = (n: number) => nth(COLLECTIONS.AccessPolicies, n, 'pid');
    switch (o.kind) {
      case 'asset':
        return void (await createAsset(services, values({ Options: o.storageEncrypted ? AssetCreationOptions.StorageEncrypted : AssetCreationOptions.None })));
      case 'file':
        return void (await createFile(services, values({ Name: `f${o.name}`, ParentAssetId: asset(o.asset), IsEncrypted: true, InitializationVector: formatIv(BigInt(o.iv)) }), request));
      case 'key':
        return void (await createContentKey(services, keyValues(o.storage ? ContentKeyType.StorageEncryption : ContentKeyType.EnvelopeEncryption), request));
      case 'link':
        return linkKeyToAsset(services, asset(o.asset), key(o.key), request);
      case 'unlink': {
        const links = [...store.values<AssetKeyLinkRecord>(ASSET_KEY_LINKS)];
        const link = links.length > 0 ? links[o.index % links.length]! : { assetId: asset(0), keyId: key(0) };
        return unlinkKeyFromAsset(services, link.assetId, link.keyId);
      }
      case 'policy':
        return void (await createAccessPolicy(services, values({ Name: 'p', DurationInMinutes: 30, Permissions: AccessPermissions.Read })));
      case 'clearDelivery': {
        const clear = await createDeliveryPolicy(services, values({ Name: 'clear', AssetDeliveryProtocol: 7, AssetDeliveryPolicyType: 2 }));
        return store.transaction((tx) => linkDeliveryPolicy(tx, asset(o.asset), deliveryPolicyKey(clear.Id)));
      }
      case 'locator':
        return void (await createLocator(services, { values: values({ Type: o.sas ? LocatorType.Sas : LocatorType.OnDemandOrigin }), assetKey: asset(o.asset), policyKey: policy(o.policy), originBase: 'http://e/origin' }));
      case 'deleteAsset':
        return deleteAsset(services, asset(o.index), false, request);
      case 'deleteFile':
        return deleteFile(services, nth(COLLECTIONS.Files, o.index, 'cid'), request);
      case 'deleteKey':
        return deleteContentKey(services, key(o.index));
      case 'deletePolicy':
        return deleteAccessPolicy(services, policy(o.index));
      case 'deleteLocator':
        return deleteLocator(services, nth(COLLECTIONS.Locators, o.index, 'lid'));
    }
  }

  it('keeps every link with both ends, every file with its asset and a unique name, every locator with its asset and policy (at most 5), one storage key per storage-encrypted asset, no storage-encrypted asset streaming without a delivery policy', async () => {
    const succeeded = new Map<Op['kind'], number>();
    await fc.assert(
      fc.asyncProperty(fc.array(op, { minLength: 10, maxLength: 30 }), async (ops) => {
        await store.transaction((tx) => tx.clear());
        for (const o of ops) {
          try {
            await run(o);
            succeeded.set(o.kind, (succeeded.get(o.kind) ?? 0) + 1);
          } catch (err) {
            // A refusal is the model keeping an invariant; anything else is a bug.
            if (!(err instanceof Refusal) && !(err instanceof StrictRefusal)) throw err;
          }
          expect(brokenInvariants()).toEqual([]);
        }
      }),
      { numRuns: 80 },
    );
    // The sequences did reach the cascades and the refusals, not only the refusals.
    for (const kind of ['asset', 'file', 'key', 'link', 'unlink', 'policy', 'locator', 'deleteAsset', 'deleteFile', 'deleteKey', 'deletePolicy', 'deleteLocator'] as const) {
      expect(succeeded.get(kind) ?? 0, kind).toBeGreaterThan(0);
    }
  });

  it('files without an EncryptionKeyId are under their asset’s storage key, whatever was linked and unlinked', async () => {
    await store.transaction((tx) => tx.clear());
    const asset = await createAsset(services, values({ Name: 'k' }));
    const file = await createFile(services, values({ Name: 'v.mp4', ParentAssetId: asset.Id, IsEncrypted: true, InitializationVector: '1' }), request);
    expect(fileKeyId(store, file)).toBeUndefined();
    const envelope = await createContentKey(services, keyValues(ContentKeyType.EnvelopeEncryption), request);
    await linkKeyToAsset(services, asset.Id, envelope.Id, request);
    expect(fileKeyId(store, file)).toBeUndefined();
    const storageKey = await createContentKey(services, keyValues(ContentKeyType.StorageEncryption), request);
    await linkKeyToAsset(services, asset.Id, storageKey.Id, request);
    expect(fileKeyId(store, filesOfAsset(store, asset.Id)[0]!)).toBe(storageKey.Id);
    await unlinkKeyFromAsset(services, asset.Id, storageKey.Id);
    expect(fileKeyId(store, file)).toBeUndefined();
    // Unlinking leaves the key itself.
    expect(store.get<ContentKeyRecord>(COLLECTIONS.ContentKeys, storageKey.Id)).toBeDefined();
  });
});
