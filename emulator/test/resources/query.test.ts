import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { entityPath, rawRequest, startTestEmulator, type JsonBody, type TestEmulator } from '../../../test/support/emulator.js';
import { createAsset, createFile, errorMessage } from '../helpers/api-fixtures.js';

/**
 * Query options over HTTP, on real entity sets: each operator and function the issue names, the
 * encodings real clients used, paging with the 1000-entity cap, and a 400 naming any option the
 * emulator cannot serve (never a silently ignored filter).
 */

let emu: TestEmulator;
let assets: JsonBody[];
/** AccessPolicies made for the paging tests: cheap (no container), 1001 of them. */
const POLICIES = 1001;

const NAMES = ['alpha movie', 'beta movie', 'gamma trailer', 'delta', "o'brien"];

beforeAll(async () => {
  emu = await startTestEmulator();
  assets = [];
  for (const [i, name] of NAMES.entries()) assets.push(await createAsset(emu, { Name: name, Options: i % 2, AlternateId: i === 3 ? null : `alt-${i}` }));
  await createFile(emu, { Name: 'a.mp4', ParentAssetId: assets[0]!.Id, ContentFileSize: '100' });
  await createFile(emu, { Name: 'b.mp4', ParentAssetId: assets[0]!.Id, ContentFileSize: '5000000000' });
  await createFile(emu, { Name: 'c.mp4', ParentAssetId: assets[1]!.Id, ContentFileSize: '7' });
  // Policies in parallel batches: the paging tests need more than 1000 entities.
  for (let i = 0; i < POLICIES; i += 50) {
    await Promise.all(
      Array.from({ length: Math.min(50, POLICIES - i) }, (_, j) =>
        emu.ams('POST', 'AccessPolicies', { body: { Name: `p${String(i + j).padStart(4, '0')}`, DurationInMinutes: i + j + 1, Permissions: (i + j) % 16 } }).then((r) => {
          if (r.status !== 201) throw new Error(r.text);
        }),
      ),
    );
  }
}, 120_000);
afterAll(() => emu.close());

async function names(query: string): Promise<string[]> {
  const res = await emu.ams('GET', `Assets?${query}`);
  expect(res.status, `${query}: ${res.text}`).toBe(200);
  return (res.body.value as JsonBody[]).map((a) => String(a.Name));
}

describe('$filter', () => {
  it.each([
    ["Name eq 'delta'", ['delta']],
    ["Name ne 'delta'", NAMES.filter((n) => n !== 'delta')],
    ['Options gt 0', ['beta movie', 'delta']],
    ['Options lt 1', ['alpha movie', 'gamma trailer', "o'brien"]],
    ["Options eq 1 and Name eq 'delta'", ['delta']],
    ["Name eq 'delta' or Name eq 'alpha movie'", ['alpha movie', 'delta']],
    ["not (Name eq 'delta')", NAMES.filter((n) => n !== 'delta')],
    ["startswith(Name,'gam')", ['gamma trailer']],
    ["startswith(Name, 'gam') eq true", ['gamma trailer']],
    ["endswith(Name,'movie')", ['alpha movie', 'beta movie']],
    ["substringof('ta',Name)", ['beta movie', 'delta']],
    ["Name eq 'o''brien'", ["o'brien"]],
    ['AlternateId eq null', ['delta']],
  ])('%s', async (filter, expected) => {
    expect((await names(`$filter=${encodeURIComponent(filter)}`)).sort()).toEqual([...expected].sort());
  });

  it("reads '+' as a space ($filter=Name+eq+'delta'), and raw quotes and spaces", async () => {
    expect(await names("$filter=Name+eq+'delta'")).toEqual(['delta']);
    expect(await names("$filter=startswith(Name,'alpha+movie')")).toEqual(['alpha movie']);
    const raw = await rawRequest(emu.baseUrl, 'GET', "/api/Assets?$filter=Name%20eq%20'beta%20movie'");
    expect(raw.status).toBe(200);
    expect((JSON.parse(raw.text).value as JsonBody[]).map((a) => a.Name)).toEqual(['beta movie']);
  });

  it('filters by Id and by ParentAssetId, as the SDKs do', async () => {
    const byId = await emu.ams('GET', `Assets?$filter=${encodeURIComponent(`Id eq '${assets[2]!.Id}'`)}`);
    expect((byId.body.value as JsonBody[]).map((a) => a.Name)).toEqual(['gamma trailer']);
    const files = await emu.ams('GET', `Files?$filter=${encodeURIComponent(`ParentAssetId eq '${assets[0]!.Id}'`)}&$orderby=Name`);
    expect((files.body.value as JsonBody[]).map((f) => f.Name)).toEqual(['a.mp4', 'b.mp4']);
    const big = await emu.ams('GET', `Files?$filter=${encodeURIComponent('ContentFileSize gt 4294967296L')}`);
    expect((big.body.value as JsonBody[]).map((f) => f.Name)).toEqual(['b.mp4']);
  });

  it.each([
    ["Colour eq 'red'", /Colour/],
    ["Name eq 'unterminated", /\$filter|Invalid|unterminated|quote/i],
    ["Name eq 'a' and", /\$filter|Invalid|end/i],
    ['Options eq 1 1', /\$filter|Invalid/i],
  ])('refuses %s with a 400 that names the problem', async (filter, message) => {
    const res = await emu.ams('GET', `Assets?$filter=${encodeURIComponent(filter)}`);
    expect(res.status).toBe(400);
    expect(errorMessage(res.body)).toMatch(message);
  });
});

describe('$orderby, $top, $skip, $select, $inlinecount', () => {
  it('orders ascending and descending, by several keys', async () => {
    expect(await names('$orderby=Name')).toEqual([...NAMES].sort());
    expect(await names('$orderby=Name desc')).toEqual([...NAMES].sort().reverse());
    expect(await names('$orderby=Options desc,Name asc')).toEqual(['beta movie', 'delta', 'alpha movie', 'gamma trailer', "o'brien"]);
  });

  it('pages with $top and $skip', async () => {
    expect(await names('$orderby=Name&$top=2')).toEqual([...NAMES].sort().slice(0, 2));
    expect(await names('$orderby=Name&$skip=2&$top=2')).toEqual([...NAMES].sort().slice(2, 4));
    expect(await names('$orderby=Name&$skip=10')).toEqual([]);
    expect(await names('$top=0')).toEqual([]);
  });

  it('returns only the $select-ed properties', async () => {
    const res = await emu.ams('GET', `Assets?$select=Name,Id&$filter=${encodeURIComponent("Name eq 'delta'")}`);
    expect(res.status).toBe(200);
    expect(Object.keys(res.body.value[0]).sort()).toEqual(['Id', 'Name']);
    const one = await emu.ams('GET', `${entityPath('Assets', assets[0]!.Id)}?$select=Uri`);
    expect(one.status).toBe(200);
    expect(Object.keys(one.body).filter((k) => !k.startsWith('odata.'))).toEqual(['Uri']);
  });

  it('counts with $inlinecount=allpages (before paging), in minimal and verbose JSON', async () => {
    const minimal = await emu.ams('GET', 'Assets?$inlinecount=allpages&$top=1');
    expect(minimal.body['odata.count']).toBe(String(NAMES.length));
    expect(minimal.body.value).toHaveLength(1);
    const verbose = await emu.ams('GET', 'Assets?$inlinecount=allpages&$top=1', { headers: { Accept: 'application/json;odata=verbose' } });
    expect(verbose.body.d.__count).toBe(String(NAMES.length));
    expect(verbose.body.d.results).toHaveLength(1);
    const count = await emu.ams('GET', 'Assets/$count');
    expect(count.status).toBe(200);
    expect(count.text).toBe(String(NAMES.length));
  });

  it('answers $count and $value to Accept: text/plain, what they produce; a type they cannot produce is still 406', async () => {
    const count = await emu.ams('GET', 'Assets/$count', { headers: { Accept: 'text/plain' } });
    expect(count.status, count.text).toBe(200);
    expect(count.headers.get('content-type')).toMatch(/^text\/plain/);
    expect(count.text).toBe(String(NAMES.length));
    const first = (await emu.ams('GET', 'Assets?$top=1')).body.value[0];
    const name = await emu.ams('GET', `${entityPath('Assets', first.Id)}/Name/$value`, { headers: { Accept: 'text/plain' } });
    expect(name.status, name.text).toBe(200);
    expect(name.text).toBe(first.Name);
    expect((await emu.ams('GET', 'Assets/$count', { headers: { Accept: 'image/png' } })).status).toBe(406);
    // A missing set under text/plain: the 404 comes as JSON, the format errors default to.
    const missing = await emu.ams('GET', 'Nothing/$count', { headers: { Accept: 'text/plain' } });
    expect(missing.status).toBe(404);
    expect(missing.headers.get('content-type')).toMatch(/^application\/json/);
  });

  it('serves at most 1000 entities a page, with or without $top, and the rest with $skip', async () => {
    const all = await emu.ams('GET', 'AccessPolicies');
    expect(all.body.value).toHaveLength(1000);
    const big = await emu.ams('GET', 'AccessPolicies?$top=5000&$inlinecount=allpages');
    expect(big.body.value).toHaveLength(1000);
    expect(big.body['odata.count']).toBe(String(POLICIES));
    const rest = await emu.ams('GET', 'AccessPolicies?$skip=1000&$orderby=Name');
    expect((rest.body.value as JsonBody[]).map((p) => p.Name)).toEqual([`p${POLICIES - 1}`]);
    const filtered = await emu.ams('GET', `AccessPolicies?$filter=${encodeURIComponent('DurationInMinutes gt 999.5 and Permissions eq 8')}`);
    expect((filtered.body.value as JsonBody[]).every((p) => p.DurationInMinutes > 999.5 && p.Permissions === 8)).toBe(true);
    expect(filtered.body.value.length).toBeGreaterThan(0);
  });

  it.each([
    ['$expand=Files', /\$expand/],
    ['$foo=1', /\$foo/],
    ['$Top=1', /\$Top.*\$top/],
    ['$top=-1', /\$top/],
    ['$skip=x', /\$skip/],
    ['$orderby=Colour', /Colour/],
    ['$orderby=Name sideways', /\$orderby/],
    ['$select=Colour', /Colour/],
    ['$inlinecount=some', /\$inlinecount/],
    ['$skiptoken=abc', /\$skiptoken/],
    ['$top=1&$top=2', /\$top/],
  ])('refuses %s with a 400 that names the option', async (query, message) => {
    const res = await emu.ams('GET', `Assets?${query}`);
    expect(res.status).toBe(400);
    expect(errorMessage(res.body)).toMatch(message);
  });

  it('refuses an unserved option on a navigation too, rather than ignoring it', async () => {
    const res = await emu.ams('GET', `${entityPath('Assets', assets[0]!.Id)}/Files?$expand=Asset`);
    expect(res.status).toBe(400);
    expect(errorMessage(res.body)).toMatch(/\$expand/);
  });
});
