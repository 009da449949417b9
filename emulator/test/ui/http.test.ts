import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { banner } from '../../src/cli.js';
import { ensureBuilt } from '../../../test/support/build.js';
import { entityPath, rawRequest, startTestEmulator, type TestEmulator } from '../../../test/support/emulator.js';
import { createAsset, createStorageKey, protectionKey } from '../helpers/api-fixtures.js';

/**
 * The dashboard over real HTTP: what is served and how (types, CSP, no remote origin), the same
 * Host and cross-site rules as the rest of /_emulator, and the two small additions it stands on
 * (GET /_emulator/summary, and polls that stay out of the request log).
 */

let emu: TestEmulator;
beforeAll(async () => {
  await ensureBuilt(); // the browser modules are served from the build
  emu = await startTestEmulator();
}, 180_000);
afterAll(() => emu.close());

/** Every module the page loads: main.js and, transitively, what it imports. */
async function modules(): Promise<Map<string, string>> {
  const seen = new Map<string, string>();
  const queue = ['main.js'];
  while (queue.length > 0) {
    const name = queue.shift()!;
    if (seen.has(name)) continue;
    const res = await request(emu.origin).get(`/_emulator/ui/js/${name}`);
    expect(res.status, `${name}: ${res.text}`).toBe(200);
    expect(res.headers['content-type']).toBe('text/javascript; charset=utf-8');
    seen.set(name, res.text);
    for (const m of res.text.matchAll(/from '\.\/([a-z-]+\.js)'/g)) queue.push(m[1]!);
  }
  return seen;
}

describe('what /_emulator/ui serves', () => {
  it('the page, with or without the trailing slash, as HTML that loads only this origin', async () => {
    for (const path of ['/_emulator/ui', '/_emulator/ui/']) {
      const res = await request(emu.origin).get(path);
      expect(res.status).toBe(200);
      expect(res.headers['content-type']).toBe('text/html; charset=utf-8');
      expect(res.headers['x-content-type-options']).toBe('nosniff');
      expect(res.text).toContain('<script type="module" src="/_emulator/ui/js/main.js"></script>');
      expect(res.text).toContain('<link rel="stylesheet" href="/_emulator/ui/style.css">');
    }
  });

  it('a CSP that allows no remote origin, no inline script and no framing', async () => {
    const res = await request(emu.origin).get('/_emulator/ui');
    const csp = String(res.headers['content-security-policy']);
    const directives = new Map(csp.split(';').map((d) => d.trim().split(/\s+/)).map(([name, ...sources]) => [name!, sources]));
    expect(directives.get('default-src')).toEqual(["'none'"]);
    expect(directives.get('script-src')).toEqual(["'self'"]);
    expect(directives.get('frame-ancestors')).toEqual(["'none'"]);
    for (const [name, sources] of directives) {
      for (const source of sources) expect(["'self'", "'none'", 'data:'], `${name} ${source}`).toContain(source);
    }
  });

  it('the stylesheet and every module the page imports, with their types, none naming a remote URL', async () => {
    const css = await request(emu.origin).get('/_emulator/ui/style.css');
    expect(css.status).toBe(200);
    expect(css.headers['content-type']).toBe('text/css; charset=utf-8');
    const page = await request(emu.origin).get('/_emulator/ui');
    const loaded = await modules();
    expect([...loaded.keys()].sort()).toEqual(['account.js', 'api.js', 'dom.js', 'faults.js', 'main.js', 'overview.js', 'verdicts.js', 'verifications.js']);
    for (const [name, text] of [['page', page.text], ['css', css.text], ...loaded] as const) expect(text, name).not.toMatch(/https?:\/\//);
  });

  it('nothing outside the compiled modules: 404 with an OData error', async () => {
    for (const path of ['/_emulator/ui/js/Main.js', '/_emulator/ui/js/nothing.js', '/_emulator/ui/js/..%2f..%2fpackage.json', '/_emulator/ui/js/router.ts']) {
      const res = await rawRequest(emu.baseUrl, 'GET', path, { Accept: 'application/json' });
      expect(res.status, path).toBe(404);
      expect(res.text).toContain('odata.error');
    }
  });

  it('the banner names the dashboard', () => {
    expect(banner(emu.emulator)).toContain(`Dashboard:            ${emu.baseUrl}_emulator/ui`);
  });
});

describe('the same exposure rules as the rest of /_emulator', () => {
  it('a foreign Host (DNS rebinding) is refused; loopback names are served', async () => {
    const port = new URL(emu.baseUrl).port;
    const foreign = await rawRequest(emu.baseUrl, 'GET', '/_emulator/ui', { Host: `rebind.example.com:${port}` });
    expect(foreign.status).toBe(403);
    expect(foreign.text).toContain('ForeignHost');
    for (const host of [`localhost:${port}`, `127.0.0.1:${port}`, `dashboard.localhost:${port}`]) {
      expect((await rawRequest(emu.baseUrl, 'GET', '/_emulator/ui', { Host: host })).status, host).toBe(200);
    }
  });

  it('the mutations the page makes are refused cross-site (a simple request) and served with Content-Type: application/json', async () => {
    const simple = await request(emu.origin).post('/_emulator/faults').set('Content-Type', 'text/plain').send('{"status":503}');
    expect(simple.status).toBe(403);
    expect(simple.text).toContain('CrossSiteProtection');
    expect((await request(emu.origin).delete('/_emulator/findings')).status).toBe(403);
    const added = await request(emu.origin).post('/_emulator/faults').set('Content-Type', 'application/json').send({ entity: 'Assets', status: 503 });
    expect(added.status).toBe(201);
    const removed = await request(emu.origin).delete(`/_emulator/faults/${added.body.faults[0].id}`).set('Content-Type', 'application/json');
    expect(removed.status).toBe(204);
  });
});

describe('what the dashboard stands on', () => {
  it('GET /_emulator/summary counts every entity set, the findings and the verifications', async () => {
    await emu.reset();
    const before = await emu.admin('GET', 'summary');
    expect(before.status).toBe(200);
    expect(before.body.counts).toMatchObject({ Assets: 0, Files: 0, ContentKeys: 0, AccessPolicies: 0, Locators: 0, Jobs: 0, Tasks: 0 });
    // The default streaming endpoint and the account's reserved-unit row are listed from the
    // start, as a GET of their sets shows them, though neither is stored until first touched.
    const { StreamingEndpoints, ReservedUnits, ...rest } = before.body.counts as Record<string, number>;
    expect([StreamingEndpoints, ReservedUnits]).toEqual([1, 1]);
    expect(Object.values(rest).every((n) => n === 0)).toBe(true);
    const listed = await emu.ams('GET', 'StreamingEndpoints');
    expect(listed.status).toBe(200);
    expect(((await emu.admin('GET', 'summary')).body.counts as Record<string, number>).StreamingEndpoints).toBe((listed.body.value as unknown[]).length);
    const reserved = await emu.ams('GET', 'EncodingReservedUnitTypes');
    expect((reserved.body.value as unknown[]).length).toBe(ReservedUnits);
    for (const name of ['a', 'b']) expect((await emu.ams('POST', 'Assets', { body: { Name: name } })).status).toBe(201);
    expect((await emu.ams('POST', 'AccessPolicies', { body: { Name: 'p', DurationInMinutes: 10, Permissions: 1 } })).status).toBe(201);
    expect((await emu.ams('GET', 'Assets', { headers: { 'x-ms-version': '9.9' } })).status).toBe(200); // a finding: unsupported-api-version
    const after = await emu.admin('GET', 'summary');
    expect(after.body.counts).toMatchObject({ Assets: 2, AccessPolicies: 1, Files: 0 });
    expect(after.body.findings).toBe(1);
    expect(after.body.verifications).toBe(0);
  });

  it('GET /_emulator/content-keys/<id>/assets lists the assets a key is linked to; 400 for a malformed id, 404 for an unknown one', async () => {
    await emu.reset();
    const key = await createStorageKey(emu, await protectionKey(emu));
    const assets: string[] = [];
    for (const name of ['first', 'second', 'unlinked']) {
      assets.push((await createAsset(emu, { Name: name, Options: 1 })).Id as string);
    }
    for (const assetId of assets.slice(0, 2)) {
      const link = await emu.ams('POST', `${entityPath('Assets', assetId)}/$links/ContentKeys`, { body: { uri: `${emu.url}ContentKeys('${encodeURIComponent(key.id)}')` } });
      expect(link.status).toBe(204);
    }
    const linked = await emu.admin('GET', `content-keys/${encodeURIComponent(key.id)}/assets`);
    expect(linked.status).toBe(200);
    expect(linked.body).toEqual({ keyId: key.id, assets: [{ Id: assets[0], Name: 'first' }, { Id: assets[1], Name: 'second' }] });
    expect((await emu.admin('GET', `content-keys/${encodeURIComponent(`'${key.id}'`)}/assets`)).body.assets).toHaveLength(2);
    expect((await emu.admin('GET', 'content-keys/not-a-key/assets')).status).toBe(400);
    expect((await emu.admin('GET', `content-keys/${encodeURIComponent('nb:kid:UUID:00000000-0000-0000-0000-000000000001')}/assets`)).status).toBe(404);
  });

  it('a GET under /_emulator with X-AMS-Emulator-Watch, and the dashboard\'s own files, stay out of the request log; the same GET without it, and any /api call, do not', async () => {
    await emu.reset();
    await request(emu.origin).get('/_emulator/ui');
    await request(emu.origin).get('/_emulator/ui/js/main.js');
    await request(emu.origin).get('/_emulator/summary').set('X-AMS-Emulator-Watch', 'dashboard');
    await request(emu.origin).get('/_emulator/findings').set('X-AMS-Emulator-Watch', 'dashboard');
    await request(emu.origin).get('/_emulator/findings');
    await emu.ams('GET', 'Assets', { headers: { 'X-AMS-Emulator-Watch': 'dashboard' } });
    const log = await request(emu.origin).get('/_emulator/requests').set('X-AMS-Emulator-Watch', 'dashboard');
    expect((log.body.requests as Array<{ method: string; path: string }>).map((r) => `${r.method} ${r.path}`)).toEqual(['GET /_emulator/findings', 'GET /api/Assets']);
  });
});
