import { Readable } from 'node:stream';
import fc from 'fast-check';
import { JobState, latestMediaProcessor, submitProcessJob, uploadEncrypted, waitForJob, type AmsClient, type MediaProcessor } from '../../../client/src/index.js';
import { expectThat, type CaseRecorder } from '../runner/recorder.js';
import { withResources, type Resources } from '../workflow/resources.js';
import { payload } from './ctr-reference.js';
import type { Suite, SuiteContext } from './types.js';

/**
 * Encoders: jobs on Media Encoder Standard and Windows Azure Media Encoder, as the SDKs run them
 * (the processor found by name at its latest Version, a storage-encrypted input, a clear output).
 * What is checked holds for the service's real encoders and the emulator's simulated ones alike:
 * the job finishes, the output holds MP4s named after the input and the encoder's manifest, and a
 * preset the encoder does not know ends the job in Error with an ErrorDetail.
 */
export const encodersSuite: Suite = {
  id: 'encoders',
  title: 'Encoders',
  summary: 'jobs on Media Encoder Standard and Windows Azure Media Encoder finish with the files the preset names, and fail with an ErrorDetail on a preset the encoder does not know',
  async run(context, cases) {
    const client = context.target.client();
    const mes = await latestMediaProcessor(client, 'Media Encoder Standard').catch(() => undefined);
    const wame = await latestMediaProcessor(client, 'Windows Azure Media Encoder').catch(() => undefined);
    await cases.check('lookup', "the encoders are found by name ($filter=Name eq '…'), each Version parsing as a number", () => {
      for (const p of [mes, wame]) if (p) expectThat(Number.isFinite(Number.parseFloat(p.Version)), `${p.Name} has Version ${JSON.stringify(p.Version)}, which does not parse as a double (the Java SDK's pick)`);
      expectThat(mes !== undefined || wame !== undefined, 'the endpoint lists neither Media Encoder Standard nor Windows Azure Media Encoder');
    });
    if (mes) {
      await mesOutputs(context, cases, mes);
      await unknownPreset(context, cases, mes);
    } else {
      cases.notApplicable('mes-outputs', 'Media Encoder Standard writes the MP4s and the manifest of its preset', NO_MES);
      cases.notApplicable('unknown-preset', 'a preset the encoder does not know ends the job in Error with an ErrorDetail', NO_MES, 'check');
    }
    if (wame) await wameOutput(context, cases, wame);
    else cases.notApplicable('wame-output', 'Windows Azure Media Encoder "H.264 256k DSL CBR" writes one MP4', 'the endpoint lists no Windows Azure Media Encoder', 'check');
  },
};

const NO_MES = 'the endpoint lists no Media Encoder Standard';
const PRESETS = ['Adaptive Streaming', 'H264 Multiple Bitrate 720p', 'H264 Single Bitrate 720p'] as const;

async function mesOutputs(context: SuiteContext, cases: CaseRecorder, mes: MediaProcessor): Promise<void> {
  const client = context.target.client();
  await cases.property(
    'mes-outputs',
    'Media Encoder Standard finishes a job on a storage-encrypted input; the output holds MP4s named after the input and its _manifest.xml, and ParentAssets (when listed) is the input',
    fc.asyncProperty(fc.constantFrom(...PRESETS), fc.stringMatching(/^[a-z][a-z0-9-]{0,15}$/), fc.integer({ min: 1, max: 100_000 }), async (preset, basename, size) => {
      await withResources(client, async (resources) => {
        const input = await upload(client, resources, `${basename}.mp4`, size);
        const { job, files } = await run(context, client, resources, input, mes, preset);
        expectThat(job.State === JobState.Finished, `the ${preset} job ended in state ${job.State}, not Finished (3)`);
        const mp4s = files.filter((f) => f.endsWith('.mp4'));
        expectThat(mp4s.length > 0, () => `the output holds no MP4: ${files.join(', ')}`);
        for (const f of mp4s) expectThat(f.startsWith(basename), `the output MP4 '${f}' is not named after the input '${basename}.mp4'`);
        expectThat(files.includes(`${basename}_manifest.xml`), () => `the output has no ${basename}_manifest.xml: ${files.join(', ')}`);
        const parents = await client.listAssetParentAssets(job.outputs[0]!);
        expectThat(parents.length === 0 || parents.some((p) => p.Id === input), () => `ParentAssets of the output lists ${parents.map((p) => p.Id).join(', ')}, not the input ${input}`);
      });
    }),
    { share: 0.05 },
  );
}

async function unknownPreset(context: SuiteContext, cases: CaseRecorder, mes: MediaProcessor): Promise<void> {
  const client = context.target.client();
  await cases.check('unknown-preset', 'a preset the encoder does not know ends the job in Error, its task with an ErrorDetail (Code and Message)', async () => {
    await withResources(client, async (resources) => {
      const input = await upload(client, resources, 'clip.mp4', 1000);
      const { job, jobId } = await run(context, client, resources, input, mes, 'ams-conformance: no such preset');
      expectThat(job.State === JobState.Error, `the job ended in state ${job.State}, not Error (4)`);
      const details = (await client.listJobTasks(jobId)).flatMap((t) => t.ErrorDetails);
      expectThat(details.length > 0 && details.every((d) => Boolean(d.Code) && Boolean(d.Message)), () => `the task's ErrorDetails are ${JSON.stringify(details)}`);
    });
  });
}

async function wameOutput(context: SuiteContext, cases: CaseRecorder, wame: MediaProcessor): Promise<void> {
  const client = context.target.client();
  await cases.check('wame-output', 'Windows Azure Media Encoder "H.264 256k DSL CBR" (the Java tests\' preset) finishes with an MP4 in the output', async () => {
    await withResources(client, async (resources) => {
      const input = await upload(client, resources, 'clip.mp4', 5000);
      const { job, files } = await run(context, client, resources, input, wame, 'H.264 256k DSL CBR');
      expectThat(job.State === JobState.Finished, `the job ended in state ${job.State}, not Finished (3)`);
      expectThat(files.some((f) => f.endsWith('.mp4')), () => `the output holds no MP4: ${files.join(', ')}`);
    });
  });
}

async function upload(client: AmsClient, resources: Resources, name: string, size: number): Promise<string> {
  const uploaded = await uploadEncrypted(client, [{ name, stream: Readable.from([payload(size, size)]), size }], { assetName: 'ams-conformance-input' });
  resources.track('Assets', uploaded.assetId);
  resources.track('ContentKeys', uploaded.contentKeyId);
  return uploaded.assetId;
}

const JOB_TIMEOUT_MS = 600_000;

async function run(context: SuiteContext, client: AmsClient, resources: Resources, input: string, processor: MediaProcessor, preset: string) {
  const submitted = await submitProcessJob(client, { inputAssetId: input, mediaProcessorId: processor.Id, configuration: preset, jobName: `ams-conformance-${context.seed}`, outputAssetName: 'ams-conformance-output' });
  resources.track('Jobs', submitted.Id);
  const job = await waitForJob(client, submitted.Id, { timeoutMs: JOB_TIMEOUT_MS });
  const outputs = (await client.listJobOutputAssets(submitted.Id)).map((o) => o.Id);
  for (const id of outputs) resources.track('Assets', id);
  const files = outputs.length > 0 ? (await client.listAssetFiles(outputs[0]!)).map((f) => f.Name) : [];
  return { job: { State: job.State, outputs }, jobId: submitted.Id, files };
}
