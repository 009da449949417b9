import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_LIMITS } from '../../src/config.js';
import { startTestEmulator, type TestEmulator } from '../../../test/support/emulator.js';
import { batchStatuses, odataErrorFormat } from '../helpers/fuzz-oracle.js';
import { send, type WireResponse } from '../helpers/fuzz-wire.js';

/**
 * Query limits: `$top` (absurd values refused, large ones capped at the page size), `$skip`,
 * `$filter` (length, nesting, terms, text built) and `$batch` (parts, operations, size). Each is a
 * 400 (413 for size) in the requested format that names the option and the limit.
 */
const PAGE = 5;
let emu: TestEmulator;
beforeAll(async () => {
  emu = await startTestEmulator({ limits: { ...DEFAULT_LIMITS, maxPageSize: PAGE } });
  for (let i = 0; i < PAGE + 3; i++) expect((await emu.ams('POST', 'Assets', { body: { Name: `a${i}` } })).status).toBe(201);
});
afterAll(() => emu.close());

const AMS: [string, string][] = [
  ['Authorization', 'Bearer t'],
  ['x-ms-version', '2.19'],
];

async function get(target: string, accept = 'application/json'): Promise<WireResponse> {
  return send(emu.baseUrl, { method: 'GET', target, headers: [...AMS, ['Accept', accept]] });
}

function message(res: WireResponse): string {
  const text = res.body.toString('utf8');
  return /"value":"((?:[^"\\]|\\.)*)"/.exec(text)?.[1] ?? /<message[^>]*>([^<]*)<\/message>/.exec(text)?.[1] ?? text;
}

async function expectRefused(target: string, pattern: RegExp | string, accept = 'application/json', format = 'json-minimal'): Promise<void> {
  const res = await get(target, accept);
  expect(res.status, `${target}: ${message(res)}`).toBe(400);
  expect(odataErrorFormat(res.body.toString('utf8'), res.headers['content-type'] ?? '')).toBe(format);
  if (typeof pattern === 'string') expect(message(res)).toContain(pattern);
  else expect(message(res)).toMatch(pattern);
}

describe('$top and $skip', () => {
  it('refuses what is not a non-negative 32-bit integer, in the requested format', async () => {
    await expectRefused('/api/Assets?$top=-1', "Invalid $top: '-1' is not a non-negative integer");
    await expectRefused('/api/Assets?$top=1e30', "Invalid $top: '1e30' is not a non-negative integer", 'application/atom+xml', 'atom');
    await expectRefused('/api/Assets?$top=99999999999', "Invalid $top: '99999999999' is larger than 2147483647", 'application/json;odata=verbose', 'json-verbose');
    await expectRefused('/api/Assets?$top=abc', "Invalid $top: 'abc'");
    await expectRefused('/api/Assets?$top=', "Invalid $top: ''");
    await expectRefused('/api/Assets?$top=1&$top=2', 'Invalid $top: the option is given more than once');
    await expectRefused('/api/Assets?$skip=-5', "Invalid $skip: '-5' is not a non-negative integer");
    await expectRefused('/api/Assets?$skip=1e3', "Invalid $skip: '1e3'");
  });

  it('serves a $top above the page size as one full page (capped, as the service did), and a page without $top is no larger', async () => {
    const capped = await emu.ams('GET', 'Assets?$top=2147483647&$inlinecount=allpages');
    expect(capped.status).toBe(200);
    expect(capped.body.value).toHaveLength(PAGE);
    expect(capped.body['odata.count']).toBe(String(PAGE + 3));
    expect((await emu.ams('GET', 'Assets')).body.value).toHaveLength(PAGE);
    expect((await emu.ams('GET', `Assets?$skip=${PAGE}`)).body.value).toHaveLength(3);
    expect((await emu.ams('GET', 'Assets?$top=2')).body.value).toHaveLength(2);
    // $count is not paged.
    expect((await emu.ams('GET', 'Assets/$count')).text).toBe(String(PAGE + 3));
  });

  it('refuses unknown and unsupported system options by name', async () => {
    await expectRefused('/api/Assets?$unknown=1', "Unknown system query option '$unknown'");
    await expectRefused('/api/Assets?$TOP=1', 'system query options are case-sensitive: did you mean $top?');
    await expectRefused('/api/Assets?$expand=Files', '$expand is not supported by Media Services');
  });
});

describe('$filter', () => {
  it('refuses text longer than 4096 characters', async () => {
    await expectRefused(`/api/Assets?$filter=${encodeURIComponent(`Name eq '${'q'.repeat(4_090)}'`)}`, /^Invalid \$filter: .*4096/);
  });

  it('refuses nesting deeper than 32 levels, whatever nests: parentheses, not, calls', async () => {
    await expectRefused(`/api/Assets?$filter=${encodeURIComponent(`${'('.repeat(33)}Options eq 1${')'.repeat(33)}`)}`, 'nests deeper than 32 levels');
    await expectRefused(`/api/Assets?$filter=${encodeURIComponent(`${'not '.repeat(33)}true`)}`, 'nests deeper than 32 levels');
    await expectRefused(`/api/Assets?$filter=${encodeURIComponent(`${'tolower('.repeat(33)}Name${')'.repeat(33)} eq 'a'`)}`, 'nests deeper than 32 levels');
    const deepest = await emu.ams('GET', `Assets?$filter=${encodeURIComponent(`${'('.repeat(31)}Options eq 0${')'.repeat(31)}`)}`);
    expect(deepest.status, deepest.text).toBe(200);
  });

  it('refuses more than 1000 terms', async () => {
    const terms = Array.from({ length: 290 }, () => 'State eq 0').join(' or ');
    expect(terms.length).toBeLessThanOrEqual(4_096);
    await expectRefused(`/api/Assets?$filter=${encodeURIComponent(terms)}`, 'the expression has more than 1000 terms');
  });

  it('refuses a filter that builds too much text (replace multiplies, concat adds)', async () => {
    let expr = "'aaaaaaaaaaaaaaaa'";
    for (let i = 0; i < 6; i++) expr = `replace(${expr},'a','aaaaaaaaaaaaaaaa')`;
    await expectRefused(`/api/Assets?$filter=${encodeURIComponent(`length(${expr}) gt 0`)}`, 'would build a string of 16777216 characters; the limit is 1048576');
  });

  it('holds inside a $batch, where a URL has no length limit: 10,000 terms are refused in their own part', async () => {
    const filter = Array.from({ length: 10_000 }, () => 'State eq 0').join(' or ');
    const body = ['--b', 'Content-Type: application/http', '', `GET /api/Assets?$filter=${encodeURIComponent(filter)} HTTP/1.1`, 'Accept: application/json', '', '', '--b--', ''].join('\r\n');
    const res = await send(emu.baseUrl, { method: 'POST', target: '/api/$batch', headers: [...AMS, ['Content-Type', 'multipart/mixed; boundary=b']], body: Buffer.from(body) });
    expect(res.status).toBe(202);
    const [op] = batchStatuses(res.body);
    expect(op?.status).toBe(400);
    expect(op?.text).toContain('Invalid $filter');
  });
});

describe('$batch', () => {
  const part = (line: string) => ['Content-Type: application/http', '', line, '', ''].join('\r\n');
  const batch = (parts: string[]) => Buffer.from(`${parts.map((p) => `--b\r\n${p}`).join('\r\n')}\r\n--b--\r\n`);
  const postBatch = (body: Buffer, accept = 'application/json') => send(emu.baseUrl, { method: 'POST', target: '/api/$batch', headers: [...AMS, ['Accept', accept], ['Content-Type', 'multipart/mixed; boundary=b']], body });

  it('refuses more than 100 parts (a 400 for the whole batch, in the requested format); 100 are run', async () => {
    const ok = await postBatch(batch(Array.from({ length: 100 }, () => part('GET /api/Assets?$top=1 HTTP/1.1'))));
    expect(ok.status).toBe(202);
    expect(batchStatuses(ok.body)).toHaveLength(100);
    const over = await postBatch(batch(Array.from({ length: 101 }, () => part('GET /api/Assets?$top=1 HTTP/1.1'))), 'application/atom+xml');
    expect(over.status).toBe(400);
    expect(odataErrorFormat(over.body.toString('utf8'), over.headers['content-type'] ?? '')).toBe('atom');
    expect(message(over)).toContain('100');
  });

  it('refuses more than 1000 operations, changesets included', async () => {
    const ops = Array.from({ length: 1_001 }, () => part("DELETE /api/Assets('nb:cid:UUID:00000000-0000-0000-0000-000000000000') HTTP/1.1"));
    const changeset = `Content-Type: multipart/mixed; boundary=c\r\n\r\n${ops.map((p) => `--c\r\n${p}`).join('\r\n')}\r\n--c--\r\n`;
    const res = await postBatch(batch([changeset]));
    expect(res.status).toBe(400);
    expect(message(res)).toMatch(/more than 1000 (operations|parts)/);
  });

  it('is bounded in size by the body limit (413)', async () => {
    const res = await send(emu.baseUrl, { method: 'POST', target: '/api/$batch', headers: [...AMS, ['Content-Type', 'multipart/mixed; boundary=b']], body: Buffer.alloc(DEFAULT_LIMITS.maxBodyBytes + 1, 0x41) });
    expect(res.status).toBe(413);
  });
});
