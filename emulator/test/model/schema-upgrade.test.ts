import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { containerOf, getAsset } from '../../src/model/asset.js';
import { COLLECTIONS } from '../../src/model/collections.js';
import type { JobRecord, TaskRecord } from '../../src/model/records.js';
import { MODEL_SCHEMA } from '../../src/model/schema.js';
import { openStore, type JsonRecord } from '../../src/store/index.js';
import { openRefusal, tempDirs } from '../helpers/store-temp.js';

const temp = tempDirs();
afterEach(() => temp.cleanup());

const line = (...ops: unknown[]): string => `${JSON.stringify({ ops })}\n`;

/** Records as an emulator of schema version 1 stored them: bookkeeping in top-level fields. */
const ASSET_A = 'nb:cid:UUID:0b7ce5a3-3f38-4a5e-9a57-0c6a4d1b1d01';
const ASSET_B = 'nb:cid:UUID:0b7ce5a3-3f38-4a5e-9a57-0c6a4d1b1d02';
const OUTPUT = 'nb:cid:UUID:0b7ce5a3-3f38-4a5e-9a57-0c6a4d1b1d03';
const JOB = 'nb:jid:UUID:0b7ce5a3-3f38-4a5e-9a57-0c6a4d1b1d04';
const TASK = 'nb:tid:UUID:0b7ce5a3-3f38-4a5e-9a57-0c6a4d1b1d05';
const FILE = 'nb:cid:UUID:0b7ce5a3-3f38-4a5e-9a57-0c6a4d1b1d06';

function v1Asset(id: string, name: string): JsonRecord {
  const guid = id.replace('nb:cid:UUID:', '');
  return {
    Id: id, State: 0, Created: '2026-01-01T00:00:00.000Z', LastModified: '2026-01-01T00:00:00.000Z', AlternateId: null, Name: name,
    Options: 1, FormatOption: 0, Uri: `http://127.0.0.1:10000/devstoreaccount1/asset-${guid}`, StorageAccountName: 'devstoreaccount1', _container: `asset-${guid}`,
  };
}
const V1_JOB: JsonRecord = {
  Id: JOB, Name: 'decrypt', Created: '2026-01-01T00:00:00.000Z', LastModified: '2026-01-01T00:00:00.000Z', EndTime: null, Priority: 0, RunningDuration: 0,
  StartTime: null, State: 0, TemplateId: null, JobNotificationSubscriptions: [],
  _inputs: [ASSET_A], _outputs: [OUTPUT], _tasks: [TASK], _workDone: false,
};
const V1_TASK: JsonRecord = {
  Id: TASK, Name: 'task', MediaProcessorId: 'nb:mpid:UUID:aec03716-7c5e-4f68-b592-f4850eba9f10', State: 0, Progress: 0, Priority: 0,
  _jobId: JOB, _index: 0, _inputs: [ASSET_A], _outputs: [OUTPUT], _outcome: null,
};
const FILE_RECORD: JsonRecord = { Id: FILE, Name: 'a.mp4', ParentAssetId: ASSET_A, ContentFileSize: '10', IsEncrypted: false };
const FINDING: JsonRecord = { id: 'f1', rule: 'iv-reused', _container: 'not an asset: left alone' };

function writeV1Directory(dir: string): void {
  writeFileSync(
    path.join(dir, 'state.json'),
    JSON.stringify({ schemaVersion: 1, generation: 0, collections: { assets: { [ASSET_A]: v1Asset(ASSET_A, 'a') }, files: { [FILE]: FILE_RECORD }, findings: { f1: FINDING } } }),
  );
  // The journal after it, written by the same old emulator: a new asset, a job and its task, the job moving on.
  writeFileSync(
    path.join(dir, 'journal-0.jsonl'),
    line(['put', 'assets', ASSET_B, v1Asset(ASSET_B, 'b')]) +
      line(['put', 'assets', OUTPUT, v1Asset(OUTPUT, 'out')], ['put', 'jobs', JOB, V1_JOB], ['put', 'tasks', TASK, V1_TASK]) +
      line(['put', 'jobs', JOB, { ...V1_JOB, State: 3, _workDone: true }], ['del', 'assets', ASSET_B]),
  );
}

function snapshotOnDisk(dir: string): { schemaVersion: number; collections: Record<string, Record<string, JsonRecord>> } {
  return JSON.parse(readFileSync(path.join(dir, 'state.json'), 'utf8'));
}

describe('store schema upgrade, version 1 -> 2', () => {
  it('opens a version 1 data directory (snapshot and journal), reads every record in the version 2 shape, and writes version 2', async () => {
    const dir = temp.make();
    writeV1Directory(dir);

    const store = await openStore({ directory: dir, schema: MODEL_SCHEMA });
    const asset = getAsset(store, ASSET_A)!;
    expect(containerOf(asset)).toBe('asset-0b7ce5a3-3f38-4a5e-9a57-0c6a4d1b1d01');
    expect(asset).not.toHaveProperty('_container');
    expect(asset.Name).toBe('a');
    expect(store.has(COLLECTIONS.Assets, ASSET_B)).toBe(false);
    expect(store.get(COLLECTIONS.Assets, OUTPUT)).toMatchObject({ Name: 'out', _internal: { container: 'asset-0b7ce5a3-3f38-4a5e-9a57-0c6a4d1b1d03' } });
    const job = store.get<JobRecord>(COLLECTIONS.Jobs, JOB)!;
    expect(job._internal).toEqual({ inputs: [ASSET_A], outputs: [OUTPUT], tasks: [TASK], workDone: true });
    expect(job.State).toBe(3);
    expect(Object.keys(job).filter((k) => k.startsWith('_'))).toEqual(['_internal']);
    const task = store.get<TaskRecord>(COLLECTIONS.Tasks, TASK)!;
    expect(task._internal).toEqual({ jobId: JOB, index: 0, inputs: [ASSET_A], outputs: [OUTPUT], outcome: null });
    expect(Object.keys(task).filter((k) => k.startsWith('_'))).toEqual(['_internal']);
    // Records without bookkeeping, and collections that hold no entities, are read as they were.
    expect(store.get(COLLECTIONS.Files, FILE)).toEqual(FILE_RECORD);
    expect(store.get('findings', 'f1')).toEqual(FINDING);

    // Already at open, the directory holds the state in the version 2 shape and no old journal.
    const written = snapshotOnDisk(dir);
    expect(written.schemaVersion).toBe(2);
    expect(written.collections['assets']![ASSET_A]).toEqual(asset);
    expect(written.collections['jobs']![JOB]).toEqual(job);
    expect(readdirSync(dir).filter((name) => name.startsWith('journal-'))).not.toContain('journal-0.jsonl');
    await store.close();

    // And it opens again as it was.
    const again = await openStore({ directory: dir, schema: MODEL_SCHEMA });
    expect(getAsset(again, ASSET_A)).toEqual(asset);
    expect(again.get(COLLECTIONS.Tasks, TASK)).toEqual(task);
    await again.close();
  });

  it('rewrites a version 1 snapshot without journals as version 2 at once, so the records appended next follow the version they are read as', async () => {
    const dir = temp.make();
    writeFileSync(path.join(dir, 'state.json'), JSON.stringify({ schemaVersion: 1, generation: 3, collections: { assets: { [ASSET_A]: v1Asset(ASSET_A, 'a') } } }));
    const store = await openStore({ directory: dir, schema: MODEL_SCHEMA });
    expect(snapshotOnDisk(dir)).toMatchObject({ schemaVersion: 2, collections: { assets: { [ASSET_A]: { _internal: { container: 'asset-0b7ce5a3-3f38-4a5e-9a57-0c6a4d1b1d01' } } } } });
    await store.transaction((tx) => tx.put(COLLECTIONS.Assets, ASSET_B, { ...getAsset(tx, ASSET_A)!, Id: ASSET_B }));
    await store.close();
    const again = await openStore({ directory: dir, schema: MODEL_SCHEMA });
    expect(getAsset(again, ASSET_B)?._internal.container).toBe('asset-0b7ce5a3-3f38-4a5e-9a57-0c6a4d1b1d01');
    await again.close();
  });

  it('refuses a state file of a newer version than it reads, naming the versions it does', async () => {
    const dir = temp.make();
    writeFileSync(path.join(dir, 'state.json'), JSON.stringify({ schemaVersion: 3, generation: 0, collections: {} }));
    const refusal = await openRefusal({ directory: dir, schema: MODEL_SCHEMA });
    expect(refusal.reason).toBe('unknown-version');
    expect(refusal.message).toContain('has schemaVersion 3, and this ams-emulator reads only schemaVersion 1 to 2');
    expect(existsSync(path.join(dir, 'state.json'))).toBe(true);
  });

  it('upgrades any record to one that upgrades to itself: the bookkeeping fields of its kind under _internal, every other field as it was', () => {
    const bookkeeping: Record<string, Record<string, string>> = {
      assets: { _container: 'container' },
      jobs: { _inputs: 'inputs', _outputs: 'outputs', _tasks: 'tasks', _workDone: 'workDone' },
      tasks: { _jobId: 'jobId', _index: 'index', _inputs: 'inputs', _outputs: 'outputs', _outcome: 'outcome' },
    };
    const json = fc.oneof(fc.string({ maxLength: 8 }), fc.integer(), fc.boolean(), fc.constant(null), fc.array(fc.string({ maxLength: 4 }), { maxLength: 3 }));
    const field = fc.oneof(fc.constantFrom('_container', '_inputs', '_outputs', '_tasks', '_workDone', '_jobId', '_index', '_outcome', 'Id', 'Name', 'State'), fc.string({ maxLength: 6 }));
    const collection = fc.constantFrom('assets', 'jobs', 'tasks', 'files', 'contentKeys', 'findings');
    fc.assert(
      fc.property(collection, fc.dictionary(field, json, { maxKeys: 8 }), (name, record) => {
        fc.pre(!Object.hasOwn(record, '_internal'));
        const once = MODEL_SCHEMA.upgrade(1, name, record);
        expect(MODEL_SCHEMA.upgrade(1, name, once)).toEqual(once);
        expect(MODEL_SCHEMA.upgrade(2, name, record)).toBe(record);
        const moved = bookkeeping[name];
        if (moved === undefined) {
          expect(once).toBe(record);
          return;
        }
        const internal = once['_internal'] as Record<string, unknown>;
        for (const [key, value] of Object.entries(record)) {
          if (Object.hasOwn(moved, key)) {
            expect(once).not.toHaveProperty([key]);
            expect(internal[moved[key]!]).toEqual(value);
          } else {
            expect(once[key]).toEqual(value);
          }
        }
        expect(Object.keys(internal).sort()).toEqual(Object.values(moved).sort());
      }),
      { numRuns: 300 },
    );
  });
});
