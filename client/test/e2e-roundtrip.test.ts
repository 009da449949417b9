import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { keyRetrieval } from '../src/cli/download.js';
import { createProtectionCertificate } from '../src/crypto/index.js';
import { lastJsonLine, startE2eEnv, type DownloadJson, type E2eEnv, type UploadJson } from './helpers/e2e-env.js';
import { bytesFor, md5Hex } from './helpers/workflow-env.js';

/**
 * upload then download through the CLI against the emulator and its real Azurite: the bytes come
 * back as they went in, and the emulator's own decrypt verification agrees that they were
 * encrypted the AMS way.
 */

let env: E2eEnv;
beforeAll(async () => {
  env = await startE2eEnv();
});
afterAll(async () => {
  await env?.stop();
});
beforeEach(async () => {
  await env.emu.reset();
});

let fileCounter = 0;

/** Upload `data` as one file, download it again; returns what came back and the upload's answer. */
async function roundTrip(data: Buffer, transfer: { blockSize: number; parallel: number; odata?: 'minimal' | 'verbose' }): Promise<{ back: Buffer; uploaded: UploadJson }> {
  const name = `f${++fileCounter}.bin`;
  const path = join(env.dir, name);
  await writeFile(path, data);
  const shape = ['--block-size', String(transfer.blockSize), '--parallel', String(transfer.parallel), '--odata', transfer.odata ?? 'minimal'];
  const up = await env.cli(['upload', path, ...env.connection, ...shape, '--json']);
  expect(up.stderr).toBe('');
  expect(up.code).toBe(0);
  const uploaded = lastJsonLine<UploadJson>(up);

  const out = join(env.dir, `${name}.out`);
  const down = await env.cli(['download', ...env.connection, '--asset', uploaded.assetId, '--file', name, '--out', out, ...shape, '--json']);
  expect(down.stderr).toBe('');
  expect(down.code).toBe(0);
  expect(lastJsonLine<DownloadJson>(down).files[0]).toMatchObject({ name, size: data.length, path: out, md5: md5Hex(data), checksumVerified: true });
  const back = await readFile(out);
  await Promise.all([rm(path), rm(out)]);
  return { back, uploaded };
}

async function expectVerified(assetId: string, fileCount: number): Promise<void> {
  const verifications = await env.verifications(assetId);
  expect(verifications).toHaveLength(fileCount);
  for (const v of verifications) expect({ file: v.fileName, status: v.status, reason: v.reason }).toMatchObject({ status: 'verified' });
  expect(await env.errorFindings()).toEqual([]);
}

describe('upload then download gives the same bytes', () => {
  it.each([
    [0, 16, 1],
    [1, 16, 1],
    [15, 16, 2],
    [16, 16, 2],
    [17, 16, 3],
    // around block boundaries: one short of, exactly, one past two blocks
    [2 * 4096 - 1, 4096, 3],
    [2 * 4096, 4096, 3],
    [2 * 4096 + 1, 4096, 3],
  ])('%i bytes in blocks of %i, %i in parallel; the emulator verifies the upload', async (size, blockSize, parallel) => {
    const data = bytesFor(size, size);
    const { back, uploaded } = await roundTrip(data, { blockSize, parallel });
    expect(back.equals(data)).toBe(true);
    expect(uploaded.files[0]).toMatchObject({ size, md5: md5Hex(data) });
    await expectVerified(uploaded.assetId, 1);
  });

  it('several MB in the default 4 MiB blocks, and in 1 MiB blocks eight at a time', async () => {
    const data = bytesFor(99, 9 * 1024 * 1024 + 5);
    for (const shape of [{ blockSize: 4 * 1024 * 1024, parallel: 4 }, { blockSize: 1024 * 1024, parallel: 8 }]) {
      const { back, uploaded } = await roundTrip(data, shape);
      expect(back.equals(data)).toBe(true);
      await expectVerified(uploaded.assetId, 1);
    }
  });

  it('for random sizes, block sizes (multiples of 16) and parallelism (property)', async () => {
    const shape = fc
      .record({ blocks16: fc.integer({ min: 1, max: 16 * 1024 }), parallel: fc.integer({ min: 1, max: 8 }) })
      .chain(({ blocks16, parallel }) => {
        const blockSize = blocks16 * 16;
        const size = fc.oneof(
          fc.constantFrom(0, 1, 15, 16, 17),
          // next to a block boundary
          fc.tuple(fc.integer({ min: 1, max: 4 }), fc.integer({ min: -1, max: 1 })).map(([k, d]) => k * blockSize + d),
          // anything up to 64 blocks and 3 MiB, so each run stays well under a second
          fc.integer({ min: 0, max: Math.min(64 * blockSize, 3 * 1024 * 1024) }),
        );
        return fc.record({ blockSize: fc.constant(blockSize), parallel: fc.constant(parallel), size, seed: fc.integer() });
      });
    await fc.assert(
      fc.asyncProperty(shape, async ({ blockSize, parallel, size, seed }) => {
        const data = bytesFor(seed, size);
        const { back, uploaded } = await roundTrip(data, { blockSize, parallel });
        expect(back.equals(data)).toBe(true);
        await expectVerified(uploaded.assetId, 1);
      }),
      { numRuns: 12 },
    );
  });
});

describe('download --rebind-cert/--rebind-key: the key wrapped to your certificate, never in clear', () => {
  const pems = async () => {
    const own = createProtectionCertificate({ bits: 2048 });
    const other = createProtectionCertificate({ bits: 2048 });
    const cert = join(env.dir, 'own.pem');
    const key = join(env.dir, 'own.key');
    const otherKey = join(env.dir, 'other.key');
    await writeFile(cert, own.certificatePem);
    await writeFile(key, own.privateKeyPem);
    await writeFile(otherKey, other.privateKeyPem);
    return { cert, key, otherKey };
  };

  it('downloads and decrypts the same bytes, asking for the key wrapped to the certificate', async () => {
    const { cert, key } = await pems();
    // The flags become the workflow's certificate retrieval (the workflow tests cover what it sends).
    const retrieval = await keyRetrieval(cert, key);
    expect(retrieval).toMatchObject({ kind: 'certificate', privateKey: await readFile(key, 'utf8') });
    const data = bytesFor(7, 100_003);
    const path = join(env.dir, 'rebind.bin');
    await writeFile(path, data);
    const uploaded = lastJsonLine<UploadJson>(await env.cli(['upload', path, ...env.connection, '--json']));
    const out = join(env.dir, 'rebind.out');
    const down = await env.cli(['download', ...env.connection, '--asset', uploaded.assetId, '--out', out, '--file', 'rebind.bin', '--rebind-cert', cert, '--rebind-key', key, '--json']);
    expect(down.stderr).toBe('');
    expect(down.code).toBe(0);
    expect((await readFile(out)).equals(data)).toBe(true);
  });

  it('refuses a key that is not the certificate\'s, and one flag without the other, before asking the service anything', async () => {
    const { cert, otherKey } = await pems();
    const asset = 'nb:cid:UUID:00000000-0000-0000-0000-000000000000';
    const mismatch = await env.cli(['download', ...env.connection, '--asset', asset, '--out', env.dir, '--rebind-cert', cert, '--rebind-key', otherKey]);
    expect(mismatch.code).toBe(1);
    expect(mismatch.stderr).toBe(`ams-client: the --rebind-key file ${JSON.stringify(otherKey)} is not the private key of the --rebind-cert certificate ${JSON.stringify(cert)}\n`);
    const alone = await env.cli(['download', ...env.connection, '--asset', asset, '--out', env.dir, '--rebind-cert', cert]);
    expect(alone.code).toBe(2);
    expect(alone.stderr).toMatch(/^ams-client: --rebind-cert and --rebind-key go together/);
    expect(await env.requests()).toEqual([]);
  });
});

describe('several files, both JSON dialects', () => {
  it.each(['minimal', 'verbose'] as const)('uploads three files into one asset and downloads them all into a directory (%s JSON)', async (odata) => {
    const files = { 'movie.mp4': bytesFor(1, 300_001), 'captions.vtt': bytesFor(2, 4_097), 'empty.txt': Buffer.alloc(0) };
    const paths = await Promise.all(Object.entries(files).map(async ([name, data]) => {
      const path = join(env.dir, name);
      await writeFile(path, data);
      return path;
    }));
    const up = await env.cli(['upload', ...paths, ...env.connection, '--odata', odata, '--name', `three files ${odata}`, '--block-size', '64K', '--json']);
    expect(up.stderr).toBe('');
    expect(up.code).toBe(0);
    const uploaded = lastJsonLine<UploadJson>(up);
    expect(uploaded.files.map((f) => [f.name, f.size])).toEqual(Object.entries(files).map(([name, data]) => [name, data.length]));
    // Fresh IVs: no two files of the asset share one under its content key.
    expect(new Set(uploaded.files.map((f) => f.iv)).size).toBe(3);

    const out = join(env.dir, `all-${odata}`);
    const down = await env.cli(['download', ...env.connection, '--odata', odata, '--asset', uploaded.assetId, '--out', out]);
    expect(down.code).toBe(0);
    expect(down.stdout).toContain(`Downloaded 3 files`);
    for (const [name, data] of Object.entries(files)) expect((await readFile(join(out, name))).equals(data)).toBe(true);
    await expectVerified(uploaded.assetId, 3);

    // One file into an existing directory: it lands there under its own name.
    const into = join(env.dir, `one-${odata}`);
    await mkdir(into);
    const one = await env.cli(['download', ...env.connection, '--asset', uploaded.assetId, '--file', 'captions.vtt', '--out', into, '--json']);
    expect(lastJsonLine<DownloadJson>(one).files.map((f) => f.path)).toEqual([join(into, 'captions.vtt')]);
    expect((await readFile(join(into, 'captions.vtt'))).equals(files['captions.vtt'])).toBe(true);

    // The asset the service keeps: its name, and a storage key linked to it.
    const assets = await env.cli(['ls', 'assets', ...env.connection, '--odata', odata, '--json']);
    expect(JSON.parse(assets.stdout)).toEqual([expect.objectContaining({ Id: uploaded.assetId, Name: `three files ${odata}`, Options: 1 })]);
    const keys = await env.cli(['ls', 'keys', ...env.connection, '--asset', uploaded.assetId, '--json']);
    expect(JSON.parse(keys.stdout)).toEqual([expect.objectContaining({ Id: uploaded.contentKeyId, ContentKeyType: 1 })]);
    // No temporary access is left behind.
    expect(await env.cli(['ls', 'locators', ...env.connection])).toMatchObject({ code: 0, stdout: 'No locators.\n' });
  });
});
