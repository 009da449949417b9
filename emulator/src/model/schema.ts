import type { Json, JsonRecord, RecordSchema } from '../store/types.js';
import { COLLECTIONS } from './collections.js';

/**
 * The stored shape of the records (`records.ts`) as a store schema: the version written into a
 * data directory's `state.json`, and how records an older emulator wrote are read.
 *
 * Version 1 kept the emulator's bookkeeping in top-level fields beside the wire properties
 * (`_container` on an asset; `_inputs`, `_outputs`, `_tasks`, `_workDone` on a job; `_jobId`,
 * `_index`, `_inputs`, `_outputs`, `_outcome` on a task). Version 2 keeps it under `_internal`.
 */
export const MODEL_SCHEMA: RecordSchema = {
  version: 2,
  upgrade(from, collection, record) {
    return from < 2 ? internalFieldsUnderOneProperty(collection, record) : record;
  },
};

/** Version 1 field -> `_internal` property, per collection, with the value a record without the field gets. */
const MOVED_FIELDS: Readonly<Record<string, ReadonlyArray<readonly [string, string, Json]>>> = {
  [COLLECTIONS.Assets]: [['_container', 'container', '']],
  [COLLECTIONS.Jobs]: [
    ['_inputs', 'inputs', []],
    ['_outputs', 'outputs', []],
    ['_tasks', 'tasks', []],
    ['_workDone', 'workDone', false],
  ],
  [COLLECTIONS.Tasks]: [
    ['_jobId', 'jobId', ''],
    ['_index', 'index', 0],
    ['_inputs', 'inputs', []],
    ['_outputs', 'outputs', []],
    ['_outcome', 'outcome', null],
  ],
};

/** A record already in the version 2 shape (journals carry no version) comes back as it is. */
function internalFieldsUnderOneProperty(collection: string, record: JsonRecord): JsonRecord {
  const moves = Object.hasOwn(MOVED_FIELDS, collection) ? MOVED_FIELDS[collection]! : [];
  if (moves.length === 0 || (Object.hasOwn(record, '_internal') && !moves.some(([old]) => Object.hasOwn(record, old)))) return record;
  const upgraded: JsonRecord = {};
  for (const [name, value] of Object.entries(record)) if (!moves.some(([old]) => old === name)) upgraded[name] = value;
  const internal: JsonRecord = {};
  for (const [old, name, missing] of moves) internal[name] = Object.hasOwn(record, old) ? record[old]! : missing;
  upgraded['_internal'] = internal;
  return upgraded;
}
