import { BlockBlobClient } from '@azure/storage-blob';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatIv, randomIv } from '../../../client/src/crypto/index.js';
import { entityPath, startTestEmulator, type TestEmulator } from '../../../test/support/emulator.js';
import { encryptChunk, findingsOf, mp4Like, newEncryptedAsset, uploadFile, verificationOf } from '../helpers/upload-workflow.js';

/**
 * --strict: the request that completes an upload is verified before it is answered; a broken
 * upload is refused with 400 and the diagnosis, and the file keeps its previous state.
 */

let emu: TestEmulator;
beforeAll(async () => {
  emu = await startTestEmulator({ strict: true });
});
afterAll(() => emu.close());

function errorMessage(text: string): string {
  const body = JSON.parse(text) as { 'odata.error'?: { message?: { value?: string } } };
  return String(body['odata.error']?.message?.value ?? '');
}

describe('strict mode', () => {
  it('answers the completing MERGE of a correct upload with 204 and verifies it', async () => {
    const upload = await uploadFile(emu, { data: mp4Like(150_000), blockSize: 64 * 1024, contentChecksum: true });
    expect(upload.completing.status).toBe(204);
    expect(await verificationOf(emu, upload.fileId)).toMatchObject({ status: 'verified', reasonCode: 'verified' });
  });

  it.each([
    { contentChecksum: true, label: 'with a ContentChecksum' },
    { contentChecksum: false, label: 'by the MP4 signature' },
  ])('refuses the completing MERGE of a broken upload with 400 and the diagnosis ($label)', async ({ contentChecksum }) => {
    const upload = await uploadFile(emu, { data: mp4Like(100_000), contentChecksum, mistake: { kind: 'iv-little-endian' }, allowFailure: true });
    expect(upload.completing.status, upload.completing.text).toBe(400);
    const message = errorMessage(upload.completing.text);
    expect(message).toContain('[decrypt-verification-failed]');
    expect(message).toContain('[iv-little-endian] the IV was laid little-endian: write BE64(IV) into counter bytes 0-7');

    // Refused: the file keeps the state it had before the MERGE.
    const file = await emu.ams('GET', entityPath('Files', upload.fileId));
    expect(file.body.ContentFileSize).toBe('0');
    const v = await verificationOf(emu, upload.fileId);
    expect(v).toMatchObject({ status: 'failed', refusedRequestId: upload.completing.requestId, diagnosis: { id: 'iv-little-endian' } });
    expect(await findingsOf(emu, upload.fileId)).toContainEqual(expect.objectContaining({ rule: 'decrypt-verification-failed', requestId: upload.completing.requestId }));
  });

  it('refuses a length mismatch', async () => {
    const upload = await uploadFile(emu, { data: mp4Like(10_000), contentFileSize: 10_016, contentChecksum: true, allowFailure: true });
    expect(upload.completing.status).toBe(400);
    expect(errorMessage(upload.completing.text)).toContain('[content-length-mismatch]');
  });

  it('refuses the encryption-fields MERGE of a broken Java/PHP-style upload', async () => {
    const upload = await uploadFile(emu, { data: mp4Like(50_000), flow: 'upload-first', contentChecksum: true, mistake: { kind: 'counter-starts-at-1' }, allowFailure: true });
    expect(upload.completing.status).toBe(400);
    expect(errorMessage(upload.completing.text)).toContain('[counter-starts-at-1]');
    const file = await emu.ams('GET', entityPath('Files', upload.fileId));
    expect(file.body.IsEncrypted).toBe(false);
  });

  it('refuses a POST Files that completes a broken upload, and stores nothing', async () => {
    const asset = await newEncryptedAsset(emu);
    const policy = await emu.ams('POST', 'AccessPolicies', { body: { Name: 'w', DurationInMinutes: 10, Permissions: 2 } });
    const locator = await emu.ams('POST', 'Locators', { body: { AccessPolicyId: policy.body.Id, AssetId: asset.assetId, Type: 1 } });
    const data = mp4Like(30_000);
    const iv = randomIv();
    await new BlockBlobClient(`${locator.body.BaseUri}/late.mp4${locator.body.ContentAccessComponent}`).uploadData(encryptChunk(data, 0, 0, asset.key, iv, { kind: 'counter-little-endian' }));
    const res = await emu.ams('POST', 'Files', {
      body: { Name: 'late.mp4', ParentAssetId: asset.assetId, IsEncrypted: true, EncryptionScheme: 'StorageEncryption', EncryptionVersion: '1.0', EncryptionKeyId: asset.keyId, InitializationVector: formatIv(iv), ContentFileSize: '30000', MimeType: 'video/mp4' },
    });
    expect(res.status, res.text).toBe(400);
    expect(errorMessage(res.text)).toContain('[counter-little-endian]');
    const files = await emu.ams('GET', `${entityPath('Assets', asset.assetId)}/Files`);
    expect(files.body.value).toEqual([]);
  });

  it('lets the requests before the upload completes through (no blob yet)', async () => {
    const upload = await uploadFile(emu, { data: mp4Like(5_000), contentChecksum: true, mistake: { kind: 'plaintext-uploaded' }, allowFailure: true });
    // POST Files (before the upload) passed; only the MERGE after it was refused.
    expect(upload.fileId).toBeTruthy();
    expect(upload.completing.status).toBe(400);
    expect(errorMessage(upload.completing.text)).toContain('[plaintext-uploaded]');
  });
});
