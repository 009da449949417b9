import { formatNbId } from '../../../client/src/crypto/index.js';
import type { Services } from '../app/services.js';
import { AssetCreationOptions, AssetState } from '../model/enums.js';
import { newJob, type JobAndTasks } from '../model/job.js';
import type { AssetRecord } from '../model/records.js';
import { newTask } from '../model/task.js';
import type { JobPlan } from './job-request.js';
import type { OutputSpec } from './task-body.js';

/**
 * A planned job made into records: the job and its tasks (model/job.ts, model/task.ts) with fresh
 * ids, and the empty output assets the job writes into.
 */
export interface NewJobRecords extends JobAndTasks {
  /** Output assets to create: their containers first, then the records with the job. */
  outputs: AssetRecord[];
}

/** The records of a planned job: Queued, its tasks Queued, its output assets empty. */
export function buildJob(services: Services, plan: JobPlan): NewJobRecords {
  const now = services.now().toISOString();
  const jobId = formatNbId('jid', services.ids.guid());
  const outputs = plan.outputs.map((spec) => outputAsset(services, spec, now));
  const outputIds = outputs.map((o) => o.Id);
  const tasks = plan.tasks.map((taskPlan, index) =>
    newTask({
      id: formatNbId('tid', services.ids.guid()),
      jobId,
      index,
      values: taskPlan.values,
      inputs: taskPlan.inputs.map((ref) => (ref.kind === 'input' ? plan.inputAssetIds[ref.index]! : outputIds[ref.index]!)),
      outputs: taskPlan.outputs.map((spec) => outputIds[spec.index]!),
      now,
    }),
  );
  const made = newJob({ id: jobId, values: plan.values, inputs: plan.inputAssetIds, outputs: outputIds, tasks, now });
  return { ...made, outputs };
}

/**
 * An output asset as POST Assets would make it: clear (the processor decrypts), in its own
 * container `asset-<guid>`, named by the TaskBody or after its place in the job.
 */
function outputAsset(services: Services, spec: OutputSpec, now: string): AssetRecord {
  const guid = services.ids.guid();
  const container = `asset-${guid}`;
  return {
    Id: formatNbId('cid', guid),
    State: AssetState.Initialized,
    Created: now,
    LastModified: now,
    AlternateId: null,
    Name: spec.name ?? `JobOutputAsset(${spec.index})`,
    Options: AssetCreationOptions.None,
    FormatOption: spec.formatOption,
    Uri: services.storage.containerUrl(container),
    StorageAccountName: services.storage.accountName,
    _internal: { container },
  };
}

/** The blob container of an asset. */
export function containerOf(asset: AssetRecord): string {
  return asset._internal.container;
}
