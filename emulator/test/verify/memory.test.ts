import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { entityPath, startTestEmulator, type TestEmulator } from '../../../test/support/emulator.js';
import { mp4LikeSource } from '../../../bench/lib/mp4-like.js';
import { admin, uploadFile, verificationOf, type ClearData } from '../helpers/upload-workflow.js';

/**
 * Verification streams: a blob far larger than the memory it may use is verified (range read,
 * AES-CTR, MD5 and SHA-256, content probe) while the process's RSS grows by a fraction of it.
 * Azurite keeps the blob on disk here, so the bytes in memory are the verification's own.
 */

const SIZE = 160 * 1024 * 1024;
/** The bound on a verification's RSS growth (bench:verify checks it at 1 GiB). */
const RSS_GROWTH_BOUND = 100 * 1000 * 1000;

let location: string;
let emu: TestEmulator;
beforeAll(async () => {
  location = await mkdtemp(join(tmpdir(), 'verify-memory-'));
  emu = await startTestEmulator({ location });
});
afterAll(async () => {
  await emu?.close();
  await rm(location, { recursive: true, force: true });
});

/** An MP4-shaped file of `size` bytes, generated block by block as it is uploaded. */
function generatedMp4(size: number): ClearData {
  return { size, chunk: mp4LikeSource(size) };
}

it('verifies a 160 MiB encrypted blob while RSS grows by less than 100 MB', async () => {
  const upload = await uploadFile(emu, { data: generatedMp4(SIZE), blockSize: 4 * 1024 * 1024, parallelism: 2, contentChecksum: true, contentFileSize: 'omit' });
  await verificationOf(emu, upload.fileId);
  const set = await admin(emu, 'POST', `files/${encodeURIComponent(upload.fileId)}/expect`, { sha256: upload.sha256 });
  expect(set.status).toBe(200);
  await verificationOf(emu, upload.fileId);

  const baseline = process.memoryUsage.rss();
  let peak = baseline;
  const sampler = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage.rss());
  }, 5);
  try {
    expect((await emu.ams('MERGE', entityPath('Files', upload.fileId), { body: { ContentFileSize: String(SIZE) } })).status).toBe(204);
    const v = await verificationOf(emu, upload.fileId);
    expect(v, JSON.stringify(v)).toMatchObject({ status: 'verified', basis: 'digest', clear: { bytes: SIZE, md5: upload.md5, sha256: upload.sha256 } });
    expect(v['checks']).toContainEqual(expect.objectContaining({ name: 'content-type', status: 'passed' }));
  } finally {
    clearInterval(sampler);
  }
  const growth = peak - baseline;
  // A constant, not a share of the blob: two threads (~9 MiB each), the 8 MiB ring, and the socket
  // and cipher buffers the reader thread's collector has not freed yet (it runs every ~64 MB).
  // Holding the blob would cost its 160 MiB.
  expect(growth, `RSS grew by ${(growth / 1048576).toFixed(1)} MiB`).toBeLessThan(RSS_GROWTH_BOUND);
});
