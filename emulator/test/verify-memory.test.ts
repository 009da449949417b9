import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { entityPath, startTestEmulator, type TestEmulator } from '../../test/support/emulator.js';
import { admin, uploadFile, verificationOf, type ClearData } from './helpers/upload-workflow.js';

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

/** An MP4-shaped file of `size` bytes generated on demand: ftyp, free, mdat (a repeating random pattern), moov. */
function generatedMp4(size: number): ClearData {
  const pattern = randomBytes(1024 * 1024 + 7);
  const header = Buffer.alloc(32);
  header.writeUInt32BE(24, 0);
  header.write('ftypisom', 4, 'latin1');
  header.writeUInt32BE(0x200, 12);
  header.write('isomiso2', 16, 'latin1');
  header.writeUInt32BE(8, 24);
  header.write('free', 28, 'latin1');
  const mdatHeader = Buffer.alloc(8);
  mdatHeader.writeUInt32BE(size - 32 - 64, 0);
  mdatHeader.write('mdat', 4, 'latin1');
  const moovHeader = Buffer.alloc(8);
  moovHeader.writeUInt32BE(64, 0);
  moovHeader.write('moov', 4, 'latin1');
  const overlays: Array<[number, Buffer]> = [[0, header], [32, mdatHeader], [size - 64, moovHeader]];
  return {
    size,
    chunk(offset, length) {
      const out = Buffer.allocUnsafe(length);
      for (let i = 0; i < length; ) {
        const at = (offset + i) % pattern.length;
        i += pattern.copy(out, i, at, Math.min(pattern.length, at + length - i));
      }
      for (const [at, bytes] of overlays) {
        const from = Math.max(at, offset);
        const to = Math.min(at + bytes.length, offset + length);
        if (from < to) bytes.copy(out, from - offset, from - at, to - at);
      }
      return out;
    },
  };
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
