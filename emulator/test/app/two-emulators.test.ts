import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestEmulator, type TestEmulator } from '../../../test/support/emulator.js';
import { getJob, jobIdOf, listOf, postJob, sample, uploadEncryptedAsset } from '../helpers/jobs-fixtures.js';

/**
 * Two emulators in one process share nothing: each has its own store, router, job runner,
 * request log and fault rules, and each follows its own configuration. Before composition was
 * explicit, Jobs were registered once per process for every emulator in it.
 */
let a: TestEmulator;
let b: TestEmulator;
beforeAll(async () => {
  a = await startTestEmulator();
  // Another configuration: jobs move one state per 1000 reads (never, here), and strict mode.
  b = await startTestEmulator({ strict: true, jobProgression: { mode: 'polls', pollsPerState: 1000 } });
});
afterAll(async () => {
  await Promise.all([a?.close(), b?.close()]);
});

describe('two emulators in one process', () => {
  it('keep their own entities, jobs and job progression', async () => {
    const inA = (await uploadEncryptedAsset(a, [{ name: 'a.mp4', data: sample(1024) }])).assetId;
    const inB = (await uploadEncryptedAsset(b, [{ name: 'b.mp4', data: sample(1024) }])).assetId;
    expect((await listOf(a, 'Assets')).map((x) => x['Id'])).toEqual([inA]);
    expect((await listOf(b, 'Assets')).map((x) => x['Id'])).toEqual([inB]);

    const jobA = jobIdOf(await postJob(a, [inA], 'minimal'));
    const jobB = jobIdOf(await postJob(b, [inB], 'minimal'));
    // A runs its job at once (immediate); B's own runner keeps its job Queued (polls:1000).
    expect((await getJob(a, jobA))['State']).toBe(3);
    expect((await getJob(b, jobB))['State']).toBe(0);
    expect((await listOf(a, 'Jobs')).map((j) => j['Id'])).toEqual([jobA]);
    expect((await listOf(b, 'Jobs')).map((j) => j['Id'])).toEqual([jobB]);
    // A job is only found by the emulator that has it.
    expect((await b.ams('GET', `Jobs('${encodeURIComponent(jobA)}')`)).status).toBe(404);
  });

  it('keep their own control plane: configuration, fault rules and request log', async () => {
    expect((await a.admin('GET', 'health')).body['strict']).toBe(false);
    expect((await b.admin('GET', 'health')).body['strict']).toBe(true);

    const added = await fetch(`${a.baseUrl}_emulator/faults`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ method: 'GET', entity: 'Assets', status: 503 }),
    });
    expect(added.status, await added.text()).toBe(201);
    expect((await a.ams('GET', 'Assets')).status).toBe(503);
    expect((await b.ams('GET', 'Assets')).status).toBe(200);
    expect((await b.admin('GET', 'faults')).body['faults']).toEqual([]);

    await b.admin('DELETE', 'requests');
    await a.ams('GET', 'MediaProcessors');
    const seenByB = (await b.admin('GET', 'requests')).body['requests'] as { path: string }[];
    expect(seenByB.map((r) => r.path)).not.toContain('/api/MediaProcessors');
  });
});
