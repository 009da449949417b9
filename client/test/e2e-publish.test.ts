import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { AmsClient, OperationFailedError } from '../src/rest/index.js';
import { publishAsset } from '../src/workflows/index.js';
import { lastJsonLine, startE2eEnv, type E2eEnv, type UploadJson } from './helpers/e2e-env.js';

/**
 * `ams-client publish` and `publishAsset` against the emulator: the streaming endpoint is started
 * through its operation, an OnDemandOrigin locator made, and each printed URL serves the file's
 * clear bytes through the running endpoint.
 */

let env: E2eEnv;
beforeAll(async () => {
  // Operations complete on their second poll, so publish must really await the Start.
  env = await startE2eEnv({ operationProgression: { mode: 'polls', pollsPerState: 2 } });
});
afterAll(async () => {
  await env?.stop();
});
beforeEach(async () => {
  await env.emu.reset();
});

async function uploaded(name: string, data: Buffer): Promise<string> {
  const path = join(env.dir, name);
  await writeFile(path, data);
  const up = await env.cli(['upload', path, ...env.connection, '--json']);
  expect(up.code, up.stderr).toBe(0);
  return lastJsonLine<UploadJson>(up).assetId;
}

describe('ams-client publish', () => {
  it('starts the stopped default endpoint, makes an origin locator and prints a URL per file that serves its clear bytes', async () => {
    const data = Buffer.from('streamed through a running endpoint\n'.repeat(100));
    const assetId = await uploaded('clip one.mp4', data);
    const run = await env.cli(['publish', assetId, ...env.connection, '--days', '2']);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const lines = run.stdout.trim().split('\n');
    expect(lines[0]).toMatch(/^Streaming endpoint default \(nb:oid:UUID:.*\) is Running at /);
    // The uploaded asset is storage encrypted: a streaming locator needs a delivery policy first.
    expect(lines[1]).toMatch(/^Delivery policy nb:adpid:UUID:\S+ \(NoDynamicEncryption: the storage-encrypted asset streams in the clear\) linked$/);
    expect(lines[2]).toMatch(/^Locator nb:lid:UUID:/);
    const [name, url] = [lines[3]!.slice(0, 'clip one.mp4'.length), lines[3]!.slice('clip one.mp4 '.length)];
    expect(name).toBe('clip one.mp4');
    const res = await fetch(url);
    expect(res.status).toBe(200);
    expect(Buffer.from(await res.arrayBuffer()).equals(data)).toBe(true);
    // The endpoint really runs: the emulator reports it, and the origin needs it now.
    const endpoints = await env.emu.ams('GET', 'StreamingEndpoints');
    expect(endpoints.body.value[0].State).toBe('Running');
  });

  it('refuses a second ASSET and a bad --days with a usage error', async () => {
    expect((await env.cli(['publish', 'a', 'b', ...env.connection])).code).toBe(2);
    const days = await env.cli(['publish', 'nb:cid:UUID:00000000-0000-4000-8000-000000000000', ...env.connection, '--days', 'soon']);
    expect(days.code).toBe(2);
    expect(days.stderr).toContain('--days');
  });
});

describe('publishAsset', () => {
  const client = () => new AmsClient({ endpoint: env.emu.url, auth: { kind: 'static', token: 'e2e' } });

  it('through a named endpoint: its HostName in the URLs', async () => {
    const data = Buffer.from('named');
    const assetId = await uploaded('named.bin', data);
    const created = await env.emu.ams('POST', 'StreamingEndpoints', { body: { Name: 'second' } });
    expect(created.status).toBe(202);
    await env.emu.ams('GET', `Operations('${created.headers.get('operation-id')}')`);
    await env.emu.ams('GET', `Operations('${created.headers.get('operation-id')}')`);
    const result = await publishAsset(client(), assetId, { endpointName: 'second', pollMs: 10 });
    expect(result.endpoint).toMatchObject({ Name: 'second', State: 'Running' });
    expect(result.urls[0]!.url).toContain('/origin/second/');
    const res = await fetch(result.urls[0]!.url);
    expect(Buffer.from(await res.arrayBuffer()).equals(data)).toBe(true);
  });

  it('links a NoDynamicEncryption policy to a storage-encrypted asset with none, once; a clear asset needs none', async () => {
    const assetId = await uploaded('encrypted.bin', Buffer.from('encrypted at rest'));
    const first = await publishAsset(client(), assetId, { pollMs: 10 });
    expect(first.deliveryPolicyId).toMatch(/^nb:adpid:UUID:/);
    const policies = (await env.emu.ams('GET', `Assets('${encodeURIComponent(assetId)}')/DeliveryPolicies`)).body.value;
    expect(policies).toEqual([expect.objectContaining({ Id: first.deliveryPolicyId, AssetDeliveryPolicyType: 2, AssetDeliveryProtocol: 0x17 })]);
    // Published again (a second locator): the policy it has is kept, none added.
    const again = await publishAsset(client(), assetId, { pollMs: 10 });
    expect(again.deliveryPolicyId).toBeUndefined();
    expect((await env.emu.ams('GET', `Assets('${encodeURIComponent(assetId)}')/DeliveryPolicies`)).body.value).toHaveLength(1);
    const clear = await env.emu.ams('POST', 'Assets', { body: { Name: 'clear', Options: 0 } });
    const published = await publishAsset(client(), String(clear.body.Id), { pollMs: 10 });
    expect(published.deliveryPolicyId).toBeUndefined();
    expect(published.urls).toEqual([]);
  });

  it('an unknown endpoint name, or a failed Start, is an error that says so', async () => {
    const assetId = await uploaded('x.bin', Buffer.from('x'));
    await expect(publishAsset(client(), assetId, { endpointName: 'nosuch' })).rejects.toThrow(/No StreamingEndpoint is named "nosuch"/);
    // A Start refused by the service ends its operation Failed: awaitOperation throws with its code.
    const { value } = (await env.emu.ams('GET', 'StreamingEndpoints')).body;
    const ams = client();
    const first = await ams.startStreamingEndpoint(value[0].Id);
    const second = await ams.startStreamingEndpoint(value[0].Id);
    await ams.awaitOperation(first!, { pollMs: 10 });
    const failed = await ams.awaitOperation(second!, { pollMs: 10 }).catch((err: unknown) => err);
    expect(failed).toBeInstanceOf(OperationFailedError);
    expect((failed as OperationFailedError).operation.ErrorCode).toBe('OperationInProgress');
  });
});
