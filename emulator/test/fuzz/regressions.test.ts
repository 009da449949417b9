import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestEmulator, type TestEmulator } from '../../../test/support/emulator.js';
import { odataErrorFormat } from '../helpers/fuzz-oracle.js';
import { send, type WireResponse } from '../helpers/fuzz-wire.js';

/**
 * What the fuzz suite found, one test each, replayed exactly: each failed before its fix.
 */
let emu: TestEmulator;
beforeAll(async () => {
  emu = await startTestEmulator();
});
afterAll(() => emu.close());

const AMS: [string, string][] = [
  ['Authorization', 'Bearer t'],
  ['x-ms-version', '2.19'],
];

function get(target: string, accept?: string): Promise<WireResponse> {
  return send(emu.baseUrl, { method: 'GET', target, headers: [...AMS, ...(accept ? [['Accept', accept] as [string, string]] : [])] });
}

function errorFormatOf(res: WireResponse): string | undefined {
  return odataErrorFormat(res.body.toString('utf8'), res.headers['content-type'] ?? '');
}

describe('$filter text amplification', () => {
  it('a nested replace that would build gigabytes is a 400 at once, not a 500 or an out-of-memory crash', async () => {
    const asset = await emu.ams('POST', 'Assets', { body: { Name: 'a'.repeat(512) } });
    expect(asset.status).toBe(201);
    let expr = 'Name';
    for (let i = 0; i < 7; i++) expr = `replace(${expr},'a','aaaaaaaaaaaaaaaa')`;
    const started = performance.now();
    const res = await emu.ams('GET', `Assets?$filter=${encodeURIComponent(`length(${expr}) gt 0`)}`);
    expect(res.status, res.text.slice(0, 300)).toBe(400);
    expect(res.body['odata.error'].message.value).toMatch(/^Invalid \$filter: replace\(\.\.\.\) would build a string of \d+ characters; the limit is 1048576$/);
    expect(performance.now() - started).toBeLessThan(2_000);
    // One level of it is an ordinary filter.
    const ok = await emu.ams('GET', `Assets?$filter=${encodeURIComponent("length(replace(Name,'a','bb')) eq 1024")}`);
    expect(ok.status, ok.text.slice(0, 300)).toBe(200);
    expect(ok.body.value).toHaveLength(1);
  });

  it('terms that each stay under the per-value bound are refused once the query as a whole builds more than 64 Mi characters', async () => {
    await emu.reset();
    for (let i = 0; i < 60; i++) expect((await emu.ams('POST', 'Assets', { body: { Name: 'a'.repeat(512) } })).status).toBe(201);
    const term = "length(replace(replace(Name,'a','aaaaaaaaaaaaaaaa'),'a','aaaaaaaaaaaaaaaa')) gt 0";
    const res = await emu.ams('GET', `Assets?$filter=${encodeURIComponent(Array.from({ length: 10 }, () => term).join(' and '))}`);
    expect(res.status, res.text.slice(0, 300)).toBe(400);
    expect(res.body['odata.error'].message.value).toContain('reads or builds more than 67108864 characters of text');
    const one = await emu.ams('GET', `Assets?$filter=${encodeURIComponent(term)}&$top=1`);
    expect(one.status, one.text.slice(0, 300)).toBe(200);
  });
});

describe('file names', () => {
  it('a name with an unpaired surrogate is refused: no blob can have it, and a job over the asset crashed on it', async () => {
    const asset = await emu.ams('POST', 'Assets', { body: { Name: 'names' } });
    const body = `{"Name":"clip\\ud800.mp4","ParentAssetId":${JSON.stringify(asset.body.Id)}}`;
    const created = await emu.ams('POST', 'Files', { body, headers: { 'Content-Type': 'application/json' } });
    expect(created.status, created.text).toBe(400);
    expect(created.body['odata.error'].message.value).toBe('The file name is not valid Unicode: it holds an unpaired surrogate');
    const file = await emu.ams('POST', 'Files', { body: { Name: 'clip.mp4', ParentAssetId: asset.body.Id } });
    expect(file.status, file.text).toBe(201);
    const merged = await emu.ams('MERGE', `Files('${encodeURIComponent(file.body.Id)}')`, { body: '{"Name":"\\udc00"}', headers: { 'Content-Type': 'application/json' } });
    expect(merged.status, merged.text).toBe(400);
    // A pair is a character like any other.
    const pair = await emu.ams('POST', 'Files', { body: { Name: 'clip-😀.mp4', ParentAssetId: asset.body.Id } });
    expect(pair.status, pair.text).toBe(201);
  });
});

describe('the format of an error', () => {
  it('follows Accept when $format names no format, and $format when a neighbouring parameter cannot be decoded', async () => {
    const junk = await get('/api/Assets?$format=jsonp', 'application/atom+xml');
    expect(junk.status).toBe(400);
    expect(errorFormatOf(junk)).toBe('atom');
    const neighbour = await get('/api/Assets?%zz=1&$format=xml', 'application/json');
    expect(neighbour.status).toBe(400);
    expect(errorFormatOf(neighbour)).toBe('atom');
    const verbose = await get('/api/Assets?$format=verbosejson&x=%E0%A4%A', 'application/atom+xml');
    expect(verbose.status).toBe(400);
    expect(errorFormatOf(verbose)).toBe('json-verbose');
  });
});

describe('the format of an error about a $batch', () => {
  it('follows $format, as on every other URL', async () => {
    const wrongVerb = await get('/api/$batch?$format=atom', 'application/json');
    expect(wrongVerb.status).toBe(405);
    expect(errorFormatOf(wrongVerb)).toBe('atom');
    const noBoundary = await send(emu.baseUrl, { method: 'POST', target: '/api/$batch?$format=verbosejson', headers: [...AMS, ['Accept', 'multipart/mixed'], ['Content-Type', 'multipart/mixed']], body: Buffer.from('x') });
    expect(noBoundary.status).toBe(400);
    expect(errorFormatOf(noBoundary)).toBe('json-verbose');
    // A $format that names nothing does not fail the batch: Accept decides.
    const junk = await get('/api/$batch?$format=html', 'multipart/mixed, application/atom+xml');
    expect(junk.status).toBe(405);
    expect(errorFormatOf(junk)).toBe('atom');
  });
});

describe('token endpoints', () => {
  function oauth(res: WireResponse): { error: string; error_description: string } {
    expect(res.headers['content-type']).toMatch(/^application\/json/);
    const body = JSON.parse(res.body.toString('utf8')) as { error: string; error_description: string };
    expect(Object.keys(body).sort()).toEqual(['error', 'error_description']);
    return body;
  }
  const form = (body: Buffer, headers: [string, string][] = []) => ({ method: 'POST', target: '/v2/OAuth2-13', headers: [['Content-Type', 'application/x-www-form-urlencoded'] as [string, string], ...headers], body });

  it('answer a wrong verb with an OAuth error, not an OData 404', async () => {
    for (const target of ['/v2/OAuth2-13', '/common/oauth2/token', '/t/oauth2/v2.0/token']) {
      const res = await send(emu.baseUrl, { method: 'GET', target, headers: [] });
      expect(res.status, target).toBe(405);
      expect(res.headers['allow']).toBe('POST');
      expect(oauth(res).error).toBe('invalid_request');
    }
  });

  it('answer a body they cannot read with an OAuth error: bad compression, unknown charset, too large', async () => {
    const gzip = await send(emu.baseUrl, form(Buffer.from('grant_type=client_credentials'), [['Content-Encoding', 'gzip']]));
    expect(gzip.status).toBe(400);
    expect(oauth(gzip).error).toBe('invalid_request');
    const charset = await send(emu.baseUrl, { ...form(Buffer.from('a=b')), headers: [['Content-Type', 'application/x-www-form-urlencoded; charset=junk']] });
    expect(charset.status).toBe(415);
    expect(oauth(charset).error_description).toContain('cannot be decoded');
    const large = await send(emu.baseUrl, form(Buffer.from(`grant_type=client_credentials&client_id=${'a'.repeat(70_000)}`)));
    expect(large.status).toBe(413);
    expect(oauth(large).error_description).toContain('64 KiB');
    // The API beside them still answers in OData.
    const api = await get('/api/Nope');
    expect(errorFormatOf(api)).toBe('json-minimal');
  });
});
