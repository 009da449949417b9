import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { entityPath, startTestEmulator, type JsonBody, type TestEmulator } from '../../../test/support/emulator.js';
import { createPolicy, streamInTheClear } from '../helpers/api-fixtures.js';
import { sample, uploadEncryptedAsset, type UploadedAsset } from '../helpers/jobs-fixtures.js';

/**
 * Origin delivery through StreamingEndpoints, over real HTTP from a storage-encrypted asset in
 * real Azurite: the locator Path is on the default endpoint's HostName; once a client manages
 * endpoints, the origin answers only through a running one (and each endpoint on its own
 * HostName); until then it answers as it always did.
 */

let emu: TestEmulator;
let asset: UploadedAsset;
let locator: JsonBody;
const FILE = { name: 'movie.mp4', data: sample(70_001) };

beforeAll(async () => {
  emu = await startTestEmulator();
});
afterAll(() => emu.close());
beforeEach(async () => {
  await emu.reset();
  asset = await uploadEncryptedAsset(emu, [FILE]);
  await streamInTheClear(emu, asset.assetId);
  const policy = await createPolicy(emu, 1);
  const res = await emu.ams('POST', 'Locators', { body: { AssetId: asset.assetId, AccessPolicyId: policy.Id, Type: 2 } });
  expect(res.status, res.text).toBe(201);
  locator = res.body;
});

async function fetchFile(url: string): Promise<{ status: number; body: Buffer; code?: string; type: string | null }> {
  const res = await fetch(url);
  const body = Buffer.from(await res.arrayBuffer());
  const code = res.status >= 400 ? (JSON.parse(body.toString('utf8')) as { error: { code: string } }).error.code : undefined;
  return { status: res.status, body, code, type: res.headers.get('content-type') };
}

async function defaultEndpoint(): Promise<JsonBody> {
  const res = await emu.ams('GET', "StreamingEndpoints?$filter=Name eq 'default'");
  return res.body.value[0];
}

async function act(id: string, action: 'Start' | 'Stop'): Promise<void> {
  const res = await emu.ams('POST', `${entityPath('StreamingEndpoints', id)}/${action}`, { body: '' });
  expect(res.status).toBe(202);
  const op = await emu.ams('GET', entityPath('Operations', res.headers.get('operation-id')!));
  expect(op.body.State).toBe('Succeeded');
}

/** `http://<HostName>/<locator guid>/<file>`, as players build it from an endpoint and a locator. */
function onHost(endpoint: JsonBody, name = FILE.name): string {
  return `http://${endpoint.HostName}/${locator.ContentAccessComponent}/${encodeURIComponent(name)}`;
}

describe('until a client manages streaming endpoints', () => {
  it('the origin answers as it always did, though the default endpoint reads Stopped (listing it changes nothing)', async () => {
    const fallback = await defaultEndpoint();
    expect(fallback.State).toBe('Stopped');
    const res = await fetchFile(`${locator.Path}${FILE.name}`);
    expect(res.status).toBe(200);
    expect(res.body.equals(FILE.data)).toBe(true);
  });

  it("the locator Path is the default endpoint's HostName + the locator guid", async () => {
    const fallback = await defaultEndpoint();
    expect(locator.Path).toBe(`http://${fallback.HostName}/${locator.ContentAccessComponent}/`);
    expect((await fetchFile(onHost(fallback))).status).toBe(200);
  });
});

describe('once a client manages streaming endpoints', () => {
  it('the origin answers only while the default endpoint runs: 404 StreamingEndpointNotRunning, then the clear bytes, then 404 again', async () => {
    const fallback = await defaultEndpoint();
    // Any change to any endpoint says the client manages them: here, a scale of the default one.
    const scale = await emu.ams('POST', `${entityPath('StreamingEndpoints', fallback.Id)}/Scale`, { body: { scaleUnits: 1 } });
    expect(scale.status).toBe(202);
    const stopped = await fetchFile(onHost(fallback));
    expect(stopped).toMatchObject({ status: 404, code: 'StreamingEndpointNotRunning' });
    await act(fallback.Id, 'Start');
    const running = await fetchFile(onHost(fallback));
    expect(running.status).toBe(200);
    expect(running.body.equals(FILE.data)).toBe(true);
    await act(fallback.Id, 'Stop');
    expect(await fetchFile(`${locator.Path}${FILE.name}`)).toMatchObject({ status: 404, code: 'StreamingEndpointNotRunning' });
  });

  it('each endpoint answers on its own HostName, only while it runs; an unknown one is 404', async () => {
    const created = await emu.ams('POST', 'StreamingEndpoints', { body: { Name: 'second' } });
    expect(created.status).toBe(202);
    const second = created.body;
    expect(await fetchFile(onHost(second))).toMatchObject({ status: 404, code: 'StreamingEndpointNotRunning' });
    await act(second.Id, 'Start');
    const res = await fetchFile(onHost(second));
    expect(res.status).toBe(200);
    expect(res.body.equals(FILE.data)).toBe(true);
    // The default endpoint is still stopped: its host does not answer.
    expect(await fetchFile(onHost(await defaultEndpoint()))).toMatchObject({ status: 404, code: 'StreamingEndpointNotRunning' });
    expect(await fetchFile(`${emu.baseUrl}origin/nosuch/${locator.ContentAccessComponent}/${FILE.name}`)).toMatchObject({ status: 404, code: 'StreamingEndpointNotFound' });
  });

  it('a reset forgets it: the origin answers again without a running endpoint', async () => {
    const fallback = await defaultEndpoint();
    await act(fallback.Id, 'Start');
    await act(fallback.Id, 'Stop');
    expect((await fetchFile(onHost(fallback))).status).toBe(404);
    await emu.reset();
    asset = await uploadEncryptedAsset(emu, [FILE]);
    await streamInTheClear(emu, asset.assetId);
    const policy = await createPolicy(emu, 1);
    const again = (await emu.ams('POST', 'Locators', { body: { AssetId: asset.assetId, AccessPolicyId: policy.Id, Type: 2 } })).body;
    expect((await fetchFile(`${again.Path}${FILE.name}`)).status).toBe(200);
  });
});

describe('cross-site access policies', () => {
  const crossDomain = '<?xml version="1.0"?><cross-domain-policy><allow-access-from domain="*"/></cross-domain-policy>';
  const clientAccess = '<?xml version="1.0" encoding="utf-8"?><access-policy><cross-domain-access><policy/></cross-domain-access></access-policy>';

  it("are served from the endpoint's CrossSiteAccessPolicies at <HostName>/crossdomain.xml and /clientaccesspolicy.xml", async () => {
    const fallback = await defaultEndpoint();
    expect(await fetchFile(`http://${fallback.HostName}/crossdomain.xml`)).toMatchObject({ status: 404, code: 'NoCrossSitePolicy' });
    const merge = await emu.ams('MERGE', entityPath('StreamingEndpoints', fallback.Id), { body: { CrossSiteAccessPolicies: { CrossDomainPolicy: crossDomain, ClientAccessPolicy: clientAccess } } });
    expect(merge.status).toBe(204);
    // The MERGE manages endpoints: the default one must run to answer.
    expect(await fetchFile(`http://${fallback.HostName}/crossdomain.xml`)).toMatchObject({ status: 404, code: 'StreamingEndpointNotRunning' });
    await act(fallback.Id, 'Start');
    const cd = await fetchFile(`http://${fallback.HostName}/crossdomain.xml`);
    expect(cd.status).toBe(200);
    expect(cd.type).toContain('text/xml');
    expect(cd.body.toString('utf8')).toBe(crossDomain);
    expect((await fetchFile(`http://${fallback.HostName}/ClientAccessPolicy.xml`)).body.toString('utf8')).toBe(clientAccess);
  });

  it('a named endpoint serves its own', async () => {
    const created = await emu.ams('POST', 'StreamingEndpoints', { body: { Name: 'policies', State: 'Running', CrossSiteAccessPolicies: { CrossDomainPolicy: crossDomain } } });
    expect(created.status).toBe(202);
    const res = await fetchFile(`http://${created.body.HostName}/crossdomain.xml`);
    expect(res.status).toBe(200);
    expect(res.body.toString('utf8')).toBe(crossDomain);
    expect(await fetchFile(`http://${created.body.HostName}/clientaccesspolicy.xml`)).toMatchObject({ status: 404, code: 'NoCrossSitePolicy' });
  });
});
