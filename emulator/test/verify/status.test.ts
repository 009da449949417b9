import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BlockBlobClient } from '@azure/storage-blob';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AmsCtr, formatIv, randomIv } from '../../../client/src/crypto/index.js';
import { entityPath, startTestEmulator, type JsonBody, type TestEmulator } from '../../../test/support/emulator.js';
import { openStore } from '../../src/store/index.js';
import { VERIFICATIONS } from '../../src/verify/verification-store.js';
import { admin, findingsOf, mp4Like, newEncryptedAsset, uploadFile, verificationOf } from '../helpers/upload-workflow.js';

/** Skipped and failed states other than wrong bytes, the endpoints' contracts, and persistence. */

let emu: TestEmulator;
beforeAll(async () => {
  emu = await startTestEmulator();
});
afterAll(() => emu.close());

async function putBlob(assetId: string, name: string, bytes: Buffer): Promise<void> {
  const policy = await emu.ams('POST', 'AccessPolicies', { body: { Name: 'w', DurationInMinutes: 10, Permissions: 2 } });
  const locator = await emu.ams('POST', 'Locators', { body: { AccessPolicyId: policy.body.Id, AssetId: assetId, Type: 1 } });
  await new BlockBlobClient(`${locator.body.BaseUri}/${name}${locator.body.ContentAccessComponent}`).uploadData(bytes);
}

async function createFile(body: JsonBody): Promise<string> {
  const res = await emu.ams('POST', 'Files', { body });
  expect(res.status, res.text).toBe(201);
  return String(res.body.Id);
}

describe('lengths', () => {
  it('a blob longer than ContentFileSize: failed, content-length-mismatch', async () => {
    const upload = await uploadFile(emu, { data: randomBytes(1000), name: 'data.bin', contentFileSize: 990 });
    const v = await verificationOf(emu, upload.fileId);
    expect(v).toMatchObject({ status: 'failed', reasonCode: 'content-length-mismatch' });
    expect(v['checks']).toContainEqual(expect.objectContaining({ name: 'content-length', status: 'failed', detail: expect.stringContaining('1000 bytes but ContentFileSize is 990') }));
    const findings = await findingsOf(emu, upload.fileId);
    expect(findings).toEqual([expect.objectContaining({ rule: 'content-length-mismatch', blobBytes: 1000, contentFileSize: 990, requestId: upload.completing.requestId })]);
  });

  it('a blob padded to a whole AES block is told so', async () => {
    const upload = await uploadFile(emu, { data: randomBytes(112), name: 'padded.bin', contentFileSize: 100 });
    const v = await verificationOf(emu, upload.fileId);
    expect(v['reason']).toContain('padded to a whole AES block');
  });
});

describe('skipped, with the reason', () => {
  it('no blob: the file was MERGEd but nothing was uploaded', async () => {
    const asset = await newEncryptedAsset(emu);
    const fileId = await createFile({ Name: 'ghost.mp4', ParentAssetId: asset.assetId, IsEncrypted: true, EncryptionScheme: 'StorageEncryption', EncryptionVersion: '1.0', EncryptionKeyId: asset.keyId, InitializationVector: formatIv(randomIv()) });
    expect((await emu.ams('MERGE', entityPath('Files', fileId), { body: { ContentFileSize: '1000' } })).status).toBe(204);
    const v = await verificationOf(emu, fileId);
    expect(v).toMatchObject({ status: 'skipped', reasonCode: 'no-blob' });
    expect(v['reason']).toContain("no blob named 'ghost.mp4'");
    const onDemand = await admin(emu, 'POST', `files/${encodeURIComponent(fileId)}/verify`);
    expect(onDemand.body).toMatchObject({ status: 'skipped', reasonCode: 'no-blob' });
  });

  it('no content key linked and none named', async () => {
    const upload = await uploadFile(emu, { data: mp4Like(5000), linkKey: false, sendKeyId: false, contentChecksum: true });
    const v = await verificationOf(emu, upload.fileId);
    expect(v).toMatchObject({ status: 'skipped', reasonCode: 'no-content-key' });
    expect(v['reason']).toContain('Link the asset');
  });

  it('ContentFileSize never set: waits for it, and an on-demand verify reports the length', async () => {
    const upload = await uploadFile(emu, { data: mp4Like(5000), contentFileSize: 'omit' });
    expect(await verificationOf(emu, upload.fileId)).toMatchObject({ status: 'skipped', reasonCode: 'awaiting-content-file-size' });
    const forced = await admin(emu, 'POST', `files/${encodeURIComponent(upload.fileId)}/verify`);
    expect(forced.body).toMatchObject({ status: 'failed', reasonCode: 'content-length-mismatch' });
    expect(forced.body['reason']).toContain('ContentFileSize was never set');
  });
});

describe('files that are not encrypted', () => {
  it('are checked as they are, and say so', async () => {
    const asset = await emu.ams('POST', 'Assets', { body: { Name: 'clear', Options: 0 } });
    const assetId = String(asset.body.Id);
    const data = mp4Like(9000);
    await putBlob(assetId, 'clear.mp4', data);
    const fileId = await createFile({ Name: 'clear.mp4', ParentAssetId: assetId, MimeType: 'video/mp4', ContentFileSize: '9000', ContentChecksum: createHash('md5').update(data).digest('hex') });
    const v = await verificationOf(emu, fileId);
    expect(v).toMatchObject({ status: 'verified', encrypted: false });
    expect(v['checks']).toContainEqual(expect.objectContaining({ name: 'encryption', status: 'skipped', detail: expect.stringContaining('not encrypted') }));
  });

  it('a wrong clear blob is content-verification-failed', async () => {
    const asset = await emu.ams('POST', 'Assets', { body: { Name: 'clear', Options: 0 } });
    const assetId = String(asset.body.Id);
    await putBlob(assetId, 'wrong.bin', randomBytes(300));
    const fileId = await createFile({ Name: 'wrong.bin', ParentAssetId: assetId, ContentFileSize: '300', ContentChecksum: randomBytes(16).toString('hex') });
    expect(await verificationOf(emu, fileId)).toMatchObject({ status: 'failed', reasonCode: 'content-mismatch' });
    expect(await findingsOf(emu, fileId)).toEqual([expect.objectContaining({ rule: 'content-verification-failed' })]);
  });

  it('encrypted bytes in a file that says IsEncrypted false: on demand, diagnosed', async () => {
    const asset = await newEncryptedAsset(emu);
    const iv = randomIv();
    const data = mp4Like(20_000);
    await putBlob(asset.assetId, 'forgot.mp4', new AmsCtr(asset.key, iv).update(data));
    const fileId = await createFile({ Name: 'forgot.mp4', ParentAssetId: asset.assetId, MimeType: 'video/mp4', ContentFileSize: '20000', InitializationVector: formatIv(iv) });
    expect(await verificationOf(emu, fileId)).toMatchObject({ status: 'skipped', reasonCode: 'awaiting-encryption-metadata' });
    const forced = await admin(emu, 'POST', `files/${encodeURIComponent(fileId)}/verify`);
    expect(forced.body).toMatchObject({ status: 'failed', diagnosis: { id: 'encrypted-but-marked-clear', evidence: 'signature' } });
  });
});

describe('the /_emulator verification endpoints', () => {
  it('refuse a malformed expectation, unknown files and a bad wait', async () => {
    const upload = await uploadFile(emu, { data: mp4Like(3000), contentChecksum: true });
    const path = `files/${encodeURIComponent(upload.fileId)}`;
    for (const body of [{ sha256: 'abc' }, { sha256: 42 }, {}, 'not json']) {
      const res = await admin(emu, 'POST', `${path}/expect`, body);
      expect(res.status, `${JSON.stringify(body)}: ${res.text}`).toBe(400);
    }
    expect((await admin(emu, 'POST', `${path}/expect`, { sha256: null })).status).toBe(200);
    expect((await admin(emu, 'GET', `files/${encodeURIComponent('nb:cid:UUID:00000000-0000-0000-0000-000000000000')}/verification`)).status).toBe(404);
    expect((await admin(emu, 'GET', 'files/not-an-id/verification')).status).toBe(400);
    expect((await admin(emu, 'GET', 'verifications?wait=soon')).status).toBe(400);
    expect((await admin(emu, 'POST', `assets/${encodeURIComponent('nb:cid:UUID:00000000-0000-0000-0000-000000000000')}/verify`)).status).toBe(404);
  });

  it('a wrong expected SHA-256 fails the verification; the ids may be quoted', async () => {
    const upload = await uploadFile(emu, { data: mp4Like(3000) });
    const wrong = createHash('sha256').update('something else').digest('hex');
    expect((await admin(emu, 'POST', `files/'${encodeURIComponent(upload.fileId)}'/expect`, { sha256: wrong })).status).toBe(200);
    const v = await verificationOf(emu, upload.fileId);
    expect(v['status']).toBe('failed');
    expect(v['checks']).toContainEqual(expect.objectContaining({ name: 'expected-sha256', status: 'failed' }));
  });

  it('list every verification, filtered, once none is pending', async () => {
    const upload = await uploadFile(emu, { data: mp4Like(3000), contentChecksum: true });
    const res = await admin(emu, 'GET', `verifications?wait=30&assetId=${encodeURIComponent(upload.assetId)}`);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ pending: 0, idle: true });
    expect(res.body['verifications']).toEqual([expect.objectContaining({ fileId: upload.fileId, status: 'verified' })]);
    const failed = await admin(emu, 'GET', 'verifications?status=failed');
    expect((failed.body['verifications'] as JsonBody[]).every((v) => v['status'] === 'failed')).toBe(true);
  });

  it('deleting the asset keeps its verifications, marked deleted, until reset', async () => {
    const upload = await uploadFile(emu, { data: mp4Like(3000), contentChecksum: true });
    await verificationOf(emu, upload.fileId);
    const deleted = await emu.ams('DELETE', entityPath('Assets', upload.assetId));
    expect(deleted.status).toBe(204);
    const res = await admin(emu, 'GET', `verifications?wait=10&assetId=${encodeURIComponent(upload.assetId)}`);
    const kept = res.body['verifications'] as JsonBody[];
    expect(kept.map((v) => [v['fileId'], v['status']])).toEqual([[upload.fileId, 'verified']]);
    expect(kept[0]!['deleted']).toEqual({ at: expect.any(String), with: 'asset', requestId: deleted.headers.get('x-ms-request-id') });
    expect((await admin(emu, 'GET', `files/${encodeURIComponent(upload.fileId)}/verification`)).body['status']).toBe('verified');
    await emu.reset();
    expect((await admin(emu, 'GET', 'verifications')).body['verifications']).toEqual([]);
  });
});

describe('persistence', () => {
  it('a deleted file\'s verification record is kept, marked deleted, across a restart', async () => {
    const location = await mkdtemp(join(tmpdir(), 'verify-file-delete-'));
    try {
      const emu = await startTestEmulator({ location });
      let kept: string | undefined;
      let deleted: string | undefined;
      try {
        const first = await uploadFile(emu, { data: mp4Like(3000), contentChecksum: true });
        const second = await uploadFile(emu, { data: mp4Like(4000), contentChecksum: true });
        await verificationOf(emu, first.fileId);
        await verificationOf(emu, second.fileId);
        expect((await emu.ams('DELETE', entityPath('Files', second.fileId))).status).toBe(204);
        const after = await admin(emu, 'GET', `files/${encodeURIComponent(second.fileId)}/verification?wait=10`);
        expect([after.status, after.body['status'], (after.body['deleted'] as JsonBody | null)?.['with']]).toEqual([200, 'verified', 'file']);
        kept = first.fileId;
        deleted = second.fileId;
      } finally {
        await emu.close();
      }
      const store = await openStore({ directory: location });
      try {
        const records = [...store.values<JsonBody>(VERIFICATIONS)];
        expect(records.find((r) => r['fileId'] === kept)?.['deleted']).toBeNull();
        expect((records.find((r) => r['fileId'] === deleted)?.['deleted'] as JsonBody | undefined)?.['with']).toBe('file');
      } finally {
        await store.close();
      }
    } finally {
      await rm(location, { recursive: true, force: true });
    }
  });

  it('results and findings survive a restart', async () => {
    const location = await mkdtemp(join(tmpdir(), 'verify-restart-'));
    try {
      let first: TestEmulator | undefined = await startTestEmulator({ location });
      const upload = await uploadFile(first, { data: mp4Like(10_000), contentChecksum: true, mistake: { kind: 'iv-little-endian' } });
      const before = await verificationOf(first, upload.fileId);
      expect(before['diagnosis']).toMatchObject({ id: 'iv-little-endian' });
      await first.close();
      first = undefined;
      const second = await startTestEmulator({ location });
      try {
        const after = await admin(second, 'GET', `files/${encodeURIComponent(upload.fileId)}/verification`);
        expect(after.body).toMatchObject({ status: 'failed', diagnosis: { id: 'iv-little-endian' } });
        expect(await findingsOf(second, upload.fileId)).toContainEqual(expect.objectContaining({ rule: 'decrypt-verification-failed', diagnosis: 'iv-little-endian' }));
      } finally {
        await second.close();
      }
    } finally {
      await rm(location, { recursive: true, force: true });
    }
  });
});
