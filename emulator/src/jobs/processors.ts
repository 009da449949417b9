import { findProcessor } from '../model/media-processor.js';
import { decryptAsset, failed, type DecryptionRun } from './decrypt-task.js';
import { encodeAsset } from './encoders/encode-task.js';
import type { TaskOutcome } from './job-states.js';

/** What one task asks for: its processor, its Configuration, its input and output asset. */
export interface TaskWork {
  mediaProcessorId: string;
  configuration: string;
  inputAssetId: string;
  outputAssetId: string;
}

/** The one place a task's MediaProcessorId picks its work. */
export function runTaskWork(run: DecryptionRun, work: TaskWork): Promise<TaskOutcome> {
  const processor = findProcessor(work.mediaProcessorId);
  switch (processor?.kind) {
    case 'storage-decryption':
      return decryptAsset(run, work.inputAssetId, work.outputAssetId);
    case 'media-encoder-standard':
    case 'azure-media-encoder':
      return encodeAsset(run, { processor, configuration: work.configuration, inputAssetId: work.inputAssetId, outputAssetId: work.outputAssetId });
    default:
      // POST Jobs refuses these; a job stored by an older emulator could still hold one.
      return Promise.resolve(failed({ Code: 'ConfigurationUnsupported', Message: `The media processor ${work.mediaProcessorId} is not run by the emulator` }));
  }
}

/** The HistoricalEvent message when a task's work starts. */
export function startMessage(mediaProcessorId: string): string {
  const processor = findProcessor(mediaProcessorId);
  if (processor?.kind === 'storage-decryption') return 'Decrypting the input asset into the output asset';
  return `${processor?.record.Name ?? 'The processor'} is encoding the input asset (simulated)`;
}
