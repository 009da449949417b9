import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  amsCtr, certificateToBase64Der, contentKeyChecksum, createProtectionCertificate, parseIv,
} from '../src/crypto/index.js';
import { AssetCreationOptions, ContentKeyType } from '../src/rest/index.js';
import { blockId, download, uploadEncrypted } from '../src/workflows/index.js';
import { bytesFor, collector, md5Hex, startWorkflowEnv, streamOf, type WorkflowEnv } from './helpers/workflow-env.js';

let env: WorkflowEnv;
let dir: string;
beforeAll(async () => {
  env = await startWorkflowEnv();
  dir = await mkdtemp(join(tmpdir(), 'ams-client-workflow-'));
});
afterAll(async () => {
  await env?.stop();
  await rm(dir, { recursive: true, force: true });
});

/** What Azurite holds for a file, read with the account key (no SAS, no client code). */
async function storedBlob(assetId: string, name: string): Promise<{ bytes: Buffer; contentType: string | undefined; blocks: string[] }> {
  const blob = (await env.container(assetId)).getBlockBlobClient(name);
  const [bytes, properties, list] = await Promise.all([blob.downloadToBuffer(), blob.getProperties(), blob.getBlockList('committed')]);
  return { bytes, contentType: properties.contentType, blocks: (list.committedBlocks ?? []).map((b) => b.name) };
}

describe('uploadEncrypted then download', () => {
  it('stores what AMS storage encryption prescribes, and reads it back byte for byte', async () => {
    const movie = bytesFor(1, 1_000_003);
    const captions = bytesFor(2, 4_097);
    await writeFile(join(dir, 'movie.mp4'), movie);
    const progress: number[] = [];
    await env.clearCalls();

    const result = await uploadEncrypted(
      env.client,
      [join(dir, 'movie.mp4'), { name: 'captions.vtt', stream: streamOf(captions, 1000), size: captions.length }, { name: 'empty.txt', stream: streamOf(Buffer.alloc(0)), size: 0 }],
      { assetName: 'round trip', blockSize: 256 * 1024, parallelism: 3, onProgress: (p) => progress.push(p.totalBytes) },
    );

    // The service's view: an asset with Options 1 and the linked storage key, made the .NET way.
    const asset = await env.client.getAsset(result.assetId);
    expect(asset).toMatchObject({ Name: 'round trip', Options: AssetCreationOptions.StorageEncrypted });
    expect((await env.client.listAssetContentKeys(result.assetId)).map((k) => k.Id)).toEqual([result.contentKeyId]);
    const keyEntity = await env.client.getContentKey(result.contentKeyId);
    expect(result.contentKeyId).toMatch(/^nb:kid:UUID:[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    const key = await env.clearKey(result.contentKeyId);
    expect(key).toHaveLength(32);
    expect(keyEntity).toMatchObject({
      ContentKeyType: ContentKeyType.StorageEncryption,
      ProtectionKeyType: 0,
      ProtectionKeyId: env.emu.emulator.protectionKeyId,
      Checksum: contentKeyChecksum(key, result.contentKeyId),
    });

    const clear: Record<string, Buffer> = { 'movie.mp4': movie, 'captions.vtt': captions, 'empty.txt': Buffer.alloc(0) };
    const types: Record<string, string> = { 'movie.mp4': 'video/mp4', 'captions.vtt': 'text/vtt', 'empty.txt': 'text/plain' };
    expect(result.files.map((f) => f.name)).toEqual(['movie.mp4', 'captions.vtt', 'empty.txt']);
    for (const file of result.files) {
      const entity = await env.client.getFile(file.id);
      expect(entity).toMatchObject({
        Name: file.name,
        ParentAssetId: result.assetId,
        IsEncrypted: true,
        EncryptionScheme: 'StorageEncryption',
        EncryptionVersion: '1.0',
        EncryptionKeyId: result.contentKeyId,
        InitializationVector: file.iv,
        MimeType: types[file.name],
        ContentFileSize: BigInt(clear[file.name]!.length),
        ContentChecksum: md5Hex(clear[file.name]!),
      });
      expect(file).toMatchObject({ size: clear[file.name]!.length, md5: md5Hex(clear[file.name]!) });

      // The blob, computed independently: AES-CTR of the whole clear file from offset 0.
      const stored = await storedBlob(result.assetId, file.name);
      expect(stored.bytes.equals(amsCtr(key, parseIv(file.iv), clear[file.name]!, 0))).toBe(true);
      expect(stored.contentType).toBe(types[file.name]);
      const blockCount = Math.ceil(clear[file.name]!.length / (256 * 1024));
      expect(stored.blocks).toEqual(Array.from({ length: blockCount }, (_, i) => blockId(i)));
    }
    expect(new Set(result.files.map((f) => f.iv)).size).toBe(3);
    expect(progress.at(-1)).toBe(movie.length + captions.length);

    // The temporary write access is gone again.
    expect(await env.writeAccessLeft()).toEqual({ locators: [], accessPolicies: [] });
    expect((await env.calls()).filter((c) => c.method === 'DELETE' && c.path.startsWith('/api/Locators(') && c.status === 204)).toHaveLength(1);

    // Download to a path (positional writes) and to a Writable (in order).
    const target = join(dir, 'movie.out');
    const toPath = await download(env.client, result.assetId, 'movie.mp4', target, { blockSize: 64 * 1024, parallelism: 5 });
    expect(toPath).toMatchObject({ size: movie.length, md5: md5Hex(movie), checksumVerified: true });
    expect((await readFile(target)).equals(movie)).toBe(true);
    const sink = collector();
    await download(env.client, result.assetId, 'captions.vtt', sink.stream, { blockSize: 1024, parallelism: 2 });
    expect(sink.bytes().equals(captions)).toBe(true);
    const empty = join(dir, 'empty.out');
    await download(env.client, result.assetId, 'empty.txt', empty);
    expect(await readFile(empty)).toHaveLength(0);
    expect(await env.writeAccessLeft()).toEqual({ locators: [], accessPolicies: [] });
  });

  it('downloads with the key re-wrapped to a client certificate instead of in clear', async () => {
    const data = bytesFor(3, 70_000);
    const { assetId } = await uploadEncrypted(env.client, [{ name: 'a.bin', stream: streamOf(data), size: data.length }], { blockSize: 16 * 1024 });
    const mine = createProtectionCertificate({ commonName: 'client' });
    const before = (await env.callUrls()).length;
    const sink = collector();
    await download(env.client, assetId, 'a.bin', sink.stream, { key: { kind: 'certificate', certificate: mine.der, privateKey: mine.privateKeyPem } });
    expect(sink.bytes().equals(data)).toBe(true);
    const rebind = (await env.callUrls()).slice(before).map((url) => decodeURIComponent(url)).find((url) => url.startsWith('/api/RebindContentKey'));
    expect(rebind).toBeDefined();
    expect(rebind).toContain(`x509Certificate='${certificateToBase64Der(mine.der)}'`);
  });

  it('round-trips any size, block size and parallelism', async () => {
    const shape = fc
      .record({
        blockSize: fc.oneof(fc.integer({ min: 1, max: 64 }), fc.integer({ min: 1, max: 32_768 })).map((n) => n * 16),
        uploadParallelism: fc.integer({ min: 1, max: 6 }),
        downloadBlockSize: fc.integer({ min: 1, max: 16_384 }).map((n) => n * 16),
        downloadParallelism: fc.integer({ min: 1, max: 6 }),
        seed: fc.nat(),
      })
      .chain((s) =>
        fc.record({
          s: fc.constant(s),
          size: fc.oneof(
            fc.constantFrom(0, 1, 15, 16, 17),
            fc.tuple(fc.integer({ min: 0, max: 4 }), fc.integer({ min: -1, max: 1 })).map(([k, d]) => Math.max(0, k * s.blockSize + d)),
            fc.integer({ min: 0, max: Math.min(2 * 1024 * 1024, 48 * s.blockSize) }),
          ),
        }),
      );
    await fc.assert(
      fc.asyncProperty(shape, async ({ s, size }) => {
        const data = bytesFor(s.seed, size);
        const { assetId, contentKeyId, files } = await uploadEncrypted(env.client, [{ name: 'f.mp4', stream: streamOf(data, 10_007), size }], {
          blockSize: s.blockSize,
          parallelism: s.uploadParallelism,
        });
        const stored = await storedBlob(assetId, 'f.mp4');
        expect(stored.bytes.equals(amsCtr(await env.clearKey(contentKeyId), parseIv(files[0]!.iv), data, 0))).toBe(true);
        expect((await env.client.getFile(files[0]!.id)).ContentChecksum).toBe(md5Hex(data));
        // Ranges too small for the file would only make the run slow (thousands of requests): keep them under 64.
        const downloadBlockSize = Math.max(s.downloadBlockSize, Math.ceil(size / 64 / 16) * 16);
        const sink = collector();
        await download(env.client, assetId, 'f.mp4', sink.stream, { blockSize: downloadBlockSize, parallelism: s.downloadParallelism });
        expect(sink.bytes().equals(data)).toBe(true);
      }),
      { numRuns: 20 },
    );
    expect((await env.writeAccessLeft()).locators).toEqual([]);
  });
});
