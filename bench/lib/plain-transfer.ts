import { open } from 'node:fs/promises';
import type { BlobClient, BlockBlobClient } from '@azure/storage-blob';

/**
 * The baselines of bench:client: the same bytes moved with `@azure/storage-blob` alone, no
 * encryption and no AMS calls, with the same block size and parallelism as the encrypted runs.
 */

/**
 * The SDK's own parallel file upload (Put Block x N, Put Block List). `maxSingleShotSize: 0`: left
 * to itself the SDK sends a file of up to 256 MiB in one Put Blob, not in blocks of `blockSize`.
 */
export async function plainUpload(blob: BlockBlobClient, path: string, blockSize: number, parallelism: number): Promise<void> {
  await blob.uploadFile(path, { blockSize, concurrency: parallelism, maxSingleShotSize: 0 });
}

/**
 * Parallel ranged reads written at their offsets. The SDK has no parallel download to a file
 * (`downloadToFile` is one stream; `downloadToBuffer` holds the whole blob in memory), so this is
 * the shortest way to download a file with it at a given parallelism: the same window of
 * `parallelism` range GETs of `blockSize` that the encrypted download keeps, without the crypto.
 */
export async function plainDownload(blob: BlobClient, size: number, path: string, blockSize: number, parallelism: number): Promise<void> {
  const file = await open(path, 'w');
  try {
    let next = 0;
    const worker = async (): Promise<void> => {
      for (let offset = next; offset < size; offset = next) {
        next += blockSize;
        const count = Math.min(blockSize, size - offset);
        const response = await blob.download(offset, count);
        const chunks: Buffer[] = [];
        for await (const chunk of response.readableStreamBody!) chunks.push(chunk as Buffer);
        const data = Buffer.concat(chunks);
        if (data.length !== count) throw new Error(`range at ${offset}: ${data.length} bytes instead of ${count}`);
        await file.write(data, 0, data.length, offset);
      }
    };
    await Promise.all(Array.from({ length: parallelism }, worker));
  } finally {
    await file.close();
  }
}
