import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { entityPath, startTestEmulator, type JsonBody, type TestEmulator } from '../../../test/support/emulator.js';
import { createAsset, createStorageKey, linkKey, protectionKey } from '../helpers/api-fixtures.js';
import { ATOM_NS, atomEntries, atomProperties, DATA_NS, METADATA_NS, parseXml, rootText, XML_NS } from '../helpers/clients-xml.js';

/**
 * Content negotiation the way each client asks (Accept lists, charset and type parameters on
 * bodies), and the exact XML and JSON verbose documents the clients parse.
 */

let emu: TestEmulator;
beforeAll(async () => {
  emu = await startTestEmulator();
});
afterAll(() => emu.close());
beforeEach(() => emu.reset());

const ATOM_ENTRY = (name: string) =>
  `<entry xmlns="http://www.w3.org/2005/Atom" xmlns:d="${DATA_NS}" xmlns:m="${METADATA_NS}"><content type="application/xml"><m:properties><d:Name>${name}</d:Name></m:properties></content></entry>`;

describe('Accept', () => {
  it.each([
    ['application/atom+xml (Java)', 'application/atom+xml', 'atom'],
    ['application/xml', 'application/xml', 'atom'],
    ['application/atom+xml,application/xml (.NET, PHP)', 'application/atom+xml,application/xml', 'atom'],
    ['application/xml,application/xml (Java functions)', 'application/xml,application/xml', 'atom'],
    ['application/json (the REST docs)', 'application/json', 'json-minimal'],
    ['application/json;odata=verbose (fritzy)', 'application/json;odata=verbose', 'json-verbose'],
    ['application/json;odata=minimalmetadata', 'application/json;odata=minimalmetadata', 'json-minimal'],
    ['application/json;odata=nometadata', 'application/json;odata=nometadata', 'json-nometadata'],
    ['*/*', '*/*', 'json-minimal'],
    ['q-values: JSON at 0.5, Atom at 1', 'application/json;q=0.5, application/atom+xml', 'atom'],
    ['none', undefined, 'json-minimal'],
  ])('%s', async (_name, accept, format) => {
    const asset = await createAsset(emu, { Name: 'negotiated' });
    const res = await emu.ams('GET', entityPath('Assets', String(asset.Id)), { headers: { Accept: accept } });
    expect(res.status).toBe(200);
    const type = res.headers.get('content-type')!;
    if (format === 'atom') {
      expect(type).toBe('application/atom+xml;type=entry;charset=utf-8');
      expect(atomProperties(atomEntries(parseXml(res.text))[0]!)['Name']).toBe('negotiated');
    } else if (format === 'json-verbose') {
      expect(type).toBe('application/json;odata=verbose;charset=utf-8');
      expect(res.body.d.Name).toBe('negotiated');
    } else if (format === 'json-nometadata') {
      expect(type).toMatch(/^application\/json;odata=nometadata/);
      expect(res.body['odata.metadata']).toBeUndefined();
      expect(res.body.Name).toBe('negotiated');
    } else {
      expect(type).toBe('application/json;odata=minimalmetadata;streaming=true;charset=utf-8');
      expect(res.body['odata.metadata']).toBe(`${emu.url}$metadata#Assets/@Element`);
    }
  });

  it('answers a feed as ;type=feed, and 406 for an Accept that lists nothing the service writes', async () => {
    await createAsset(emu, { Name: 'one' });
    const feed = await emu.ams('GET', 'Assets', { headers: { Accept: 'application/atom+xml,application/xml' } });
    expect(feed.headers.get('content-type')).toBe('application/atom+xml;type=feed;charset=utf-8');
    expect(atomEntries(parseXml(feed.text))).toHaveLength(1);
    const html = await emu.ams('GET', 'Assets', { headers: { Accept: 'text/html' } });
    expect(html.status).toBe(406);
  });
});

describe('Content-Type of request bodies', () => {
  it.each([
    'application/atom+xml',
    'application/atom+xml;charset=utf-8',
    'application/atom+xml;type=entry',
    'application/atom+xml;type=entry;charset=utf-8',
    'application/atom+xml; charset="UTF-8"',
    'application/xml',
    'text/xml',
  ])('Atom entry sent as %s', async (contentType) => {
    const res = await emu.ams('POST', 'Assets', { headers: { 'Content-Type': contentType, Accept: 'application/atom+xml' }, body: ATOM_ENTRY('typed') });
    expect(res.status, res.text).toBe(201);
  });

  it.each(['application/json', 'application/json;charset=utf-8', 'application/json;odata=verbose', 'application/json;odata=verbose;charset=UTF-8', 'application/json; odata=minimalmetadata'])('JSON sent as %s', async (contentType) => {
    const res = await emu.ams('POST', 'Assets', { headers: { 'Content-Type': contentType }, body: '{"Name":"json"}' });
    expect(res.status, res.text).toBe(201);
  });

  it('sniffs a body sent without Content-Type, and refuses UTF-16 and unknown types with 415', async () => {
    const noneXml = await fetch(`${emu.url}Assets`, { method: 'POST', headers: { Authorization: 'Bearer t', 'x-ms-version': '2.19', Accept: 'application/json' }, body: new Blob([ATOM_ENTRY('sniffed xml')]) });
    expect(noneXml.status, await noneXml.clone().text()).toBe(201);
    expect(((await noneXml.json()) as { Name: string }).Name).toBe('sniffed xml');
    const utf16 = await emu.ams('POST', 'Assets', { headers: { 'Content-Type': 'application/json;charset=utf-16' }, body: '{"Name":"x"}' });
    expect(utf16.status).toBe(415);
    const text = await emu.ams('POST', 'Assets', { headers: { 'Content-Type': 'text/plain' }, body: '{"Name":"x"}' });
    expect(text.status).toBe(415);
  });
});

describe('XML documents that are not entries', () => {
  it('function results: one element named after the function in the dataservices namespace', async () => {
    const key = await createStorageKey(emu, await protectionKey(emu));
    for (const [path, name] of [
      ['GetProtectionKeyId?contentKeyType=1', 'GetProtectionKeyId'],
      [`GetProtectionKey?ProtectionKeyId='${emu.emulator.protectionKeyId}'`, 'GetProtectionKey'],
      [`RebindContentKey?id='${encodeURIComponent(key.id)}'&x509Certificate=''`, 'RebindContentKey'],
    ] as const) {
      const res = await emu.ams('GET', path, { headers: { Accept: 'application/xml,application/xml' } });
      expect(res.headers.get('content-type')).toBe('application/xml;charset=utf-8');
      expect(res.text).toMatch(new RegExp(`^<\\?xml version="1.0" encoding="utf-8" standalone="yes"\\?><${name} xmlns="${DATA_NS}">[^<]+</${name}>$`));
      expect(rootText(parseXml(res.text), name, DATA_NS).length).toBeGreaterThan(0);
    }
  });

  it('$links: <links> of <uri> in the dataservices namespace, one <uri> for a single link', async () => {
    const key = await createStorageKey(emu, await protectionKey(emu));
    const asset = await createAsset(emu, { Name: 'linked', Options: 1 });
    await linkKey(emu, String(asset.Id), key.id);
    const keyUrl = `${emu.url}${entityPath('ContentKeys', key.id)}`;
    const all = await emu.ams('GET', `${entityPath('Assets', String(asset.Id))}/$links/ContentKeys`, { headers: { Accept: 'application/xml' } });
    const links = parseXml(all.text);
    expect([links.uri, links.local]).toEqual([DATA_NS, 'links']);
    expect(links.children.map((c) => [c.uri, c.local, c.text])).toEqual([[DATA_NS, 'uri', keyUrl]]);
    const one = await emu.ams('GET', `${entityPath('Assets', String(asset.Id))}/$links/${entityPath('ContentKeys', key.id)}`, { headers: { Accept: 'application/xml' } });
    expect(rootText(parseXml(one.text), 'uri', DATA_NS)).toBe(keyUrl);
  });

  it('errors: <error xmlns=".../metadata"><code/><message xml:lang="en-US">', async () => {
    const res = await emu.ams('GET', "Assets('nb:cid:UUID:00000000-0000-0000-0000-000000000000')", { headers: { Accept: 'application/atom+xml,application/xml' } });
    expect(res.status).toBe(404);
    expect(res.headers.get('content-type')).toBe('application/xml;charset=utf-8');
    const error = parseXml(res.text);
    expect([error.uri, error.local]).toEqual([METADATA_NS, 'error']);
    expect(error.children.map((c) => c.local)).toEqual(['code', 'message']);
    const message = error.children[1]!;
    expect(message.attrs[`{${XML_NS}}lang`]).toBe('en-US');
    expect(message.text).toMatch(/No Asset with Id 'nb:cid:UUID:00000000-0000-0000-0000-000000000000'/);
  });

  it('entries: xml:base, id, category with the model type, edit and related links, m:type on non-strings', async () => {
    const asset = await createAsset(emu, { Name: 'entry' });
    const res = await emu.ams('GET', entityPath('Assets', String(asset.Id)), { headers: { Accept: 'application/atom+xml' } });
    const entry = parseXml(res.text);
    expect(entry.attrs[`{${XML_NS}}base`]).toBe(emu.url);
    const id = entry.children.find((c) => c.uri === ATOM_NS && c.local === 'id')!;
    expect(id.text).toBe(`${emu.url}${entityPath('Assets', String(asset.Id))}`);
    const category = entry.children.find((c) => c.local === 'category')!;
    expect(category.attrs['term']).toBe('Microsoft.Cloud.Media.Vod.Rest.Data.Models.Asset');
    const links = entry.children.filter((c) => c.local === 'link').map((l) => [l.attrs['rel'], l.attrs['href']]);
    expect(links).toContainEqual(['edit', entityPath('Assets', String(asset.Id))]);
    expect(links).toContainEqual([`${DATA_NS}/related/Files`, `${entityPath('Assets', String(asset.Id))}/Files`]);
    expect(res.text).toContain('<d:Options m:type="Edm.Int32">0</d:Options>');
    expect(res.text).toMatch(/<d:Created m:type="Edm\.DateTime">\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{7}Z<\/d:Created>/);
  });
});

describe('JSON verbose', () => {
  it('entities with __metadata id/uri/type and __deferred navigation, \\/Date(ms)\\/ dates, Int64 as strings, doubles with a point', async () => {
    const asset = await createAsset(emu, { Name: 'verbose' });
    const res = await emu.ams('GET', entityPath('Assets', String(asset.Id)), { headers: { Accept: 'application/json;odata=verbose' } });
    const uri = `${emu.url}${entityPath('Assets', String(asset.Id))}`;
    expect(res.body.d.__metadata).toEqual({ id: uri, uri, type: 'Microsoft.Cloud.Media.Vod.Rest.Data.Models.Asset' });
    for (const nav of ['Locators', 'ContentKeys', 'Files', 'ParentAssets', 'StorageAccount']) expect(res.body.d[nav]).toEqual({ __deferred: { uri: `${uri}/${nav}` } });
    expect(res.text).toMatch(/"Created":"\\\/Date\(\d+\)\\\/"/);
    expect(res.body.d.Created).toBe(`/Date(${Date.parse(String(asset.Created))})/`);
    const policy = await emu.ams('POST', 'AccessPolicies', { headers: { Accept: 'application/json;odata=verbose' }, body: { Name: 'p', DurationInMinutes: 440, Permissions: 1 } });
    expect(policy.text).toContain('"DurationInMinutes":440.0');
    const file = await emu.ams('POST', 'Files', { headers: { Accept: 'application/json;odata=verbose' }, body: { Name: 'f.mp4', ParentAssetId: asset.Id } });
    expect(file.text).toContain('"ContentFileSize":"0"');
  });

  it('feeds as {"d":{"results":[...]}}, functions as {"d":{"<Function>": ...}}, errors as {"error": ...}', async () => {
    await createAsset(emu, { Name: 'a' });
    const verbose = { Accept: 'application/json;odata=verbose' };
    const feed = await emu.ams('GET', 'Assets', { headers: verbose });
    expect(Object.keys(feed.body)).toEqual(['d']);
    expect(feed.body.d.results.map((a: JsonBody) => a.Name)).toEqual(['a']);
    const empty = await emu.ams('GET', "Assets?$filter=Name eq 'none'", { headers: verbose });
    expect(empty.body).toEqual({ d: { results: [] } });
    const fn = await emu.ams('GET', 'GetProtectionKeyId?contentKeyType=1', { headers: verbose });
    expect(fn.body).toEqual({ d: { GetProtectionKeyId: emu.emulator.protectionKeyId } });
    const error = await emu.ams('GET', 'Nope', { headers: verbose });
    expect(error.body.error.message).toMatchObject({ lang: 'en-US', value: expect.stringMatching(/Resource not found for the segment 'Nope'/) });
  });
});
