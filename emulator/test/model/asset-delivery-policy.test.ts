import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ASSET_DELIVERY_POLICY_LINKS, ASSET_KEY_LINKS, COLLECTIONS } from '../../src/model/collections.js';
import { linkId } from '../../src/model/ids.js';
import {
  AssetDeliveryProtocol,
  checkDeliveryPolicy,
  deliveryPoliciesOfAsset,
  linkDeliveryPolicy,
  removeDeliveryPolicyLinksOfAsset,
  type AssetDeliveryPolicyRecord,
} from '../../src/model/asset-delivery-policy.js';
import { Refusal } from '../../src/model/refusal.js';
import { openStore } from '../../src/store/index.js';
import type { InstrumentedStore } from '../../src/store/instrumented.js';

/** The delivery policy model on an in-memory store: one policy per protocol, the key a policy needs, the asset-delete cascade. */

const ASSET = 'nb:cid:UUID:00000000-0000-4000-8000-000000000001';
const policyId = (n: number) => `nb:adpid:UUID:00000000-0000-4000-8000-${String(n).padStart(12, '0')}`;

function policy(n: number, protocol: number, type = 2, config: string | null = null): AssetDeliveryPolicyRecord {
  return { Id: policyId(n), Name: null, AssetDeliveryProtocol: protocol, AssetDeliveryPolicyType: type, AssetDeliveryConfiguration: config, Created: '', LastModified: '' };
}

async function storeWith(policies: AssetDeliveryPolicyRecord[]): Promise<InstrumentedStore> {
  const store = await openStore({});
  await store.transaction((tx) => {
    tx.put(COLLECTIONS.Assets, ASSET, { Id: ASSET });
    for (const p of policies) tx.put(COLLECTIONS.AssetDeliveryPolicies, p.Id, p);
  });
  return store;
}

const protocols = fc.oneof(fc.integer({ min: 1, max: 0x1f }), fc.constant(AssetDeliveryProtocol.All));

describe('linkDeliveryPolicy', () => {
  it('links a set of policies exactly when no two share a protocol', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(protocols, { minLength: 1, maxLength: 5 }), async (list) => {
        const policies = list.map((p, i) => policy(i, p));
        const store = await storeWith(policies);
        let covered = 0;
        for (const p of policies) {
          const bits = p.AssetDeliveryProtocol === AssetDeliveryProtocol.All ? 0x1f : p.AssetDeliveryProtocol;
          const linked = await store.transaction((tx) => linkDeliveryPolicy(tx, ASSET, p.Id)).then(
            () => true,
            (err: unknown) => {
              expect(err).toBeInstanceOf(Refusal);
              expect((err as Refusal).kind).toBe('conflict');
              return false;
            },
          );
          expect(linked).toBe((covered & bits) === 0);
          if (linked) covered |= bits;
        }
      }),
      { numRuns: 60 },
    );
  });

  it('refuses an envelope policy until an EnvelopeEncryption key is linked (a StorageEncryption key is not enough)', async () => {
    const envelope = policy(1, 4, 3, JSON.stringify([{ Key: 2, Value: 'https://k.test/' }]));
    const store = await storeWith([envelope]);
    const key = (type: number, n: number) => ({ id: `nb:kid:UUID:00000000-0000-4000-8000-00000000000${n}`, type });
    for (const [k, expected] of [[key(1, 1), 'invalid'], [key(4, 2), undefined]] as const) {
      await store.transaction((tx) => {
        tx.put(COLLECTIONS.ContentKeys, k.id, { Id: k.id, ContentKeyType: k.type });
        tx.put(ASSET_KEY_LINKS, linkId(ASSET, k.id), { assetId: ASSET, keyId: k.id });
      });
      const outcome = await store.transaction((tx) => linkDeliveryPolicy(tx, ASSET, envelope.Id)).then(
        () => undefined,
        (err: Refusal) => err.kind,
      );
      expect(outcome).toBe(expected);
    }
  });
});

describe('removeDeliveryPolicyLinksOfAsset (the asset-delete cascade)', () => {
  it('removes every link of the asset and keeps the policies', async () => {
    const policies = [policy(1, 1), policy(2, 2), policy(3, 4)];
    const store = await storeWith(policies);
    await store.transaction((tx) => {
      for (const p of policies) linkDeliveryPolicy(tx, ASSET, p.Id);
    });
    expect(deliveryPoliciesOfAsset(store, ASSET).map((p) => p.Id)).toEqual(policies.map((p) => p.Id));
    await store.transaction((tx) => removeDeliveryPolicyLinksOfAsset(tx, ASSET));
    expect(deliveryPoliciesOfAsset(store, ASSET)).toEqual([]);
    expect(store.count(ASSET_DELIVERY_POLICY_LINKS)).toBe(0);
    expect(store.count(COLLECTIONS.AssetDeliveryPolicies)).toBe(3);
  });
});

describe('checkDeliveryPolicy', () => {
  it('accepts every protocol set and refuses every value outside the flags', () => {
    fc.assert(
      fc.property(fc.integer({ min: -5, max: 0x2ffff }), (protocol) => {
        const valid = protocol === 0xffff || (protocol >= 1 && protocol <= 0x1f);
        const run = () => checkDeliveryPolicy({ AssetDeliveryProtocol: protocol, AssetDeliveryPolicyType: 2, AssetDeliveryConfiguration: null });
        if (valid) expect(run).not.toThrow();
        else expect(run).toThrow(Refusal);
      }),
    );
  });
});
