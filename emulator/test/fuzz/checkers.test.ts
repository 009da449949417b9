import { appendFile, mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createBlobStorage } from '../../src/storage/blob-storage.js';
import { startTestEmulator, type TestEmulator } from '../../../test/support/emulator.js';
import { createAsset, createFile, createPolicy, createSasLocator, createStorageKey, linkKey, protectionKey } from '../helpers/api-fixtures.js';
import { checkConsistency, referenceProblems, type StateDump } from '../helpers/fuzz-consistency.js';
import { judge, judgeBatch, type Expectation } from '../helpers/fuzz-oracle.js';
import type { WireResponse } from '../helpers/fuzz-wire.js';

/** The fuzz suite's judges must be able to say no: each kind of wrong answer and broken state is caught. */

function answer(status: number, headers: Record<string, string>, body: string): WireResponse {
  return { status, headers, body: Buffer.from(body), closedWithoutAnswer: false, ms: 1 };
}

const FROM_APP = { 'x-ms-request-id': 'r' };
const odata: Expectation = { surface: 'odata', format: 'json-minimal', malformedHttp: false, method: 'GET' };
const minimalError = '{"odata.error":{"code":"","message":{"lang":"en-US","value":"no"}}}';
const atomError = '<?xml version="1.0"?><error xmlns="http://schemas.microsoft.com/ado/2007/08/dataservices/metadata"><code/><message xml:lang="en-US">no</message></error>';

describe('the oracle', () => {
  it('accepts an OData error in the requested format', () => {
    expect(judge(odata, answer(400, { ...FROM_APP, 'content-type': 'application/json;odata=minimalmetadata' }, minimalError))).toBeUndefined();
    expect(judge({ ...odata, format: 'atom' }, answer(404, { ...FROM_APP, 'content-type': 'application/xml;charset=utf-8' }, atomError))).toBeUndefined();
    expect(judge({ ...odata, format: 'json-verbose' }, answer(400, { ...FROM_APP, 'content-type': 'application/json;odata=verbose' }, '{"error":{"code":"","message":{"lang":"en-US","value":"no"}}}'))).toBeUndefined();
  });

  it('refuses a 5xx, an error in another format, an error without a body, a bare answer to good HTTP, and a dropped connection', () => {
    expect(judge(odata, answer(500, FROM_APP, minimalError))).toMatch(/answered 500/);
    expect(judge(odata, answer(503, FROM_APP, minimalError))).toMatch(/answered 503/);
    expect(judge(odata, answer(400, { ...FROM_APP, 'content-type': 'application/xml' }, atomError))).toMatch(/atom error, but the client asked for json-minimal/);
    expect(judge(odata, answer(400, { ...FROM_APP, 'content-type': 'text/html' }, '<h1>Bad</h1>'))).toMatch(/without an OData error body/);
    expect(judge(odata, answer(400, { ...FROM_APP, 'content-type': 'application/json' }, '{"odata.error":{"code":"","message":{"value":""}}}'))).toMatch(/without an OData error body/);
    expect(judge(odata, answer(400, {}, ''))).toMatch(/without passing through the application/);
    expect(judge(odata, { status: 0, headers: {}, body: Buffer.alloc(0), closedWithoutAnswer: true, ms: 1 })).toMatch(/closed without an answer/);
    expect(judge({ ...odata, malformedHttp: true, bareStatus: 431 }, answer(400, {}, ''))).toMatch(/not 431/);
    expect(judge({ ...odata, malformedHttp: true }, answer(400, {}, ''))).toBeUndefined();
  });

  it('holds the token endpoints and the origin to their own error bodies, and 2xx bodies to their content type', () => {
    expect(judge({ ...odata, surface: 'oauth' }, answer(400, { ...FROM_APP, 'content-type': 'application/json' }, minimalError))).toMatch(/without an OAuth error body/);
    expect(judge({ ...odata, surface: 'oauth' }, answer(400, { ...FROM_APP, 'content-type': 'application/json' }, '{"error":"invalid_request","error_description":"x"}'))).toBeUndefined();
    expect(judge({ ...odata, surface: 'origin' }, answer(404, { ...FROM_APP, 'content-type': 'application/json' }, minimalError))).toMatch(/without its error body/);
    expect(judge(odata, answer(200, { ...FROM_APP, 'content-type': 'application/json' }, '{"value":['))).toMatch(/does not parse/);
    expect(judge(odata, answer(200, { ...FROM_APP, 'content-type': 'application/atom+xml' }, '<feed><entry></feed>'))).toMatch(/not well-formed/);
  });

  it('looks inside a $batch answer: an operation that answered 5xx or a bodiless error is caught', () => {
    const batch = (status: number, body: string) => answer(202, FROM_APP, `--b\r\nContent-Type: application/http\r\n\r\nHTTP/1.1 ${status} X\r\nContent-Type: application/json;odata=minimalmetadata\r\n\r\n${body}\r\n--b--\r\n`);
    expect(judgeBatch(batch(201, '{}'))).toBeUndefined();
    expect(judgeBatch(batch(400, minimalError))).toBeUndefined();
    expect(judgeBatch(batch(500, minimalError))).toMatch(/operation answered 500/);
    expect(judgeBatch(batch(404, 'nope'))).toMatch(/without an OData error body/);
  });
});

describe('the consistency check', () => {
  const empty = (): StateDump => ({ assets: [], files: [], contentKeys: [], assetContentKeys: [], accessPolicies: [], locators: [], jobs: [], tasks: [] });

  it('names each dangling reference', () => {
    const state = empty();
    state.assets.push({ Id: 'nb:cid:UUID:a' });
    state.contentKeys.push({ Id: 'nb:kid:UUID:k' });
    state.accessPolicies.push({ Id: 'nb:pid:UUID:p' });
    state.assetContentKeys.push({ assetId: 'nb:cid:UUID:a', keyId: 'nb:kid:UUID:k' }, { assetId: 'nb:cid:UUID:gone', keyId: 'nb:kid:UUID:k' }, { assetId: 'nb:cid:UUID:a', keyId: 'nb:kid:UUID:gone' });
    state.files.push({ Id: 'f1', ParentAssetId: 'nb:cid:UUID:a', Name: 'x' }, { Id: 'f2', ParentAssetId: 'nb:cid:UUID:a', Name: 'x' }, { Id: 'f3', ParentAssetId: 'nb:cid:UUID:gone', Name: 'y' });
    state.locators.push({ Id: 'l1', AssetId: 'nb:cid:UUID:a', AccessPolicyId: 'nb:pid:UUID:gone' }, { Id: 'l2', AssetId: 'nb:cid:UUID:gone', AccessPolicyId: 'nb:pid:UUID:p' });
    state.jobs.push({ Id: 'j', _internal: { tasks: ['t-gone'] } });
    state.tasks.push({ Id: 't', _internal: { jobId: 'j-gone' } });
    expect(referenceProblems(state)).toEqual([
      'link nb:cid:UUID:gone -> nb:kid:UUID:k: the asset does not exist',
      'link nb:cid:UUID:a -> nb:kid:UUID:gone: the content key does not exist',
      'file f3: its asset nb:cid:UUID:gone does not exist',
      'files f1 and f2 of asset nb:cid:UUID:a have the same name "x"',
      'locator l1: its access policy nb:pid:UUID:gone does not exist',
      'locator l2: its asset nb:cid:UUID:gone does not exist',
      'task t: its job j-gone does not exist',
      'job j: its task t-gone does not exist',
    ]);
  });

  let emu: TestEmulator;
  let location: string;
  beforeAll(async () => {
    location = await mkdtemp(join(tmpdir(), 'ams-checkers-'));
    emu = await startTestEmulator({ location });
  });
  afterAll(async () => {
    await emu.close();
    await rm(location, { recursive: true, force: true });
  });

  it('passes a real state, then catches a container gone from storage and a journal line that is not JSON', async () => {
    const protection = await protectionKey(emu);
    const key = await createStorageKey(emu, protection);
    const asset = await createAsset(emu);
    await linkKey(emu, String(asset.Id), key.id);
    await createFile(emu, { Name: 'a.mp4', ParentAssetId: asset.Id });
    await createSasLocator(emu, String(asset.Id), String((await createPolicy(emu, 1)).Id));
    const storage = createBlobStorage(emu.emulator.storage.connectionString);
    expect(await checkConsistency({ baseUrl: emu.baseUrl, storage, location })).toEqual([]);

    await storage.deleteContainer(String((await emu.admin('GET', 'state')).body.state.assets[0]._internal.container));
    expect(await checkConsistency({ baseUrl: emu.baseUrl, storage })).toEqual([`asset ${asset.Id}: its container asset-${String(asset.Id).replace('nb:cid:UUID:', '')} does not exist in storage`]);

    const journal = (await readdir(location)).find((name) => name.startsWith('journal-'))!;
    await appendFile(join(location, journal), '{"torn":\n');
    const problems = await checkConsistency({ baseUrl: emu.baseUrl, location });
    expect(problems.some((p) => p.startsWith(`${journal} line`) && p.includes('is not valid JSON')), problems.join('\n')).toBe(true);
  });
});
