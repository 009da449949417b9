import { QueueServiceClient } from '@azure/storage-queue';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { entityPath, startTestEmulator, type JsonBody, type TestEmulator } from '../../../test/support/emulator.js';
import { batchBody, readBatchResponse, type BatchItem } from '../../../client/src/rest/batch-wire.js';
import { startEmbeddedAzurite } from '../../src/storage/azurite.js';
import { errorMessage } from '../helpers/api-fixtures.js';
import { cancelJob, getJob, listOf, postSubscribedJob } from '../helpers/jobs-fixtures.js';
import { useQueueEmulator } from '../helpers/queue-emulator.js';

/**
 * Job notifications to an AzureQueue endpoint, read back from the embedded Azurite's queue service
 * with @azure/storage-queue, as a consumer of the service read them: base64 JSON, in order.
 */

const setup = useQueueEmulator();

async function createEndpoint(body: JsonBody): Promise<JsonBody> {
  const res = await setup.emu.ams('POST', 'NotificationEndPoints', { body });
  expect(res.status, res.text).toBe(201);
  return res.body;
}

async function queueEndpoint(queue: string): Promise<string> {
  return String((await createEndpoint({ Name: `q-${queue}`, EndPointType: 1, EndPointAddress: queue })).Id);
}

function submit(subscriptions: JsonBody[], name = 'notified') {
  return postSubscribedJob(setup.emu, subscriptions, name);
}

/** The JobStateChange messages of `messages` (a queue endpoint's first message is its registration). */
function jobChanges(messages: JsonBody[]): JsonBody[] {
  return messages.filter((m) => m.EventType === 'JobStateChange');
}

/** Every message now on the queue, decoded from base64, oldest first. */
async function drain(queue: string, expected: number): Promise<JsonBody[]> {
  await setup.emu.admin('GET', 'notifications?wait=20');
  const client = setup.queues.getQueueClient(queue);
  const out: JsonBody[] = [];
  while (out.length < expected) {
    const got = await client.receiveMessages({ numberOfMessages: 32 });
    if (got.receivedMessageItems.length === 0) break;
    for (const m of got.receivedMessageItems) {
      out.push(JSON.parse(Buffer.from(m.messageText, 'base64').toString('utf8')) as JsonBody);
      await client.deleteMessage(m.messageId, m.popReceipt);
    }
  }
  return out;
}

describe('NotificationEndPoints', () => {
  it('create, read, rename, delete; type and address are fixed', async () => {
    const created = await createEndpoint({ Name: 'one', EndPointType: 1, EndPointAddress: 'testendpointaddress' });
    expect(created.Id).toMatch(/^nb:nepid:UUID:[0-9a-f-]{36}$/);
    expect(created).toMatchObject({ Name: 'one', EndPointType: 1, EndPointAddress: 'testendpointaddress', CredentialType: 0, ProtectionKeyType: 0 });
    expect(Date.parse(String(created.Created))).not.toBeNaN();
    const path = entityPath('NotificationEndPoints', String(created.Id));
    expect((await setup.emu.ams('GET', path)).body).toMatchObject({ Id: created.Id, Name: 'one' });
    expect((await setup.emu.ams('MERGE', path, { body: { Name: 'renamed' } })).status).toBe(204);
    expect((await setup.emu.ams('GET', path)).body.Name).toBe('renamed');
    const moved = await setup.emu.ams('MERGE', path, { body: { EndPointAddress: 'other' } });
    expect(moved.status).toBe(400);
    expect(errorMessage(moved.body)).toContain('EndPointAddress');
    expect(await listOf(setup.emu, "NotificationEndPoints?$filter=Name eq 'renamed'")).toHaveLength(1);
    expect((await setup.emu.ams('DELETE', path)).status).toBe(204);
    expect((await setup.emu.ams('GET', path)).status).toBe(404);
    expect((await setup.emu.ams('DELETE', path)).status).toBe(404);
  });

  it('400 for a malformed id, 404 for an unknown one, on every verb', async () => {
    for (const method of ['GET', 'MERGE', 'DELETE']) {
      const body = method === 'MERGE' ? { body: { Name: 'x' } } : {};
      expect((await setup.emu.ams(method, "NotificationEndPoints('notificationEndPointId')", body)).status, method).toBe(400);
      expect((await setup.emu.ams(method, entityPath('NotificationEndPoints', 'nb:nepid:UUID:00000000-0000-0000-0000-000000000001'), body)).status, method).toBe(404);
    }
  });

  it('refuses what cannot be delivered to, saying what to send', async () => {
    const cases: [JsonBody, string][] = [
      [{ EndPointType: 1, EndPointAddress: 'q' }, "'Name'"],
      [{ Name: 'n', EndPointType: 1, EndPointAddress: 'Not_A_Queue' }, 'not a queue name'],
      [{ Name: 'n', EndPointType: 1, EndPointAddress: 'a--b' }, 'not a queue name'],
      [{ Name: 'n', EndPointType: 2, EndPointAddress: 'table' }, 'AzureQueue (1) or WebHook (3)'],
      [{ Name: 'n', EndPointType: 3, EndPointAddress: 'ftp://x/y' }, 'http or https URL'],
      [{ Name: 'n', EndPointType: 3, EndPointAddress: 'http://127.0.0.1:1/', CredentialType: 1 }, 'needs EncryptedEndPointCredential'],
      [{ Name: 'n', EndPointType: 3, EndPointAddress: 'http://127.0.0.1:1/', CredentialType: 1, EncryptedEndPointCredential: Buffer.alloc(256, 1).toString('base64') }, 'cannot be unwrapped'],
      [{ Name: 'n', EndPointType: 1, EndPointAddress: 'qqq1', CredentialType: 1, EncryptedEndPointCredential: 'AAAA' }, 'WebHook endpoints only'],
    ];
    for (const [body, fragment] of cases) {
      const res = await setup.emu.ams('POST', 'NotificationEndPoints', { body });
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(errorMessage(res.body)).toContain(fragment);
    }
    expect(await listOf(setup.emu, 'NotificationEndPoints')).toEqual([]);
  });

  it('takes the REST reference Atom sample and answers in Atom', async () => {
    const D = 'http://schemas.microsoft.com/ado/2007/08/dataservices';
    const body =
      `<?xml version="1.0" encoding="utf-8"?><entry xmlns="http://www.w3.org/2005/Atom" xmlns:d="${D}" xmlns:m="${D}/metadata">` +
      '<id /><title /><updated>2013-04-20T22:41:57Z</updated><author><name /></author><content type="application/xml"><m:properties>' +
      '<d:EndPointAddress>atomqueue</d:EndPointAddress><d:EndPointType m:type="Edm.Int32">1</d:EndPointType><d:Id m:null="true" /><d:Name>FirstEndpoint</d:Name>' +
      '</m:properties></content></entry>';
    const res = await setup.emu.ams('POST', 'NotificationEndPoints', { headers: { 'Content-Type': 'application/atom+xml', Accept: 'application/atom+xml' }, body });
    expect(res.status, res.text).toBe(201);
    expect(res.text).toContain('term="Microsoft.Cloud.Media.Vod.Rest.Data.Models.NotificationEndPoint"');
    expect(res.text).toMatch(/<d:Id>nb:nepid:UUID:[0-9a-f-]{36}<\/d:Id>/);
    expect(res.text).toContain('<d:EndPointAddress>atomqueue</d:EndPointAddress>');
  });
});

describe('JobNotificationSubscriptions', () => {
  it('are checked when the job is created: state 0, malformed and unknown endpoints', async () => {
    const endpoint = await queueEndpoint('checked');
    const cases: [JsonBody[], number, string][] = [
      [[{ NotificationEndPointId: endpoint, TargetJobState: 0 }], 400, 'TargetJobState must not be 0'],
      [[{ NotificationEndPointId: endpoint, TargetJobState: 3 }], 400, 'not FinalStatesOnly (1) or All (2)'],
      [[{ NotificationEndPointId: 'notificationEndPointId', TargetJobState: 2 }], 400, 'not a NotificationEndPoint id'],
      [[{ NotificationEndPointId: 'nb:nepid:UUID:00000000-0000-0000-0000-000000000001', TargetJobState: 2 }], 404, 'no NotificationEndPoint'],
    ];
    for (const [subscriptions, status, fragment] of cases) {
      const res = await submit(subscriptions);
      expect(res.status, res.text).toBe(status);
      expect(errorMessage(res.body)).toContain(fragment);
    }
    expect(await listOf(setup.emu, 'Jobs')).toEqual([]);
  });

  it('All: every change after Queued reaches the queue, in order, as base64 JSON', async () => {
    const endpoint = await queueEndpoint('allstates');
    const res = await submit([{ NotificationEndPointId: endpoint, TargetJobState: 2 }], 'Job All');
    expect(res.status, res.text).toBe(201);
    const jobId = String(res.body.Id);
    expect((await getJob(setup.emu, jobId)).State).toBe(3);
    const all = await drain('allstates', 4);
    // The endpoint's registration came first, when it was created (the queue sample's first message).
    expect(all[0]).toMatchObject({ EventType: 'NotificationEndPointRegistration', Properties: { NotificationEndPointId: endpoint, State: 'Registered', Name: 'q-allstates' } });
    const messages = all.slice(1);
    expect(messages.map((m) => [m.Properties.OldState, m.Properties.NewState])).toEqual([
      ['Queued', 'Scheduled'],
      ['Scheduled', 'Processing'],
      ['Processing', 'Finished'],
    ]);
    for (const m of messages) {
      expect(m).toMatchObject({ MessageVersion: '1.0', EventType: 'JobStateChange', Properties: { JobId: jobId, JobName: 'Job All', AccountName: 'devmediaaccount1' } });
      expect(m.ETag).toMatch(/^[0-9a-f]{64}$/);
      expect(m.TimeStamp).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d$/);
      expect(m.Properties.AccountId).toMatch(/^[0-9a-f-]{36}$/);
    }
    expect(new Set(messages.map((m) => m.ETag)).size).toBe(3);
    const log = await setup.emu.admin('GET', `notifications?endpointId=${encodeURIComponent(endpoint)}`);
    expect(log.body.notifications.map((n: JsonBody) => [n.status, n.attempts.length])).toEqual([
      ['delivered', 1],
      ['delivered', 1],
      ['delivered', 1],
      ['delivered', 1],
    ]);
  });

  it('FinalStatesOnly: only the final state; two endpoints each get theirs', async () => {
    const finals = await queueEndpoint('finalsonly');
    const all = await queueEndpoint('everything');
    const res = await submit([
      { NotificationEndPointId: finals, TargetJobState: 1 },
      { NotificationEndPointId: all, TargetJobState: 2 },
    ]);
    expect(res.status, res.text).toBe(201);
    expect((await getJob(setup.emu, String(res.body.Id))).State).toBe(3);
    expect(jobChanges(await drain('finalsonly', 2)).map((m) => m.Properties.NewState)).toEqual(['Finished']);
    expect(jobChanges(await drain('everything', 4)).map((m) => m.Properties.NewState)).toEqual(['Scheduled', 'Processing', 'Finished']);
  });
});

describe('cancel', () => {
  let polled: TestEmulator;
  beforeAll(async () => {
    // polls:1: the job reads Canceling until it is polled once more, and each move notifies then.
    polled = await startTestEmulator({ jobProgression: { mode: 'polls', pollsPerState: 1 } });
  });
  afterAll(() => polled.close());

  it('a job canceled before it ran notifies Queued -> Canceling, then Canceling -> Canceled when polled (All), only the Canceled (FinalStatesOnly)', async () => {
    const all = await polled.ams('POST', 'NotificationEndPoints', { body: { Name: 'c', EndPointType: 1, EndPointAddress: 'canceled' } });
    const finals = await polled.ams('POST', 'NotificationEndPoints', { body: { Name: 'f', EndPointType: 1, EndPointAddress: 'canceled-finals' } });
    const subscriptions = [
      { NotificationEndPointId: all.body.Id, TargetJobState: 2 },
      { NotificationEndPointId: finals.body.Id, TargetJobState: 1 },
    ];
    const job = await postSubscribedJob(polled, subscriptions, 'c');
    expect(job.status, job.text).toBe(201);
    expect((await cancelJob(polled, String(job.body.Id))).status).toBe(204);
    await polled.admin('GET', 'notifications?wait=20');
    const service = QueueServiceClient.fromConnectionString(polled.emulator.storage.connectionString);
    // A message received stays invisible for 30 s: each read returns only what came since the last.
    const read = async (queue: string) =>
      jobChanges((await service.getQueueClient(queue).receiveMessages({ numberOfMessages: 10 })).receivedMessageItems.map((m) => JSON.parse(Buffer.from(m.messageText, 'base64').toString()) as JsonBody)).map((m) => m.Properties);
    expect(await read('canceled')).toEqual([expect.objectContaining({ OldState: 'Queued', NewState: 'Canceling' })]);
    expect(await read('canceled-finals')).toEqual([]);
    expect((await getJob(polled, String(job.body.Id))).State).toBe(5);
    await polled.admin('GET', 'notifications?wait=20');
    expect(await read('canceled')).toEqual([expect.objectContaining({ OldState: 'Canceling', NewState: 'Canceled' })]);
    expect(await read('canceled-finals')).toEqual([expect.objectContaining({ OldState: 'Canceling', NewState: 'Canceled' })]);
  });
});

describe('with --storage-connection-string', () => {
  it("delivers to the queue service of that account (its QueueEndpoint)", async () => {
    const external = await startEmbeddedAzurite({ port: 0 });
    const other = await startTestEmulator({ storageConnectionString: external.connectionString });
    try {
      expect(external.connectionString).toContain(`QueueEndpoint=${external.queueEndpoint};`);
      const endpoint = await other.ams('POST', 'NotificationEndPoints', { body: { Name: 'x', EndPointType: 1, EndPointAddress: 'external' } });
      const job = await postSubscribedJob(other, [{ NotificationEndPointId: endpoint.body.Id, TargetJobState: 1 }], 'ext');
      expect(job.status, job.text).toBe(201);
      expect((await getJob(other, String(job.body.Id))).State).toBe(3);
      expect((await other.admin('GET', 'notifications?wait=20')).body.settled).toBe(true);
      const got = await QueueServiceClient.fromConnectionString(external.connectionString).getQueueClient('external').receiveMessages({ numberOfMessages: 10 });
      expect(jobChanges(got.receivedMessageItems.map((m) => JSON.parse(Buffer.from(m.messageText, 'base64').toString()) as JsonBody)).map((m) => m.Properties.NewState)).toEqual(['Finished']);
    } finally {
      await other.close();
      await external.stop();
    }
  });
});

describe('$batch', () => {
  const BOUNDARY = 'batch_5f0e7c1a-notify';
  const JSON_HEADERS = { 'Content-Type': 'application/json', Accept: 'application/json' };

  async function postBatch(items: BatchItem[]) {
    const res = await setup.emu.ams('POST', '$batch', { body: batchBody(BOUNDARY, items), headers: { 'Content-Type': `multipart/mixed; boundary=${BOUNDARY}`, Accept: 'multipart/mixed' } });
    expect(res.status, res.text).toBe(202);
    return readBatchResponse(res.headers.get('content-type'), res.text);
  }

  it('creates endpoints and manifests in a changeset, and undoes them when a later operation fails', async () => {
    const ok = await postBatch([
      {
        changeset: [
          { method: 'POST', url: 'NotificationEndPoints', contentId: '1', headers: JSON_HEADERS, body: JSON.stringify({ Name: 'b', EndPointType: 1, EndPointAddress: 'batched' }) },
          { method: 'POST', url: 'IngestManifests', contentId: '2', headers: JSON_HEADERS, body: JSON.stringify({ Name: 'batched manifest' }) },
        ],
      },
    ]);
    const parts = (ok[0] as { changeset: { status: number }[] }).changeset;
    expect(parts.map((p) => p.status)).toEqual([201, 201]);
    expect(await listOf(setup.emu, 'NotificationEndPoints')).toHaveLength(1);
    expect(await listOf(setup.emu, 'IngestManifests')).toHaveLength(1);

    const failed = await postBatch([
      {
        changeset: [
          { method: 'POST', url: 'NotificationEndPoints', contentId: '1', headers: JSON_HEADERS, body: JSON.stringify({ Name: 'undone', EndPointType: 1, EndPointAddress: 'undone' }) },
          { method: 'POST', url: 'NotificationEndPoints', contentId: '2', headers: JSON_HEADERS, body: JSON.stringify({ Name: 'bad', EndPointType: 2, EndPointAddress: 'x' }) },
        ],
      },
    ]);
    expect(JSON.stringify(failed)).toContain('400');
    expect((await listOf(setup.emu, 'NotificationEndPoints')).map((e) => e.Name)).toEqual(['b']);
  });
});
