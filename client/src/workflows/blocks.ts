import { open } from 'node:fs/promises';
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

/**
 * Block buffers for reuse. A transfer holds at most `parallelism` blocks at a time, so a few
 * buffers serve a whole file; allocating and collecting one per block (and the stream chunks it
 * was assembled from) cost an upload as much time in garbage collection as in encryption.
 */
export class BlockPool {
  private readonly free: Buffer[] = [];
  constructor(
    readonly blockSize: number,
    private readonly capacity: number,
  ) {}

  /** A buffer of `blockSize` bytes, reused or new; new ones never come from Node's shared pool. */
  take(): Buffer {
    return this.free.pop() ?? Buffer.allocUnsafeSlow(this.blockSize);
  }

  /** Give back a buffer the caller is done with; only whole buffers of `blockSize` are kept. */
  give(buffer: Buffer): void {
    const whole = buffer.length === this.blockSize && buffer.byteOffset === 0 && buffer.buffer.byteLength === this.blockSize;
    if (whole && this.free.length < this.capacity) this.free.push(buffer);
  }
}

/**
 * The file at `path` in blocks of `blockSize` (the last may be shorter), each read straight into a
 * buffer taken from `pool`: no stream chunks to copy together. The consumer gives each block back
 * when it is done with it. Reads to the end of the file, whatever size was expected.
 */
export async function* readFileBlocks(path: string, pool: BlockPool): AsyncGenerator<Buffer, void, undefined> {
  const handle = await open(path, 'r');
  try {
    for (let position = 0; ; ) {
      const block = pool.take();
      let filled = 0;
      while (filled < block.length) {
        const { bytesRead } = await handle.read(block, filled, block.length - filled, position + filled);
        if (bytesRead === 0) break;
        filled += bytesRead;
      }
      position += filled;
      if (filled === 0) {
        pool.give(block);
        return;
      }
      yield filled === block.length ? block : block.subarray(0, filled);
      if (filled < block.length) return;
    }
  } finally {
    await handle.close();
  }
}

/** At most `size` of the given jobs at once; the others wait their turn, first come first served. */
export class Slots {
  private free: number;
  private readonly waiting: Array<() => void> = [];
  constructor(size: number) {
    this.free = size;
  }

  async run<T>(job: () => Promise<T>): Promise<T> {
    if (this.free > 0) this.free--;
    else await new Promise<void>((resolve) => this.waiting.push(resolve));
    try {
      return await job();
    } finally {
      const nextJob = this.waiting.shift();
      if (nextJob) nextJob();
      else this.free++;
    }
  }
}
