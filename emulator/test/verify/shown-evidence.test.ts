import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestEmulator, type TestEmulator } from '../../../test/support/emulator.js';
import { mp4Like, uploadFile, verificationOf } from '../helpers/upload-workflow.js';

/**
 * The evidence a verification keeps for people to look at (the dashboard draws it): the first
 * clear bytes beside the declared type's signature, every mistake tried with how its first bytes
 * looked, the first bytes under the mistake that explains them, and for block mistakes which
 * stored byte ranges decrypt right and wrong.
 */

let emu: TestEmulator;
beforeAll(async () => {
  emu = await startTestEmulator();
});
afterAll(() => emu.close());

const BLOCK = 64 * 1024;

describe('the evidence a verification keeps', () => {
  it('a correct upload: the first 64 clear bytes and the declared signature', async () => {
    const data = mp4Like(100_000);
    const upload = await uploadFile(emu, { data, contentChecksum: true });
    const v = await verificationOf(emu, upload.fileId);
    expect(v['status']).toBe('verified');
    expect(v['clear']['head']).toBe(data.subarray(0, 64).toString('hex'));
    expect(v['declared']).toEqual({ label: expect.stringContaining('video/mp4'), signature: expect.stringContaining('ftyp') });
  });

  it('a wrong IV layout: the reference head is not the file, the named mistake\'s head is, and every mistake tried is listed', async () => {
    const data = mp4Like(100_000);
    const upload = await uploadFile(emu, { data, contentChecksum: true, mistake: { kind: 'iv-little-endian' } });
    const v = await verificationOf(emu, upload.fileId);
    expect(v['status']).toBe('failed');
    expect(v['clear']['head']).toHaveLength(128);
    expect(v['clear']['head']).not.toBe(data.subarray(0, 64).toString('hex'));
    const diagnosis = v['diagnosis'];
    expect(diagnosis['id']).toBe('iv-little-endian');
    expect(diagnosis['head']).toBe(data.subarray(0, 64).toString('hex'));
    const tried = diagnosis['hypotheses'] as Array<{ mistake: string; firstBytes: string }>;
    expect(tried).toContainEqual({ mistake: 'iv-little-endian', firstBytes: 'passed' });
    expect(tried).toContainEqual({ mistake: 'plaintext-uploaded', firstBytes: 'failed' });
    expect(new Set(tried.map((t) => t.mistake)).size).toBe(tried.length);
    expect(diagnosis['byteRanges']).toBeUndefined();
  });

  it('blocks encrypted from offset 0: only the first block decrypts right', async () => {
    const upload = await uploadFile(emu, { data: mp4Like(3 * BLOCK + 100), contentChecksum: true, blockSize: BLOCK, mistake: { kind: 'blocks-encrypted-from-offset-0' } });
    const v = await verificationOf(emu, upload.fileId);
    expect(v['diagnosis']['id']).toBe('blocks-encrypted-from-offset-0');
    expect(v['diagnosis']['byteRanges']).toEqual([
      { offset: 0, count: BLOCK, ok: true },
      { offset: BLOCK, count: BLOCK, ok: false },
      { offset: 2 * BLOCK, count: BLOCK, ok: false },
      { offset: 3 * BLOCK, count: 100, ok: false },
    ]);
  });

  it('blocks committed out of order: the blocks stored where they were encrypted for decrypt right', async () => {
    // File order 0 1 2 3, committed 0 2 1 3: blocks 1 and 2 swapped, all of one size.
    const order = (ids: string[]) => [ids[0]!, ids[2]!, ids[1]!, ids[3]!];
    const upload = await uploadFile(emu, { data: mp4Like(4 * BLOCK), contentChecksum: true, blockSize: BLOCK, mistake: { kind: 'blocks-committed-out-of-order', ids: 'text', order } });
    const v = await verificationOf(emu, upload.fileId);
    expect(v['diagnosis']['id']).toBe('blocks-committed-out-of-order');
    expect((v['diagnosis']['byteRanges'] as Array<{ ok: boolean }>).map((r) => r.ok)).toEqual([true, false, false, true]);
  });
});
