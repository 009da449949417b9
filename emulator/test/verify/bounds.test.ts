import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { configFromArgs } from '../../src/cli.js';
import { DEFAULT_LIMITS } from '../../src/config.js';
import { startTestEmulator, type TestEmulator } from '../../../test/support/emulator.js';
import { findingsOf, mp4Like, uploadFile, verificationOf } from '../helpers/upload-workflow.js';

/**
 * The diagnosis bounds its work: a blob above the re-stream bound is not decrypted again per
 * hypothesis; only its first bytes are tried, and the diagnosis says so. The bound is lowered to
 * 1 MiB here (limits.verifyMaxRestreamBytes) so the test stays small.
 */

let emu: TestEmulator;
beforeAll(async () => {
  emu = await startTestEmulator({ limits: { ...DEFAULT_LIMITS, verifyMaxRestreamBytes: 1024 * 1024 } });
});
afterAll(() => emu.close());

describe('above the re-stream bound', () => {
  it('names the mistake from the first bytes only, and says the digest was not tried', async () => {
    const upload = await uploadFile(emu, { data: mp4Like(2 * 1024 * 1024), blockSize: 512 * 1024, contentChecksum: true, mistake: { kind: 'iv-little-endian' } });
    const v = await verificationOf(emu, upload.fileId);
    expect(v['status']).toBe('failed');
    expect(v['diagnosis']).toMatchObject({ id: 'iv-little-endian', evidence: 'signature-prefix', scope: 'first-bytes' });
    expect(String(v['diagnosis']['note'])).toContain('larger than the re-stream bound (1 MiB)');
    const finding = (await findingsOf(emu, upload.fileId)).find((f) => f['rule'] === 'decrypt-verification-failed');
    expect(String(finding?.['message'])).toContain('the rest was not tried');
  });

  it('below it, the same mistake is confirmed by the digest', async () => {
    const upload = await uploadFile(emu, { data: mp4Like(512 * 1024), contentChecksum: true, mistake: { kind: 'iv-little-endian' } });
    expect((await verificationOf(emu, upload.fileId))['diagnosis']).toMatchObject({ id: 'iv-little-endian', evidence: 'md5', scope: 'whole-blob' });
  });
});

describe('--verify-max-restream-mb (AMS_EMULATOR_VERIFY_MAX_RESTREAM_MB)', () => {
  it('is a whole number of MiB, from the flag or the environment, into the config like every limit', () => {
    expect(configFromArgs([], {}).config.limits?.verifyMaxRestreamBytes).toBeUndefined();
    expect(configFromArgs([], { AMS_EMULATOR_VERIFY_MAX_RESTREAM_MB: '64' }).config.limits?.verifyMaxRestreamBytes).toBe(64 * 1024 * 1024);
    expect(configFromArgs(['--verify-max-restream-mb', '8', '--max-files-per-asset', '3'], {}).config.limits).toMatchObject({ verifyMaxRestreamBytes: 8 * 1024 * 1024, maxFilesPerAsset: 3 });
    expect(() => configFromArgs([], { AMS_EMULATOR_VERIFY_MAX_RESTREAM_MB: 'lots' })).toThrow(/whole number of MiB/);
  });
});
