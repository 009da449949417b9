import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { entityPath, startTestEmulator, type JsonBody, type TestEmulator } from '../../../test/support/emulator.js';
import { atomEntries, atomProperties, parseXml } from '../helpers/clients-xml.js';

/**
 * The MediaProcessors catalogue as the SDKs look processors up: `$filter=Name eq '…'` then the
 * latest Version (.NET `new Version(p.Version)`, Java `Double.parseDouble`), by Id, in each format.
 */

let emu: TestEmulator;
beforeAll(async () => {
  emu = await startTestEmulator();
});
afterAll(() => emu.close());

const WAME = 'nb:mpid:UUID:2e7aa8f3-4961-4e0c-b4db-0e0439e524f5';
const MES = 'nb:mpid:UUID:ff4df607-d419-42f0-bc17-a481b1331e56';

/** .NET's pick: compare `System.Version`s part by part. */
function latestByDotNetVersion(processors: JsonBody[]): JsonBody {
  const parts = (v: string) => v.split('.').map(Number);
  return [...processors].sort((a, b) => {
    const [x, y] = [parts(a.Version), parts(b.Version)];
    for (let i = 0; i < Math.max(x.length, y.length); i++) if ((x[i] ?? -1) !== (y[i] ?? -1)) return (x[i] ?? -1) - (y[i] ?? -1);
    return 0;
  }).at(-1)!;
}

describe('lookup by name, then the latest version', () => {
  it("JSON: $filter=Name eq 'Windows Azure Media Encoder' lists its versions; both SDKs' picks give the current Id", async () => {
    const res = await emu.ams('GET', "MediaProcessors?$filter=Name eq 'Windows Azure Media Encoder'");
    expect(res.status, res.text).toBe(200);
    const found: JsonBody[] = res.body.value;
    expect(found.length).toBeGreaterThan(1);
    expect(found.every((p) => p.Name === 'Windows Azure Media Encoder')).toBe(true);
    expect(latestByDotNetVersion(found).Id).toBe(WAME);
    expect(found.reduce((a, b) => (Number.parseFloat(b.Version) > Number.parseFloat(a.Version) ? b : a)).Id).toBe(WAME);
  });

  it('every listed processor: a 49-character nb:mpid id, Version parsing as a double, Vendor Microsoft', async () => {
    const all: JsonBody[] = (await emu.ams('GET', 'MediaProcessors')).body.value;
    expect(all.map((p) => p.Name)).toEqual(expect.arrayContaining(['Media Encoder Standard', 'Windows Azure Media Encoder', 'Media Encoder Premium Workflow', 'Azure Media Indexer', 'Storage Decryption']));
    for (const p of all) {
      expect(p.Id).toMatch(/^nb:mpid:UUID:[0-9a-f-]{36}$/);
      expect(p.Id).toHaveLength(49);
      expect(Number.isFinite(Number.parseFloat(p.Version)), p.Version).toBe(true);
      expect(p.Vendor).toBe('Microsoft');
    }
    expect(new Set(all.map((p) => p.Id)).size).toBe(all.length);
  });

  it('verbose JSON and Atom (what the Java SDK reads) answer the same filter', async () => {
    const verbose = await emu.ams('GET', "MediaProcessors?$filter=Name eq 'Media Encoder Standard'", { headers: { Accept: 'application/json;odata=verbose' } });
    expect(verbose.body.d.results.map((p: JsonBody) => [p.Id, p.__metadata.type])).toEqual([[MES, 'Microsoft.Cloud.Media.Vod.Rest.Data.Models.MediaProcessor']]);
    const atom = await emu.ams('GET', `MediaProcessors?$filter=${encodeURIComponent("Name eq 'Media Encoder Standard'")}`, { headers: { Accept: 'application/atom+xml' } });
    expect(atom.status).toBe(200);
    expect(atomEntries(parseXml(atom.text)).map((e) => atomProperties(e))).toEqual([{ Id: MES, Name: 'Media Encoder Standard', Description: 'Media Encoder Standard', Sku: '', Vendor: 'Microsoft', Version: '1.1' }]);
  });

  it('by Id: $filter=Id eq, the key in any case; 400 for a malformed id, 404 for an unknown one; $orderby, $top, $select, $inlinecount', async () => {
    expect((await emu.ams('GET', `MediaProcessors?$filter=Id eq '${WAME}'`)).body.value.map((p: JsonBody) => p.Version)).toEqual(['4.7']);
    expect((await emu.ams('GET', entityPath('MediaProcessors', WAME.toUpperCase().replace('NB:MPID:UUID:', 'nb:mpid:UUID:')))).body.Id).toBe(WAME);
    expect((await emu.ams('GET', entityPath('MediaProcessors', 'notAValidId'))).status).toBe(400);
    expect((await emu.ams('GET', entityPath('MediaProcessors', 'nb:mpid:UUID:00000000-0000-0000-0000-000000000000'))).status).toBe(404);
    const top = await emu.ams('GET', "MediaProcessors?$filter=Name eq 'Windows Azure Media Encoder'&$orderby=Version desc&$top=1&$select=Id,Version&$inlinecount=allpages");
    expect(top.body.value).toEqual([{ Id: WAME, Version: '4.7' }]);
    expect(Number(top.body['odata.count'])).toBe(3);
  });
});
