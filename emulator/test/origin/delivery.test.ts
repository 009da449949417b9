import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { entityPath, rawRequest, startTestEmulator, type JsonBody, type TestEmulator } from '../../../test/support/emulator.js';
import { createAsset, createPolicy, createSasLocator, errorMessage, streamInTheClear } from '../helpers/api-fixtures.js';
import { atomEntries, parseXml } from '../helpers/clients-xml.js';
import { sample, uploadEncryptedAsset, type ClearFile, type UploadedAsset } from '../helpers/jobs-fixtures.js';

/**
 * Origin delivery of OnDemandOrigin locators over real HTTP, from a storage-encrypted asset in
 * real Azurite: `GET <Path><file name>` returns the clear bytes, any byte range of them, with the
 * headers a player needs to seek.
 */

let emu: TestEmulator;
let asset: UploadedAsset;
let locator: JsonBody;

const FILES: ClearFile[] = [
  { name: 'empty.bin', data: sample(0), mimeType: null },
  { name: 'one.bin', data: sample(1), mimeType: 'application/octet-stream' },
  { name: 'seventeen.ts', data: sample(17), mimeType: null },
  { name: 'clip with spaces é.mp4', data: sample(100_003) },
  { name: 'dir/movie.mp4', data: sample(2 * 1024 * 1024 + 7) },
  { name: 'plain.txt', data: Buffer.from('served as uploaded\n'), clear: true, mimeType: 'text/plain' },
];

async function originLocator(assetId: string, extra: JsonBody = {}): Promise<JsonBody> {
  const policy = await createPolicy(emu, 1);
  const res = await emu.ams('POST', 'Locators', { body: { AssetId: assetId, AccessPolicyId: policy.Id, Type: 2, ...extra } });
  expect(res.status, res.text).toBe(201);
  return res.body;
}

beforeAll(async () => {
  emu = await startTestEmulator();
  asset = await uploadEncryptedAsset(emu, FILES);
  await streamInTheClear(emu, asset.assetId);
  locator = await originLocator(asset.assetId);
});
afterAll(() => emu.close());

function urlOf(name: string, loc: JsonBody = locator): string {
  return `${loc.Path}${encodeURIComponent(name)}`;
}

async function get(name: string, headers: Record<string, string> = {}, method = 'GET', loc: JsonBody = locator) {
  const res = await fetch(urlOf(name, loc), { method, headers });
  return { status: res.status, headers: res.headers, body: Buffer.from(await res.arrayBuffer()) };
}

describe('the locator', () => {
  it('has a Path on the emulator: <BaseUri>/<guid>/, ContentAccessComponent the guid', () => {
    const guid = String(locator.Id).replace(/^nb:lid:UUID:/, '');
    expect(locator.BaseUri).toBe(`${emu.baseUrl}origin`);
    expect(locator.ContentAccessComponent).toBe(guid);
    expect(locator.Path).toBe(`${emu.baseUrl}origin/${guid}/`);
  });

  it('a Write or Delete policy cannot make an OnDemandOrigin locator (400)', async () => {
    for (const permissions of [2, 3, 4]) {
      const policy = await createPolicy(emu, permissions);
      const res = await emu.ams('POST', 'Locators', { body: { AssetId: asset.assetId, AccessPolicyId: policy.Id, Type: 2 } });
      expect(res.status).toBe(400);
      expect(errorMessage(res.body)).toContain('read-only AccessPolicy');
    }
  });
});

describe('a storage-encrypted asset without a delivery policy', () => {
  it('gets no streaming locator (400, the service\'s rule, in the client\'s format); with a NoDynamicEncryption policy it does, and a clear asset needs none', async () => {
    const data = sample(32);
    const bare = await uploadEncryptedAsset(emu, [{ name: 'a.bin', data }]);
    const policy = await createPolicy(emu, 1);
    const body = { AssetId: bare.assetId, AccessPolicyId: policy.Id, Type: 2 };
    const json = await emu.ams('POST', 'Locators', { body });
    expect(json.status).toBe(400);
    expect(errorMessage(json.body)).toBe(
      `A streaming (OnDemandOrigin) locator cannot be created on the storage encrypted asset '${bare.assetId}' when no asset delivery policy is set: ` +
        "link an AssetDeliveryPolicy to it first (Assets('…')/$links/DeliveryPolicies; AssetDeliveryPolicyType 2, NoDynamicEncryption, streams it in the clear)",
    );
    const atom = await emu.ams('POST', 'Locators', { body, headers: { Accept: 'application/atom+xml' } });
    expect(atom.status).toBe(400);
    expect(atom.text).toMatch(/<m?:?error[\s>][\s\S]*when no asset delivery policy is set/);
    // Nothing was made: the asset has no locator, its container no stored policy for one.
    expect((await emu.ams('GET', `${entityPath('Assets', bare.assetId)}/Locators`)).body.value).toEqual([]);
    // A SAS locator (uploads, downloads) needs no delivery policy.
    await createSasLocator(emu, bare.assetId, String(policy.Id));
    await streamInTheClear(emu, bare.assetId);
    const streaming = await emu.ams('POST', 'Locators', { body });
    expect(streaming.status, streaming.text).toBe(201);
    expect((await get('a.bin', {}, 'GET', streaming.body)).body.equals(data)).toBe(true);
    const clear = await createAsset(emu, { Name: 'clear', Options: 0 });
    const clearLocator = await emu.ams('POST', 'Locators', { body: { ...body, AssetId: clear.Id }, headers: { Accept: 'application/atom+xml' } });
    expect(clearLocator.status, clearLocator.text).toBe(201);
    expect(atomEntries(parseXml(clearLocator.text))).toHaveLength(1);
  });
});

describe('whole files', () => {
  it('every file comes back clear, with its length, type and Accept-Ranges', async () => {
    for (const file of FILES) {
      const res = await get(file.name);
      expect(res.status, file.name).toBe(200);
      expect(res.body.equals(file.data), file.name).toBe(true);
      expect(res.headers.get('content-length')).toBe(String(file.data.length));
      expect(res.headers.get('accept-ranges')).toBe('bytes');
      expect(res.headers.get('access-control-allow-origin')).toBe('*');
    }
  });

  it('Path + "/" + name, and any run of slashes, serves the file as Path + name does', async () => {
    for (const file of FILES) {
      for (const url of [`${locator.Path}/${encodeURIComponent(file.name)}`, `${locator.Path}//${encodeURIComponent(file.name)}`, `${String(locator.Path).replace(/\/origin\//, '/origin//')}${encodeURIComponent(file.name)}`]) {
        const res = await fetch(url);
        expect(res.status, url).toBe(200);
        expect(Buffer.from(await res.arrayBuffer()).equals(file.data), url).toBe(true);
      }
    }
    const nested = await fetch(`${locator.Path}dir//movie.mp4`, { headers: { Range: 'bytes=0-9' } });
    expect(nested.status).toBe(206);
    expect(Buffer.from(await nested.arrayBuffer()).equals(FILES[4]!.data.subarray(0, 10))).toBe(true);
  });

  it('Content-Type: the MimeType, else from the extension', async () => {
    expect((await get('clip with spaces é.mp4')).headers.get('content-type')).toBe('video/mp4');
    expect((await get('seventeen.ts')).headers.get('content-type')).toBe('video/mp2t');
    expect((await get('empty.bin')).headers.get('content-type')).toBe('application/octet-stream');
    expect((await get('plain.txt')).headers.get('content-type')).toBe('text/plain');
  });

  it('HEAD: the headers of the GET, no body', async () => {
    const res = await get('dir/movie.mp4', {}, 'HEAD');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-length')).toBe(String(FILES[4]!.data.length));
    expect(res.headers.get('content-type')).toBe('video/mp4');
    expect(res.body.length).toBe(0);
    const ranged = await get('dir/movie.mp4', { Range: 'bytes=10-19' }, 'HEAD');
    expect(ranged.status).toBe(206);
    expect(ranged.headers.get('content-range')).toBe(`bytes 10-19/${FILES[4]!.data.length}`);
    expect(ranged.headers.get('content-length')).toBe('10');
  });
});

describe('byte ranges', () => {
  const ranged = FILES.filter((f) => f.data.length > 0);

  it('property: any single range of any file is exactly the matching slice of the original', async () => {
    const rangeOf = (size: number) =>
      fc.oneof(
        fc.tuple(fc.nat(size - 1), fc.nat(size + 20)).map(([a, n]) => ({ header: `bytes=${a}-${a + n}`, start: a, end: Math.min(a + n, size - 1) })),
        fc.nat(size - 1).map((a) => ({ header: `bytes=${a}-`, start: a, end: size - 1 })),
        fc.integer({ min: 1, max: size + 20 }).map((n) => ({ header: `bytes=-${n}`, start: Math.max(0, size - n), end: size - 1 })),
        fc.constant({ header: 'bytes=0-0', start: 0, end: 0 }),
        fc.constant({ header: `bytes=${size - 1}-${size - 1}`, start: size - 1, end: size - 1 }),
      );
    const cases = fc.integer({ min: 0, max: ranged.length - 1 }).chain((i) => fc.tuple(fc.constant(i), rangeOf(ranged[i]!.data.length)));
    await fc.assert(
      fc.asyncProperty(cases, async ([i, range]) => {
        const file = ranged[i]!;
        const res = await get(file.name, { Range: range.header });
        expect(res.status).toBe(206);
        expect(res.headers.get('content-range')).toBe(`bytes ${range.start}-${range.end}/${file.data.length}`);
        expect(res.headers.get('content-length')).toBe(String(range.end - range.start + 1));
        expect(res.body.equals(file.data.subarray(range.start, range.end + 1))).toBe(true);
      }),
      { numRuns: 80 },
    );
  });

  it('416 with Content-Range: bytes */size when the range selects nothing', async () => {
    const movie = FILES[4]!;
    for (const header of [`bytes=${movie.data.length}-`, `bytes=${movie.data.length + 5}-${movie.data.length + 10}`, 'bytes=-0']) {
      const res = await get(movie.name, { Range: header });
      expect(res.status, header).toBe(416);
      expect(res.headers.get('content-range')).toBe(`bytes */${movie.data.length}`);
      expect(JSON.parse(res.body.toString()).error.code).toBe('RangeNotSatisfiable');
    }
    const empty = await get('empty.bin', { Range: 'bytes=0-' });
    expect(empty.status).toBe(416);
    expect(empty.headers.get('content-range')).toBe('bytes */0');
  });

  it('several ranges, invalid ranges, other units and an If-Range of another version get the whole file (200)', async () => {
    const file = FILES[3]!;
    const cases: Record<string, string>[] = [
      { Range: 'bytes=0-0,-1' },
      { Range: 'bytes=9-3' },
      { Range: 'pages=1-2' },
      { Range: 'bytes=x' },
      { Range: 'bytes=0-9', 'If-Range': '"etag"' },
      { Range: 'bytes=0-9', 'If-Range': 'Tue, 01 Jan 2030 00:00:00 GMT' },
      { Range: 'bytes=0-9', 'If-Range': 'not a validator' },
    ];
    for (const headers of cases) {
      const res = await get(file.name, headers);
      expect(res.status, JSON.stringify(headers)).toBe(200);
      expect(res.body.equals(file.data)).toBe(true);
      expect(res.headers.get('content-range')).toBeNull();
    }
  });
});

describe('If-Range: a resumed download never splices two versions', () => {
  it('a strong ETag and Last-Modified; the range is served when If-Range names them, not for a weak tag', async () => {
    const file = FILES[3]!;
    const full = await get(file.name);
    const etag = full.headers.get('etag')!;
    const lastModified = full.headers.get('last-modified')!;
    expect(etag).toMatch(/^"[0-9a-f]{32}"$/);
    expect((await get(file.name, { Range: 'bytes=5-9' })).headers.get('etag')).toBe(etag);
    for (const validator of [etag, lastModified]) {
      const res = await get(file.name, { Range: 'bytes=5-9', 'If-Range': validator });
      expect(res.status, validator).toBe(206);
      expect(res.body.equals(file.data.subarray(5, 10))).toBe(true);
    }
    const weak = await get(file.name, { Range: 'bytes=5-9', 'If-Range': `W/${etag}` });
    expect(weak.status).toBe(200);
    expect(weak.body.equals(file.data)).toBe(true);
  });

  it('a player\'s cached copy: If-None-Match with the ETag, or If-Modified-Since its date, is a 304 with no body', async () => {
    const file = FILES[3]!;
    const full = await get(file.name);
    const etag = full.headers.get('etag')!;
    const lastModified = full.headers.get('last-modified')!;
    const cached: Record<string, string>[] = [{ 'If-None-Match': etag }, { 'If-None-Match': `"other", W/${etag}` }, { 'If-None-Match': '*' }, { 'If-Modified-Since': lastModified }, { 'If-None-Match': etag, Range: 'bytes=0-9' }];
    for (const headers of cached) {
      const res = await get(file.name, headers);
      expect(res.status, JSON.stringify(headers)).toBe(304);
      expect(res.body.length).toBe(0);
      expect(res.headers.get('etag')).toBe(etag);
    }
    // Another tag, an older date, or If-None-Match that does not match (whatever If-Modified-Since says): the file.
    const since = new Date(Date.parse(lastModified) - 60_000).toUTCString();
    const stale: Record<string, string>[] = [{ 'If-None-Match': '"other"' }, { 'If-Modified-Since': since }, { 'If-None-Match': '"other"', 'If-Modified-Since': lastModified }];
    for (const headers of stale) {
      const res = await get(file.name, headers);
      expect(res.status, JSON.stringify(headers)).toBe(200);
      expect(res.body.equals(file.data)).toBe(true);
    }
  });

  it('If-Match and If-Unmodified-Since: the same version is served, another is a 412 with no bytes', async () => {
    const file = FILES[3]!;
    const full = await get(file.name);
    const etag = full.headers.get('etag')!;
    const lastModified = full.headers.get('last-modified')!;
    const before = new Date(Date.parse(lastModified) - 60_000).toUTCString();
    const later = new Date(Date.parse(lastModified) + 60_000).toUTCString();
    const holds: Record<string, string>[] = [{ 'If-Match': etag }, { 'If-Match': `"other", ${etag}` }, { 'If-Match': '*' }, { 'If-Unmodified-Since': lastModified }, { 'If-Unmodified-Since': later }, { 'If-Match': etag, 'If-Unmodified-Since': before }, { 'If-Unmodified-Since': 'not a date' }];
    for (const headers of holds) {
      const res = await get(file.name, { ...headers, Range: 'bytes=10-19' });
      expect(res.status, JSON.stringify(headers)).toBe(206);
      expect(res.body.equals(file.data.subarray(10, 20))).toBe(true);
    }
    // A weak tag never matches If-Match (strong comparison); If-Match wins over If-Unmodified-Since.
    const changed: Record<string, string>[] = [{ 'If-Match': '"other"' }, { 'If-Match': `W/${etag}` }, { 'If-Unmodified-Since': before }, { 'If-Match': '"other"', 'If-Unmodified-Since': later }];
    for (const headers of changed) {
      for (const method of ['GET', 'HEAD']) {
        const res = await get(file.name, { ...headers, Range: 'bytes=10-19' }, method);
        expect(res.status, `${method} ${JSON.stringify(headers)}`).toBe(412);
        if (method === 'GET') expect(JSON.parse(res.body.toString()).error.code).toBe('PreconditionFailed');
        expect(res.headers.get('content-range')).toBeNull();
      }
    }
  });

  it('the ETag changes with the IV the bytes are decrypted with (storage\'s ETag covers the blob)', async () => {
    const own = await uploadEncryptedAsset(emu, [{ name: 'v.bin', data: sample(4096) }]);
    await streamInTheClear(emu, own.assetId);
    const loc = await originLocator(own.assetId);
    const before = (await get('v.bin', {}, 'GET', loc)).headers.get('etag')!;
    const file = (await emu.ams('GET', `${entityPath('Assets', own.assetId)}/Files`)).body.value[0] as JsonBody;
    const merged = await emu.ams('MERGE', entityPath('Files', String(file.Id)), { body: { InitializationVector: String(BigInt(String(file.InitializationVector)) ^ 1n) } });
    expect(merged.status, merged.text).toBe(204);
    const after = await get('v.bin', { Range: 'bytes=0-9', 'If-Range': before }, 'GET', loc);
    expect(after.status).toBe(200);
    expect(after.headers.get('etag')).not.toBe(before);
  });
});

describe('what is not served', () => {
  async function refused(path: string, status: number, code: string): Promise<void> {
    const res = await rawRequest(emu.baseUrl, 'GET', path, {});
    expect(res.status, path).toBe(status);
    expect(JSON.parse(res.text).error.code, path).toBe(code);
    expect(res.headers['content-type']).toContain('application/json');
  }

  it('unknown, malformed or SAS locators, unknown files: 404; names that try to climb out: 400', async () => {
    const guid = String(locator.ContentAccessComponent);
    await refused(`/origin/00000000-0000-4000-8000-000000000000/one.bin`, 404, 'LocatorNotFound');
    await refused(`/origin/not-a-guid/one.bin`, 404, 'LocatorNotFound');
    await refused(`/origin/${guid}/nothere.mp4`, 404, 'FileNotFound');
    await refused(`/origin/${guid}/..%2F..%2F..%2Fetc%2Fpasswd`, 400, 'InvalidFileName');
    await refused(`/origin/${guid}/../../etc/passwd`, 400, 'InvalidFileName');
    await refused(`/origin/${guid}/`, 404, 'NotFound');
    await refused(`/origin/${guid}/%E0%A4%A`, 400, 'BadRequest');
    const sas = await createSasLocator(emu, asset.assetId, String((await createPolicy(emu, 1)).Id));
    await refused(`/origin/${String(sas.Id).replace('nb:lid:UUID:', '')}/one.bin`, 404, 'LocatorNotFound');
    expect((await emu.ams('DELETE', entityPath('Locators', String(sas.Id)))).status).toBe(204);
  });

  it('a locator not started yet, or expired: 404; the name matches case-sensitively', async () => {
    const later = await originLocator(asset.assetId, { StartTime: new Date(Date.now() + 3_600_000).toISOString() });
    expect((await get('one.bin', {}, 'GET', later)).status).toBe(404);
    const brief = await emu.ams('POST', 'Locators', { body: { AssetId: asset.assetId, AccessPolicyId: (await createPolicy(emu, 1, 0.005)).Id, Type: 2 } });
    expect(brief.status).toBe(201);
    await new Promise((r) => setTimeout(r, 400));
    const expired = await get('one.bin', {}, 'GET', brief.body);
    expect(expired.status).toBe(404);
    expect(JSON.parse(expired.body.toString()).error.code).toBe('LocatorExpired');
    expect((await get('ONE.BIN')).status).toBe(404);
    for (const loc of [later, brief.body]) expect((await emu.ams('DELETE', entityPath('Locators', String(loc.Id)))).status).toBe(204);
  });

  it('only GET, HEAD and OPTIONS', async () => {
    const res = await fetch(urlOf('one.bin'), { method: 'PUT', body: 'x' });
    expect(res.status).toBe(405);
    expect(res.headers.get('allow')).toBe('GET, HEAD, OPTIONS');
    const preflight = await fetch(urlOf('one.bin'), { method: 'OPTIONS' });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get('access-control-allow-headers')).toContain('Range');
    expect(preflight.headers.get('access-control-allow-headers')).toContain('If-Match');
  });

  it('a file whose key cannot be unwrapped: 409 naming why, not a 500 or garbage', async () => {
    const broken = await uploadEncryptedAsset(emu, [{ name: 'x.mp4', data: sample(100) }], { key: { encryptedContentKey: Buffer.from('junk').toString('base64') } });
    await streamInTheClear(emu, broken.assetId);
    const loc = await originLocator(broken.assetId);
    const res = await get('x.mp4', {}, 'GET', loc);
    expect(res.status).toBe(409);
    expect(JSON.parse(res.body.toString()).error).toMatchObject({ code: 'ContentKeyUnwrapFailed', message: expect.stringContaining('cannot be decrypted') });
  });
});
