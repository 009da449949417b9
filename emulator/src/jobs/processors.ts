import { findProcessor } from '../model/media-processor.js';
import type { TaskOutcome, TaskRecord } from '../model/task.js';
import { decryptAsset, failed, type DecryptionRun } from './decrypt-task.js';
import { encodeAsset } from './encoders/encode-task.js';

/** The one place a task's MediaProcessorId picks its work (one input and one output asset: job-request.ts checks it). */
export function runTaskWork(run: DecryptionRun, task: TaskRecord): Promise<TaskOutcome> {
  const processor = findProcessor(task.MediaProcessorId);
  const inputAssetId = task._internal.inputs[0] ?? '';
  const outputAssetId = task._internal.outputs[0] ?? '';
  switch (processor?.kind) {
    case 'storage-decryption':
      return decryptAsset(run, inputAssetId, outputAssetId);
    case 'media-encoder-standard':
    case 'azure-media-encoder':
      return encodeAsset(run, { processor, configuration: task.Configuration ?? '', inputAssetId, outputAssetId });
    default:
      // POST Jobs refuses these; a job stored by an older emulator could still hold one.
      return Promise.resolve(failed({ Code: 'ConfigurationUnsupported', Message: `The media processor ${task.MediaProcessorId} is not run by the emulator` }));
  }
}

/** The HistoricalEvent message when a task's work starts. */
export function startMessage(mediaProcessorId: string): string {
  const processor = findProcessor(mediaProcessorId);
  if (processor?.kind === 'storage-decryption') return 'Decrypting the input asset into the output asset';
  return `${processor?.record.Name ?? 'The processor'} is encoding the input asset (simulated)`;
}
