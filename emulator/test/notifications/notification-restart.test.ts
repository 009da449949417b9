import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DEFAULT_LIMITS } from '../../src/config.js';
import { startTestEmulator, type JsonBody } from '../../../test/support/emulator.js';
import { getJob, postSubscribedJob } from '../helpers/jobs-fixtures.js';

/**
 * Notifications are kept with the state: raised while the receiver is down, they survive a
 * restart of the emulator on the same data directory and go out, in order, once it is up.
 */

const dirs: string[] = [];
afterAll(async () => {
  for (const dir of dirs) await rm(dir, { recursive: true, force: true });
});

function receiver(port: number, received: JsonBody[]): Promise<Server> {
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      received.push(JSON.parse(Buffer.concat(chunks).toString('utf8')) as JsonBody);
      res.end();
    });
  });
  return new Promise((resolve) => server.listen(port, '127.0.0.1', () => resolve(server)));
}

describe('notifications across a restart', () => {
  it('pending notifications are delivered by the next run, in order', async () => {
    const location = await mkdtemp(join(tmpdir(), 'ams-notify-restart-'));
    dirs.push(location);
    // A port nobody listens on yet: the receiver comes up there after the restart.
    const probe = createServer();
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
    const port = (probe.address() as AddressInfo).port;
    await new Promise((resolve) => probe.close(resolve));

    // Long retries: nothing goes out during the first run after the first refused try.
    const limits = { ...DEFAULT_LIMITS, notificationRetryMs: 60_000 };
    const first = await startTestEmulator({ location, limits });
    let jobId: string;
    try {
      const endpoint = await first.ams('POST', 'NotificationEndPoints', { body: { Name: 'later', EndPointType: 3, EndPointAddress: `http://127.0.0.1:${port}/hook` } });
      expect(endpoint.status, endpoint.text).toBe(201);
      const job = await postSubscribedJob(first, [{ NotificationEndPointId: endpoint.body.Id, TargetJobState: 2 }], 'restarted');
      expect(job.status, job.text).toBe(201);
      jobId = String(job.body.Id);
      expect((await getJob(first, jobId)).State).toBe(3);
      const pending = (await first.admin('GET', 'notifications?status=pending')).body.notifications as JsonBody[];
      expect(pending).toHaveLength(3);
    } finally {
      await first.close();
    }

    const received: JsonBody[] = [];
    const server = await receiver(port, received);
    const second = await startTestEmulator({ location, limits: { ...DEFAULT_LIMITS, notificationRetryMs: 10 } });
    try {
      // The first run's retry was a minute away; the new run tries at once.
      const settled = await second.admin('GET', 'notifications?wait=20');
      expect(settled.body.settled, JSON.stringify(settled.body)).toBe(true);
      expect(received.map((m) => [m.Properties.JobId, m.Properties.NewState])).toEqual([
        [jobId, 'Scheduled'],
        [jobId, 'Processing'],
        [jobId, 'Finished'],
      ]);
    } finally {
      await second.close();
      await new Promise((resolve) => server.close(resolve));
    }
  });
});
