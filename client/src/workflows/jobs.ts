import { AmsClient, odataString, type CallOptions, type Job, type MediaProcessor } from '../rest/index.js';
import { JobState } from '../rest/enums.js';

/**
 * Running a media processor on an asset, the way the SDKs did: look the processor up by name and
 * take its latest Version, submit a one-task job, poll it to a final state.
 */

/** The processor named `name` with the highest Version (compared part by part, as .NET `Version`). */
export async function latestMediaProcessor(client: AmsClient, name: string, options: CallOptions = {}): Promise<MediaProcessor | undefined> {
  const found = await client.listMediaProcessors({ $filter: `Name eq ${odataString(name)}` }, options);
  return found.reduce<MediaProcessor | undefined>((best, p) => (best === undefined || compareVersions(p.Version, best.Version) > 0 ? p : best), undefined);
}

/** Negative, zero or positive as `a` is an earlier, the same or a later version than `b` ("4.7" > "4.10" is false). */
export function compareVersions(a: string, b: string): number {
  const [x, y] = [a.split('.').map(Number), b.split('.').map(Number)];
  for (let i = 0; i < Math.max(x.length, y.length); i++) {
    const d = (x[i] ?? -1) - (y[i] ?? -1);
    if (d !== 0 && !Number.isNaN(d)) return d;
  }
  return 0;
}

export interface ProcessJobRequest {
  inputAssetId: string;
  mediaProcessorId: string;
  /** The preset: a name ("Adaptive Streaming"), or a JSON/XML preset; empty for Storage Decryption. */
  configuration: string;
  jobName?: string;
  outputAssetName?: string;
}

/** POST Jobs with one task reading the asset and writing one clear output asset. */
export function submitProcessJob(client: AmsClient, request: ProcessJobRequest, options: CallOptions = {}): Promise<Job> {
  const outputName = (request.outputAssetName ?? 'Output').replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;');
  return client.createJob(
    {
      Name: request.jobName ?? 'ams-client job',
      InputAssetIds: [request.inputAssetId],
      Tasks: [
        {
          MediaProcessorId: request.mediaProcessorId,
          Configuration: request.configuration,
          TaskBody: `<?xml version="1.0" encoding="utf-16"?><taskBody><inputAsset>JobInputAsset(0)</inputAsset><outputAsset assetCreationOptions="0" assetName="${outputName}">JobOutputAsset(0)</outputAsset></taskBody>`,
        },
      ],
    },
    options,
  );
}

export interface WaitOptions extends CallOptions {
  /** Give up after this long (default 10 minutes). */
  timeoutMs?: number;
  /** Called with each state read, changed or not. */
  onState?: (job: Job) => void;
}

/** Poll the job (backing off from 50 ms to 2 s) until it is Finished, Error or Canceled. */
export async function waitForJob(client: AmsClient, jobId: string, options: WaitOptions = {}): Promise<Job> {
  const deadline = Date.now() + (options.timeoutMs ?? 600_000);
  const call: CallOptions = options.signal ? { signal: options.signal } : {};
  for (let delay = 50; ; delay = Math.min(delay * 2, 2000)) {
    const job = await client.getJob(jobId, call);
    options.onState?.(job);
    if (job.State === JobState.Finished || job.State === JobState.Error || job.State === JobState.Canceled) return job;
    if (Date.now() > deadline) throw new Error(`the job ${jobId} was still in state ${job.State} after ${Math.round((options.timeoutMs ?? 600_000) / 1000)} s`);
    await new Promise((resolve) => setTimeout(resolve, delay));
  }
}
