import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startEmulator, type RunningEmulator } from '../../src/server.js';

/** `/_emulator/faults`: rules users set to test their retry code against real HTTP. */
let emulator: RunningEmulator;
const HEADERS = { Authorization: 'Bearer t', 'x-ms-version': '2.19', Accept: 'application/json', 'Content-Type': 'application/json' };

beforeAll(async () => {
  emulator = await startEmulator({ port: 0, azuritePort: 0, silent: true });
});
afterAll(async () => {
  await emulator.close();
});
beforeEach(async () => {
  await fetch(`${emulator.baseUrl}_emulator/faults`, { method: 'DELETE', headers: { 'X-AMS-Emulator': '1' } });
});

async function addFault(rule: unknown): Promise<Response> {
  return fetch(`${emulator.baseUrl}_emulator/faults`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(rule) });
}

function createAsset(accept = 'application/json'): Promise<Response> {
  return fetch(`${emulator.url}Assets`, { method: 'POST', headers: { ...HEADERS, Accept: accept }, body: JSON.stringify({ Name: 'f' }) });
}

describe('/_emulator/faults', () => {
  it('answers matching requests with the status and an OData error, count times, then lets them through', async () => {
    expect((await addFault({ entity: 'Assets', method: 'POST', status: 503, count: 2 })).status).toBe(201);
    const first = await createAsset();
    expect(first.status).toBe(503);
    expect(first.headers.get('retry-after')).toBe('1');
    expect(((await first.json()) as { 'odata.error': { code: string } })['odata.error'].code).toBe('ServiceUnavailable');
    expect((await createAsset()).status).toBe(503);
    expect((await createAsset()).status).toBe(201);
    // Nothing was created by the faulted requests.
    const list = (await (await fetch(`${emulator.url}Assets`, { headers: HEADERS })).json()) as { value: unknown[] };
    expect(list.value).toHaveLength(1);
  });

  it('writes the error in the format the client asked for', async () => {
    await addFault({ entity: 'Assets', status: 429, message: 'slow down' });
    const res = await createAsset('application/atom+xml');
    expect(res.status).toBe(429);
    const body = await res.text();
    expect(body).toContain('<error xmlns="http://schemas.microsoft.com/ado/2007/08/dataservices/metadata">');
    expect(body).toContain('slow down');
  });

  it('matches by method, path and entity, and leaves other requests alone', async () => {
    await addFault({ entity: 'ContentKeys', status: 500 });
    await addFault({ method: 'GET', path: 'GetProtectionKeyId', status: 408 });
    expect((await createAsset()).status).toBe(201);
    const fn = await fetch(`${emulator.url}GetProtectionKeyId?contentKeyType=1`, { headers: HEADERS });
    expect(fn.status).toBe(408);
    const keys = await fetch(`${emulator.url}ContentKeys`, { headers: HEADERS });
    expect(keys.status).toBe(500);
  });

  it('is repeatable with a seed: the same probability and seed fault the same requests', async () => {
    const pattern = async (): Promise<number[]> => {
      await fetch(`${emulator.baseUrl}_emulator/faults`, { method: 'DELETE', headers: { 'X-AMS-Emulator': '1' } });
      await addFault({ entity: 'MediaProcessors', status: 503, probability: 0.5, seed: 42 });
      const out: number[] = [];
      for (let i = 0; i < 20; i++) out.push((await fetch(`${emulator.url}MediaProcessors`, { headers: HEADERS })).status);
      return out;
    };
    const a = await pattern();
    expect(a).toEqual(await pattern());
    expect(a).toContain(503);
    expect(a).toContain(200);
  });

  it('delays by latencyMs, with or without a status', async () => {
    await addFault({ entity: 'MediaProcessors', latencyMs: 300 });
    const start = performance.now();
    const res = await fetch(`${emulator.url}MediaProcessors`, { headers: HEADERS });
    expect(res.status).toBe(200);
    expect(performance.now() - start).toBeGreaterThanOrEqual(290);
  });

  it('lists rules with their counters, removes one, and refuses a malformed rule with a 400 naming the field', async () => {
    const created = (await (await addFault([{ entity: 'Assets', status: 503 }, { entity: 'Files', status: 500 }])).json()) as { faults: { id: string }[] };
    expect(created.faults).toHaveLength(2);
    await createAsset();
    const listed = (await (await fetch(`${emulator.baseUrl}_emulator/faults`)).json()) as { faults: { id: string; matched: number; applied: number }[] };
    expect(listed.faults[0]).toMatchObject({ matched: 1, applied: 1 });
    expect((await fetch(`${emulator.baseUrl}_emulator/faults/${created.faults[0]!.id}`, { method: 'DELETE', headers: { 'X-AMS-Emulator': '1' } })).status).toBe(204);
    expect((await createAsset()).status).toBe(201);
    for (const bad of [{ status: 'x' }, { entity: 'Assets' }, { status: 503, probability: 2 }, { status: 503, colour: 'red' }, [{ status: 503 }, { status: 99 }]]) {
      const res = await addFault(bad);
      expect(res.status).toBe(400);
      expect(JSON.stringify(await res.json())).toMatch(/status|probability|colour|latencyMs/);
    }
    // The batch with one bad rule added nothing.
    const after = (await (await fetch(`${emulator.baseUrl}_emulator/faults`)).json()) as { faults: unknown[] };
    expect(after.faults).toHaveLength(1);
  });

  it('refuses a 1xx status (not a final answer: the client would hang up waiting) with a 400', async () => {
    for (const status of [100, 101, 102, 103, 150, 199]) {
      const res = await addFault({ entity: 'Assets', status });
      expect(res.status, String(status)).toBe(400);
      expect(JSON.stringify(await res.json())).toMatch(/'status' must be an integer from 200 to 599/);
    }
    expect((await createAsset()).status).toBe(201);
  });

  it('is cleared by reset', async () => {
    await addFault({ entity: 'Assets', status: 503 });
    await emulator.reset();
    expect((await createAsset()).status).toBe(201);
  });
});
