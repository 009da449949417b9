import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { openStore, type JsonRecord } from '../../src/store/index.js';
import { openRefusal, tempDirs } from '../helpers/store-temp.js';

const temp = tempDirs();
afterEach(() => temp.cleanup());

function snapshot(generation: number, collections: Record<string, Record<string, JsonRecord>>, extra: JsonRecord = {}): string {
  return JSON.stringify({ schemaVersion: 1, generation, collections, ...extra });
}

const line = (...ops: unknown[]): string => `${JSON.stringify({ ops })}\n`;


describe('store start-up', () => {
  it('replays the journals at or after the snapshot generation, ignores and removes older ones', async () => {
    const dir = temp.make();
    writeFileSync(path.join(dir, 'state.json'), snapshot(2, { assets: { a: { v: 1 }, b: { v: 2 } } }));
    // Already folded into the snapshot (a crash between its rename and the journal's delete):
    // garbage here proves it is not even read.
    writeFileSync(path.join(dir, 'journal-1.jsonl'), 'not json at all\n');
    writeFileSync(path.join(dir, 'journal-2.jsonl'), line(['put', 'assets', 'c', { v: 3 }], ['del', 'assets', 'a']) + line(['put', 'assets', 'b', { v: 20 }]));
    writeFileSync(path.join(dir, 'journal-3.jsonl'), line(['put', 'keys', 'k', { v: 4 }]));
    writeFileSync(path.join(dir, 'protection.key'), 'someone else’s file');

    const store = await openStore({ directory: dir });
    expect([...store.values('assets')]).toEqual([{ v: 20 }, { v: 3 }]);
    expect(store.get('keys', 'k')).toEqual({ v: 4 });
    expect(store.startup).toMatchObject({ replayedTransactions: 3, droppedTornLine: false, movedAside: [] });
    // Folded into a new snapshot at once, so that appends never follow a torn line.
    expect(readdirSync(dir).filter((name) => name.startsWith('journal-'))).toEqual([]);
    const onDisk = JSON.parse(readFileSync(path.join(dir, 'state.json'), 'utf8'));
    expect(onDisk).toEqual({ schemaVersion: 1, generation: 4, collections: { assets: { b: { v: 20 }, c: { v: 3 } }, keys: { k: { v: 4 } } } });
    expect(readFileSync(path.join(dir, 'protection.key'), 'utf8')).toBe('someone else’s file');
    await store.close();
  });

  it('replays a clear', async () => {
    const dir = temp.make();
    writeFileSync(path.join(dir, 'state.json'), snapshot(0, { a: { x: { v: 1 } } }));
    writeFileSync(path.join(dir, 'journal-0.jsonl'), line(['clear'], ['put', 'b', 'y', { v: 2 }]));
    const store = await openStore({ directory: dir });
    expect(store.count('a')).toBe(0);
    expect(store.get('b', 'y')).toEqual({ v: 2 });
    await store.close();
  });

  it('replays a journal line by line: lines longer than the read chunk, multi-byte characters split across chunks', async () => {
    const dir = temp.make();
    // 1 MiB reads: a 2.5 MiB line spans three, and 'é' (2 bytes) lands on a chunk boundary.
    const long = 'é'.repeat(1.25 * 1024 * 1024);
    const lines = [line(['put', 'x', 'a', { v: 'a'.repeat(1024 * 1024 - 31) }]), line(['put', 'x', 'b', { v: long }]), line(['put', 'x', 'c', { v: 'c' }])];
    writeFileSync(path.join(dir, 'journal-0.jsonl'), lines.join('') + '{"ops":[["put","x","torn"');
    const store = await openStore({ directory: dir });
    expect(store.startup.replayedTransactions).toBe(3);
    expect(store.startup.droppedTornLine).toBe(true);
    expect(store.get<{ v: string }>('x', 'b')?.v).toBe(long);
    expect(store.get('x', 'c')).toEqual({ v: 'c' });
    await store.close();
  });

  it.each([
    ['a half-written line', '{"ops":[["put","x","c",{"v"'],
    ['a complete line missing its newline', '{"ops":[["put","x","c",{"v":3}]]}'],
  ])('drops %s at the end of the newest journal, silently', async (_, tail) => {
    const dir = temp.make();
    writeFileSync(path.join(dir, 'journal-0.jsonl'), line(['put', 'x', 'a', { v: 1 }]));
    writeFileSync(path.join(dir, 'journal-1.jsonl'), line(['put', 'x', 'b', { v: 2 }]) + tail);
    let store = await openStore({ directory: dir });
    expect(store.startup.droppedTornLine).toBe(true);
    expect(store.startup.replayedTransactions).toBe(2);
    expect([...store.values('x')]).toEqual([{ v: 1 }, { v: 2 }]);
    await store.transaction((tx) => tx.put('x', 'd', { v: 4 }));
    await store.close();
    store = await openStore({ directory: dir });
    expect([...store.values('x')]).toEqual([{ v: 1 }, { v: 2 }, { v: 4 }]);
    await store.close();
  });

  it('refuses a bad line in the middle of a journal', async () => {
    const dir = temp.make();
    writeFileSync(path.join(dir, 'journal-0.jsonl'), line(['put', 'x', 'a', {}]) + '{"ops":[["put","x"]]}\n' + line(['put', 'x', 'b', {}]));
    const error = await openRefusal({ directory: dir });
    expect(error.reason).toBe('corrupt');
    expect(error.message).toBe(
      `the journal ${path.join(dir, 'journal-0.jsonl')} has a bad line 2; start with --move-corrupt-state to move the state files aside and start empty, or delete ${dir}`,
    );
  });

  it('refuses a half-written line in a journal that is not the newest', async () => {
    const dir = temp.make();
    writeFileSync(path.join(dir, 'journal-0.jsonl'), line(['put', 'x', 'a', {}]) + '{"ops":[');
    writeFileSync(path.join(dir, 'journal-1.jsonl'), line(['put', 'x', 'b', {}]));
    const error = await openRefusal({ directory: dir });
    expect(error.reason).toBe('corrupt');
    expect(error.message).toContain(path.join(dir, 'journal-0.jsonl'));
  });

  it.each([
    ['truncated JSON', '{"schemaVersion":1,"generation":0,"collec', /is not valid JSON/],
    ['not an object', '[1,2]', /is not a JSON object/],
    ['no schemaVersion', '{"generation":0,"collections":{}}', /has no schemaVersion/],
    ['a bad generation', snapshot(-1, {}), /bad generation -1/],
    ['a collection that is not an object', JSON.stringify({ schemaVersion: 1, generation: 0, collections: { a: [] } }), /collection "a"/],
    ['a record that is not an object', JSON.stringify({ schemaVersion: 1, generation: 0, collections: { a: { x: 1 } } }), /record a\/x/],
    ['an order that does not match', snapshot(0, { a: { '1': {} } }, { order: { a: ['1', '2'] } }), /order for "a"/],
  ])('refuses a snapshot with %s as corrupt', async (_, text, detail) => {
    const dir = temp.make();
    writeFileSync(path.join(dir, 'state.json'), text);
    const error = await openRefusal({ directory: dir });
    expect(error.reason).toBe('corrupt');
    expect(error.message).toMatch(detail);
    expect(error.message).toContain(path.join(dir, 'state.json'));
    expect(error.message).toContain(`start with --move-corrupt-state`);
    expect(error.message).not.toContain('\n');
  });

  it('refuses an unknown schemaVersion', async () => {
    const dir = temp.make();
    writeFileSync(path.join(dir, 'state.json'), JSON.stringify({ schemaVersion: 2, generation: 0, collections: {} }));
    const error = await openRefusal({ directory: dir });
    expect(error.reason).toBe('unknown-version');
    expect(error.message).toBe(
      `the state file ${path.join(dir, 'state.json')} has schemaVersion 2, and this ams-emulator reads only schemaVersion 1; start with --move-corrupt-state to move the state files aside and start empty, or delete ${dir}`,
    );
  });

  it.each([
    ['a corrupt snapshot', '{"schemaVersion":1,', line(['put', 'x', 'a', {}])],
    ['an unknown version', snapshot(0, {}, { schemaVersion: 7 }), line(['put', 'x', 'a', {}])],
    ['a corrupt journal', snapshot(0, { x: { old: {} } }), 'garbage\n' + line(['put', 'x', 'a', {}])],
  ])('with moveCorruptStateAside, moves the state files of %s aside and starts empty', async (_, state, journal) => {
    const dir = temp.make();
    writeFileSync(path.join(dir, 'state.json'), state);
    writeFileSync(path.join(dir, 'journal-0.jsonl'), journal);
    writeFileSync(path.join(dir, 'token.key'), 'keep me');
    // Refused without the option, and the refusal leaves the directory unlocked.
    await openRefusal({ directory: dir });

    const store = await openStore({ directory: dir, moveCorruptStateAside: true });
    expect(store.count('x')).toBe(0);
    expect(store.startup.movedAside).toHaveLength(2);
    for (const moved of store.startup.movedAside) expect(moved).toMatch(/(state\.json|journal-0\.jsonl)\.corrupt-\d{4}-\d\d-\d\dT[\d-]+Z$/);
    const names = readdirSync(dir).sort();
    expect(names.filter((name) => name.includes('.corrupt-'))).toHaveLength(2);
    expect(readFileSync(store.startup.movedAside.find((p) => p.includes('state.json'))!, 'utf8')).toBe(state);
    expect(names).toContain('token.key');
    expect(names).not.toContain('journal-0.jsonl');
    await store.transaction((tx) => tx.put('x', 'new', { v: 1 }));
    await store.close();
    const reopened = await openStore({ directory: dir });
    expect([...reopened.values('x')]).toEqual([{ v: 1 }]);
    await reopened.close();
  });

  it('starts empty in a new directory, creating it, and writes an empty snapshot', async () => {
    const dir = path.join(temp.make(), 'nested', 'state');
    const store = await openStore({ directory: dir });
    expect(store.count('x')).toBe(0);
    expect(JSON.parse(readFileSync(path.join(dir, 'state.json'), 'utf8'))).toEqual({ schemaVersion: 1, generation: 0, collections: {} });
    expect(existsSync(path.join(dir, 'ams-emulator.lock'))).toBe(true);
    await store.close();
    expect(existsSync(path.join(dir, 'ams-emulator.lock'))).toBe(false);
  });

  it('keeps insertion order of integer-like ids across a snapshot', async () => {
    const dir = temp.make();
    let store = await openStore({ directory: dir });
    await store.transaction((tx) => {
      for (const id of ['b', '10', '2', 'a', '1']) tx.put('x', id, { id });
    });
    await store.close();
    const onDisk = JSON.parse(readFileSync(path.join(dir, 'state.json'), 'utf8'));
    expect(onDisk.order).toEqual({ x: ['b', '10', '2', 'a', '1'] });
    store = await openStore({ directory: dir });
    expect([...store.values('x')].map((r) => r.id)).toEqual(['b', '10', '2', 'a', '1']);
    await store.close();
  });
});
