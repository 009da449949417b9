import type { Readable } from 'node:stream';

/** Block ids as the .NET SDK writes them: base64 of ASCII "BlockId" + the index in 7 digits. */
export function blockId(index: number): string {
  return Buffer.from(`BlockId${String(index).padStart(7, '0')}`, 'ascii').toString('base64');
}

/** A block blob holds at most 50,000 blocks. */
export const MAX_BLOCKS = 50_000;

export const DEFAULT_BLOCK_SIZE = 4 * 1024 * 1024;
export const DEFAULT_PARALLELISM = 4;

/**
 * Every block but the last starts at a multiple of 16, i.e. at the first byte of a CTR counter
 * block, as in the .NET SDK; other sizes would work with AmsCtr but make every block straddle one.
 */
export function checkTransferShape(blockSize: number, parallelism: number): void {
  if (!Number.isSafeInteger(blockSize) || blockSize <= 0 || blockSize % 16 !== 0) {
    throw new RangeError(`blockSize must be a positive multiple of 16 bytes, got ${blockSize}`);
  }
  if (!Number.isSafeInteger(parallelism) || parallelism < 1) {
    throw new RangeError(`parallelism must be an integer >= 1, got ${parallelism}`);
  }
}

/**
 * The stream cut into blocks of exactly `blockSize` bytes (the last may be shorter; an empty stream
 * gives none). Reading is pulled by the consumer, so at most one partial block is buffered here.
 */
export async function* readBlocks(stream: Readable, blockSize: number): AsyncGenerator<Buffer, void, undefined> {
  let parts: Buffer[] = [];
  let buffered = 0;
  for await (const chunk of stream) {
    let data = typeof chunk === 'string' ? Buffer.from(chunk) : Buffer.from(chunk as Uint8Array);
    while (buffered + data.length >= blockSize) {
      const take = blockSize - buffered;
      parts.push(data.subarray(0, take));
      yield Buffer.concat(parts, blockSize);
      parts = [];
      buffered = 0;
      data = data.subarray(take);
    }
    if (data.length > 0) {
      parts.push(data);
      buffered += data.length;
    }
  }
  if (buffered > 0) yield Buffer.concat(parts, buffered);
}

/** [offset, count] ranges covering `size` bytes in steps of `blockSize`. */
export function splitRanges(size: number, blockSize: number): Array<{ offset: number; count: number }> {
  const ranges: Array<{ offset: number; count: number }> = [];
  for (let offset = 0; offset < size; offset += blockSize) ranges.push({ offset, count: Math.min(blockSize, size - offset) });
  return ranges;
}
