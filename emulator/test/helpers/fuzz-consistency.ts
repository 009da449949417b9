/**
 * The emulator's state is whole: every reference points at something that exists, every asset has
 * its container, and what is on disk is valid JSON that loads back to the same state. For any test
 * that ran something hostile (fuzzing, crashes, storage faults, concurrency) and wants to know that
 * nothing was left half-done:
 *
 *   const problems = await checkConsistency({ baseUrl: emu.baseUrl, storage, location });
 *   expect(problems).toEqual([]);
 *
 * The state is read over HTTP (`GET /_emulator/state`), as a user would see it; `storage` (a
 * gateway to the same account) checks the containers; `location` (file mode) checks the files.
 */
import { copyFile, mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MODEL_SCHEMA } from '../../src/model/schema.js';
import { openStore } from '../../src/store/index.js';
import type { BlobStorage } from '../../src/storage/types.js';

export interface ConsistencyInput {
  /** The emulator's root, ending in `/`. */
  baseUrl: string;
  /** Storage of the same account, to check each asset's container; skipped when absent. */
  storage?: Pick<BlobStorage, 'containerExists'>;
  /** The data directory (file mode), to check the state and journal files; skipped when absent. */
  location?: string;
}

type Row = Record<string, unknown>;

export interface StateDump {
  assets: Row[];
  files: Row[];
  contentKeys: Row[];
  assetContentKeys: Row[];
  accessPolicies: Row[];
  locators: Row[];
  jobs: Row[];
  tasks: Row[];
  [collection: string]: Row[];
}

/** Every problem found, one line each; empty when the state is consistent. */
export async function checkConsistency(input: ConsistencyInput): Promise<string[]> {
  // Background work (verifications, jobs) may still be writing: a difference between what is served
  // and what is on disk counts only if it stays.
  for (let attempt = 1; ; attempt++) {
    const state = await readState(input.baseUrl);
    const problems = referenceProblems(state);
    if (input.storage) problems.push(...(await containerProblems(state, input.storage)));
    const disk = input.location ? await diskProblems(input.location, state) : [];
    if (disk.length === 0 || attempt === 5) return [...problems, ...disk];
    await new Promise((resolve) => setTimeout(resolve, 300));
  }
}

export async function readState(baseUrl: string): Promise<StateDump> {
  const res = await fetch(`${baseUrl}_emulator/state`);
  if (res.status !== 200) throw new Error(`GET /_emulator/state answered ${res.status}: ${(await res.text()).slice(0, 300)}`);
  const body = (await res.json()) as { state: StateDump };
  return body.state;
}

const lower = (value: unknown): string => String(value).toLowerCase();

/** References between records: links, files, locators, tasks and jobs. */
export function referenceProblems(state: StateDump): string[] {
  const problems: string[] = [];
  const ids = (rows: readonly Row[]) => new Set(rows.map((r) => lower(r['Id'])));
  const assets = ids(state.assets);
  const keys = ids(state.contentKeys);
  const policies = ids(state.accessPolicies);
  const jobs = ids(state.jobs);
  const tasks = ids(state.tasks);

  for (const link of state.assetContentKeys) {
    if (!assets.has(lower(link['assetId']))) problems.push(`link ${link['assetId']} -> ${link['keyId']}: the asset does not exist`);
    if (!keys.has(lower(link['keyId']))) problems.push(`link ${link['assetId']} -> ${link['keyId']}: the content key does not exist`);
  }
  for (const file of state.files) {
    if (!assets.has(lower(file['ParentAssetId']))) problems.push(`file ${file['Id']}: its asset ${file['ParentAssetId']} does not exist`);
  }
  const names = new Map<string, string>();
  for (const file of state.files) {
    const key = `${lower(file['ParentAssetId'])}|${String(file['Name'])}`;
    if (names.has(key)) problems.push(`files ${names.get(key)} and ${file['Id']} of asset ${file['ParentAssetId']} have the same name ${JSON.stringify(file['Name'])}`);
    names.set(key, String(file['Id']));
  }
  for (const locator of state.locators) {
    if (!assets.has(lower(locator['AssetId']))) problems.push(`locator ${locator['Id']}: its asset ${locator['AssetId']} does not exist`);
    if (!policies.has(lower(locator['AccessPolicyId']))) problems.push(`locator ${locator['Id']}: its access policy ${locator['AccessPolicyId']} does not exist`);
  }
  for (const task of state.tasks) {
    const jobId = (task['_internal'] as { jobId?: unknown } | undefined)?.jobId;
    if (!jobs.has(lower(jobId))) problems.push(`task ${task['Id']}: its job ${String(jobId)} does not exist`);
  }
  for (const job of state.jobs) {
    const listed = (job['_internal'] as { tasks?: unknown } | undefined)?.tasks;
    const taskKeys = Array.isArray(listed) ? (listed as unknown[]) : [];
    for (const key of taskKeys) if (!tasks.has(lower(key))) problems.push(`job ${job['Id']}: its task ${String(key)} does not exist`);
  }
  return problems;
}

/** Each asset's container exists in storage (an asset whose container is gone cannot take an upload). */
async function containerProblems(state: StateDump, storage: Pick<BlobStorage, 'containerExists'>): Promise<string[]> {
  const problems: string[] = [];
  for (const asset of state.assets) {
    const container = (asset['_internal'] as { container?: unknown } | undefined)?.container;
    if (typeof container !== 'string' || container === '') {
      problems.push(`asset ${asset['Id']}: no container recorded`);
      continue;
    }
    if (!(await storage.containerExists(container))) problems.push(`asset ${asset['Id']}: its container ${container} does not exist in storage`);
  }
  return problems;
}

/**
 * `state.json` and every journal line are valid JSON, and the directory, opened as the emulator
 * opens it at start-up, holds exactly the state the running emulator serves.
 */
async function diskProblems(location: string, served: StateDump): Promise<string[]> {
  const problems: string[] = [];
  const entries = await readdir(location);
  const copy = await mkdtemp(join(tmpdir(), 'ams-consistency-'));
  try {
    for (const name of entries) {
      const isSnapshot = name === 'state.json';
      const isJournal = /^journal-\d+\.jsonl$/.test(name);
      if (!isSnapshot && !isJournal) continue;
      const text = await readFile(join(location, name), 'utf8');
      if (isSnapshot) {
        try {
          JSON.parse(text);
        } catch (err) {
          problems.push(`${name} is not valid JSON: ${(err as Error).message}`);
        }
      } else {
        const lines = text.split('\n');
        lines.forEach((line, i) => {
          if (line === '' && i === lines.length - 1) return;
          try {
            JSON.parse(line);
          } catch (err) {
            problems.push(`${name} line ${i + 1} is not valid JSON: ${(err as Error).message}`);
          }
        });
      }
      await copyFile(join(location, name), join(copy, name));
    }
    let store: Awaited<ReturnType<typeof openStore>>;
    try {
      store = await openStore({ directory: copy, schema: MODEL_SCHEMA });
    } catch (err) {
      problems.push(`the data directory does not open as the emulator would open it: ${(err as Error).message}`);
      return problems;
    }
    try {
      for (const [collection, rows] of Object.entries(served)) {
        const onDisk = [...store.values(collection)];
        if (JSON.stringify(onDisk) !== JSON.stringify(rows)) {
          problems.push(`collection ${collection}: ${rows.length} records served, ${onDisk.length} on disk, and they differ`);
        }
      }
    } finally {
      await store.close();
    }
  } finally {
    await rm(copy, { recursive: true, force: true });
  }
  return problems;
}
