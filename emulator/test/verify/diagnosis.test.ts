import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ivToBytes, randomIv } from '../../../client/src/crypto/index.js';
import { startTestEmulator, type TestEmulator } from '../../../test/support/emulator.js';
import { admin, findingsOf, mp4Like, mpegTsLike, newEncryptedAsset, uploadFile, verificationOf, type ClientMistake, type UploadOptions } from '../helpers/upload-workflow.js';

/**
 * Each mistake real clients made is named, with a digest (confirmed over the whole blob) and
 * without one (by the declared type's signature), and reported as a finding with the file, the
 * asset, the completing request and the client's User-Agent.
 */

let emu: TestEmulator;
beforeAll(async () => {
  emu = await startTestEmulator();
});
afterAll(() => emu.close());

const HIGH_IV = (1n << 63n) + 0x1234_5678_9abcn; // above 2^63: its signed Int64 text is negative

interface Case {
  mistake: ClientMistake;
  expected: string;
  /** Extra upload options (block layout, IV). */
  options?: Partial<UploadOptions>;
}

const BLOCKS = { blockSize: 64 * 1024 };

function swapPairsAfterFirst(ids: string[]): string[] {
  const out = [...ids];
  for (let i = 1; i + 1 < out.length; i += 2) [out[i], out[i + 1]] = [out[i + 1]!, out[i]!];
  return out;
}

const CASES: Case[] = [
  { mistake: { kind: 'iv-little-endian' }, expected: 'iv-little-endian' },
  { mistake: { kind: 'counter-starts-at-1' }, expected: 'counter-starts-at-1' },
  { mistake: { kind: 'counter-little-endian' }, expected: 'counter-little-endian' },
  { mistake: { kind: 'iv-and-counter-little-endian' }, expected: 'iv-and-counter-little-endian' },
  { mistake: { kind: 'other-content-key' }, expected: 'other-content-key' },
  { mistake: { kind: 'plaintext-uploaded' }, expected: 'plaintext-uploaded' },
  { mistake: { kind: 'blocks-encrypted-from-offset-0' }, expected: 'blocks-encrypted-from-offset-0', options: BLOCKS },
  // Committed in the order parallel uploads might finish: pairs swapped after the first block.
  { mistake: { kind: 'blocks-committed-out-of-order', ids: 'text', order: swapPairsAfterFirst }, expected: 'blocks-committed-out-of-order', options: { blockSize: 16 * 1024 } },
  { mistake: { kind: 'blocks-committed-out-of-order', ids: 'int32le', order: (ids) => [...ids.slice(1), ids[0]!] }, expected: 'blocks-committed-out-of-order', options: BLOCKS },
  { mistake: { kind: 'iv-text', text: (iv) => iv.toString(16) }, expected: 'iv-text-hex', options: { iv: 0xfedc_ba98_7654_3210n } },
  { mistake: { kind: 'iv-text', text: (iv) => ivToBytes(iv).toString('base64') }, expected: 'iv-text-base64' },
  { mistake: { kind: 'iv-text', text: (iv) => BigInt.asIntN(64, iv).toString() }, expected: 'iv-text-signed', options: { iv: HIGH_IV } },
];

describe.each([
  { digest: 'ContentChecksum (MD5)', contentChecksum: true, evidence: 'md5' },
  { digest: 'no digest (MP4 signature)', contentChecksum: false, evidence: 'signature' },
])('with $digest', ({ contentChecksum, evidence }) => {
  it.each(CASES)('names $expected', async ({ mistake, expected, options }) => {
    const upload = await uploadFile(emu, { data: mp4Like(200_000), contentChecksum, mistake, userAgent: 'BrokenClient/0.1', ...options });
    const v = await verificationOf(emu, upload.fileId);
    expect(v['status'], JSON.stringify(v)).toBe('failed');
    expect(v['diagnosis'], JSON.stringify(v['diagnosis'])).toMatchObject({ id: expected, evidence, scope: 'whole-blob' });

    const findings = await findingsOf(emu, upload.fileId);
    const finding = findings.find((f) => f['rule'] === 'decrypt-verification-failed');
    expect(finding, JSON.stringify(findings)).toMatchObject({
      diagnosis: expected,
      assetId: upload.assetId,
      fileId: upload.fileId,
      entityId: upload.fileId,
      client: 'BrokenClient/0.1',
      method: 'MERGE',
      requestId: upload.completing.requestId,
      severity: 'error',
    });
    expect(String(finding!['path'])).toContain('Files(');
    expect(String(finding!['message'])).toContain(`[${expected}]`);
  });
});

describe('the sniff-only cases the first bytes cannot tell', () => {
  it('blocks encrypted from offset 0 in an MPEG-TS stream: caught by the sync bytes of the later blocks', async () => {
    const upload = await uploadFile(emu, { data: mpegTsLike(1500), name: 'stream.ts', mistake: { kind: 'blocks-encrypted-from-offset-0' }, blockSize: 64 * 1024 });
    const v = await verificationOf(emu, upload.fileId);
    expect(v['checks']).toContainEqual(expect.objectContaining({ name: 'content-type', status: 'failed', detail: expect.stringContaining('offset 65') }));
    expect(v['diagnosis']).toMatchObject({ id: 'blocks-encrypted-from-offset-0', evidence: 'signature', scope: 'whole-blob' });
  });

  it('the IV of another file of the asset', async () => {
    const first = await uploadFile(emu, { data: mp4Like(100_000), contentChecksum: true });
    expect((await verificationOf(emu, first.fileId))['status']).toBe('verified');
    const second = await uploadFile(emu, { data: mp4Like(100_000), contentChecksum: true, into: first, mistake: { kind: 'iv-of-another-file', iv: first.iv } });
    const v = await verificationOf(emu, second.fileId);
    expect(v['diagnosis'], JSON.stringify(v)).toMatchObject({ id: 'iv-of-another-file', evidence: 'md5', details: { otherFileId: first.fileId } });
  });
});

describe('what cannot be explained, or decrypted', () => {
  it('random bytes under a correct key and IV: failed, unexplained', async () => {
    const asset = await newEncryptedAsset(emu);
    const upload = await uploadFile(emu, { data: mp4Like(80_000), into: asset, contentChecksum: randomBytes(16).toString('hex') });
    const v = await verificationOf(emu, upload.fileId);
    expect(v['status']).toBe('failed');
    expect(v['diagnosis']).toMatchObject({ id: 'unexplained', evidence: 'none' });
    const findings = await findingsOf(emu, upload.fileId);
    expect(findings).toContainEqual(expect.objectContaining({ rule: 'decrypt-verification-failed', diagnosis: 'unexplained' }));
  });

  it('a non-decimal IV no reading explains: failed, cannot decrypt, with the IV finding', async () => {
    const upload = await uploadFile(emu, { data: mp4Like(50_000), mistake: { kind: 'iv-text', text: () => 'not an IV!' } });
    const v = await verificationOf(emu, upload.fileId);
    expect(v['status']).toBe('failed');
    expect(v['reasonCode']).toBe('cannot-decrypt');
    expect(v['checks']).toContainEqual(expect.objectContaining({ name: 'encryption', status: 'failed' }));
    const rules = (await findingsOf(emu, upload.fileId)).map((f) => f['rule']);
    expect(rules).toEqual(expect.arrayContaining(['iv-not-decimal-uint64', 'decrypt-verification-failed']));
  });

  it('with a correct digest but the wrong declared type: verified, and a content-type warning', async () => {
    const upload = await uploadFile(emu, { data: randomBytes(30_000), name: 'noise.mp4', contentChecksum: true });
    const v = await verificationOf(emu, upload.fileId);
    expect(v['status']).toBe('verified');
    expect(v['reasonCode']).toBe('content-type-mismatch');
    const findings = await findingsOf(emu, upload.fileId);
    expect(findings).toEqual([expect.objectContaining({ rule: 'content-type-mismatch', severity: 'warning' })]);
  });

  it('the text report names the diagnosis, the asset, the request and the client', async () => {
    const upload = await uploadFile(emu, { data: mp4Like(40_000), contentChecksum: true, mistake: { kind: 'iv-little-endian' }, iv: randomIv(), userAgent: 'ReportClient/2.0' });
    await verificationOf(emu, upload.fileId);
    const res = await fetch(`${emu.baseUrl}_emulator/findings?format=text&rule=decrypt-verification-failed&entityId=${encodeURIComponent(upload.fileId)}`);
    const text = await res.text();
    expect(text).toContain('decrypt-verification-failed');
    expect(text).toContain('the IV was laid little-endian: write BE64(IV) into counter bytes 0-7');
    expect(text).toContain(`asset: ${upload.assetId}`);
    expect(text).toContain('diagnosis: iv-little-endian');
    expect(text).toContain(upload.completing.requestId);
    expect(text).toContain('client: ReportClient/2.0');
  });

  it('a re-verification of the same upload replaces its finding rather than adding one', async () => {
    const upload = await uploadFile(emu, { data: mp4Like(30_000), contentChecksum: true, mistake: { kind: 'counter-starts-at-1' } });
    await verificationOf(emu, upload.fileId);
    const again = await admin(emu, 'POST', `files/${encodeURIComponent(upload.fileId)}/verify`);
    expect(again.status).toBe(200);
    const findings = (await findingsOf(emu, upload.fileId)).filter((f) => f['rule'] === 'decrypt-verification-failed');
    expect(findings).toHaveLength(1);
  });
});
