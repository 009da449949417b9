import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { AMS_HEADERS, rawRequest, startTestEmulator, type TestEmulator } from '../../../test/support/emulator.js';
import { atomEntries, atomProperties, parseXml, relatedHref, xmlBase } from '../helpers/clients-xml.js';

/**
 * Connecting like the real service: the legacy root's 301 that clients re-issue their call after,
 * and URLs that follow the Host the client used, under the `<account>.restv2.<region>.<domain>`
 * name the .NET SDK insists on (docs/real-clients.md tells users to map one in the hosts file).
 */

let emu: TestEmulator;
let port: string;
beforeAll(async () => {
  emu = await startTestEmulator();
  port = new URL(emu.baseUrl).port;
});
afterAll(() => emu.close());
beforeEach(() => emu.reset());

/** The .NET SDK's endpoint check (NET/CF), case-insensitive. */
const DOTNET_HOST_RULE = /^[a-z0-9]{3,24}\.restv2\.[^.]+\..+$/i;

/** The hosts-file line docs/real-clients.md gives. */
function documentedHost(): string {
  const doc = readFileSync(new URL('../../../docs/real-clients.md', import.meta.url), 'utf8');
  const m = /^127\.0\.0\.1\s+(\S+)\s*$/m.exec(doc);
  if (!m) throw new Error('docs/real-clients.md has no hosts-file line');
  return m[1]!;
}

/** A request that reached the emulator under `host` (as through a hosts-file entry), byte for byte. */
function asHost(host: string, method: string, path: string, headers: Record<string, string> = AMS_HEADERS, body?: string) {
  return rawRequest(emu.baseUrl, method, path, { ...headers, Host: host, ...(body !== undefined ? { 'Content-Length': String(Buffer.byteLength(body)) } : {}) }, body);
}

describe('the legacy root', () => {
  it('a first call to / answers 301 with Location <base>/api/ under the Host used; the client re-issues its POST there', async () => {
    const host = `myaccount.restv2.westus.media.azure.net:${port}`;
    const body = JSON.stringify({ Name: 'after the redirect' });
    const first = await asHost(host, 'POST', '/', { ...AMS_HEADERS, 'Content-Type': 'application/json' }, body);
    expect(first.status).toBe(301);
    expect(first.headers['location']).toBe(`http://${host}/api/`);
    expect(first.text).toContain('Object moved');
    // Nothing was created by the redirected call: the client must re-issue it.
    expect((await emu.ams('GET', 'Assets')).body.value).toEqual([]);
    const location = new URL(String(first.headers['location']));
    const again = await asHost(location.host, 'POST', `${location.pathname}Assets`, { ...AMS_HEADERS, 'Content-Type': 'application/json' }, body);
    expect(again.status, again.text).toBe(201);
    expect(again.headers['location']).toMatch(new RegExp(`^http://${host.replace(/\./g, '\\.')}/api/Assets\\('nb%3Acid%3AUUID%3A`));
  });

  it('GET / answers 301 for every client, and GET /api/ the service document (the .NET SDK accepts either)', async () => {
    const root = await asHost(`127.0.0.1:${port}`, 'GET', '/', { Accept: 'application/atom+xml,application/xml' });
    expect(root.status).toBe(301);
    expect(root.headers['location']).toBe(`http://127.0.0.1:${port}/api/`);
    const api = await asHost(`emu.restv2.local.test:${port}`, 'GET', '/api/', { ...AMS_HEADERS, Accept: 'application/atom+xml,application/xml' });
    expect(api.status).toBe(200);
    const service = parseXml(api.text);
    expect(service.local).toBe('service');
    expect(xmlBase(service)).toBe(`http://emu.restv2.local.test:${port}/api/`);
  });
});

describe('the legacy root without its slash, and entity sets under the root', () => {
  it('/API and /api without the slash (any case, any verb) answer 301 to <base>/api/ with the query kept; a client following it gets the service', async () => {
    const host = `127.0.0.1:${port}`;
    for (const [method, path] of [['GET', '/API'], ['GET', '/api'], ['POST', '/Api'], ['DELETE', '/aPI'], ['GET', '/API?$format=json']] as const) {
      const res = await asHost(host, method, path, AMS_HEADERS, method === 'POST' ? '{}' : undefined);
      expect(res.status, `${method} ${path}`).toBe(301);
      expect(res.headers['location']).toBe(`http://${host}/api/${path.includes('?') ? '?$format=json' : ''}`);
    }
    // amspy's get_url: requests follows the 301 and keeps the final URL as its base.
    const followed = await fetch(`${emu.baseUrl}API`, { headers: AMS_HEADERS });
    expect(followed.status).toBe(200);
    expect(followed.url).toBe(`${emu.baseUrl}api/`);
    const service = (await followed.json()) as { value: { url: string }[] };
    expect(service.value.map((s) => s.url)).toContain('Assets');
  });

  it('an entity set, function, $metadata or $batch under the bare root (any case) answers 301 to /api/<same path>?<same query>', async () => {
    const names = ['Assets', 'Files', 'ContentKeys', 'AccessPolicies', 'Locators', 'Jobs', 'Tasks', 'MediaProcessors', 'StorageAccounts', '$metadata', '$batch', 'GetProtectionKeyId', 'GetProtectionKey', 'RebindContentKey', 'CreateFileInfos', 'CancelJob'];
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...names),
        fc.array(fc.boolean(), { minLength: 20, maxLength: 20 }),
        fc.constantFrom('', "('nb%3Acid%3AUUID%3A1')", "('x')/Files", '/$count'),
        fc.constantFrom('', '?$top=1', "?assetid='nb%3Acid%3AUUID%3A1'&x=%2F"),
        fc.constantFrom('GET', 'POST', 'MERGE', 'DELETE'),
        async (name, upper, rest, query, method) => {
          const cased = [...name].map((c, i) => (upper[i] ? c.toUpperCase() : c.toLowerCase())).join('');
          const path = `/${cased}${rest}${query}`;
          const res = await rawRequest(emu.baseUrl, method, path, { ...AMS_HEADERS, 'Content-Length': '0' });
          expect(res.status, `${method} ${path}`).toBe(301);
          expect(res.headers['location']).toBe(`${emu.baseUrl}api${path}`);
        },
      ),
      { numRuns: 60 },
    );
    expect((await emu.ams('GET', 'Assets')).body.value).toEqual([]);
  });

  it('other paths under the root keep their 404', async () => {
    for (const path of ['/Nothing', '/favicon.ico', '/api2', '/apiAssets', '/Asset', '/AssetsX', '/%E0%A4%A']) {
      const res = await rawRequest(emu.baseUrl, 'GET', path, AMS_HEADERS);
      expect(res.status, path).toBe(path.startsWith('/%E0') ? 400 : 404);
    }
  });
});

describe('URLs follow the Host', () => {
  it('the hosts-file name the docs give passes the .NET SDK endpoint rule, and the emulator serves it', async () => {
    const name = documentedHost();
    expect(name).toMatch(DOTNET_HOST_RULE);
    const res = await asHost(`${name}:${port}`, 'GET', '/api/MediaProcessors', AMS_HEADERS);
    expect(res.status).toBe(200);
    expect(JSON.parse(res.text)['odata.metadata']).toBe(`http://${name}:${port}/api/$metadata#MediaProcessors`);
  });

  it('Location, __metadata.uri, Atom id/xml:base/links and an origin locator\'s BaseUri use Host: myaccount.restv2.westus.media.azure.net:PORT', async () => {
    const host = `myaccount.restv2.westus.media.azure.net:${port}`;
    const root = `http://${host}/api/`;
    const verbose = await asHost(host, 'POST', '/api/Assets', { ...AMS_HEADERS, Accept: 'application/json;odata=verbose', 'Content-Type': 'application/json' }, '{"Name":"hosted"}');
    const asset = JSON.parse(verbose.text).d;
    const assetPath = `Assets('${encodeURIComponent(asset.Id)}')`;
    expect(verbose.headers['location']).toBe(root + assetPath);
    expect(asset.__metadata.uri).toBe(root + assetPath);
    expect(asset.Files.__deferred.uri).toBe(`${root}${assetPath}/Files`);

    const atom = await asHost(host, 'GET', `/api/${assetPath}`, { ...AMS_HEADERS, Accept: 'application/atom+xml' });
    const doc = parseXml(atom.text);
    expect(xmlBase(doc)).toBe(root);
    expect(doc.children.find((c) => c.local === 'id')!.text).toBe(root + assetPath);
    expect(relatedHref(doc, atomEntries(doc)[0]!, 'Files')).toBe(`${root}${assetPath}/Files`);

    const policy = JSON.parse((await asHost(host, 'POST', '/api/AccessPolicies', { ...AMS_HEADERS, 'Content-Type': 'application/json' }, '{"Name":"read","DurationInMinutes":60,"Permissions":1}')).text);
    const origin = await asHost(host, 'POST', '/api/Locators', { ...AMS_HEADERS, Accept: 'application/atom+xml', 'Content-Type': 'application/json' }, JSON.stringify({ AssetId: asset.Id, AccessPolicyId: policy.Id, Type: 2 }));
    expect(origin.status, origin.text).toBe(201);
    const locator = atomProperties(atomEntries(parseXml(origin.text))[0]!);
    expect(locator['BaseUri']).toBe(`http://${host}/origin`);
    expect(locator['Path']).toMatch(new RegExp(`^http://${host.replace(/\./g, '\\.')}/origin/[0-9a-f-]{36}/$`));
    // A SAS locator's BaseUri is the storage account's (Azurite's), as the service's was.
    const write = JSON.parse((await asHost(host, 'POST', '/api/AccessPolicies', { ...AMS_HEADERS, 'Content-Type': 'application/json' }, '{"Name":"write","DurationInMinutes":60,"Permissions":2}')).text);
    const sas = JSON.parse((await asHost(host, 'POST', '/api/Locators', { ...AMS_HEADERS, 'Content-Type': 'application/json' }, JSON.stringify({ AssetId: asset.Id, AccessPolicyId: write.Id, Type: 1 }))).text);
    expect(sas.BaseUri).toBe(asset.Uri);
  });

  it('a Host that is not a host name is not echoed: links fall back to the address the request reached', async () => {
    const res = await asHost('evil.example/"><script>', 'POST', '/api/Assets', { ...AMS_HEADERS, 'Content-Type': 'application/json' }, '{"Name":"x"}');
    expect(res.status).toBe(201);
    expect(res.headers['location']).toMatch(new RegExp(`^http://127\\.0\\.0\\.1:${port}/api/Assets\\(`));
  });
});
