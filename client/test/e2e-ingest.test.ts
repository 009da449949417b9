import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { entityPath } from '../../test/support/emulator.js';
import { lastJsonLine, startE2eEnv, type E2eEnv } from './helpers/e2e-env.js';

/**
 * `ams-client ingest FOLDER` against the emulator with its embedded Azurite: every file of the
 * folder goes through an IngestManifest, encrypted with its own IV, into a new storage-encrypted
 * asset; the command waits for the service to move them, reads each back, and says per file how it
 * ended. The emulator's own verification and findings agree; a file the service puts in Error is
 * reported and makes the exit status 1.
 */

interface IngestJson {
  assetId: string;
  contentKeyId: string;
  manifestId: string;
  ok: boolean;
  files: Array<{ name: string; size: number; iv: string; md5: string; state: string; error: string | null; fileId: string | null; verified: boolean | null; problem: string | null }>;
}

let env: E2eEnv;
let storage: string[];
beforeAll(async () => {
  env = await startE2eEnv();
  storage = ['--storage-connection-string', env.emu.emulator.storage.connectionString];
}, 120_000);
afterAll(async () => {
  await env?.stop();
});
beforeEach(async () => {
  await env.emu.reset();
});

let folders = 0;
async function folder(files: Record<string, Buffer>): Promise<string> {
  const path = join(env.dir, `folder-${++folders}`);
  await mkdir(path);
  for (const [name, data] of Object.entries(files)) await writeFile(join(path, name), data);
  // Not sent: the command takes the files directly in the folder.
  await mkdir(join(path, 'nested'));
  await writeFile(join(path, 'nested', 'ignored.bin'), 'not sent');
  return path;
}

describe('ams-client ingest', () => {
  it('ingests a folder: one asset, each file Finished and read back as sent; the emulator verified them and found nothing wrong', async () => {
    const files = { 'a clip.mp4': randomBytes(300_000), 'b.bin': Buffer.from('second file\n'.repeat(500)), 'empty.txt': Buffer.alloc(0) };
    const path = await folder(files);
    const run = await env.cli(['ingest', path, ...env.connection, ...storage, '--name', 'bulk', '--manifest-name', 'bulk manifest', '--block-size', '64K']);
    expect(run.code, run.stderr).toBe(0);
    const lines = run.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^Ingested 3 files \(.+\) into asset nb:cid:UUID:[0-9a-f-]{36} through manifest nb:mid:UUID:[0-9a-f-]{36}$/);
    expect(lines.slice(1).map((l) => l.trim().split(/\s{2,}/)[0])).toEqual(['a clip.mp4', 'b.bin', 'empty.txt']);
    for (const line of lines.slice(1)) expect(line).toMatch(/Finished, verified \(MD5 [0-9a-f]{32}\)$/);
    const assetId = /into asset (\S+)/.exec(lines[0]!)![1]!;

    // The service's side: a storage-encrypted asset named as asked, each file with its own IV.
    const asset = await env.emu.ams('GET', entityPath('Assets', assetId));
    expect(asset.body).toMatchObject({ Name: 'bulk', Options: 1 });
    const assetFiles = (await env.emu.ams('GET', `${entityPath('Assets', assetId)}/Files`)).body.value as Array<Record<string, unknown>>;
    expect(assetFiles.map((f) => f.Name).sort()).toEqual(Object.keys(files).sort());
    for (const f of assetFiles) expect(f).toMatchObject({ IsEncrypted: true, EncryptionScheme: 'StorageEncryption', ContentFileSize: String(files[f.Name as keyof typeof files].length) });
    expect(new Set(assetFiles.map((f) => f.InitializationVector)).size).toBe(3);
    const manifests = (await env.emu.ams('GET', 'IngestManifests')).body.value as Array<Record<string, unknown>>;
    expect(manifests).toMatchObject([{ Name: 'bulk manifest', Statistics: { PendingFilesCount: 0, FinishedFilesCount: 3, ErrorFilesCount: 0 } }]);
    // The emulator decrypted each upload itself and agrees; no client mistake was seen.
    const verifications = await env.verifications(assetId);
    expect(verifications.map((v) => v.status)).not.toContain('failed');
    expect(verifications.filter((v) => v.status === 'verified').length).toBeGreaterThan(0);
    expect(await env.errorFindings()).toEqual([]);
  });

  it('--json: the result as one line, as the library returns it', async () => {
    const data = randomBytes(5000);
    const run = await env.cli(['ingest', await folder({ 'only.bin': data }), ...env.connection, ...storage, '--json']);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr).toBe('');
    const result = lastJsonLine<IngestJson>(run);
    expect(result.ok).toBe(true);
    expect(result.files).toEqual([
      expect.objectContaining({ name: 'only.bin', size: data.length, state: 'Finished', error: null, verified: true, problem: null, fileId: expect.stringMatching(/^nb:cid:UUID:/) }),
    ]);
    expect(result.contentKeyId).toMatch(/^nb:kid:UUID:/);
  });

  it('a file the service puts in Error is named with its ErrorDetail, and the exit status is 1', async () => {
    const path = await folder({ 'a.bin': randomBytes(1000), 'z.bin': randomBytes(1000) });
    // Each IngestManifestFile POST takes a second: time enough to give the new asset a file
    // named z.bin before the upload of z.bin arrives, so that its move is refused.
    await env.addFault({ entity: 'IngestManifestFiles', method: 'POST', latencyMs: 1000 });
    const sabotage = (async () => {
      for (let i = 0; i < 100; i++) {
        const found = (await env.emu.ams('GET', "Assets?$filter=Name eq 'clash'")).body.value as Array<{ Id: string }>;
        if (found.length > 0) {
          const made = await env.emu.ams('POST', 'Files', { body: { Name: 'z.bin', ParentAssetId: found[0]!.Id } });
          expect(made.status, made.text).toBe(201);
          return;
        }
        await new Promise((r) => setTimeout(r, 20));
      }
      throw new Error('the asset never appeared');
    })();
    const run = await env.cli(['ingest', path, ...env.connection, ...storage, '--name', 'clash']);
    await sabotage;
    expect(run.code).toBe(1);
    const lines = run.stdout.trimEnd().split('\n');
    expect(lines[1]).toMatch(/^ {2}a\.bin .* Finished, verified/);
    expect(lines[2]).toMatch(/^ {2}z\.bin .* Error: the asset 'nb:cid:UUID:[^']+' already has a file named 'z\.bin'$/);
    // The last line of stderr (progress lines come before it).
    expect(run.stderr.trimEnd().split('\n').at(-1)).toMatch(/^ams-client: 1 of 2 files did not arrive as sent: z\.bin \(the asset .* already has a file named 'z\.bin'\)$/);
  });

  it('refuses what it cannot do before creating anything: no storage credentials (2), a missing or empty folder (1)', async () => {
    const noStorage = await env.cli(['ingest', await folder({ 'x.bin': Buffer.from('x') }), ...env.connection]);
    expect(noStorage.code).toBe(2);
    expect(noStorage.stderr).toContain('--storage-connection-string');
    const missing = await env.cli(['ingest', join(env.dir, 'no-such-folder'), ...env.connection, ...storage]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('no such folder');
    const empty = join(env.dir, 'empty-folder');
    await mkdir(empty);
    const none = await env.cli(['ingest', empty, ...env.connection, ...storage]);
    expect(none.code).toBe(1);
    expect(none.stderr).toContain('has no files to ingest');
    expect((await env.emu.ams('GET', 'Assets')).body.value).toEqual([]);
    // The storage connection string may come from the environment instead.
    const fromEnv = await env.cli(['ingest', await folder({ 'y.bin': Buffer.from('y') }), ...env.connection, '--json'], { env: { AMS_STORAGE_CONNECTION_STRING: storage[1]! } });
    expect(fromEnv.code, fromEnv.stderr).toBe(0);
    expect(lastJsonLine<IngestJson>(fromEnv).ok).toBe(true);
  });

  it('is listed in the help, and the built bin runs it', async () => {
    const help = await env.cli(['--help']);
    expect(help.stdout).toMatch(/\n {2}ingest +Bulk-ingest a folder/);
    const own = await env.cli(['ingest', '--help']);
    expect(own.code).toBe(0);
    expect(own.stdout).toContain('Usage: ams-client ingest FOLDER...');
    expect(own.stdout).toContain('--storage-connection-string CS');
    const bin = await env.bin(['ingest', await folder({ 'bin.bin': randomBytes(100) }), ...env.connection, ...storage, '--json']);
    expect(bin.code, bin.stderr).toBe(0);
    expect(lastJsonLine<IngestJson>(bin).ok).toBe(true);
  });
});
