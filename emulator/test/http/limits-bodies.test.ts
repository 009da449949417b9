import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_LIMITS } from '../../src/config.js';
import { startTestEmulator, type TestEmulator } from '../../../test/support/emulator.js';
import { odataErrorFormat } from '../helpers/fuzz-oracle.js';
import { atomEntry, nestedJson, ATOM_NS, DATA_NS } from '../helpers/fuzz-values.js';
import { send, type WireResponse } from '../helpers/fuzz-wire.js';

/**
 * Limits on what a body may make the parsers do: JSON and XML nesting (`limits.maxBodyDepth`,
 * 32), XML elements (10,000), attributes per element (64), text per element (1 Mi characters), no
 * DTDs at all. Each is a 400 in the requested format that names the limit, answered fast.
 */
let emu: TestEmulator;
let shallow: TestEmulator;
beforeAll(async () => {
  emu = await startTestEmulator();
  shallow = await startTestEmulator({ limits: { ...DEFAULT_LIMITS, maxBodyDepth: 4 } });
});
afterAll(async () => {
  await emu.close();
  await shallow.close();
});

const AMS: [string, string][] = [
  ['Authorization', 'Bearer t'],
  ['x-ms-version', '2.19'],
];

function post(target: TestEmulator, path: string, type: string, body: string | Buffer, accept = 'application/json'): Promise<WireResponse> {
  return send(target.baseUrl, { method: 'POST', target: path, headers: [...AMS, ['Accept', accept], ['Content-Type', type]], body: Buffer.isBuffer(body) ? body : Buffer.from(body) });
}

function message(res: WireResponse): string {
  const text = res.body.toString('utf8');
  return /"value":"((?:[^"\\]|\\.)*)"/.exec(text)?.[1] ?? /<message[^>]*>([^<]*)<\/message>/.exec(text)?.[1] ?? text;
}

async function expectRefused(res: Promise<WireResponse>, status: number, text: string, format = 'json-minimal'): Promise<void> {
  const started = performance.now();
  const answer = await res;
  expect(answer.status, message(answer)).toBe(status);
  expect(odataErrorFormat(answer.body.toString('utf8'), answer.headers['content-type'] ?? '')).toBe(format);
  expect(message(answer)).toContain(text);
  expect(performance.now() - started).toBeLessThan(2_000);
}

describe('JSON bodies', () => {
  it('nesting deeper than 32 levels is a 400; 32 levels are parsed', async () => {
    await expectRefused(post(emu, '/api/Assets', 'application/json', `{"Name":"x","AlternateId":${nestedJson(32, 'mixed')}}`), 400, 'nests deeper than 32 levels');
    await expectRefused(post(emu, '/api/Assets', 'application/json;odata=verbose', nestedJson(200_000, 'array'), 'application/json;odata=verbose'), 400, 'nests deeper than 32 levels', 'json-verbose');
    const at = await post(emu, '/api/Assets', 'application/json', `{"Name":"x","AlternateId":${nestedJson(31, 'array')}}`);
    expect(message(at)).not.toContain('nests deeper');
  });

  it('the configured depth holds for JSON and XML alike', async () => {
    await expectRefused(post(shallow, '/api/Assets', 'application/json', `{"Name":${nestedJson(4, 'array')}}`), 400, 'nests deeper than 4 levels');
    await expectRefused(post(shallow, '/api/Assets', 'application/atom+xml', atomEntry({ Name: '<a><b>x</b></a>' }), 'application/atom+xml'), 400, 'deeper than 4', 'atom');
  });

  it('a body that is not UTF-8 is a 400; another charset is a 415', async () => {
    await expectRefused(post(emu, '/api/Assets', 'application/json', Buffer.from([0x7b, 0x22, 0xff, 0x22, 0x3a, 0x31, 0x7d])), 400, 'not valid UTF-8');
    await expectRefused(post(emu, '/api/Assets', 'application/json; charset=utf-16', Buffer.from('{"Name":"x"}', 'utf16le')), 415, 'charset=utf-16 is not supported');
  });
});

describe('XML bodies', () => {
  const atom = 'application/atom+xml';

  it('nesting deeper than 32 levels is a 400 at the limit, without recursion, even 100,000 deep', async () => {
    await expectRefused(post(emu, '/api/Assets', atom, `${'<a>'.repeat(100_000)}${'</a>'.repeat(100_000)}`, atom), 400, 'nested deeper than 32 levels', 'atom');
  });

  it('more than 10,000 elements, 64 attributes on one element, or 1 Mi characters of text in one are each a 400', async () => {
    await expectRefused(post(emu, '/api/Assets', atom, `<entry xmlns="${ATOM_NS}">${'<x/>'.repeat(10_001)}</entry>`, atom), 400, 'more than 10000 elements', 'atom');
    await expectRefused(post(emu, '/api/Assets', atom, `<entry xmlns="${ATOM_NS}" ${Array.from({ length: 65 }, (_, i) => `a${i}="v"`).join(' ')}/>`, atom), 400, 'more than 64 attributes', 'atom');
    await expectRefused(post(emu, '/api/Assets', atom, atomEntry({ Name: 'n'.repeat(1_048_577) }), atom), 400, '1048576', 'atom');
  });

  it('refuses any DTD before it is looked at: billion laughs, external entities, external DTDs', async () => {
    const lol = `<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">${Array.from({ length: 9 }, (_, i) => `<!ENTITY lol${i + 1} "${`&lol${i === 0 ? '' : i};`.repeat(10)}">`).join('')}]><entry xmlns="${ATOM_NS}">&lol9;</entry>`;
    await expectRefused(post(emu, '/api/Assets', atom, lol, atom), 400, 'DTDs are not allowed', 'atom');
    await expectRefused(post(emu, '/api/Assets', atom, `<!DOCTYPE e [<!ENTITY x SYSTEM "file:///etc/passwd">]>${atomEntry({ Name: '&x;' })}`), 400, 'DTDs are not allowed');
    await expectRefused(post(emu, '/api/Assets', 'application/xml', `<!DOCTYPE e SYSTEM "http://127.0.0.1:9/x.dtd">${atomEntry({ Name: 'x' })}`, 'application/json;odata=verbose'), 400, 'DTDs are not allowed', 'json-verbose');
  });

  it('applies to $links bodies too', async () => {
    const asset = await emu.ams('POST', 'Assets', { body: { Name: 'links' } });
    const path = `/api/Assets('${encodeURIComponent(String(asset.body.Id))}')/$links/ContentKeys`;
    await expectRefused(post(emu, path, 'application/xml', `<uri xmlns="${DATA_NS}">${'<a>'.repeat(40)}${'</a>'.repeat(40)}</uri>`, atom), 400, 'nested deeper than 32 levels', 'atom');
    await expectRefused(post(emu, path, 'application/json', `{"uri":${nestedJson(40, 'array')}}`), 400, 'nests deeper than 32 levels');
  });
});
