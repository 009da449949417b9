import type { Readable } from 'node:stream';
import type { BlockBlobClient } from '@azure/storage-blob';
import { BlockPool, blockId, MAX_BLOCKS, readBlocks, readFileBlocks, Slots } from './blocks.js';
import { createBlockCrypto, type BlockCrypto, type CryptoThread } from './block-crypto.js';
import { AmsWorkflowError } from './errors.js';

export interface EncryptedBlobUploadOptions {
  /** The 32-byte storage content key. */
  key: Uint8Array;
  /** The file's IV. */
  iv: bigint;
  /** The number of bytes the stream must deliver; checked before the block list is committed. */
  expectedSize: number;
  blockSize: number;
  parallelism: number;
  contentType: string;
  signal?: AbortSignal | undefined;
  /** Called as each block is stored, with its clear length. */
  onBlockStored?: ((bytes: number) => void) | undefined;
  /** A crypto thread started ahead (`startCryptoThread`), for a large file; left running. */
  cryptoThread?: CryptoThread | undefined;
}

/** What to upload: a stream, or a file by path (read straight into reused block buffers: the fast way). */
export type BlobSource = Readable | { filePath: string };

/** What was stored: the clear length and the MD5 (hex) of the clear bytes. */
export interface EncryptedBlobUploadResult {
  size: number;
  md5: string;
}

/**
 * Blocks read, hashed and encrypted ahead of the Put Blocks under way, so that a connection whose
 * Put Block ends starts the next one at once instead of waiting the ~10 ms a 4 MiB block takes to
 * hash and encrypt. Measured in paired rounds of 256 MiB against a plain upload: 0.91-0.94x with
 * none ahead, 0.95-0.97x with one, 0.99x with two.
 */
export const BLOCKS_PREPARED_AHEAD = 2;

/**
 * Upload `source` encrypted as AMS storage encryption to a block blob:
 * read it in order, block by block; hash the clear bytes (MD5); encrypt each block with AES-CTR at
 * its file offset (in a worker thread for large files, so the blocks in flight keep moving
 * meanwhile); Put Block up to `parallelism` at a time, with up to BLOCKS_PREPARED_AHEAD more
 * blocks ready behind them (so at most `parallelism` + 3 blocks are in memory, counting the one
 * being read); then Put Block List with the content type. An empty source still gets an (empty)
 * blob. On any failure the remaining block uploads are cancelled and nothing is committed.
 */
export async function uploadEncryptedBlob(
  blob: BlockBlobClient,
  source: BlobSource,
  options: EncryptedBlobUploadOptions,
): Promise<EncryptedBlobUploadResult> {
  const { blockSize } = options;
  const blocks = Math.ceil(options.expectedSize / blockSize);
  if (blocks > MAX_BLOCKS) {
    throw new AmsWorkflowError('invalid-input', `${options.expectedSize} bytes in blocks of ${blockSize} would need ${blocks} blocks; a blob holds at most ${MAX_BLOCKS}: use a larger blockSize`);
  }

  const crypto = createBlockCrypto({ key: options.key, iv: options.iv, expectedBytes: options.expectedSize, thread: options.cryptoThread });
  try {
    return await uploadBlocks(blob, source, options, crypto);
  } finally {
    crypto.close();
  }
}

async function uploadBlocks(blob: BlockBlobClient, source: BlobSource, options: EncryptedBlobUploadOptions, crypto: BlockCrypto): Promise<EncryptedBlobUploadResult> {
  const { blockSize, parallelism, signal } = options;
  const pool = new BlockPool(blockSize, parallelism + BLOCKS_PREPARED_AHEAD + 1);
  const puts = new Slots(parallelism);
  const blocks = 'filePath' in source ? readFileBlocks(source.filePath, pool) : readBlocks(source, blockSize);
  const ids: string[] = [];
  const inFlight = new Set<Promise<void>>();
  // Our own controller stops the sibling uploads when one fails; the caller's signal stops everything.
  const stop = new AbortController();
  const abortSignal = signal ? AbortSignal.any([signal, stop.signal]) : stop.signal;
  let failure: { error: unknown } | undefined;
  let offset = 0;
  let tooLong = false;

  try {
    for await (const clear of blocks) {
      if (failure) break;
      if (offset + clear.length > options.expectedSize) {
        tooLong = true;
        break;
      }
      const id = blockId(ids.length);
      ids.push(id);
      const at = offset;
      const length = clear.length;
      offset += length;
      // Never rejects: a failure (the encryption's, the Put Block's or the progress callback's) is recorded instead.
      const upload: Promise<void> = crypto
        .hashAndTransform(clear, at)
        .then(async (encrypted) => {
          await puts.run(() => blob.stageBlock(id, encrypted, encrypted.length, { abortSignal }));
          pool.give(encrypted);
        })
        .then(() => options.onBlockStored?.(length))
        .catch((error: unknown) => {
          failure ??= { error };
          stop.abort();
        })
        .finally(() => inFlight.delete(upload));
      inFlight.add(upload);
      while (inFlight.size >= parallelism + BLOCKS_PREPARED_AHEAD && !failure) await Promise.race(inFlight);
    }
  } catch (error) {
    // The source failed (or the caller aborted while we were reading it).
    failure ??= { error };
    stop.abort();
  }
  await Promise.all(inFlight);
  signal?.throwIfAborted();
  if (failure) throw failure.error;

  if (tooLong || offset !== options.expectedSize) {
    const delivered = tooLong ? 'more' : `only ${offset}`;
    throw new AmsWorkflowError('size-mismatch', `the input was declared as ${options.expectedSize} bytes but delivered ${delivered}; nothing was committed`);
  }
  const md5 = await crypto.digest();
  await blob.commitBlockList(ids, { blobHTTPHeaders: { blobContentType: options.contentType }, abortSignal });
  return { size: offset, md5 };
}
