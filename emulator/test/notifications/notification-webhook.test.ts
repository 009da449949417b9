import { createHmac, randomBytes } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { wrapContentKey } from '../../../client/src/crypto/index.js';
import { DEFAULT_LIMITS } from '../../src/config.js';
import { entityPath, startTestEmulator, type JsonBody, type TestEmulator } from '../../../test/support/emulator.js';
import { protectionKey } from '../helpers/api-fixtures.js';
import { getJob, postSubscribedJob } from '../helpers/jobs-fixtures.js';

/**
 * Job notifications to WebHook endpoints, received by a real HTTP server on loopback: the body,
 * the ms-signature HMAC over it with the endpoint's signing key, the account header, and retries
 * with back-off when the receiver fails.
 */

interface Received {
  headers: IncomingHttpHeaders;
  body: Buffer;
}

let emu: TestEmulator;
let receiver: Server;
let received: Received[];
/** Status the receiver answers, per request in order; 200 once the list runs out. */
let answers: number[];
let receiverUrl: string;

beforeAll(async () => {
  emu = await startTestEmulator({ limits: { ...DEFAULT_LIMITS, notificationRetryMs: 20, notificationMaxAttempts: 3 } });
  receiver = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      received.push({ headers: req.headers, body: Buffer.concat(chunks) });
      res.statusCode = answers.shift() ?? 200;
      res.end();
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  receiverUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`;
});
afterAll(async () => {
  await emu.close();
  await new Promise((resolve) => receiver.close(resolve));
});
beforeEach(async () => {
  await emu.reset();
  received = [];
  answers = [];
});

/** A loopback URL nothing listens on (a port just freed). */
async function closedPortUrl(): Promise<string> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  await new Promise((resolve) => server.close(resolve));
  return `http://127.0.0.1:${port}/nothing-listens`;
}

async function signedEndpoint(signingKey: Buffer): Promise<string> {
  const protection = await protectionKey(emu);
  const res = await emu.ams('POST', 'NotificationEndPoints', {
    body: {
      Name: 'hook',
      EndPointType: 3,
      EndPointAddress: receiverUrl,
      CredentialType: 1,
      EncryptedEndPointCredential: wrapContentKey(protection.certificate, signingKey).toString('base64'),
      ProtectionKeyId: protection.thumbprint,
      ProtectionKeyType: 0,
    },
  });
  expect(res.status, res.text).toBe(201);
  return String(res.body.Id);
}

async function runJob(subscriptions: JsonBody[]): Promise<string> {
  const res = await postSubscribedJob(emu, subscriptions, 'hooked');
  expect(res.status, res.text).toBe(201);
  const jobId = String(res.body.Id);
  expect((await getJob(emu, jobId)).State).toBe(3);
  const settled = await emu.admin('GET', 'notifications?wait=20');
  expect(settled.body.settled).toBe(true);
  return jobId;
}

describe('WebHook endpoints', () => {
  it('POST each change, signed with the endpoint key: sha256=<UPPER-CASE HMAC hex> over the exact body', async () => {
    const key = randomBytes(64);
    const endpoint = await signedEndpoint(key);
    const jobId = await runJob([{ NotificationEndPointId: endpoint, TargetJobState: 2 }]);
    expect(received).toHaveLength(3);
    for (const r of received) {
      const expected = `sha256=${createHmac('sha256', key).update(r.body).digest('hex').toUpperCase()}`;
      expect(r.headers['ms-signature']).toBe(expected);
      const message = JSON.parse(r.body.toString('utf8')) as JsonBody;
      expect(r.headers['ms-mediaservices-accountid']).toBe(message.Properties.AccountId);
      expect(r.headers['content-type']).toMatch(/^application\/json/);
      expect(message).toMatchObject({ MessageVersion: '1.1', EventType: 1, Properties: { JobId: jobId, JobName: 'hooked', NotificationEndPointId: endpoint } });
      expect(message.TimeStamp).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{7}Z$/);
    }
    expect(received.map((r) => JSON.parse(r.body.toString()).Properties.NewState)).toEqual(['Scheduled', 'Processing', 'Finished']);
    // Another key does not verify: the signature really is over these bytes with this key.
    const forged = `sha256=${createHmac('sha256', randomBytes(64)).update(received[0]!.body).digest('hex').toUpperCase()}`;
    expect(received[0]!.headers['ms-signature']).not.toBe(forged);
  });

  it('without a signing key (CredentialType None): no ms-signature header', async () => {
    const res = await emu.ams('POST', 'NotificationEndPoints', { body: { Name: 'plain', EndPointType: 3, EndPointAddress: receiverUrl, CredentialType: 0, ProtectionKeyType: 0 } });
    expect(res.status, res.text).toBe(201);
    await runJob([{ NotificationEndPointId: res.body.Id, TargetJobState: 1 }]);
    expect(received).toHaveLength(1);
    expect(received[0]!.headers['ms-signature']).toBeUndefined();
  });

  it('retries a failing receiver with back-off, keeping the order, and shows every try', async () => {
    const endpoint = await signedEndpoint(randomBytes(64));
    answers = [500, 503];
    await runJob([{ NotificationEndPointId: endpoint, TargetJobState: 2 }]);
    // The first message failed twice, then went; the later ones waited behind it.
    const states = received.map((r) => JSON.parse(r.body.toString()).Properties.NewState);
    expect(states).toEqual(['Scheduled', 'Scheduled', 'Scheduled', 'Processing', 'Finished']);
    const log = (await emu.admin('GET', 'notifications')).body.notifications as JsonBody[];
    expect(log.map((n) => n.status)).toEqual(['delivered', 'delivered', 'delivered']);
    const first = log[0]!.attempts as JsonBody[];
    expect(first.map((a) => a.ok)).toEqual([false, false, true]);
    expect(first[0]!.detail).toContain('500');
    expect(first[1]!.detail).toContain('503');
    // Back-off: the second retry waited longer than the first (20 ms, then 40 ms).
    const gaps = first.slice(1).map((a, i) => Date.parse(String(a.at)) - Date.parse(String(first[i]!.at)));
    expect(gaps[0]).toBeGreaterThanOrEqual(20);
    expect(gaps[1]).toBeGreaterThanOrEqual(40);
  });

  it('gives up after the last try and moves on; an unreachable receiver is said so', async () => {
    const dead = await closedPortUrl();
    const res = await emu.ams('POST', 'NotificationEndPoints', { body: { Name: 'dead', EndPointType: 3, EndPointAddress: dead } });
    expect(res.status, res.text).toBe(201);
    await runJob([{ NotificationEndPointId: res.body.Id, TargetJobState: 2 }]);
    const log = (await emu.admin('GET', 'notifications?status=failed')).body.notifications as JsonBody[];
    expect(log).toHaveLength(3);
    for (const n of log) {
      expect(n.attempts).toHaveLength(3);
      expect(n.attempts[0].detail).toContain('ECONNREFUSED');
      expect(n.endpoint).toEqual({ type: 'WebHook', address: dead });
    }
  });

  it('a notification for an endpoint deleted before delivery is marked failed, not retried', async () => {
    const endpoint = await signedEndpoint(randomBytes(64));
    answers = [500];
    const job = await postSubscribedJob(emu, [{ NotificationEndPointId: endpoint, TargetJobState: 2 }], 'gone');
    expect(job.status).toBe(201);
    expect((await emu.ams('DELETE', entityPath('NotificationEndPoints', endpoint))).status).toBe(204);
    await getJob(emu, String(job.body.Id));
    expect((await emu.admin('GET', 'notifications?wait=20')).body.settled).toBe(true);
    const log = (await emu.admin('GET', 'notifications')).body.notifications as JsonBody[];
    expect(log.every((n) => n.status === 'failed' || n.status === 'delivered')).toBe(true);
    expect(log.some((n) => n.status === 'failed' && n.attempts.at(-1).detail.includes('was deleted'))).toBe(true);
  });
});
