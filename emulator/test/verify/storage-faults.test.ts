import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmbeddedAzurite, type StartedEmbeddedAzurite } from '../../src/storage/azurite.js';
import { entityPath, startTestEmulator, type JsonBody, type TestEmulator } from '../../../test/support/emulator.js';
import { admin, findingsOf, mp4Like, uploadFile, verificationOf } from '../helpers/upload-workflow.js';

/**
 * Storage going away during a verification is never the client's fault: the verification goes
 * back to pending, is retried with backoff, and verifies once storage is back. The Azurite here
 * keeps its blobs on disk, so it can be stopped and started again on the same port.
 */

let location: string;
let azurite: StartedEmbeddedAzurite | undefined;
let port: number;
let compat: TestEmulator;
let strict: TestEmulator;

async function startStorage(): Promise<void> {
  azurite = await startEmbeddedAzurite({ port, location: join(location, 'azurite') });
  port = azurite.port;
}

async function stopStorage(): Promise<void> {
  await azurite?.stop();
  azurite = undefined;
}

beforeAll(async () => {
  location = await mkdtemp(join(tmpdir(), 'verify-faults-'));
  port = 0;
  await startStorage();
  compat = await startTestEmulator({ storageConnectionString: azurite!.connectionString });
  strict = await startTestEmulator({ storageConnectionString: azurite!.connectionString, strict: true });
});

afterAll(async () => {
  await compat?.close();
  await strict?.close();
  await stopStorage();
  await rm(location, { recursive: true, force: true });
});

async function until(check: () => Promise<boolean>, what: string, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('storage stops during verification', () => {
  it('goes back to pending, then verifies once storage returns, with no finding against the client', async () => {
    const upload = await uploadFile(compat, { data: mp4Like(200_000), contentChecksum: true, contentFileSize: 'omit' });
    expect(await verificationOf(compat, upload.fileId)).toMatchObject({ status: 'skipped', reasonCode: 'awaiting-content-file-size' });

    await stopStorage();
    try {
      // The MERGE itself needs no storage: compat mode answers it as always.
      expect((await compat.ams('MERGE', entityPath('Files', upload.fileId), { body: { ContentFileSize: '200000' } })).status).toBe(204);
      let seen: JsonBody = {};
      await until(async () => {
        seen = (await admin(compat, 'GET', `files/${encodeURIComponent(upload.fileId)}/verification`)).body;
        return seen['reasonCode'] === 'storage-unavailable';
      }, 'the verification to report storage unavailable');
      expect(seen).toMatchObject({ status: 'pending', reasonCode: 'storage-unavailable' });
      expect(String(seen['reason'])).toContain("not the client's fault");
      const waiting = await admin(compat, 'GET', 'verifications?wait=0.5');
      expect(waiting.body).toMatchObject({ idle: false });
    } finally {
      await startStorage();
    }
    const v = await verificationOf(compat, upload.fileId);
    expect(v).toMatchObject({ status: 'verified', reasonCode: 'verified', storageRetries: 0 });
    expect(await findingsOf(compat, upload.fileId)).toEqual([]);
  });

  it('stopped while the blob streams: never reported as the client\'s failure', async () => {
    const upload = await uploadFile(compat, { data: mp4Like(24 * 1024 * 1024), blockSize: 4 * 1024 * 1024, contentChecksum: true });
    expect(await verificationOf(compat, upload.fileId)).toMatchObject({ status: 'verified' });
    const started = admin(compat, 'POST', `files/${encodeURIComponent(upload.fileId)}/verify?wait=0`);
    await new Promise((r) => setTimeout(r, 30));
    await stopStorage();
    expect((await started).status).toBe(202);
    await new Promise((r) => setTimeout(r, 300));
    await startStorage();
    expect(await verificationOf(compat, upload.fileId)).toMatchObject({ status: 'verified', reasonCode: 'verified' });
    expect(await findingsOf(compat, upload.fileId)).toEqual([]);
  });

  it('strict: the completing MERGE is answered 503 while storage is down, not 400', async () => {
    const upload = await uploadFile(strict, { data: mp4Like(20_000), contentChecksum: true, contentFileSize: 'omit' });
    await stopStorage();
    try {
      const res = await strict.ams('MERGE', entityPath('Files', upload.fileId), { body: { ContentFileSize: '20000' } });
      expect(res.status, res.text).toBe(503);
      expect(res.headers.get('retry-after')).toBeTruthy();
    } finally {
      await startStorage();
    }
    const again = await strict.ams('MERGE', entityPath('Files', upload.fileId), { body: { ContentFileSize: '20000' } });
    expect(again.status, again.text).toBe(204);
    expect(await verificationOf(strict, upload.fileId)).toMatchObject({ status: 'verified' });
  });
});
