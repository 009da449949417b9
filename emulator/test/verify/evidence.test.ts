import { createHash, randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AmsCtr, formatIv, randomIv } from '../../../client/src/crypto/index.js';
import { entityPath, startTestEmulator, type JsonBody, type TestEmulator } from '../../../test/support/emulator.js';
import { getJob, jobIdOf, listOf, postJob } from '../helpers/jobs-fixtures.js';
import { admin, findingsOf, mp4Like, newEncryptedAsset, uploadFile, verificationOf } from '../helpers/upload-workflow.js';

/**
 * The evidence rule: an error finding (and a failed verification) needs positive evidence. Each
 * case here is one the emulator once got wrong on a real client: the emulator's own job output,
 * random bytes under a media name, a checksum over the ciphertext, a size mistake blamed on a
 * missing block, verifications lost with their asset.
 */

let emu: TestEmulator;
beforeAll(async () => {
  emu = await startTestEmulator();
});
afterAll(() => emu.close());

const md5 = (bytes: Buffer) => createHash('md5').update(bytes).digest('hex');

describe('no finding without evidence', () => {
  it('an encrypted upload with no digest whose bytes are not the declared type: unverifiable and a warning, never a decrypt failure', async () => {
    const upload = await uploadFile(emu, { data: randomBytes(50_000), name: 'clip.mp4' });
    const v = await verificationOf(emu, upload.fileId);
    expect([v['status'], v['reasonCode']]).toEqual(['unverifiable', 'no-evidence']);
    const findings = await findingsOf(emu, upload.fileId);
    expect(findings.map((f) => [f['rule'], f['severity']])).toEqual([['upload-unverifiable', 'warning']]);
    expect(findings[0]!['message']).toMatch(/could not verify the upload: there is no ContentChecksum .*send ContentChecksum \(the MD5 of the clear file/);
  });

  it('the first bytes decrypt to the declared type: the keystream is right, a later structural problem is a type warning', async () => {
    const data = mp4Like(60_000);
    data.writeUInt32BE(0xffff_ffff, 24); // the free box now claims to run past the end
    const upload = await uploadFile(emu, { data, name: 'odd.mp4' });
    const v = await verificationOf(emu, upload.fileId);
    expect([v['status'], v['basis'], v['reasonCode']]).toEqual(['verified', 'signature-prefix', 'content-type-mismatch']);
    expect((await findingsOf(emu, upload.fileId)).map((f) => f['rule'])).toEqual(['content-type-mismatch']);
  });

  it('a clear upload of random bytes under a media name: a type warning about MimeType, nothing about keys or counters', async () => {
    const asset = await emu.ams('POST', 'Assets', { body: { Name: 'clear', Options: 0 } });
    const created = await emu.ams('POST', 'Files', { body: { Name: 'clip.mp4', ParentAssetId: asset.body.Id, MimeType: 'video/mp4' } });
    const policy = await emu.ams('POST', 'AccessPolicies', { body: { Name: 'w', DurationInMinutes: 60, Permissions: 2 } });
    const locator = await emu.ams('POST', 'Locators', { body: { AccessPolicyId: policy.body.Id, AssetId: asset.body.Id, Type: 1 } });
    const put = await fetch(`${locator.body.BaseUri}/clip.mp4${locator.body.ContentAccessComponent}`, { method: 'PUT', headers: { 'x-ms-blob-type': 'BlockBlob' }, body: randomBytes(50_000) });
    expect(put.status).toBe(201);
    expect((await emu.ams('MERGE', entityPath('Files', String(created.body.Id)), { body: { ContentFileSize: '50000' } })).status).toBe(204);
    const v = await verificationOf(emu, String(created.body.Id));
    expect([v['status'], v['reasonCode']]).toEqual(['unverifiable', 'content-type-mismatch']);
    const findings = await findingsOf(emu, String(created.body.Id));
    expect(findings.map((f) => [f['rule'], f['severity']])).toEqual([['content-type-mismatch', 'warning']]);
    expect(findings[0]!['message']).toMatch(/MimeType/);
    expect(findings[0]!['message']).not.toMatch(/key|IV|counter/);
  });
});

describe('ContentChecksum over the ciphertext', () => {
  it('is its own case, verified on the decrypted type, and never a plaintext upload', async () => {
    const asset = await newEncryptedAsset(emu);
    const data = mp4Like(80_000);
    const iv = randomIv();
    const upload = await uploadFile(emu, { into: asset, iv, data, name: 'sdk.mp4', contentChecksum: md5(new AmsCtr(asset.key, iv).update(data)) });
    const v = await verificationOf(emu, upload.fileId);
    expect([v['status'], v['basis'], v['reasonCode']]).toEqual(['verified', 'signature', 'content-checksum-of-ciphertext']);
    expect(v['checks']).toContainEqual(expect.objectContaining({ name: 'content-checksum', status: 'inconclusive' }));
    const findings = await findingsOf(emu, upload.fileId);
    expect(findings.map((f) => [f['rule'], f['severity']])).toEqual([['content-checksum-of-ciphertext', 'warning']]);
  });

  it('with a ContentFileSize that disagrees with the blob, the length is still the one error', async () => {
    const asset = await newEncryptedAsset(emu);
    const data = mp4Like(50_000);
    const iv = randomIv();
    const upload = await uploadFile(emu, { into: asset, iv, data, name: 'sdk2.mp4', contentFileSize: 50_016, contentChecksum: md5(new AmsCtr(asset.key, iv).update(data)) });
    const v = await verificationOf(emu, upload.fileId);
    expect([v['status'], v['reasonCode']]).toEqual(['failed', 'content-length-mismatch']);
    expect((await findingsOf(emu, upload.fileId)).map((f) => f['rule'])).toEqual(['content-length-mismatch']);
  });

  it('a real plaintext upload with the clear MD5 is still named plaintext-uploaded', async () => {
    const upload = await uploadFile(emu, { data: mp4Like(40_000), name: 'clear.mp4', contentChecksum: true, mistake: { kind: 'plaintext-uploaded' } });
    await verificationOf(emu, upload.fileId);
    const findings = await findingsOf(emu, upload.fileId);
    expect(findings.map((f) => [f['rule'], f['diagnosis']])).toEqual([['decrypt-verification-failed', 'plaintext-uploaded']]);
  });
});

describe('content-length-mismatch names the cause the evidence shows', () => {
  it('a complete single Put Blob: the size sent is wrong', async () => {
    const upload = await uploadFile(emu, { data: randomBytes(8697), name: 'counted.bin', contentFileSize: 8699 });
    await verificationOf(emu, upload.fileId);
    const findings = await findingsOf(emu, upload.fileId);
    expect(findings.map((f) => f['rule'])).toEqual(['content-length-mismatch']);
    expect(findings[0]!['message']).toContain('ContentFileSize says 8699 but the blob, written whole by one Put Blob, has 8697 bytes: the size sent is wrong');
    expect(findings[0]!['message']).not.toMatch(/Put Block List/);
  });

  it('a blob that matches its digest: the size sent is wrong, even in blocks', async () => {
    const upload = await uploadFile(emu, { data: randomBytes(100_000), name: 'blocks.bin', blockSize: 30_000, contentChecksum: true, contentFileSize: 100_002 });
    await verificationOf(emu, upload.fileId);
    const findings = await findingsOf(emu, upload.fileId);
    expect(findings.map((f) => f['rule'])).toEqual(['content-length-mismatch']);
    expect(findings[0]!['message']).toMatch(/matches its digest, so it is the whole file: the size sent is wrong/);
  });

  it('a block left out of Put Block List: named only because the block ids show the gap', async () => {
    const upload = await uploadFile(emu, {
      data: randomBytes(4 * 16_384),
      name: 'gap.bin',
      blockSize: 16_384,
      contentChecksum: true,
      mistake: { kind: 'blocks-committed-out-of-order', ids: 'text', order: (ids) => [ids[0]!, ids[1]!, ids[3]!] },
    });
    const v = await verificationOf(emu, upload.fileId);
    expect([v['status'], v['reasonCode']]).toEqual(['failed', 'content-length-mismatch']);
    const findings = await findingsOf(emu, upload.fileId);
    expect(findings.map((f) => f['rule'])).toEqual(['content-length-mismatch']);
    expect(findings[0]!['message']).toMatch(/committed block ids skip number 2: a block was left out of Put Block List/);
  });
});

describe('the emulator never files a finding against itself', () => {
  it('a Storage Decryption job\'s clear copy carries the MD5 of what it wrote and verifies against it', async () => {
    const asset = await newEncryptedAsset(emu);
    const random = randomBytes(30_000);
    const input = await uploadFile(emu, { into: asset, data: random, name: 'movie.mp4', contentChecksum: true });
    await verificationOf(emu, input.fileId);
    expect((await findingsOf(emu, input.fileId)).map((f) => f['rule'])).toEqual(['content-type-mismatch']);
    const posted = await postJob(emu, [asset.assetId], 'minimal');
    expect(posted.status, posted.text).toBe(201);
    const job = await getJob(emu, jobIdOf(posted));
    expect(job['State']).toBe(3);
    const [output] = await listOf(emu, `${entityPath('Jobs', jobIdOf(posted))}/OutputMediaAssets`);
    const [copy] = await listOf(emu, `${entityPath('Assets', String(output!['Id']))}/Files`);
    expect(copy!['ContentChecksum']).toBe(md5(random));
    const v = await verificationOf(emu, String(copy!['Id']));
    expect([v['status'], v['basis']]).toEqual(['verified', 'digest']);
    const all = (await admin(emu, 'GET', 'findings')).body['findings'] as JsonBody[];
    expect(all.filter((f) => String(f['client']).startsWith('ams-emulator'))).toEqual([]);
    expect(await findingsOf(emu, String(copy!['Id']))).toEqual([]);
  });
});

describe('verifications outlive their files', () => {
  it('a file deleted before its verification ran is verified at deletion while its blob is readable', async () => {
    const upload = await uploadFile(emu, { data: mp4Like(20_000), contentChecksum: true, mistake: { kind: 'iv-little-endian' } });
    // The MERGE has just completed: the debounced verification has not run yet.
    expect((await emu.ams('DELETE', entityPath('Files', upload.fileId))).status).toBe(204);
    const v = await verificationOf(emu, upload.fileId);
    expect([v['status'], (v['deleted'] as JsonBody)['with']]).toEqual(['failed', 'file']);
    expect((await findingsOf(emu, upload.fileId)).map((f) => f['diagnosis'])).toEqual(['iv-little-endian']);
  });

  it('an asset deleted right after its upload: its files are verified before the container goes', async () => {
    const upload = await uploadFile(emu, { data: randomBytes(20_000), name: 'teardown.bin', contentChecksum: true });
    expect((await emu.ams('DELETE', entityPath('Assets', upload.assetId))).status).toBe(204);
    const v = await verificationOf(emu, upload.fileId);
    expect([v['status'], (v['deleted'] as JsonBody)['with']]).toEqual(['verified', 'asset']);
  });

  it('a file with nothing left to read is listed as not verified: deleted before verification, never dropped', async () => {
    const asset = await newEncryptedAsset(emu);
    const created = await emu.ams('POST', 'Files', {
      body: { Name: 'never-uploaded.bin', ParentAssetId: asset.assetId, IsEncrypted: true, EncryptionScheme: 'StorageEncryption', EncryptionVersion: '1.0', EncryptionKeyId: asset.keyId, InitializationVector: formatIv(randomIv()) },
    });
    const fileId = String(created.body.Id);
    expect((await emu.ams('DELETE', entityPath('Files', fileId))).status).toBe(204);
    const v = await verificationOf(emu, fileId);
    expect([v['status'], v['reasonCode']]).toEqual(['skipped', 'deleted-before-verification']);
    expect(v['reason']).toMatch(/^not verified: deleted before verification/);
    const listed = (await admin(emu, 'GET', 'verifications')).body['verifications'] as JsonBody[];
    expect(listed.map((r) => r['fileId'])).toContain(fileId);
  });
});
