import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AMS_HEADERS, rawRequest, startTestEmulator, type RawResponse, type TestEmulator } from '../../../test/support/emulator.js';
import { batchBody, readBatchResponse } from '../../../client/src/rest/batch-wire.js';
import { METADATA_NS, parseXml } from '../helpers/clients-xml.js';

/**
 * Bodies no real client sends but a broken or hostile one might: each gets a clear 400 (413 for
 * size) in the format the client asked for, and the emulator serves the next request as before.
 */

let emu: TestEmulator;
beforeAll(async () => {
  emu = await startTestEmulator();
});
afterAll(() => emu.close());

const ATOM_CLIENT = { ...AMS_HEADERS, Accept: 'application/atom+xml,application/xml', 'Content-Type': 'application/atom+xml' };
const D = 'http://schemas.microsoft.com/ado/2007/08/dataservices';

function post(body: string | Buffer, headers: Record<string, string> = ATOM_CLIENT, path = '/api/Assets'): Promise<RawResponse> {
  return rawRequest(emu.baseUrl, 'POST', path, { ...headers, 'Content-Length': String(Buffer.byteLength(body)) }, body);
}

/** The message of an Atom `<error>` (and that it is one). */
function atomError(res: RawResponse): string {
  expect(res.headers['content-type']).toMatch(/^application\/xml/);
  const error = parseXml(res.text);
  expect([error.uri, error.local]).toEqual([METADATA_NS, 'error']);
  return error.children.find((c) => c.local === 'message')!.text;
}

async function expectHealthy(): Promise<void> {
  const asset = await emu.ams('POST', 'Assets', { body: { Name: 'still serving' } });
  expect(asset.status, asset.text).toBe(201);
  expect((await emu.ams('GET', 'MediaProcessors')).status).toBe(200);
}

const entry = (properties: string, root = '<entry xmlns="http://www.w3.org/2005/Atom" xmlns:d="http://schemas.microsoft.com/ado/2007/08/dataservices" xmlns:m="http://schemas.microsoft.com/ado/2007/08/dataservices/metadata">') =>
  `${root}<content type="application/xml"><m:properties>${properties}</m:properties></content></entry>`;

describe('hostile and malformed bodies', () => {
  it.each([
    ['malformed XML (an unclosed element)', '<entry xmlns="http://www.w3.org/2005/Atom"><content type="application/xml">', /XML|well-formed|end/i],
    ['a wrong namespace on the entry', '<entry xmlns="http://example.com/not-atom"><content/></entry>', /must be an Atom entry/],
    ['properties in a wrong namespace', entry('<x:Name xmlns:x="http://example.com/data">n</x:Name>'), /namespace|property/i],
    ['an unknown property', entry('<d:Nmae>typo</d:Nmae>'), /Make sure to only use property names that are defined by the type.*Nmae/],
    ['a value of the wrong type', entry('<d:Options>one</d:Options>'), /Options/],
    ['an external entity (XXE)', `<?xml version="1.0"?><!DOCTYPE e [<!ENTITY x SYSTEM "file:///etc/passwd">]>${entry('<d:Name>&x;</d:Name>')}`, /DOCTYPE|DTD|entit/i],
    ['nesting 100,000 levels deep', `${'<a>'.repeat(100_000)}${'</a>'.repeat(100_000)}`, /deep|depth|nest/i],
  ])('%s: 400 as an Atom error, and the emulator carries on', async (_name, body, message) => {
    const res = await post(body);
    expect(res.status, res.text).toBe(400);
    expect(atomError(res)).toMatch(message);
    expect(res.text).not.toContain('root:');
    await expectHealthy();
  });

  it('a billion-laughs document: 400 at once, without expanding anything', async () => {
    const lol = ['<!ENTITY lol "lol">', ...Array.from({ length: 9 }, (_, i) => `<!ENTITY lol${i + 1} "${`&lol${i === 0 ? '' : i};`.repeat(10)}">`)].join('');
    const body = `<?xml version="1.0"?><!DOCTYPE lolz [${lol}]>${entry('<d:Name>&lol9;</d:Name>')}`;
    const before = process.memoryUsage().rss;
    const started = performance.now();
    const res = await post(body);
    expect(res.status).toBe(400);
    expect(atomError(res)).toMatch(/DOCTYPE|DTD|entit/i);
    expect(performance.now() - started).toBeLessThan(2000);
    expect(process.memoryUsage().rss - before).toBeLessThan(64 * 1024 * 1024);
    await expectHealthy();
  });

  it('a body of 50 MB: 413 in the format asked for (Atom error for an Atom client, JSON otherwise), and the process unharmed', async () => {
    const big = Buffer.alloc(50 * 1024 * 1024, 0x20);
    big.write(`<entry xmlns="http://www.w3.org/2005/Atom"><content type="application/xml"><m:properties xmlns:m="${D}/metadata"><d:Name xmlns:d="${D}">`, 0);
    const atom = await post(big);
    expect(atom.status).toBe(413);
    expect(atomError(atom)).toMatch(/larger than the emulator's limit of 4194304 bytes/);
    const json = await post(big, { ...AMS_HEADERS, 'Content-Type': 'application/json' });
    expect(json.status).toBe(413);
    expect(JSON.parse(json.text)['odata.error'].message.value).toMatch(/larger than the emulator's limit/);
    await expectHealthy();
  });

  it('a hostile body inside a $batch part is that part\'s 400; the batch and the process carry on', async () => {
    const boundary = 'batch_hostile';
    const body = batchBody(boundary, [
      { changeset: [{ method: 'POST', url: 'Assets', headers: { 'Content-Type': 'application/atom+xml', Accept: 'application/atom+xml' }, body: `<!DOCTYPE a [<!ENTITY a "aaaa">]>${entry('<d:Name>&a;</d:Name>')}` }] },
      { method: 'GET', url: 'MediaProcessors', headers: { Accept: 'application/json' } },
    ]);
    const res = await post(body, { ...AMS_HEADERS, 'Content-Type': `multipart/mixed; boundary=${boundary}`, Accept: 'multipart/mixed' }, '/api/$batch');
    expect(res.status).toBe(202);
    const [cs, query] = readBatchResponse(String(res.headers['content-type']), res.text);
    if (!cs || !('changeset' in cs) || !query || 'changeset' in query) throw new Error('unexpected batch shape');
    expect(cs.changeset[0]!.status).toBe(400);
    expect(cs.changeset[0]!.headers['content-type']).toMatch(/^application\/xml/);
    expect(query.status).toBe(200);
    await expectHealthy();
  });
});
