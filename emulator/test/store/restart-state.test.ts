import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BlobServiceClient } from '@azure/storage-blob';
import { afterEach, describe, expect, it } from 'vitest';
import { DEV_CLIENT_ID, DEV_CLIENT_SECRET } from '../../src/auth/credentials.js';
import { StartupError } from '../../src/server.js';
import { StoreOpenError } from '../../src/store/index.js';
import { entityPath, quoted, startTestEmulator, type JsonBody, type TestEmulator } from '../../../test/support/emulator.js';
import { createAsset, createFile, createPolicy, createSasLocator, encryptedAsset, encryptedFileBody, protectionKey, storageKeyBody } from '../helpers/api-fixtures.js';

/**
 * File mode across restarts: what was acknowledged is there after close + start (ids, links,
 * findings, the protection key, tokens), a second emulator on the same directory is refused with
 * one clear line, and a corrupt state file stops start-up unless told to move it aside.
 */

const dirs: string[] = [];
const running: TestEmulator[] = [];

async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'ams-restart-'));
  dirs.push(dir);
  return dir;
}

async function start(location: string, extra: Parameters<typeof startTestEmulator>[0] = {}): Promise<TestEmulator> {
  const emu = await startTestEmulator({ location, auth: 'strict', ...extra });
  running.push(emu);
  return emu;
}

afterEach(async () => {
  for (const emu of running.splice(0)) await emu.close();
  for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true });
});

async function token(emu: TestEmulator): Promise<string> {
  const res = await fetch(`${emu.baseUrl}v2/OAuth2-13`, { method: 'POST', body: new URLSearchParams({ grant_type: 'client_credentials', client_id: DEV_CLIENT_ID, client_secret: DEV_CLIENT_SECRET, scope: 'urn:WindowsAzureMediaServices' }) });
  expect(res.status).toBe(200);
  return String(((await res.json()) as JsonBody).access_token);
}

/** The entities' ids and the relations between them, as the API shows them. */
async function snapshot(emu: TestEmulator): Promise<JsonBody> {
  const out: JsonBody = {};
  for (const set of ['Assets', 'Files', 'ContentKeys', 'AccessPolicies', 'Locators']) {
    const res = await emu.ams('GET', `${set}?$orderby=Id`);
    expect(res.status, res.text).toBe(200);
    out[set] = (res.body.value as JsonBody[]).map(({ Id, Name, ParentAssetId, AssetId, AccessPolicyId, InitializationVector, Checksum }) => ({ Id, Name, ParentAssetId, AssetId, AccessPolicyId, InitializationVector, Checksum }));
  }
  out.links = {};
  for (const asset of out.Assets as JsonBody[]) out.links[asset.Id] = (await emu.ams('GET', `${entityPath('Assets', asset.Id)}/$links/ContentKeys`)).body.value.map((l: JsonBody) => String(l.url).replace(/^https?:\/\/[^/]+/, ''));
  out.findings = ((await emu.admin('GET', 'findings')).body.findings as JsonBody[]).map((f) => ({ id: f.id, rule: f.rule, entityId: f.entityId, requestId: f.requestId }));
  return out;
}

describe('restart', () => {
  it('keeps ids, links, findings, the protection key, blobs and tokens across close + start', async () => {
    const dir = await tempDir();
    const first = await start(dir);
    const bearer = await token(first);
    const authed = (emu: TestEmulator) => ({ ...emu, ams: ((method, path, options = {}) => emu.ams(method, path, { ...options, headers: { Authorization: `Bearer ${bearer}`, ...options.headers } })) as TestEmulator['ams'] });
    const a = authed(first);
    const protection = await protectionKey(a);
    const { asset, key } = await encryptedAsset(a, protection);
    await createFile(a, encryptedFileBody(asset.Id, key.id, 'movie.mp4', '397304628502661816'));
    await createFile(a, encryptedFileBody(asset.Id, key.id, 'php.mp4', 'q83vEjRWeJA='));
    const locator = await createSasLocator(a, asset.Id, (await createPolicy(a, 2)).Id);
    await createAsset(a, { Name: 'plain', Options: 0 });
    const javaKey = storageKeyBody(protection, { variant: 'java' });
    expect((await a.ams('POST', 'ContentKeys', { body: javaKey.request })).status).toBe(201);
    const blob = Buffer.from('ciphertext bytes');
    const up = await fetch(`${locator.BaseUri}/movie.mp4${locator.ContentAccessComponent}`, { method: 'PUT', headers: { 'x-ms-blob-type': 'BlockBlob' }, body: blob });
    expect(up.status).toBe(201);
    const before = await snapshot(a);
    expect((before.findings as JsonBody[]).map((f) => f.rule).sort()).toEqual(['checksum-mismatch', 'iv-not-decimal-uint64']);
    await first.close();

    const second = await start(dir);
    const b = authed(second);
    // The token issued before the restart is still good under --auth strict.
    expect(await snapshot(b)).toEqual(before);
    expect(second.emulator.protectionKeyId).toBe(protection.thumbprint);
    expect((await protectionKey(b)).certificate).toBe(protection.certificate);
    // The private key came back too: the key wrapped before the restart still opens.
    const rebind = await b.ams('GET', `RebindContentKey?id=${quoted(key.id)}&x509Certificate=''`);
    expect(rebind.status).toBe(200);
    expect(Buffer.from(String(rebind.body.value), 'base64').equals(key.key)).toBe(true);
    // The embedded Azurite kept its blobs in the data directory.
    const container = String(asset.Uri).split('/').pop()!;
    const blobs = BlobServiceClient.fromConnectionString(second.emulator.storage.connectionString);
    expect((await blobs.getContainerClient(container).getBlobClient('movie.mp4').downloadToBuffer()).equals(blob)).toBe(true);
    // URLs name where storage is now: the embedded Azurite came back on another port.
    const blobEndpoint = second.emulator.storage.blobEndpoint;
    expect(blobEndpoint).not.toBe(first.emulator.storage.blobEndpoint);
    const assetNow = (await b.ams('GET', entityPath('Assets', asset.Id))).body;
    expect(assetNow.Uri).toBe(`${blobEndpoint}/${container}`);
    const locatorNow = (await b.ams('GET', entityPath('Locators', locator.Id))).body;
    expect(locatorNow.BaseUri).toBe(`${blobEndpoint}/${container}`);
    expect(locatorNow.Path).toBe(`${blobEndpoint}/${container}${locator.ContentAccessComponent}`);
    const again = await fetch(`${locatorNow.BaseUri}/again.mp4${locatorNow.ContentAccessComponent}`, { method: 'PUT', headers: { 'x-ms-blob-type': 'BlockBlob' }, body: blob });
    expect(again.status).toBe(201);
    // And it keeps working: new entities, and the old rules (a duplicate name is still a 409).
    expect((await b.ams('POST', 'Files', { body: { Name: 'movie.mp4', ParentAssetId: asset.Id } })).status).toBe(409);
    await createFile(b, { Name: 'new.mp4', ParentAssetId: asset.Id });
  });

  it('refuses a second emulator on the same directory with one clear line, and allows it once the first stops', async () => {
    const dir = await tempDir();
    const first = await start(dir);
    const error = await start(dir).then(() => undefined, (err: unknown) => err);
    expect(error).toBeInstanceOf(StoreOpenError);
    expect((error as StoreOpenError).reason).toBe('locked');
    const message = (error as Error).message;
    expect(message).not.toContain('\n');
    expect(message).toContain(dir);
    expect(message).toMatch(/already open|in use/);
    // The first one is unharmed by the attempt.
    expect((await first.ams('GET', 'Assets', { headers: { Authorization: `Bearer ${await token(first)}` } })).status).toBe(200);
    await first.close();
    const second = await start(dir);
    expect((await second.admin('GET', 'health')).status).toBe(200);
  });

  it('refuses a corrupt state file with a message saying how to get past it', async () => {
    const dir = await tempDir();
    const first = await start(dir, { auth: 'none' });
    const thumbprint = first.emulator.protectionKeyId;
    await createAsset(first, { Name: 'lost' });
    await first.close();
    expect(await readdir(dir)).toContain('state.json');
    await writeFile(join(dir, 'state.json'), '{"schemaVersion":1,"generation":');

    const error = await start(dir).then(() => undefined, (err: unknown) => err);
    expect(error).toBeInstanceOf(StoreOpenError);
    expect((error as StoreOpenError).reason).toBe('corrupt');
    expect((error as Error).message).toContain(join(dir, 'state.json'));
    expect((error as Error).message).toMatch(/--move-corrupt-state/);
    expect((error as Error).message).not.toContain('\n');

    const moved = await start(dir, { moveCorruptStateAside: true, auth: 'none' });
    expect((await moved.ams('GET', 'Assets')).body.value).toEqual([]);
    expect(moved.emulator.protectionKeyId).toBe(thumbprint);
    const names = await readdir(dir);
    const aside = names.find((n) => n.startsWith('state.json.corrupt-'));
    expect(aside, names.join(', ')).toBeDefined();
    expect(await readFile(join(dir, aside!), 'utf8')).toBe('{"schemaVersion":1,"generation":');
  });

  it('refuses a state file of an unknown version', async () => {
    const dir = await tempDir();
    await (await start(dir)).close();
    await writeFile(join(dir, 'state.json'), JSON.stringify({ schemaVersion: 99, generation: 0, collections: {} }));
    const error = await start(dir).then(() => undefined, (err: unknown) => err);
    expect(error).toBeInstanceOf(StoreOpenError);
    expect((error as StoreOpenError).reason).toBe('unknown-version');
    expect((error as Error).message).toMatch(/--move-corrupt-state/);
  });

  it('says which storage account it could not reach, as a StartupError, and leaves the directory unlocked', async () => {
    const dir = await tempDir();
    const unreachable = 'DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==;BlobEndpoint=http://127.0.0.1:1/devstoreaccount1;';
    const error = await start(dir, { storageConnectionString: unreachable }).then(() => undefined, (err: unknown) => err);
    expect(error).toBeInstanceOf(StartupError);
    expect((error as Error).message).toMatch(/storage account is unreachable/);
    const after = await start(dir);
    expect((await after.admin('GET', 'health')).status).toBe(200);
  });
});
