import { readFile, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { BlobServiceClient } from '@azure/storage-blob';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { lastJsonLine, startE2eEnv, type E2eEnv, type UploadJson } from './helpers/e2e-env.js';
import { bytesFor } from './helpers/workflow-env.js';

/**
 * What goes wrong, made to go wrong with the emulator's fault hooks: failures and interruptions
 * leave no temporary access behind, throttling is retried, a 500 on a create is not, the legacy
 * root's 301 is followed, and every failure is one line that says what to do.
 */

let env: E2eEnv;
let small: string;
let large: string;
const largeData = bytesFor(3, 12 * 1024 * 1024);

beforeAll(async () => {
  env = await startE2eEnv();
  small = join(env.dir, 'small.bin');
  large = join(env.dir, 'large.bin');
  await writeFile(small, bytesFor(2, 1024));
  await writeFile(large, largeData);
});
afterAll(async () => {
  await env?.stop();
});
beforeEach(async () => {
  await env.emu.reset();
});

/** The temporary write access of every upload so far: none may be left. */
async function temporaryAccess(): Promise<{ locators: unknown[]; accessPolicies: unknown[] }> {
  const state = await env.state();
  return { locators: state.locators ?? [], accessPolicies: state.accessPolicies ?? [] };
}

/** The command's error: the one `ams-client:` line, which must also be the last line of stderr (after any progress). */
function errorLine(stderr: string): string {
  const lines = stderr.trimEnd().split('\n');
  expect(lines.filter((l) => l.startsWith('ams-client:'))).toHaveLength(1);
  return lines[lines.length - 1]!;
}

/**
 * The API requests as `METHOD /path STATUS`, oldest first; a retried call shows as its error status
 * followed by the same request answered 2xx.
 */
async function apiRequests(): Promise<string[]> {
  return (await env.requests()).filter((r) => r.path.startsWith('/api/')).map((r) => `${r.method} ${r.path} ${r.status}`);
}

function retried(requests: readonly string[], method: string, path: string, status: number): boolean {
  const failed = requests.indexOf(`${method} ${path} ${status}`);
  const next = requests.slice(failed + 1).find((r) => r.startsWith(`${method} ${path} `));
  return failed >= 0 && next !== undefined && /\s2\d\d$/.test(next);
}

describe('an interrupted upload leaves no locator or access policy behind', () => {
  it('when the ContentFileSize MERGE fails', async () => {
    await env.addFault({ entity: 'Files', method: 'MERGE', status: 409, message: 'Injected: the file changed meanwhile' });
    const run = await env.cli(['upload', small, ...env.connection]);
    expect(run.code).toBe(1);
    const [asset] = (await env.state()).assets!;
    const assetId = String(asset!['Id']);
    expect(errorLine(run.stderr)).toMatch(/^ams-client: upload failed: MERGE http:\/\/\S+\/api\/Files\('nb%3Acid%3AUUID%3A[0-9a-f-]+'\) failed with HTTP 409: InjectedFault: Injected: the file changed meanwhile \(x-ms-request-id [0-9a-f-]+\); asset \S+ was created and keeps what was uploaded before that: delete it with 'ams-client rm \S+'$/);
    expect(errorLine(run.stderr)).toContain(`; asset ${assetId} was created and keeps what was uploaded before that: delete it with 'ams-client rm ${assetId}'`);
    expect(await temporaryAccess()).toEqual({ locators: [], accessPolicies: [] });
    // The command it suggests works.
    const rm = await env.cli(['rm', assetId, ...env.connection]);
    expect(rm).toMatchObject({ code: 0, stdout: `Deleted asset ${assetId}\n` });
    expect((await env.state()).assets ?? []).toEqual([]);
  });

  it('and says so when the locator cannot be deleted either', async () => {
    await env.addFault({ entity: 'Files', method: 'MERGE', status: 409 });
    await env.addFault({ entity: 'Locators', method: 'DELETE', status: 409, message: 'Injected: locator busy' });
    const run = await env.cli(['upload', small, ...env.connection]);
    expect(run.code).toBe(1);
    const line = errorLine(run.stderr);
    const { locators } = await temporaryAccess();
    expect(locators).toHaveLength(1);
    expect(line).toMatch(/^ams-client: upload failed: MERGE /);
    expect(line).toContain(`; also, Locators('${String((locators[0] as { Id: string }).Id)}')`);
    expect(line).toContain('could not be deleted: delete');
  });

  it('when the upload succeeded but the locator cannot be deleted: the result, then the leftover', async () => {
    await env.addFault({ entity: 'Locators', method: 'DELETE', status: 409, message: 'Injected: locator busy' });
    const run = await env.cli(['upload', small, ...env.connection, '--json']);
    expect(run.code).toBe(1);
    const uploaded = lastJsonLine<UploadJson>(run);
    const { locators } = await temporaryAccess();
    expect(locators).toHaveLength(1);
    const locatorId = String((locators[0] as { Id: string }).Id);
    expect(run.stderr).toMatch(/^ams-client: [^\n]+\n$/);
    expect(run.stderr).toContain(`ams-client: uploaded into asset ${uploaded.assetId}, but deleting Locators('${locatorId}')`);
    expect(run.stderr).toContain('Injected: locator busy');
  });

  it.each([
    ['in this process (the command signal)', 'cli'],
    ['the bin, on SIGINT', 'bin'],
  ] as const)('when the user stops it mid-transfer: %s', async (_how, runner) => {
    const stop = new AbortController();
    // Tiny blocks one at a time: the large file takes long enough to be stopped half way.
    const run = await env[runner](['upload', small, large, ...env.connection, '--block-size', '16K', '--parallel', '1'], {
      signal: stop.signal,
      onStderr: (_text, all) => {
        if (all.includes('small.bin: all')) stop.abort();
      },
    });
    expect(run.code).toBe(130);
    const assetId = String((await env.state()).assets![0]!['Id']);
    expect(errorLine(run.stderr)).toBe(`ams-client: interrupted: upload stopped before it finished; its temporary SAS locator and access policy were removed; asset ${assetId} was created and keeps what was uploaded before that: delete it with 'ams-client rm ${assetId}'`);
    expect(await temporaryAccess()).toEqual({ locators: [], accessPolicies: [] });
    // Stopped half way: the large file was never completed.
    const largeFile = (await env.state()).files!.find((f) => f['Name'] === 'large.bin');
    expect(largeFile?.['ContentChecksum'] ?? null).toBeNull();
  });
});

describe('retries, with the emulator answering as a busy or failing service would', () => {
  it('retries 503 and 429 on GETs and POSTs, and the upload succeeds', async () => {
    const rules = [
      await env.addFault({ entity: 'GetProtectionKeyId', method: 'GET', status: 503, count: 1 }),
      await env.addFault({ entity: 'Assets', method: 'POST', status: 429, count: 1 }),
      await env.addFault({ entity: 'Locators', method: 'POST', status: 503, count: 1 }),
    ];
    const run = await env.cli(['upload', small, ...env.connection, '--json']);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const { assetId } = lastJsonLine<UploadJson>(run);
    for (const rule of await env.faults()) expect(rules.map((r) => r.id)).toContain(rule.id);
    expect((await env.faults()).map((r) => r.applied)).toEqual([1, 1, 1]);
    const requests = await apiRequests();
    expect(retried(requests, 'GET', '/api/GetProtectionKeyId', 503)).toBe(true);
    expect(retried(requests, 'POST', '/api/Assets', 429)).toBe(true);
    expect(retried(requests, 'POST', '/api/Locators', 503)).toBe(true);
    expect((await env.verifications(assetId))[0]).toMatchObject({ status: 'verified' });
  });

  it('retries a 500 on an idempotent GET', async () => {
    const up = await env.cli(['upload', small, ...env.connection, '--json']);
    const { assetId } = lastJsonLine<UploadJson>(up);
    await env.addFault({ entity: 'Assets', method: 'GET', status: 500, count: 1 });
    const out = join(env.dir, 'small.back');
    const down = await env.cli(['download', ...env.connection, '--asset', assetId, '--file', 'small.bin', '--out', out]);
    expect(down.code).toBe(0);
    expect((await readFile(out)).equals(await readFile(small))).toBe(true);
    expect(retried(await apiRequests(), 'GET', `/api/Assets('${encodeURIComponent(assetId)}')`, 500)).toBe(true);
  });

  it('does not retry a 500 on a POST (it may have been carried out): the OData message and request id are shown', async () => {
    const rule = await env.addFault({ entity: 'Assets', method: 'POST', status: 500, count: 1, message: 'Injected: the asset store failed' });
    const run = await env.cli(['upload', small, ...env.connection]);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(
      /^ams-client: upload failed: POST http:\/\/\S+\/api\/Assets failed with HTTP 500: InjectedFault: Injected: the asset store failed \(x-ms-request-id [0-9a-f-]{36}\); the service failed, not the request: try again, and quote the x-ms-request-id if it persists\n$/,
    );
    expect((await env.faults()).find((r) => r.id === rule.id)).toMatchObject({ applied: 1 });
    expect((await apiRequests()).filter((r) => r.startsWith('POST /api/Assets '))).toEqual(['POST /api/Assets 500']);
    expect((await env.state()).assets).toEqual([]);
  });

  it('gives up on a service that stays busy, and says so', async () => {
    await env.addFault({ entity: 'Assets', method: 'GET', status: 503 });
    const run = await env.cli(['ls', 'assets', ...env.connection]);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/^ams-client: ls assets failed: the service is busy and still was after 4 attempts: GET \S+ failed with HTTP 503: ServiceUnavailable: [^\n]+; try again later\n$/);
  });
});

describe('the legacy root', () => {
  it('follows the first call\'s 301 from the emulator root to /api/ and keeps using it', async () => {
    const root = env.emu.baseUrl;
    expect(root).not.toContain('/api/');
    const up = await env.cli(['upload', small, '--endpoint', root, '--token', 'e2e', '--json']);
    expect(up.stderr).toBe('');
    expect(up.code).toBe(0);
    const { assetId } = lastJsonLine<UploadJson>(up);
    const out = join(env.dir, 'via-root.bin');
    const down = await env.cli(['download', '--endpoint', root, '--token', 'e2e', '--asset', assetId, '--file', 'small.bin', '--out', out]);
    expect(down.code).toBe(0);
    expect((await readFile(out)).equals(await readFile(small))).toBe(true);

    const api = (await env.requests()).filter((r) => !r.path.startsWith('/_emulator'));
    // Each command: one GET of the root answered 301, then everything under /api/.
    expect(api.filter((r) => r.status === 301).map((r) => `${r.method} ${r.path}`)).toEqual(['GET /', 'GET /']);
    expect(api.filter((r) => r.status !== 301).every((r) => r.path.startsWith('/api/'))).toBe(true);
  });
});

describe('failures name what to fix', () => {
  let uploaded: UploadJson;
  beforeEach(async () => {
    uploaded = lastJsonLine<UploadJson>(await env.cli(['upload', small, ...env.connection, '--json']));
  });

  it('an endpoint nobody listens on', async () => {
    const port = await closedPort();
    const run = await env.cli(['ls', 'assets', '--endpoint', `http://127.0.0.1:${port}/api/`, '--token', 'e2e']);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/^ams-client: cannot reach the AMS endpoint: GET http:\/\/127\.0\.0\.1:\d+\/api\/ failed before a response arrived: [^\n]*ECONNREFUSED[^\n]*; check --endpoint \(or AMS_ENDPOINT\) and that the service is running\n$/);
  });

  it('an asset that does not exist', async () => {
    const missing = 'nb:cid:UUID:00000000-0000-0000-0000-000000000000';
    const run = await env.cli(['download', ...env.connection, '--asset', missing, '--out', join(env.dir, 'nothing')]);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(new RegExp(`^ams-client: asset ${missing} was not found: [^\\n]+; 'ams-client ls assets' lists the assets\\n$`));
    expect(await temporaryAccess()).toEqual({ locators: [], accessPolicies: [] });
  });

  it('a file the asset does not have', async () => {
    const run = await env.cli(['download', ...env.connection, '--asset', uploaded.assetId, '--file', 'other.bin', '--out', join(env.dir, 'x')]);
    expect(run.code).toBe(1);
    expect(run.stderr).toBe(`ams-client: asset ${uploaded.assetId} has no file named "other.bin": its files include "small.bin"\n`);
  });

  it('an output path that cannot be written', async () => {
    // A file where a directory should be: unwritable even for root.
    const run = await env.cli(['download', ...env.connection, '--asset', uploaded.assetId, '--out', join(small, 'out')]);
    expect(run.code).toBe(1);
    expect(run.stderr).toBe(`ams-client: cannot write to --out ${join(small, 'out')}: ${small} is not a directory; choose another --out\n`);
    expect(await temporaryAccess()).toEqual({ locators: [], accessPolicies: [] });
  });

  it('an --out that is a file when every file is downloaded', async () => {
    const run = await env.cli(['download', ...env.connection, '--asset', uploaded.assetId, '--out', small]);
    expect(run.code).toBe(1);
    expect(run.stderr).toBe(`ams-client: --out ${small} is a file; without --file every file of the asset is downloaded, so --out must be a directory\n`);
  });

  it('rm deletes the assets it can, names the ones it cannot, and exits 1', async () => {
    const missing = 'nb:cid:UUID:00000000-0000-0000-0000-000000000000';
    const run = await env.cli(['rm', missing, uploaded.assetId, ...env.connection]);
    expect(run.code).toBe(1);
    expect(run.stdout).toBe(`Deleted asset ${uploaded.assetId}\n`);
    expect(run.stderr).toBe(`ams-client: asset ${missing} was not found; 'ams-client ls assets' lists the assets\n`);
    expect((await env.state()).assets ?? []).toEqual([]);
  });

  it('rm --keep-container keeps the blobs; without it they go', async () => {
    const storage = BlobServiceClient.fromConnectionString(env.emu.emulator.storage.connectionString);
    const container = (assetId: string) => storage.getContainerClient(`asset-${assetId.split(':').pop()}`);
    const run = await env.cli(['rm', uploaded.assetId, '--keep-container', ...env.connection]);
    expect(run).toMatchObject({ code: 0, stdout: `Deleted asset ${uploaded.assetId} (its blob container was kept)\n` });
    expect(await container(uploaded.assetId).exists()).toBe(true);
    const other = lastJsonLine<UploadJson>(await env.cli(['upload', small, ...env.connection, '--json']));
    expect(await container(other.assetId).exists()).toBe(true);
    expect((await env.cli(['rm', other.assetId, ...env.connection])).code).toBe(0);
    expect(await container(other.assetId).exists()).toBe(false);
  });

  it('a file to upload that does not exist: nothing is created', async () => {
    const run = await env.cli(['upload', small, join(env.dir, 'missing.bin'), ...env.connection]);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/^ams-client: cannot read \S+missing\.bin: ENOENT[^\n]*\n$/);
    expect((await env.state()).assets).toHaveLength(1);
  });
});

/** A loopback port that was just free: connecting to it is refused. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

