import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { openStore, type InstrumentedStore, type JsonRecord, type StoreOptions } from '../../src/store/index.js';
import { tempDirs } from '../helpers/store-temp.js';

const temp = tempDirs();
afterEach(() => temp.cleanup());

const modes: Array<[string, () => StoreOptions]> = [
  ['memory', () => ({})],
  ['file', () => ({ directory: temp.make() })],
  ['file with fsync', () => ({ directory: temp.make(), durability: 'fsync' })],
];

describe.each(modes)('store in %s mode', (mode, options) => {
  async function withStore(fn: (store: InstrumentedStore) => Promise<void>): Promise<void> {
    const store = await openStore(options());
    try {
      await fn(store);
    } finally {
      await store.close();
    }
  }

  it('puts, gets, deletes, counts, lists and clears', () =>
    withStore(async (store) => {
      expect(store.location).toEqual(mode === 'memory' ? 'memory' : expect.stringContaining('ams-store-test-'));
      await store.transaction((tx) => {
        tx.put('assets', 'a1', { Name: 'one' });
        tx.put('assets', 'a2', { Name: 'two' });
        tx.put('keys', 'k1', { Kind: 1 });
      });
      expect(store.get('assets', 'a1')).toEqual({ Name: 'one' });
      expect(store.has('assets', 'a2')).toBe(true);
      expect(store.has('assets', 'nope')).toBe(false);
      expect(store.get('nope', 'a1')).toBeUndefined();
      expect(store.count('assets')).toBe(2);
      expect(store.count('nope')).toBe(0);
      expect([...store.values('assets')]).toEqual([{ Name: 'one' }, { Name: 'two' }]);

      const deleted = await store.transaction((tx) => [tx.delete('assets', 'a1'), tx.delete('assets', 'a1'), tx.delete('nope', 'x')]);
      expect(deleted).toEqual([true, false, false]);
      expect(store.count('assets')).toBe(1);

      await store.transaction((tx) => tx.clear());
      expect(store.count('assets')).toBe(0);
      expect(store.count('keys')).toBe(0);
      expect([...store.values('keys')]).toEqual([]);
    }));

  it('returns what fn returns, and a put of an existing id keeps its place', () =>
    withStore(async (store) => {
      const result = await store.transaction((tx) => {
        for (const id of ['c', 'a', 'b']) tx.put('x', id, { id });
        return 'done';
      });
      expect(result).toBe('done');
      await store.transaction((tx) => tx.put('x', 'c', { id: 'c', changed: true }));
      expect([...store.values('x')].map((r) => r.id)).toEqual(['c', 'a', 'b']);
      await store.transaction((tx) => {
        tx.delete('x', 'a');
        tx.put('x', 'a', { id: 'a' });
      });
      expect([...store.values('x')].map((r) => r.id)).toEqual(['c', 'b', 'a']);
    }));

  it('leaves no trace of a transaction whose fn throws, and rethrows its error', () =>
    withStore(async (store) => {
      await store.transaction((tx) => tx.put('x', 'keep', { v: 1 }));
      const boom = new Error('boom');
      await expect(
        store.transaction((tx) => {
          tx.put('x', 'keep', { v: 2 });
          tx.put('x', 'new', { v: 3 });
          tx.delete('x', 'keep');
          tx.clear();
          throw boom;
        }),
      ).rejects.toBe(boom);
      expect(store.get('x', 'keep')).toEqual({ v: 1 });
      expect(store.has('x', 'new')).toBe(false);
      expect(store.stats().committedTransactions).toBe(1);
    }));

  it('deep-copies on put and freezes what reads return', () =>
    withStore(async (store) => {
      const value = { nested: { list: [1, { deep: 'a' }] }, gone: undefined as unknown as string } as JsonRecord;
      await store.transaction((tx) => tx.put('x', 'a', value));
      ((value.nested as JsonRecord).list as JsonRecord[])[1] = { deep: 'changed' };
      const stored = store.get<JsonRecord>('x', 'a')!;
      expect(stored).toEqual({ nested: { list: [1, { deep: 'a' }] } });
      expect('gone' in stored).toBe(false);
      expect(stored).not.toBe(value);
      expect(Object.isFrozen(stored)).toBe(true);
      expect(() => {
        ((stored.nested as JsonRecord).list as unknown[]).push(2);
      }).toThrow(TypeError);
    }));

  it('lets fn read its own writes, in Map order, before they are committed', () =>
    withStore(async (store) => {
      await store.transaction((tx) => {
        tx.put('x', 'a', { n: 1 });
        tx.put('x', 'b', { n: 2 });
      });
      await store.transaction((tx) => {
        tx.put('x', 'c', { n: 3 });
        tx.put('x', 'a', { n: 10 });
        expect(tx.get('x', 'a')).toEqual({ n: 10 });
        expect(store.get('x', 'a')).toEqual({ n: 1 });
        tx.delete('x', 'b');
        expect(tx.has('x', 'b')).toBe(false);
        expect(tx.count('x')).toBe(2);
        expect([...tx.values('x')]).toEqual([{ n: 10 }, { n: 3 }]);
        tx.put('x', 'b', { n: 20 });
        expect([...tx.values('x')]).toEqual([{ n: 10 }, { n: 3 }, { n: 20 }]);
        tx.clear();
        expect(tx.count('x')).toBe(0);
        expect(tx.get('x', 'a')).toBeUndefined();
        tx.put('x', 'z', { n: 26 });
        expect([...tx.values('x')]).toEqual([{ n: 26 }]);
      });
      expect([...store.values('x')]).toEqual([{ n: 26 }]);
    }));

  it('refuses a transaction used after fn returned, an async fn, and a non-object value', () =>
    withStore(async (store) => {
      let leaked: Parameters<Parameters<typeof store.transaction>[0]>[0] | undefined;
      await store.transaction((tx) => {
        leaked = tx;
      });
      expect(() => leaked!.put('x', 'late', { v: 1 })).toThrow(/transaction is over/);
      await expect(
        store.transaction(async (tx) => {
          tx.put('x', 'async', { v: 1 });
          await Promise.resolve();
          tx.put('x', 'after-await', { v: 2 });
        }),
      ).rejects.toThrow(/must be synchronous/);
      expect(store.has('x', 'after-await')).toBe(false);
      expect(store.has('x', 'async')).toBe(false);
      await expect(store.transaction((tx) => tx.put('x', 'arr', [1] as unknown as JsonRecord))).rejects.toThrow(/must be a JSON object/);
      const circular: JsonRecord = {};
      circular.self = circular;
      await expect(store.transaction((tx) => tx.put('x', 'c', circular))).rejects.toThrow(/not JSON-serialisable/);
      expect(store.count('x')).toBe(0);
    }));

  it('refuses a transaction started inside another one, and applies neither', () =>
    withStore(async (store) => {
      let inner: Promise<unknown> | undefined;
      const outer = store.transaction((tx) => {
        tx.put('x', 'outer', {});
        inner = store.transaction((nested) => nested.put('x', 'inner', {}));
      });
      await expect(outer).rejects.toThrow(/called store.transaction\(\)/);
      await expect(inner).rejects.toThrow(/inside a transaction fn/);
      expect(store.count('x')).toBe(0);
      await store.transaction((tx) => tx.put('x', 'after', {}));
      expect(store.count('x')).toBe(1);
    }));

  it('refuses transactions once closed; close is idempotent', async () => {
    const store = await openStore(options());
    await store.close();
    await store.close();
    await expect(store.transaction((tx) => tx.put('x', 'a', {}))).rejects.toThrow(/closed/);
  });

  it('matches a Map model under random transactions, some of which throw', async () => {
    type Model = Map<string, Map<string, JsonRecord>>;
    const collection = fc.constantFrom('a', 'b', '__proto__');
    const id = fc.oneof(fc.constantFrom('1', '2', '10', 'x', 'constructor', '__proto__'), fc.string({ maxLength: 3 }));
    const op = fc.oneof(
      { weight: 5, arbitrary: fc.tuple(fc.constant('put' as const), collection, id, fc.integer()) },
      { weight: 2, arbitrary: fc.tuple(fc.constant('del' as const), collection, id) },
      { weight: 1, arbitrary: fc.tuple(fc.constant('clear' as const)) },
    );
    const transaction = fc.record({ ops: fc.array(op, { maxLength: 6 }), fails: fc.boolean() });
    await fc.assert(
      fc.asyncProperty(fc.array(transaction, { maxLength: 12 }), async (transactions) => {
        const opened = options();
        let store = await openStore(opened);
        const model: Model = new Map();
        try {
          for (const { ops, fails } of transactions) {
            const draft: Model = new Map([...model].map(([name, records]) => [name, new Map(records)]));
            const run = store.transaction((tx) => {
              for (const [kind, name, key, n] of ops) {
                if (kind === 'put') {
                  tx.put(name, key, { n });
                  if (!draft.has(name)) draft.set(name, new Map());
                  draft.get(name)!.set(key, { n });
                } else if (kind === 'del') {
                  expect(tx.delete(name, key)).toBe(draft.get(name)?.delete(key) ?? false);
                } else {
                  tx.clear();
                  draft.clear();
                }
                if (name !== undefined) expect([...tx.values(name)]).toEqual([...(draft.get(name)?.values() ?? [])]);
              }
              if (fails) throw new Error('rolled back');
            });
            if (fails) {
              await expect(run).rejects.toThrow('rolled back');
            } else {
              await run;
              model.clear();
              for (const [name, records] of draft) model.set(name, records);
            }
          }
          const check = (s: InstrumentedStore) => {
            for (const name of ['a', 'b', '__proto__']) {
              expect([...s.values(name)]).toEqual([...(model.get(name)?.values() ?? [])]);
              expect(s.count(name)).toBe(model.get(name)?.size ?? 0);
            }
          };
          check(store);
          if (opened.directory !== undefined) {
            await store.close();
            store = await openStore(opened);
            check(store);
          }
        } finally {
          await store.close();
        }
      }),
      { numRuns: mode === 'memory' ? 200 : 40 },
    );
  });
});
