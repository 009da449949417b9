import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestEmulator, entityPath, type TestEmulator } from '../../../test/support/emulator.js';
import { admin, findingsOf, mp4Like, mpegTsLike, newEncryptedAsset, uploadFile, verificationOf } from '../helpers/upload-workflow.js';

/**
 * Correct uploads verify, whatever their size, IV, block layout and client flow; and the
 * verification follows the file: several MERGEs verify its last state, a re-upload verifies again.
 */

let emu: TestEmulator;
beforeAll(async () => {
  emu = await startTestEmulator();
});
afterAll(() => emu.close());

const statusOf = (v: Record<string, unknown>) => ({ status: v['status'], reasonCode: v['reasonCode'] });

describe('correct uploads verify', () => {
  it.each([0, 1, 15, 16, 17, 4096 + 3])('%i bytes with a ContentChecksum (one Put Blob)', async (size) => {
    const upload = await uploadFile(emu, { data: randomBytes(size), name: `clear-${size}.bin`, contentChecksum: true });
    const v = await verificationOf(emu, upload.fileId);
    expect(statusOf(v), JSON.stringify(v)).toEqual({ status: 'verified', reasonCode: 'verified' });
    expect(v['basis']).toBe('digest');
    expect(v['clear']).toMatchObject({ bytes: size, md5: upload.md5 });
    expect(v['diagnosis']).toBeNull();
    expect(await findingsOf(emu, upload.fileId)).toEqual([]);
  });

  it('a few MB in 1 MiB blocks staged in parallel, with an IV above 2^63', async () => {
    const iv = (1n << 64n) - 12345n;
    const upload = await uploadFile(emu, { data: mp4Like(3 * 1024 * 1024 + 17), blockSize: 1024 * 1024, parallelism: 4, iv, contentChecksum: true });
    const v = await verificationOf(emu, upload.fileId);
    expect(statusOf(v), JSON.stringify(v)).toEqual({ status: 'verified', reasonCode: 'verified' });
    expect(v['checks']).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ name: 'encryption', status: 'passed', detail: expect.stringContaining(iv.toString()) }),
        expect.objectContaining({ name: 'content-length', status: 'passed' }),
        expect.objectContaining({ name: 'content-checksum', status: 'passed' }),
        expect.objectContaining({ name: 'content-type', status: 'passed' }),
      ]),
    );
  });

  it('with no digest, by the declared type: MP4 and MPEG-TS pass their signatures', async () => {
    for (const [name, data] of [['movie.mp4', mp4Like(100_000)], ['stream.ts', mpegTsLike(700)]] as const) {
      const upload = await uploadFile(emu, { data, name, blockSize: 32 * 1024 });
      const v = await verificationOf(emu, upload.fileId);
      expect(statusOf(v), JSON.stringify(v)).toEqual({ status: 'verified', reasonCode: 'verified' });
      expect(v['basis']).toBe('signature');
    }
  });

  it('with no digest and no signature to go on: unverifiable, not verified, and no finding either way', async () => {
    const upload = await uploadFile(emu, { data: randomBytes(5000), name: 'data.bin', mimeType: 'application/octet-stream' });
    const v = await verificationOf(emu, upload.fileId);
    expect(v['status']).toBe('unverifiable');
    expect(v['reasonCode']).toBe('no-evidence');
    expect(v['basis']).toBeNull();
    expect(v['reason']).toMatch(/Send ContentChecksum/);
    expect(v['checks']).toContainEqual(expect.objectContaining({ name: 'content-type', status: 'inconclusive' }));
    expect(await findingsOf(emu, upload.fileId)).toEqual([]);
  });

  it('an empty file with no digest is verified: its length is its whole content', async () => {
    const upload = await uploadFile(emu, { data: Buffer.alloc(0), name: 'empty.bin' });
    const v = await verificationOf(emu, upload.fileId);
    expect([v['status'], v['basis']]).toEqual(['verified', 'length']);
  });

  it('an expected SHA-256 registered through /_emulator is checked', async () => {
    const data = mp4Like(70_000);
    const upload = await uploadFile(emu, { data, contentChecksum: true });
    const set = await admin(emu, 'POST', `files/${encodeURIComponent(upload.fileId)}/expect`, { sha256: upload.sha256.toUpperCase() });
    expect(set.status, set.text).toBe(200);
    const v = await verificationOf(emu, upload.fileId);
    expect(v['status']).toBe('verified');
    expect(v['checks']).toContainEqual(expect.objectContaining({ name: 'expected-sha256', status: 'passed' }));
    expect(v['clear']).toMatchObject({ sha256: upload.sha256 });
  });

  it('the Java/PHP flow: upload first, CreateFileInfos, then MERGE the encryption fields', async () => {
    const upload = await uploadFile(emu, { data: mp4Like(300_000), flow: 'upload-first', blockSize: 100_000, contentChecksum: true });
    const v = await verificationOf(emu, upload.fileId);
    expect(statusOf(v), JSON.stringify(v)).toEqual({ status: 'verified', reasonCode: 'verified' });
    expect(v['trigger']).toMatchObject({ method: 'MERGE', requestId: upload.completing.requestId });
  });
});

describe('the project\'s own reference client', () => {
  it('uploads that verify, in several blocks, with its ContentChecksum', async () => {
    const { Readable } = await import('node:stream');
    const { AmsClient } = await import('../../../client/src/rest/client.js');
    const { uploadEncrypted } = await import('../../../client/src/workflows/upload.js');
    const client = new AmsClient({ endpoint: emu.url, auth: { kind: 'static', token: 'test' } });
    const movie = mp4Like(700_000);
    const subtitles = Buffer.from('WEBVTT\n\n00:00.000 --> 00:01.000\nHallo, Welt ✓\n');
    const result = await uploadEncrypted(
      client,
      [
        { name: 'movie.mp4', stream: Readable.from([movie]), size: movie.length },
        { name: 'subtitles.vtt', stream: Readable.from([subtitles]), size: subtitles.length },
      ],
      { blockSize: 256 * 1024 },
    );
    for (const file of result.files) {
      const v = await verificationOf(emu, file.id);
      expect(statusOf(v), JSON.stringify(v)).toEqual({ status: 'verified', reasonCode: 'verified' });
      expect(v['checks']).toContainEqual(expect.objectContaining({ name: 'content-type', status: 'passed' }));
    }
  });
});

describe('when verification runs', () => {
  it('a file created before its upload is skipped for want of a blob, and verified by the MERGE after it', async () => {
    const asset = await newEncryptedAsset(emu);
    const created = await emu.ams('POST', 'Files', { body: { Name: 'later.mp4', ParentAssetId: asset.assetId, IsEncrypted: true, EncryptionScheme: 'StorageEncryption', EncryptionVersion: '1.0', EncryptionKeyId: asset.keyId, InitializationVector: '42' } });
    expect(created.status).toBe(201);
    const before = await verificationOf(emu, String(created.body.Id));
    expect(statusOf(before)).toEqual({ status: 'skipped', reasonCode: 'no-blob' });
  });

  it('a POST Files after the upload, with every field, completes it', async () => {
    const asset = await newEncryptedAsset(emu);
    const policy = await emu.ams('POST', 'AccessPolicies', { body: { Name: 'w', DurationInMinutes: 10, Permissions: 2 } });
    const locator = await emu.ams('POST', 'Locators', { body: { AccessPolicyId: policy.body.Id, AssetId: asset.assetId, Type: 1 } });
    const { BlockBlobClient } = await import('@azure/storage-blob');
    const { AmsCtr, formatIv, randomIv } = await import('../../../client/src/crypto/index.js');
    const iv = randomIv();
    const data = mp4Like(12_345);
    await new BlockBlobClient(`${locator.body.BaseUri}/first.mp4${locator.body.ContentAccessComponent}`).uploadData(new AmsCtr(asset.key, iv).update(data));
    const created = await emu.ams('POST', 'Files', {
      body: { Name: 'first.mp4', ParentAssetId: asset.assetId, IsEncrypted: true, EncryptionScheme: 'StorageEncryption', EncryptionVersion: '1.0', EncryptionKeyId: asset.keyId, InitializationVector: formatIv(iv), ContentFileSize: '12345', MimeType: 'video/mp4' },
    });
    expect(created.status, created.text).toBe(201);
    const v = await verificationOf(emu, String(created.body.Id));
    expect(statusOf(v), JSON.stringify(v)).toEqual({ status: 'verified', reasonCode: 'verified' });
    expect(v['trigger']).toMatchObject({ method: 'POST' });
  });

  it('CreateFileInfos on an encrypted asset waits for the MERGE of the encryption fields', async () => {
    const asset = await newEncryptedAsset(emu);
    const policy = await emu.ams('POST', 'AccessPolicies', { body: { Name: 'w', DurationInMinutes: 10, Permissions: 2 } });
    const locator = await emu.ams('POST', 'Locators', { body: { AccessPolicyId: policy.body.Id, AssetId: asset.assetId, Type: 1 } });
    const { BlockBlobClient } = await import('@azure/storage-blob');
    await new BlockBlobClient(`${locator.body.BaseUri}/raw.mp4${locator.body.ContentAccessComponent}`).uploadData(randomBytes(1000));
    expect((await emu.ams('GET', `CreateFileInfos?assetid='${encodeURIComponent(asset.assetId)}'`)).status).toBe(204);
    const files = await emu.ams('GET', `${entityPath('Assets', asset.assetId)}/Files`);
    const fileId = String(files.body.value[0].Id);
    const v = await verificationOf(emu, fileId);
    expect(statusOf(v)).toEqual({ status: 'skipped', reasonCode: 'awaiting-encryption-metadata' });
    expect(await findingsOf(emu, fileId)).toEqual([]);
  });

  it('several MERGEs in a row verify the last state once: an intermediate wrong size leaves no finding', async () => {
    const data = mp4Like(20_000);
    const upload = await uploadFile(emu, { data, contentFileSize: 'omit' });
    const path = entityPath('Files', upload.fileId);
    expect((await emu.ams('MERGE', path, { body: { ContentFileSize: '19999' } })).status).toBe(204);
    expect((await emu.ams('MERGE', path, { body: { ContentFileSize: '20000', ContentChecksum: upload.md5 } })).status).toBe(204);
    const v = await verificationOf(emu, upload.fileId);
    expect(statusOf(v), JSON.stringify(v)).toEqual({ status: 'verified', reasonCode: 'verified' });
    expect(await findingsOf(emu, upload.fileId)).toEqual([]);
  });

  it('a re-upload with a new MERGE is verified again', async () => {
    const bad = await uploadFile(emu, { data: mp4Like(20_000), contentChecksum: true, mistake: { kind: 'counter-starts-at-1' } });
    expect((await verificationOf(emu, bad.fileId))['status']).toBe('failed');
    const policy = await emu.ams('POST', 'AccessPolicies', { body: { Name: 'w', DurationInMinutes: 10, Permissions: 2 } });
    const locator = await emu.ams('POST', 'Locators', { body: { AccessPolicyId: policy.body.Id, AssetId: bad.assetId, Type: 1 } });
    const { BlockBlobClient } = await import('@azure/storage-blob');
    const { AmsCtr } = await import('../../../client/src/crypto/index.js');
    const data = mp4Like(20_000);
    await new BlockBlobClient(`${locator.body.BaseUri}/${bad.name}${locator.body.ContentAccessComponent}`).uploadData(new AmsCtr(bad.key, bad.iv).update(data));
    const { createHash } = await import('node:crypto');
    expect((await emu.ams('MERGE', entityPath('Files', bad.fileId), { body: { ContentChecksum: createHash('md5').update(data).digest('hex') } })).status).toBe(204);
    const v = await verificationOf(emu, bad.fileId);
    expect(statusOf(v), JSON.stringify(v)).toEqual({ status: 'verified', reasonCode: 'verified' });
  });

  it('on demand: POST /_emulator/files/{id}/verify answers with the result', async () => {
    const upload = await uploadFile(emu, { data: mp4Like(10_000), contentChecksum: true });
    const res = await admin(emu, 'POST', `files/${encodeURIComponent(upload.fileId)}/verify`);
    expect(res.status, res.text).toBe(200);
    expect(res.body['status']).toBe('verified');
    const byAsset = await admin(emu, 'POST', `assets/${encodeURIComponent(upload.assetId)}/verify`);
    expect(byAsset.status, byAsset.text).toBe(200);
    expect(byAsset.body['verifications']).toEqual([expect.objectContaining({ fileId: upload.fileId, status: 'verified' })]);
  });
});
