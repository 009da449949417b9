import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { QueueClient } from '@azure/storage-queue';
import { entityPath } from '../../../client/src/index.js';
import { isJsonObject, type JsonValue } from '../../../client/src/rest/wire-format.js';
import { expectThat, type CaseRecorder } from '../runner/recorder.js';
import type { Target } from '../target/target.js';
import { withResources, type Resources } from '../workflow/resources.js';
import type { Suite, SuiteContext } from './types.js';

/** Longest the kit waits for a job's last notification. */
const DELIVERY_WAIT_MS = 60_000;
const FINAL_STATES = new Set(['Finished', 'Error', 'Canceled']);
const TASK_BODY =
  '<?xml version="1.0" encoding="utf-16"?><taskBody><inputAsset>JobInputAsset(0)</inputAsset><outputAsset assetCreationOptions="0" assetName="ams-conformance-notified-output">JobOutputAsset(0)</outputAsset></taskBody>';

/**
 * Job notifications: subscriptions are checked when the job is created, and each state change
 * reaches a WebHook endpoint (a receiver the kit runs on loopback: only for an endpoint on this
 * machine) and an AzureQueue endpoint (read with `queueConnectionString`, when the run has one),
 * in order, ending with the final state.
 */
export const notificationsSuite: Suite = {
  id: 'notifications',
  title: 'Job notifications',
  summary: 'JobNotificationSubscriptions are checked at create and every state change reaches WebHook and AzureQueue endpoints, in order',
  async run(context, cases) {
    const sets = await servedSets(context.target);
    if (!sets.has('NotificationEndPoints') || !sets.has('Jobs') || !context.storageDecryptionProcessorId) {
      cases.notApplicable('notifications', 'job notifications', 'the endpoint serves no NotificationEndPoints, Jobs or Storage Decryption processor', 'check');
      return;
    }
    await subscriptionChecks(context, cases);
    if (!isLoopback(context.target.endpoint)) {
      cases.notApplicable('webhook-delivery', 'a WebHook endpoint receives every state change of a job, signed, in order', 'the endpoint is not on this machine, so it cannot reach a receiver the kit runs on loopback', 'check');
    } else {
      await cases.check('webhook-delivery', 'a WebHook endpoint receives every state change of a job, in order, ending with its final state', () => webhookDelivery(context));
    }
    if (!context.queueConnectionString) {
      cases.notApplicable('queue-delivery', 'an AzureQueue endpoint receives every state change of a job as base64 JSON, in order', 'no queue to read: pass --queue-connection-string (the account whose queues the endpoint writes to)', 'check');
    } else {
      const connection = context.queueConnectionString;
      await cases.check('queue-delivery', 'an AzureQueue endpoint receives every state change of a job as base64 JSON, in order, ending with its final state', () => queueDelivery(context, connection));
    }
  },
};

async function subscriptionChecks(context: SuiteContext, cases: CaseRecorder): Promise<void> {
  await cases.check('subscriptions-checked', 'a subscription with TargetJobState 0 or a malformed endpoint id is 400, an unknown endpoint 404, and no job is made', () =>
    withResources(context.target.client(), async (resources) => {
      const endpoint = await createEndpoint(context.target, { Name: 'ams-conformance-checked', EndPointType: 1, EndPointAddress: 'ams-conformance-checked' });
      try {
        const cases: [JsonValue, number][] = [
          [{ NotificationEndPointId: endpoint, TargetJobState: 0 }, 400],
          [{ NotificationEndPointId: 'notificationEndPointId', TargetJobState: 2 }, 400],
          [{ NotificationEndPointId: 'nb:nepid:UUID:00000000-0000-0000-0000-000000000001', TargetJobState: 2 }, 404],
        ];
        for (const [subscription, status] of cases) {
          const res = await postJob(context, resources, [subscription]);
          expectThat(res.status === status, `POST Jobs with ${JSON.stringify(subscription)} answered ${res.status}, expected ${status}: ${res.text.slice(0, 300)}`);
        }
      } finally {
        await context.target.raw.send('DELETE', { path: entityPath('NotificationEndPoints', endpoint) });
      }
    }),
  );
}

async function webhookDelivery(context: SuiteContext): Promise<void> {
  const received: JsonValue[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      try {
        received.push(JSON.parse(Buffer.concat(chunks).toString('utf8')) as JsonValue);
      } catch {
        received.push(null);
      }
      res.end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  try {
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/ams-conformance`;
    await withNotifiedJob(context, { Name: 'ams-conformance-webhook', EndPointType: 3, EndPointAddress: url }, async () => received);
  } finally {
    await new Promise((resolve) => server.close(resolve));
  }
}

async function queueDelivery(context: SuiteContext, connectionString: string): Promise<void> {
  const name = `ams-conformance-${Date.now().toString(36)}`;
  const queue = new QueueClient(connectionString, name);
  const received: JsonValue[] = [];
  try {
    await withNotifiedJob(context, { Name: 'ams-conformance-queue', EndPointType: 1, EndPointAddress: name }, async () => {
      if (!(await queue.exists())) return received;
      const got = await queue.receiveMessages({ numberOfMessages: 32 });
      for (const m of got.receivedMessageItems) {
        received.push(JSON.parse(Buffer.from(m.messageText, 'base64').toString('utf8')) as JsonValue);
        await queue.deleteMessage(m.messageId, m.popReceipt);
      }
      return received;
    });
  } finally {
    await queue.deleteIfExists().catch(() => undefined);
  }
}

/** Create the endpoint, run a job subscribed to All, and check what `read` collects. */
async function withNotifiedJob(context: SuiteContext, endpointBody: Record<string, JsonValue>, read: () => Promise<JsonValue[]>): Promise<void> {
  const target = context.target;
  await withResources(target.client(), async (resources) => {
    const endpoint = await createEndpoint(target, endpointBody);
    try {
      const res = await postJob(context, resources, [{ NotificationEndPointId: endpoint, TargetJobState: 2 }]);
      expectThat(res.status === 201, `POST Jobs with a subscription answered ${res.status}: ${res.text.slice(0, 300)}`);
      const job = JSON.parse(res.text) as { Id: string };
      resources.track('Jobs', job.Id);
      const deadline = Date.now() + DELIVERY_WAIT_MS;
      let messages: JsonValue[] = [];
      while (Date.now() < deadline) {
        await target.raw.send('GET', { path: entityPath('Jobs', job.Id) });
        // A queue endpoint's first message is its NotificationEndPointRegistration (the service's
        // queue sample): only the job's state changes are checked here.
        messages = (await read()).filter(isJobStateChange);
        if (messages.some((m) => FINAL_STATES.has(String(newState(m))))) break;
        await new Promise((resolve) => setTimeout(resolve, 250));
      }
      const states = messages.map((m) => [oldState(m), newState(m)]);
      expectThat(states.length > 0, `no notification arrived within ${DELIVERY_WAIT_MS / 1000} s`);
      // The input asset is empty, so the job may end in Error; either way its end is announced.
      expectThat(FINAL_STATES.has(String(newState(messages.at(-1)!))), `the last notification is ${JSON.stringify(messages.at(-1))}, not the move to a final state`);
      for (let i = 1; i < states.length; i++) {
        expectThat(states[i]![0] === states[i - 1]![1], `notifications out of order: ${JSON.stringify(states)}`);
      }
      for (const m of messages) {
        const props = isJsonObject(m) && isJsonObject(m['Properties']) ? m['Properties'] : {};
        expectThat(props['JobId'] === job.Id, `a notification names the job ${JSON.stringify(props['JobId'])}, not ${job.Id}`);
      }
    } finally {
      await target.raw.send('DELETE', { path: entityPath('NotificationEndPoints', endpoint) });
    }
  });
}

async function createEndpoint(target: Target, body: Record<string, JsonValue>): Promise<string> {
  const res = await target.raw.send('POST', { path: 'NotificationEndPoints', contentType: 'application/json', body: JSON.stringify(body) });
  expectThat(res.status === 201, `POST NotificationEndPoints answered ${res.status}: ${res.text.slice(0, 300)}`);
  return (JSON.parse(res.text) as { Id: string }).Id;
}

async function postJob(context: SuiteContext, resources: Resources, subscriptions: JsonValue[]) {
  const target = context.target;
  const input = await target.client().createAsset({ Name: 'ams-conformance-notified', Options: 0 });
  resources.track('Assets', input.Id);
  const res = await target.raw.send('POST', {
    path: 'Jobs',
    contentType: 'application/json',
    body: JSON.stringify({
      Name: 'ams-conformance-notified',
      'InputMediaAssets@odata.bind': [target.raw.url(entityPath('Assets', input.Id))],
      Tasks: [{ MediaProcessorId: context.storageDecryptionProcessorId, TaskBody: TASK_BODY }],
      JobNotificationSubscriptions: subscriptions,
    }),
  });
  if (res.status === 201) {
    const id = (JSON.parse(res.text) as { Id: string }).Id;
    for (const output of await target.client().listJobOutputAssets(id)) resources.track('Assets', output.Id);
  }
  return res;
}

/** EventType JobStateChange: by name on a queue, by number (1) on a webhook. */
function isJobStateChange(message: JsonValue): boolean {
  return isJsonObject(message) && (message['EventType'] === 'JobStateChange' || message['EventType'] === 1);
}

function newState(message: JsonValue): unknown {
  return isJsonObject(message) && isJsonObject(message['Properties']) ? message['Properties']['NewState'] : undefined;
}

function oldState(message: JsonValue): unknown {
  return isJsonObject(message) && isJsonObject(message['Properties']) ? message['Properties']['OldState'] : undefined;
}

async function servedSets(target: Target): Promise<Set<string>> {
  const root = await target.raw.send('GET', { path: '', accept: 'application/json' });
  const body = JSON.parse(root.text) as { value?: { name?: string; url?: string }[] };
  return new Set((body.value ?? []).map((s) => s.name ?? s.url ?? ''));
}

function isLoopback(endpoint: string): boolean {
  const host = new URL(endpoint).hostname;
  return host === '127.0.0.1' || host === 'localhost' || host === '[::1]' || host === '::1';
}
