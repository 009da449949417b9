import type { FileHandle } from 'node:fs/promises';
import type { Writable } from 'node:stream';
import type { BlobClient } from '@azure/storage-blob';
import { Slots, splitRanges } from './blocks.js';
import { createBlockCrypto, type BlockCrypto, type CryptoThread } from './block-crypto.js';
import { AmsWorkflowError } from './errors.js';

/** Where downloaded clear bytes go. */
export interface ByteSink {
  /** A positional sink takes each range as soon as it is ready; a sequential one in file order. */
  readonly positional: boolean;
  write(data: Buffer, position: number): Promise<void>;
}

/** Writes each range at its own position, in whatever order ranges finish. */
export function fileHandleSink(handle: FileHandle): ByteSink {
  return {
    positional: true,
    async write(data, position) {
      for (let written = 0; written < data.length; ) {
        const { bytesWritten } = await handle.write(data, written, data.length - written, position + written);
        written += bytesWritten;
      }
    },
  };
}

/** Writes ranges in file order, waiting for the stream to drain (backpressure). */
export function writableSink(stream: Writable): ByteSink {
  return {
    positional: false,
    write: (data) =>
      new Promise<void>((resolve, reject) => {
        const onError = (err: Error): void => reject(err);
        stream.once('error', onError);
        stream.write(data, (err) => {
          stream.off('error', onError);
          if (err) reject(err);
          else resolve();
        });
      }),
  };
}

export interface DecryptedBlobDownloadOptions {
  /** The storage key and the file's IV, or undefined for a file stored in clear. */
  decryption: { key: Uint8Array; iv: bigint } | undefined;
  blockSize: number;
  parallelism: number;
  signal?: AbortSignal | undefined;
  onRangeDone?: ((bytes: number) => void) | undefined;
  /** A crypto thread started ahead (`startCryptoThread`), for a large file; left running. */
  cryptoThread?: CryptoThread | undefined;
}

/**
 * Read a blob of `size` bytes in ranges, up to `parallelism` at a time, decrypt each with AES-CTR at
 * its own offset and hand it to `sink`; returns the MD5 (hex) of the clear bytes. Ranges are hashed
 * in file order. Up to twice `parallelism` ranges are under way (so memory stays within that many
 * ranges whatever the file size), but only `parallelism` are being read at once: while the oldest
 * is still being decrypted and written, the connections are already busy with the next ones.
 */
export async function downloadDecryptedBlob(
  blob: BlobClient,
  size: number,
  sink: ByteSink,
  options: DecryptedBlobDownloadOptions,
): Promise<{ md5: string }> {
  const crypto = createBlockCrypto({ key: options.decryption?.key, iv: options.decryption?.iv, expectedBytes: size, thread: options.cryptoThread });
  try {
    return await downloadRanges(blob, size, sink, options, crypto);
  } finally {
    crypto.close();
  }
}

async function downloadRanges(blob: BlobClient, size: number, sink: ByteSink, options: DecryptedBlobDownloadOptions, crypto: BlockCrypto): Promise<{ md5: string }> {
  const { decryption, signal } = options;
  const ranges = splitRanges(size, options.blockSize);
  const stop = new AbortController();
  const abortSignal = signal ? AbortSignal.any([signal, stop.signal]) : stop.signal;
  const window: Array<Promise<Buffer>> = [];
  const reads = new Slots(options.parallelism);
  let next = 0;

  const start = (): void => {
    const { offset, count } = ranges[next++]!;
    const task = (async () => {
      // readRange's buffer is its own, so the decryption may take it over.
      const stored = await reads.run(() => readRange(blob, offset, count, abortSignal));
      const clear = decryption ? await crypto.transform(stored, offset) : stored;
      if (sink.positional) await sink.write(clear, offset);
      return clear;
    })();
    // Awaited in order below; until then a failure must not count as unhandled.
    task.catch(() => undefined);
    window.push(task);
  };

  try {
    while (next < ranges.length && window.length < 2 * options.parallelism) start();
    for (let index = 0; window.length > 0; index++) {
      const clear = await window.shift()!;
      const length = clear.length;
      if (!sink.positional) await sink.write(clear, ranges[index]!.offset);
      // A positional sink is done with the range; a Writable may still hold on to it.
      crypto.hash(clear, { consume: sink.positional });
      options.onRangeDone?.(length);
      if (next < ranges.length) start();
    }
  } catch (error) {
    stop.abort();
    await Promise.allSettled(window);
    signal?.throwIfAborted();
    throw error;
  }
  return { md5: await crypto.digest() };
}

async function readRange(blob: BlobClient, offset: number, count: number, abortSignal: AbortSignal): Promise<Buffer> {
  const response = await blob.download(offset, count, { abortSignal });
  const body = response.readableStreamBody;
  if (!body) throw new AmsWorkflowError('size-mismatch', `the blob returned no body for bytes ${offset}..${offset + count - 1}`);
  const chunks: Buffer[] = [];
  let length = 0;
  for await (const chunk of body) {
    const data: Buffer = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk as string | Uint8Array);
    chunks.push(data);
    length += data.length;
  }
  if (length !== count) {
    throw new AmsWorkflowError('size-mismatch', `asked the blob for bytes ${offset}..${offset + count - 1} and got ${length} bytes`);
  }
  // Always a fresh buffer (concat copies even a single chunk): the caller owns it outright.
  return Buffer.concat(chunks, length);
}
