import { enumName, JobState } from '../rest/enums.js';
import type { AmsClient, CallOptions, Job } from '../rest/index.js';
import { latestMediaProcessor, submitProcessJob, waitForJob } from '../workflows/index.js';
import type { LeafCommand } from './command.js';
import { CONNECTION_OPTIONS, connectionSettings, createClient } from './connection-options.js';
import { CommandFailure, UsageError } from './errors.js';
import { describeFailure } from './failures.js';
import { writeLine, type CliIo } from './io.js';
import { JSON_OPTION } from './transfer-options.js';

/**
 * `ams-client job ASSET --processor NAME --preset PRESET`: run a media processor on an asset as
 * the SDKs did (the processor's latest version by name, one task, a clear output asset), wait for
 * it, and print the outcome and the output's files.
 */
export const jobCommand: LeafCommand = {
  name: 'job',
  summary: 'Run a media processor (an encoder, or Storage Decryption) on an asset and wait for the job.',
  details:
    'The processor is looked up by name (its latest Version, as the SDKs picked it) or given by id.\n' +
    'Exit status 1 when the job ends in Error or Canceled; the task\'s ErrorDetails are printed.',
  positionals: { placeholder: 'ASSET', description: 'the input asset id, nb:cid:UUID:...', min: 1 },
  options: [
    ...CONNECTION_OPTIONS,
    { name: 'processor', type: 'string', placeholder: 'NAME', required: true, description: "the media processor's Name (e.g. 'Media Encoder Standard') or its id, nb:mpid:UUID:..." },
    { name: 'preset', type: 'string', placeholder: 'PRESET', description: "the task's Configuration: a preset name such as 'Adaptive Streaming' (none for Storage Decryption)" },
    { name: 'name', type: 'string', placeholder: 'NAME', description: 'the job name (default: ams-client job)' },
    { name: 'output-name', type: 'string', placeholder: 'NAME', description: 'the output asset name (default: Output)' },
    { name: 'no-wait', type: 'boolean', description: 'print the job id once it is submitted, without waiting for it' },
    JSON_OPTION,
  ],
  async run(options, io) {
    if (options.positionals.length !== 1) throw new UsageError('job takes exactly one input asset', 'job');
    const settings = connectionSettings(options, io.env);
    const call: CallOptions = io.signal ? { signal: io.signal } : {};
    const client = createClient(settings);
    const context = { action: 'job', auth: settings.auth, signal: io.signal };
    try {
      await client.discoverBaseUri(call);
      const processorId = await resolveProcessor(client, options.string('processor'), call);
      const job = await submitProcessJob(
        client,
        {
          inputAssetId: options.positionals[0]!,
          mediaProcessorId: processorId,
          configuration: options.optionalString('preset') ?? '',
          ...optional('jobName', options.optionalString('name')),
          ...optional('outputAssetName', options.optionalString('output-name')),
        },
        call,
      );
      if (options.flag('no-wait')) {
        await writeLine(io, options.flag('json') ? JSON.stringify({ jobId: job.Id, state: stateName(job.State) }) : `Submitted job ${job.Id}`);
        return;
      }
      const done = await waitForJob(client, job.Id, call);
      await report(io, client, done, options.flag('json'), call);
    } catch (err) {
      if (err instanceof CommandFailure) throw err;
      throw describeFailure(err, context);
    }
  },
};

async function resolveProcessor(client: AmsClient, nameOrId: string, call: CallOptions): Promise<string> {
  if (/^nb:mpid:UUID:/i.test(nameOrId)) return nameOrId;
  const processor = await latestMediaProcessor(client, nameOrId, call);
  if (!processor) throw new CommandFailure(`no media processor is named '${nameOrId}'; GET MediaProcessors lists them`);
  return processor.Id;
}

async function report(io: CliIo, client: AmsClient, job: Job, json: boolean, call: CallOptions): Promise<void> {
  const tasks = await client.listJobTasks(job.Id, call);
  const outputs = await client.listJobOutputAssets(job.Id, call);
  const files = await Promise.all(outputs.map(async (o) => ({ asset: o, files: await client.listAssetFiles(o.Id, undefined, call) })));
  const errors = tasks.flatMap((t) => t.ErrorDetails.map((e) => `${e.Code ?? ''}: ${e.Message ?? ''}`));
  if (json) {
    await writeLine(
      io,
      JSON.stringify({
        jobId: job.Id,
        state: stateName(job.State),
        errors,
        outputs: files.map(({ asset, files }) => ({ assetId: asset.Id, name: asset.Name, files: files.map((f) => ({ name: f.Name, size: Number(f.ContentFileSize), primary: f.IsPrimary === true })) })),
      }),
    );
  } else {
    await writeLine(io, `Job ${job.Id} ${stateName(job.State)}`);
    for (const e of errors) await writeLine(io, `  error ${e}`);
    for (const { asset, files: list } of files) {
      await writeLine(io, `  output asset ${asset.Id} '${asset.Name ?? ''}', ${list.length} file${list.length === 1 ? '' : 's'}`);
      for (const f of list) await writeLine(io, `    ${f.Name}  ${String(f.ContentFileSize)} bytes${f.IsPrimary ? '  (primary)' : ''}`);
    }
  }
  if (job.State !== JobState.Finished) throw new CommandFailure(`the job ended ${stateName(job.State)}${errors.length > 0 ? `: ${errors.join('; ')}` : ''}`);
}

function stateName(state: number): string {
  return enumName(JobState, state) ?? `State ${state}`;
}

function optional<K extends string>(key: K, value: string | undefined): { [P in K]?: string } {
  return (value === undefined ? {} : { [key]: value }) as { [P in K]?: string };
}
