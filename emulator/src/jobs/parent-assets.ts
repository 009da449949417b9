import { Asset } from '../odata/edm.js';
import { canonicalId } from '../odata/uri.js';
import { COLLECTIONS } from '../model/collections.js';
import type { JsonRecord, StoreReader } from '../store/types.js';
import { stringList, TASKS } from './job-store.js';

/**
 * Asset `ParentAssets`: the assets a job task read to write this one (a job output's inputs),
 * in the task's input order; empty for an asset no task wrote. That a job's output lists its
 * input there is the natural reading of the navigation; no source stated it (ams-v2-surface.md
 * §6.6). The tasks are scanned: the relation is read rarely, and a job deleted takes it along.
 */
export function parentAssets(reader: StoreReader, asset: JsonRecord): JsonRecord[] {
  const id = canonicalId(Asset, String(asset['Id']));
  const parents = new Map<string, JsonRecord>();
  for (const task of reader.values(TASKS)) {
    if (!stringList(task['_outputs']).some((out) => canonicalId(Asset, out) === id)) continue;
    for (const input of stringList(task['_inputs'])) {
      const key = canonicalId(Asset, input);
      const parent = reader.get(COLLECTIONS.Assets, key);
      if (parent && !parents.has(key)) parents.set(key, parent);
    }
  }
  return [...parents.values()];
}
