import { describe, expect, it } from 'vitest';
import { entityPath, type JsonBody } from '../../../../test/support/emulator.js';
import { downloadAsset, jobIdOf, postJob, sample, taskBody, uploadEncryptedAsset, type ClearFile, type JobForm } from '../../helpers/jobs-fixtures.js';
import { useQueueEmulator } from '../../helpers/queue-emulator.js';

/**
 * Issue 15's whole pipeline as a client lives it, once per OData format: upload storage-encrypted
 * (the reference client's way), register an AzureQueue endpoint, submit a Media Encoder Standard
 * job subscribed to it, wait on the queue (real Azurite queue service, read with
 * @azure/storage-queue, never polling the job) until the job's Finished message arrives, then read
 * the outputs back in the same format and their bytes from blob storage.
 */

const MES = 'nb:mpid:UUID:ff4df607-d419-42f0-bc17-a481b1331e56';
const WAIT_MS = 30_000;

const ACCEPT: Record<JobForm, string> = {
  minimal: 'application/json;odata=minimalmetadata',
  verbose: 'application/json;odata=verbose',
  atom: 'application/atom+xml',
};

const setup = useQueueEmulator();

/** Waits on the queue as a consumer would, until a JobStateChange to `state` for the job arrives. */
async function awaitJobState(queue: string, jobId: string, state: string): Promise<JsonBody[]> {
  const client = setup.queues.getQueueClient(queue);
  const seen: JsonBody[] = [];
  const deadline = Date.now() + WAIT_MS;
  while (Date.now() < deadline) {
    if (await client.exists()) {
      for (const m of (await client.receiveMessages({ numberOfMessages: 32 })).receivedMessageItems) {
        seen.push(JSON.parse(Buffer.from(m.messageText, 'base64').toString('utf8')) as JsonBody);
        await client.deleteMessage(m.messageId, m.popReceipt);
      }
      if (seen.some((m) => m.EventType === 'JobStateChange' && m.Properties.JobId === jobId && m.Properties.NewState === state)) return seen;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`no ${state} message for ${jobId} on ${queue} in ${WAIT_MS} ms; saw ${JSON.stringify(seen)}`);
}

/** Ids and names of a feed in the format asked for, read as a client of that format reads them. */
async function readFeed(path: string, form: JobForm): Promise<Array<{ Id: string; Name: string }>> {
  const res = await setup.emu.ams('GET', path, { headers: { Accept: ACCEPT[form] } });
  expect(res.status, res.text).toBe(200);
  expect(res.headers.get('content-type')).toContain(form === 'atom' ? 'application/atom+xml' : `odata=${form === 'minimal' ? 'minimalmetadata' : 'verbose'}`);
  if (form === 'atom') {
    const entries = res.text.split('<entry').slice(1);
    return entries.map((entry) => ({ Id: /<d:Id>([^<]+)<\/d:Id>/.exec(entry)![1]!, Name: /<d:Name>([^<]*)<\/d:Name>/.exec(entry)![1]! }));
  }
  const values = (form === 'verbose' ? res.body.d.results : res.body.value) as JsonBody[];
  return values.map((v) => ({ Id: String(v.Id), Name: String(v.Name) }));
}

describe('encode, be told, read the outputs', () => {
  const INPUT: ClearFile[] = [{ name: 'interview.mp4', data: sample(200_003) }];
  const LAYERS = ['1280x720_3400', '960x540_2250', '960x540_1500', '640x360_1000', '640x360_650', '320x180_400'];

  for (const form of ['minimal', 'verbose', 'atom'] as const satisfies readonly JobForm[]) {
    it(`${form}: the queue says Finished, and the output asset holds the preset's files, each the clear input`, async () => {
      const input = await uploadEncryptedAsset(setup.emu, INPUT);
      const queue = `encodes-${form}`;
      const endpoint = await setup.emu.ams('POST', 'NotificationEndPoints', { body: { Name: `q-${form}`, EndPointType: 1, EndPointAddress: queue } });
      expect(endpoint.status, endpoint.text).toBe(201);

      const posted = await postJob(setup.emu, [input.assetId], form, {
        name: `encode-${form}`,
        tasks: [{ MediaProcessorId: MES, Configuration: 'H264 Multiple Bitrate 720p', TaskBody: taskBody({ assetName: `Encoded ${form}` }) }],
        subscriptions: [{ NotificationEndPointId: String(endpoint.body.Id), TargetJobState: 2 }],
      });
      expect(posted.status, posted.text).toBe(201);
      const jobId = jobIdOf(posted);

      const messages = await awaitJobState(queue, jobId, 'Finished');
      const changes = messages.filter((m) => m.EventType === 'JobStateChange');
      expect(changes.map((m) => m.Properties.NewState)).toEqual(['Scheduled', 'Processing', 'Finished']);
      for (const m of changes) expect(m.Properties).toMatchObject({ JobId: jobId, JobName: `encode-${form}` });

      const outputs = await readFeed(`${entityPath('Jobs', jobId)}/OutputMediaAssets`, form);
      expect(outputs.map((o) => o.Name)).toEqual([`Encoded ${form}`]);
      const files = await readFeed(`${entityPath('Assets', outputs[0]!.Id)}/Files`, form);
      const mp4s = LAYERS.map((layer) => `interview_${layer}.mp4`);
      for (const name of [...mp4s, 'interview.ism', 'interview.ismc', 'interview_manifest.xml']) expect(files.map((f) => f.Name)).toContain(name);

      const bytes = await downloadAsset(setup.emu, outputs[0]!.Id);
      for (const name of mp4s) expect(bytes.get(name)?.equals(INPUT[0]!.data), `${name} is the clear input`).toBe(true);
      const parents = await readFeed(`${entityPath('Assets', outputs[0]!.Id)}/ParentAssets`, form);
      expect(parents.map((p) => p.Id)).toEqual([input.assetId]);
    });
  }
});
