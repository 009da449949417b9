import { createHmac, randomBytes } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { wrapContentKey } from '../../../client/src/crypto/index.js';
import { entityPath, type JsonBody } from '../../../test/support/emulator.js';
import { errorMessage, protectionKey } from '../helpers/api-fixtures.js';
import { getJob, listOf, sample, STORAGE_DECRYPTION, taskBody, uploadEncryptedAsset } from '../helpers/jobs-fixtures.js';
import { useQueueEmulator } from '../helpers/queue-emulator.js';

/**
 * TaskNotificationSubscriptions (ams-v2-surface.md §3.2) and the NotificationEndPointRegistration
 * message: what a task's subscribers get on the embedded Azurite's queue service (read back with
 * @azure/storage-queue) and on a loopback webhook, in order; what a job create refuses; how a task
 * shows its subscriptions in each format.
 */

const MES = 'nb:mpid:UUID:ff4df607-d419-42f0-bc17-a481b1331e56';

const setup = useQueueEmulator();

async function queueEndpoint(queue: string): Promise<string> {
  const res = await setup.emu.ams('POST', 'NotificationEndPoints', { body: { Name: `q-${queue}`, EndPointType: 1, EndPointAddress: queue } });
  expect(res.status, res.text).toBe(201);
  return String(res.body.Id);
}

/** Every message on the queue once nothing is pending, decoded from base64, oldest first. */
async function drain(queue: string): Promise<JsonBody[]> {
  expect((await setup.emu.admin('GET', 'notifications?wait=20')).body.settled).toBe(true);
  const client = setup.queues.getQueueClient(queue);
  const out: JsonBody[] = [];
  for (;;) {
    const got = await client.receiveMessages({ numberOfMessages: 32 });
    if (got.receivedMessageItems.length === 0) return out;
    for (const m of got.receivedMessageItems) {
      out.push(JSON.parse(Buffer.from(m.messageText, 'base64').toString('utf8')) as JsonBody);
      await client.deleteMessage(m.messageId, m.popReceipt);
    }
  }
}

/** POST Jobs (minimal JSON) with one task carrying `subscriptions`: MES over 10 outputs, or Storage Decryption. */
async function submit(subscriptions: JsonBody[], processor: 'mes' | 'decrypt' = 'mes', headers: Record<string, string> = {}) {
  const { assetId } = await uploadEncryptedAsset(setup.emu, [{ name: 'clip.mp4', data: sample(4096) }]);
  const task =
    processor === 'mes'
      ? { MediaProcessorId: MES, Configuration: 'H264 Multiple Bitrate 720p', TaskBody: taskBody({ assetName: 'encoded' }) }
      : { MediaProcessorId: STORAGE_DECRYPTION, TaskBody: taskBody() };
  const verbose = headers['Content-Type']?.includes('verbose') === true;
  const inputs = verbose ? { InputMediaAssets: [{ __metadata: { uri: `${setup.emu.url}${entityPath('Assets', assetId)}` } }] } : { 'InputMediaAssets@odata.bind': [`${setup.emu.url}${entityPath('Assets', assetId)}`] };
  return setup.emu.ams('POST', 'Jobs', { headers, body: { Name: 'tasked', ...inputs, Tasks: [{ ...task, TaskNotificationSubscriptions: subscriptions }] } });
}

describe('NotificationEndPointRegistration', () => {
  it('a new queue endpoint gets it first, as in the service queue sample; a webhook endpoint gets none', async () => {
    const endpoint = await queueEndpoint('registered');
    const created = await setup.emu.ams('GET', entityPath('NotificationEndPoints', endpoint));
    const [message, ...rest] = await drain('registered');
    expect(rest).toEqual([]);
    expect(message).toMatchObject({
      MessageVersion: '1.0',
      EventType: 'NotificationEndPointRegistration',
      Properties: { NotificationEndPointId: endpoint, State: 'Registered', Name: 'q-registered', Created: String(created.body.Created).slice(0, 19) },
    });
    expect(message!.ETag).toMatch(/^[0-9a-f]{64}$/);
    expect(message!.TimeStamp).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d$/);

    const hook = await setup.emu.ams('POST', 'NotificationEndPoints', { body: { Name: 'h', EndPointType: 3, EndPointAddress: 'http://127.0.0.1:1/never' } });
    expect(hook.status, hook.text).toBe(201);
    const log = (await setup.emu.admin('GET', `notifications?endpointId=${encodeURIComponent(String(hook.body.Id))}`)).body.notifications as JsonBody[];
    expect(log).toEqual([]);
  });
});

describe('TaskNotificationSubscriptions to a queue', () => {
  it('All with IncludeTaskProgress: each task state change and each new whole percent, in order; FinalStatesOnly: the final change only', async () => {
    const all = await queueEndpoint('task-all');
    const finals = await queueEndpoint('task-finals');
    const res = await submit([
      { NotificationEndPointId: all, TargetTaskState: 2, IncludeTaskProgress: true },
      { NotificationEndPointId: finals, TargetTaskState: 1, IncludeTaskProgress: false },
    ]);
    expect(res.status, res.text).toBe(201);
    const jobId = String(res.body.Id);
    expect((await getJob(setup.emu, jobId)).State).toBe(3);
    const [task] = await listOf(setup.emu, `${entityPath('Jobs', jobId)}/Tasks`);
    const taskId = String(task!.Id);

    const messages = (await drain('task-all')).filter((m) => m.EventType !== 'NotificationEndPointRegistration');
    const summary = messages.map((m) => (m.EventType === 'TaskProgress' ? `progress ${m.Properties.LastComputedProgress}` : `${m.Properties.OldState} -> ${m.Properties.NewState}`));
    // Ten files (six MP4s, four manifests), Progress moving 10 points per file.
    expect(summary).toEqual([
      'Queued -> Scheduled',
      'Scheduled -> Processing',
      ...[10, 20, 30, 40, 50, 60, 70, 80, 90, 100].map((p) => `progress ${p}`),
      'Processing -> Finished',
    ]);
    for (const m of messages) {
      expect(m).toMatchObject({ MessageVersion: '1.0', Properties: { JobId: jobId, TaskId: taskId, AccountName: 'devmediaaccount1' } });
      expect(['TaskStateChange', 'TaskProgress']).toContain(m.EventType);
      expect(m.Properties.AccountId).toMatch(/^[0-9a-f-]{36}$/);
    }
    expect(new Set(messages.map((m) => m.ETag)).size).toBe(messages.length);

    const finalOnly = (await drain('task-finals')).filter((m) => m.EventType !== 'NotificationEndPointRegistration');
    expect(finalOnly.map((m) => [m.EventType, m.Properties.OldState, m.Properties.NewState])).toEqual([['TaskStateChange', 'Processing', 'Finished']]);
  });

  it('beside a job subscription on the same queue: job and task changes both arrive', async () => {
    const endpoint = await queueEndpoint('mixed');
    const { assetId } = await uploadEncryptedAsset(setup.emu, [{ name: 'a.mp4', data: sample(16) }]);
    const res = await setup.emu.ams('POST', 'Jobs', {
      body: {
        Name: 'mixed',
        'InputMediaAssets@odata.bind': [`${setup.emu.url}${entityPath('Assets', assetId)}`],
        JobNotificationSubscriptions: [{ NotificationEndPointId: endpoint, TargetJobState: 1 }],
        Tasks: [{ MediaProcessorId: STORAGE_DECRYPTION, TaskBody: taskBody(), TaskNotificationSubscriptions: [{ NotificationEndPointId: endpoint, TargetTaskState: 1, IncludeTaskProgress: false }] }],
      },
    });
    expect(res.status, res.text).toBe(201);
    expect((await getJob(setup.emu, String(res.body.Id))).State).toBe(3);
    const types = (await drain('mixed')).map((m) => `${m.EventType} ${m.Properties.NewState ?? m.Properties.State}`);
    // The task completes in the same change as its job; the job's message is raised first.
    expect(types).toEqual(['NotificationEndPointRegistration Registered', 'JobStateChange Finished', 'TaskStateChange Finished']);
  });

  it('are checked when the job is created: state 0 or 3, malformed and unknown endpoints; nothing is created', async () => {
    const endpoint = await queueEndpoint('checked');
    const cases: [JsonBody[], number, string][] = [
      [[{ NotificationEndPointId: endpoint, TargetTaskState: 0, IncludeTaskProgress: false }], 400, 'TaskNotificationSubscription.TargetTaskState must not be 0'],
      [[{ NotificationEndPointId: endpoint, TargetTaskState: 3, IncludeTaskProgress: false }], 400, 'not FinalStatesOnly (1) or All (2)'],
      [[{ NotificationEndPointId: 'notificationEndPointId', TargetTaskState: 2, IncludeTaskProgress: true }], 400, 'not a NotificationEndPoint id'],
      [[{ NotificationEndPointId: 'nb:nepid:UUID:00000000-0000-0000-0000-000000000001', TargetTaskState: 2, IncludeTaskProgress: true }], 404, 'no NotificationEndPoint'],
      [[{ NotificationEndPointId: endpoint, TargetTaskState: 'two', IncludeTaskProgress: true }], 400, 'TargetTaskState'],
      [[{ NotificationEndPointId: endpoint, TargetTaskState: 2, IncludeTaskProgress: 'perhaps' }], 400, 'IncludeTaskProgress'],
    ];
    for (const [subscriptions, status, fragment] of cases) {
      const res = await submit(subscriptions, 'decrypt');
      expect(res.status, `${JSON.stringify(subscriptions)}: ${res.text}`).toBe(status);
      expect(errorMessage(res.body)).toContain(fragment);
    }
    expect(await listOf(setup.emu, 'Jobs')).toEqual([]);
    expect(await listOf(setup.emu, 'Tasks')).toEqual([]);
  });

  it('are read back on the task in minimal JSON, verbose JSON (a typed collection) and Atom; a verbose body is taken too', async () => {
    const endpoint = await queueEndpoint('shown');
    const res = await submit([{ NotificationEndPointId: endpoint, TargetTaskState: 2, IncludeTaskProgress: true }], 'decrypt', {
      'Content-Type': 'application/json;odata=verbose',
      Accept: 'application/json;odata=verbose',
    });
    expect(res.status, res.text).toBe(201);
    const jobId = String(res.body.d.Id);
    const tasksPath = `${entityPath('Jobs', jobId)}/Tasks`;
    const [task] = await listOf(setup.emu, tasksPath);
    expect(task!.TaskNotificationSubscriptions).toEqual([{ IncludeTaskProgress: true, NotificationEndPointId: endpoint, TargetTaskState: 2 }]);
    const verbose = await setup.emu.ams('GET', tasksPath, { headers: { Accept: 'application/json;odata=verbose' } });
    expect(verbose.body.d.results[0].TaskNotificationSubscriptions).toEqual({
      __metadata: { type: 'Collection(Microsoft.Cloud.Media.Vod.Rest.Data.Models.TaskNotificationSubscription)' },
      results: [expect.objectContaining({ IncludeTaskProgress: true, NotificationEndPointId: endpoint, TargetTaskState: 2 })],
    });
    // IncludeTaskProgress left out: false, as the service's Required boolean defaults.
    const bare = await submit([{ NotificationEndPointId: endpoint, TargetTaskState: 1 }], 'decrypt');
    expect(bare.status, bare.text).toBe(201);
    const [bareTask] = await listOf(setup.emu, `${entityPath('Jobs', String(bare.body.Id))}/Tasks`);
    expect(bareTask!.TaskNotificationSubscriptions).toEqual([{ IncludeTaskProgress: false, NotificationEndPointId: endpoint, TargetTaskState: 1 }]);
    const atom = await setup.emu.ams('GET', tasksPath, { headers: { Accept: 'application/atom+xml' } });
    expect(atom.text).toContain('m:type="Collection(Microsoft.Cloud.Media.Vod.Rest.Data.Models.TaskNotificationSubscription)"');
    expect(atom.text).toMatch(/<d:IncludeTaskProgress m:type="Edm.Boolean">true<\/d:IncludeTaskProgress>/);
    expect(atom.text).toContain(`<d:NotificationEndPointId>${endpoint}</d:NotificationEndPointId>`);
  });
});

describe('TaskNotificationSubscriptions to a webhook', () => {
  let receiver: Server;
  let received: { headers: IncomingHttpHeaders; body: Buffer }[];
  let url: string;
  beforeAll(async () => {
    receiver = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        received.push({ headers: req.headers, body: Buffer.concat(chunks) });
        res.end();
      });
    });
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/task-hook`;
  });
  afterAll(() => new Promise((resolve) => receiver.close(resolve)));
  beforeEach(() => {
    received = [];
  });

  it('EventType 4 and 5 by number, with the endpoint id, signed with its key', async () => {
    const key = randomBytes(64);
    const protection = await protectionKey(setup.emu);
    const hook = await setup.emu.ams('POST', 'NotificationEndPoints', {
      body: { Name: 'hook', EndPointType: 3, EndPointAddress: url, CredentialType: 1, EncryptedEndPointCredential: wrapContentKey(protection.certificate, key).toString('base64'), ProtectionKeyId: protection.thumbprint },
    });
    expect(hook.status, hook.text).toBe(201);
    const endpoint = String(hook.body.Id);
    const res = await submit([{ NotificationEndPointId: endpoint, TargetTaskState: 2, IncludeTaskProgress: true }], 'decrypt');
    expect(res.status, res.text).toBe(201);
    expect((await getJob(setup.emu, String(res.body.Id))).State).toBe(3);
    expect((await setup.emu.admin('GET', 'notifications?wait=20')).body.settled).toBe(true);
    const messages = received.map((r) => {
      expect(r.headers['ms-signature']).toBe(`sha256=${createHmac('sha256', key).update(r.body).digest('hex').toUpperCase()}`);
      return JSON.parse(r.body.toString('utf8')) as JsonBody;
    });
    // One file: Progress goes straight to 100 while the task still runs.
    expect(messages.map((m) => [m.EventType, m.Properties.NewState ?? m.Properties.LastComputedProgress])).toEqual([
      [4, 'Scheduled'],
      [4, 'Processing'],
      [5, '100'],
      [4, 'Finished'],
    ]);
    for (const m of messages) expect(m).toMatchObject({ MessageVersion: '1.1', Properties: { JobId: res.body.Id, NotificationEndPointId: endpoint } });
  });
});
