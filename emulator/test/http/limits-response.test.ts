import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestEmulator, type JsonBody, type TestEmulator } from '../../../test/support/emulator.js';
import { DEFAULT_LIMITS } from '../../src/config.js';
import { batchBody, readBatchResponse, type PartResponse } from '../../../client/src/rest/batch-wire.js';
import { odataErrorFormat } from '../helpers/fuzz-oracle.js';

/**
 * One response body is bounded (maxResponseBytes): a page past it is a 400 in the client's format
 * that says how to page, never a 500 from a string too big to build. Changes are answered whatever
 * the limit (what they answer is bounded by their own body), and a `$batch`'s queries share it.
 */

// Scaled to the property bounds (Asset.AlternateId 4000 characters): an asset is about 4.5 KB, so
// pages of 3 fit twice in 28 KiB, 10 do not.
const LIMIT = 28 * 1024;
const TEXT = 4000;
const ASSETS = 10;

let emu: TestEmulator;
beforeAll(async () => {
  emu = await startTestEmulator({ limits: { ...DEFAULT_LIMITS, maxResponseBytes: LIMIT } });
  for (let i = 0; i < ASSETS; i++) {
    const res = await emu.ams('POST', 'Assets', { body: { Name: String(i).repeat(400), AlternateId: String(i).repeat(TEXT) } });
    expect(res.status, res.text).toBe(201);
  }
});
afterAll(() => emu.close());

describe('maxResponseBytes', () => {
  it.each([
    { accept: 'application/json', format: 'json-minimal' },
    { accept: 'application/json;odata=verbose', format: 'json-verbose' },
    { accept: 'application/atom+xml', format: 'atom' },
  ])('a page whose text alone is past it is refused before it is built, in the client format ($accept)', async ({ accept, format }) => {
    const res = await emu.ams('GET', 'Assets', { headers: { Accept: accept } });
    expect(res.status).toBe(400);
    expect(odataErrorFormat(res.text, res.headers.get('content-type') ?? '')).toBe(format);
    expect(res.text).toContain(`The ${ASSETS} entities of this page hold more than the 28.0 KiB the emulator sends in one response`);
    expect(res.text).toMatch(/about \d+ at a time fit/);
  });

  it('the page the message points to is served, and so is $select of the small properties', async () => {
    const top = await emu.ams('GET', 'Assets?$top=3&$skip=2');
    expect(top.status, top.text.slice(0, 300)).toBe(200);
    expect((top.body as { value: JsonBody[] }).value).toHaveLength(3);
    const ids = await emu.ams('GET', 'Assets?$select=Id,Created');
    expect(ids.status, ids.text.slice(0, 300)).toBe(200);
    expect((ids.body as { value: JsonBody[] }).value).toHaveLength(ASSETS);
  });

  it('a page under it in text but over it once written (JSON escapes) is refused after it is built', async () => {
    const quoted = await startTestEmulator({ limits: { ...DEFAULT_LIMITS, maxResponseBytes: LIMIT } });
    try {
      // 5 x 4000 quotes: about 22 KB of text, over 40 KB as JSON (each quote escaped).
      for (let i = 0; i < 5; i++) expect((await quoted.ams('POST', 'Assets', { body: { AlternateId: '"'.repeat(TEXT) } })).status).toBe(201);
      const res = await quoted.ams('GET', 'Assets');
      expect(res.status).toBe(400);
      expect(res.text).toMatch(/The response would be \d+\.\d KiB, more than the 28\.0 KiB the emulator sends in one response/);
      expect((await quoted.ams('GET', 'Assets?$top=2')).status).toBe(200);
    } finally {
      await quoted.close();
    }
  });

  it('a change is answered whatever its size: the create happened and says so', async () => {
    // An asset at its largest (about 4.6 KB) over a 4 KiB limit.
    const small = await startTestEmulator({ limits: { ...DEFAULT_LIMITS, maxResponseBytes: 4096 } });
    try {
      const huge = await small.ams('POST', 'Assets', { body: { Name: 'n'.repeat(512), AlternateId: 'h'.repeat(TEXT) } });
      expect(huge.status).toBe(201);
      expect(String((huge.body as JsonBody).AlternateId)).toHaveLength(TEXT);
      const read = await small.ams('GET', `Assets('${encodeURIComponent(String((huge.body as JsonBody).Id))}')`);
      expect(read.status).toBe(400);
      expect((await small.ams('DELETE', `Assets('${encodeURIComponent(String((huge.body as JsonBody).Id))}')`)).status).toBe(204);
    } finally {
      await small.close();
    }
  });

  it("a $batch's queries share it: the one that passes it is answered 400, the others as usual", async () => {
    const boundary = 'batch_limits';
    const page = { method: 'GET', url: 'Assets?$top=3', headers: { Accept: 'application/json' } };
    const res = await emu.ams('POST', '$batch', {
      body: batchBody(boundary, [page, page, page, { method: 'POST', url: 'Assets', headers: { 'Content-Type': 'application/json', Accept: 'application/json' }, body: JSON.stringify({ Name: 'after' }) }]),
      headers: { 'Content-Type': `multipart/mixed; boundary=${boundary}`, Accept: 'multipart/mixed' },
    });
    expect(res.status, res.text.slice(0, 300)).toBe(202);
    const parts = readBatchResponse(res.headers.get('content-type'), res.text) as PartResponse[];
    // Two pages of 3 x 4.5 KB fit in 28 KiB; the third would not.
    expect(parts.map((p) => p.status)).toEqual([200, 200, 400, 201]);
    expect(parts[2]!.body).toMatch(/KiB left of the 28\.0 KiB the queries of one \$batch share/);
  });
});
