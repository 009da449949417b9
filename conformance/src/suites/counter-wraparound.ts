import { randomBytes } from 'node:crypto';
import { Readable, Writable } from 'node:stream';
import fc from 'fast-check';
import { AmsCtr, amsCtr, download, formatIv, JobState, MAX_IV, uploadEncrypted } from '../../../client/src/index.js';
import { expectThat, type CaseRecorder } from '../runner/recorder.js';
import { describeRefusal } from '../workflow/outcome.js';
import { withResources } from '../workflow/resources.js';
import { completeUpload, createEncryptedAsset, createEncryptedFile, uploadInBlocks, writeAccess } from '../workflow/encrypted-asset.js';
import { createGoodKey } from '../workflow/storage-keys.js';
import { payload, referenceCtr } from './ctr-reference.js';
import { NO_VERIFICATION } from './findings.js';
import type { Suite, SuiteContext } from './types.js';

const TWO64 = 1n << 64n;

const key = fc.uint8Array({ minLength: 32, maxLength: 32 }).map((bytes) => Buffer.from(bytes));
const iv = fc.bigInt({ min: 0n, max: MAX_IV });

/**
 * File offsets: small ones, ones whose counter blocks run across the 2^64 wrap of the low half
 * (block index 2^64 - k, reached at byte offset (2^64 - k) * 16), and anywhere up to 2^80.
 */
const offset = fc.oneof(
  fc.bigInt({ min: 0n, max: 4096n }),
  fc.tuple(fc.integer({ min: 1, max: 14 }), fc.integer({ min: 0, max: 15 })).map(([k, r]) => (TWO64 - BigInt(k)) * 16n + BigInt(r)),
  fc.tuple(fc.integer({ min: 1, max: 14 }), fc.integer({ min: 0, max: 15 }), fc.integer({ min: 1, max: 4 })).map(([k, r, laps]) => (BigInt(laps) * TWO64 - BigInt(k)) * 16n + BigInt(r)),
  fc.bigInt({ min: 0n, max: 1n << 80n }),
);

/** Cut points as fractions of a file, so they shrink with it. */
const cuts = fc.array(fc.integer({ min: 1, max: 999_999 }), { maxLength: 24 });

function cutsOf(fractions: readonly number[], size: number): number[] {
  return [...new Set(fractions.map((f) => Math.floor((f * size) / 1_000_000)))].filter((c) => c > 0 && c < size).sort((a, b) => a - b);
}

/**
 * Counter wraparound: the client library's AES-CTR is the AMS counter (BE64(IV) || BE64(block mod
 * 2^64), the low half wrapping to zero without touching the IV) at any offset; files encrypted in
 * blocks at their offsets decrypt on the server; and the server's Storage Decryption gives back
 * the original bytes.
 */
export const counterSuite: Suite = {
  id: 'counter',
  title: 'Counter wraparound',
  summary: 'AES-256-CTR with counter BE64(IV) || BE64(offset/16 mod 2^64) gives the same bytes at every offset, across the 2^64 wrap, on the client and on the server',
  async run(context, cases) {
    await libraryMatchesReference(cases);
    if (context.capabilities.verification) await uploadsInBlocksVerify(context, cases);
    else cases.notApplicable('blocks-verify-on-server', 'files encrypted block by block at their offsets (random block sizes, parallel Put Block) decrypt on the server', NO_VERIFICATION);
    if (context.storageDecryptionProcessorId) await storageDecryptionGivesOriginal(context, cases, context.storageDecryptionProcessorId);
    else cases.notApplicable('storage-decryption-roundtrip', "the server's Storage Decryption job gives back the original bytes", 'the endpoint lists no Storage Decryption media processor');
  },
};

async function libraryMatchesReference(cases: CaseRecorder): Promise<void> {
  await cases.property(
    'library-matches-reference',
    'the client library encrypts data at any offset (including blocks that cross 2^64, and any chunking) exactly as a per-block AES-ECB reference',
    fc.property(key, iv, fc.uint8Array({ maxLength: 300 }), offset, cuts, (k, v, data, at, fractions) => {
      const expected = referenceCtr(k, v, data, at);
      const oneShot = amsCtr(k, v, data, at);
      expectThat(oneShot.equals(expected), () => `amsCtr at offset ${at} gives ${oneShot.toString('hex')}, the reference ${expected.toString('hex')} (first difference at byte ${firstDifference(oneShot, expected)})`);
      const ctr = new AmsCtr(k, v, at);
      const bounds = [0, ...cutsOf(fractions, data.length), data.length];
      const chunked = Buffer.concat(bounds.slice(1).map((end, i) => ctr.update(data.subarray(bounds[i]!, end))));
      expectThat(chunked.equals(expected), () => `AmsCtr fed in chunks at ${bounds.join(',')} gives ${chunked.toString('hex')}, the reference ${expected.toString('hex')}`);
    }),
  );
}

async function uploadsInBlocksVerify(context: SuiteContext, cases: CaseRecorder): Promise<void> {
  const { target } = context;
  const extras = target.extras!;
  await cases.property(
    'blocks-verify-on-server',
    'files encrypted block by block at their offsets (random block sizes, parallel Put Block) decrypt on the server to their MD5',
    fc.asyncProperty(key, iv, fc.integer({ min: 0, max: 200_000 }), fc.integer(), cuts, async (k, v, size, seed, fractions) => {
      const clear = payload(size, seed);
      await withResources(target.client(), async (resources) => {
        const storageKey = await createGoodKey(target, resources, k);
        const asset = await createEncryptedAsset(target, resources, storageKey.id);
        const file = await createEncryptedFile(target, { assetId: asset.Id, name: 'blocks.bin', keyId: storageKey.id, iv: formatIv(v), size });
        expectThat(file.ok, () => `POST Files was refused: ${file.ok ? '' : describeRefusal(file)}`);
        const blobUrl = await writeAccess(target, resources, asset.Id);
        const fileCuts = cutsOf(fractions, size);
        // Each block is encrypted on its own at its file offset, as a parallel uploader does it.
        const bounds = [0, ...fileCuts, size];
        const encrypted = Buffer.concat(bounds.slice(1).map((end, i) => amsCtr(k, v, clear.subarray(bounds[i]!, end), bounds[i]!)));
        await uploadInBlocks(blobUrl('blocks.bin'), encrypted, fileCuts);
        const merged = await completeUpload(target, file.value.Id, clear);
        expectThat(merged.ok, () => `the MERGE that completes the upload was refused: ${merged.ok ? '' : describeRefusal(merged)}`);
        const verification = await extras.settledVerification(file.value.Id);
        expectThat(
          verification.status === 'verified',
          () => `the server's verification of ${size} bytes in ${bounds.length - 1} blocks (cut at ${fileCuts.join(',') || 'nothing'}) is ${verification.status}: ${verification.reason}${verification.diagnosis ? ` (diagnosis ${verification.diagnosis.id})` : ''}`,
        );
      });
    }),
    { share: 0.5 },
  );
}

async function storageDecryptionGivesOriginal(context: SuiteContext, cases: CaseRecorder, processorId: string): Promise<void> {
  const { target } = context;
  const client = target.client();
  await cases.property(
    'storage-decryption-roundtrip',
    "the reference client's upload, decrypted by the server's Storage Decryption job and downloaded by the reference client, is the original",
    fc.asyncProperty(fc.integer({ min: 0, max: 300_000 }), fc.integer(), fc.integer({ min: 1, max: 64 }), async (size, seed, blockUnits) => {
      const clear = payload(size, seed);
      await withResources(client, async (resources) => {
        const uploaded = await uploadEncrypted(client, [{ name: 'original.bin', stream: Readable.from([clear]), size }], { blockSize: blockUnits * 1024, assetName: 'ams-conformance-input' });
        resources.track('Assets', uploaded.assetId);
        resources.track('ContentKeys', uploaded.contentKeyId);
        const job = await client.createJob({
          Name: `ams-conformance-${randomBytes(4).toString('hex')}`,
          InputAssetIds: [uploaded.assetId],
          Tasks: [{ MediaProcessorId: processorId, TaskBody: DECRYPTION_TASK_BODY }],
        });
        resources.track('Jobs', job.Id);
        const state = await waitForJob(context, job.Id);
        expectThat(state === JobState.Finished, `the Storage Decryption job ended in state ${state}, not Finished (3)`);
        const outputs = await client.listJobOutputAssets(job.Id);
        for (const output of outputs) resources.track('Assets', output.Id);
        expectThat(outputs.length === 1, `the job has ${outputs.length} output assets, not 1`);
        const got = await downloadToMemory(context, outputs[0]!.Id, 'original.bin');
        expectThat(got.equals(clear), () => `the decrypted copy of ${size} bytes differs from the original (${got.length} bytes, first difference at byte ${firstDifference(got, clear)})`);
      });
    }),
    { share: 0.2 },
  );
}

const DECRYPTION_TASK_BODY =
  '<?xml version="1.0" encoding="utf-16"?><taskBody><inputAsset>JobInputAsset(0)</inputAsset>' +
  '<outputAsset assetCreationOptions="0" assetName="ams-conformance-output">JobOutputAsset(0)</outputAsset></taskBody>';

const JOB_TIMEOUT_MS = 120_000;

async function waitForJob(context: SuiteContext, jobId: string): Promise<number> {
  const deadline = Date.now() + JOB_TIMEOUT_MS;
  for (let delay = 50; ; delay = Math.min(delay * 2, 2000)) {
    const job = await context.target.client().getJob(jobId);
    if (job.State === JobState.Finished || job.State === JobState.Error || job.State === JobState.Canceled) return job.State;
    if (Date.now() > deadline) throw new Error(`the job ${jobId} was still in state ${job.State} after ${JOB_TIMEOUT_MS / 1000} s`);
    await new Promise((resolve) => setTimeout(resolve, delay));
  }
}

async function downloadToMemory(context: SuiteContext, assetId: string, name: string): Promise<Buffer> {
  const chunks: Buffer[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      chunks.push(Buffer.from(chunk));
      callback();
    },
  });
  await download(context.target.client(), assetId, name, sink);
  return Buffer.concat(chunks);
}

function firstDifference(a: Buffer, b: Buffer): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return i;
  return n;
}
