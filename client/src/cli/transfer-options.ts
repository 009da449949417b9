import { DEFAULT_BLOCK_SIZE, DEFAULT_PARALLELISM } from '../workflows/index.js';
import type { OptionSpec, ParsedOptions } from './command.js';
import { UsageError } from './errors.js';

/** The shape of a transfer (`--parallel`, `--block-size`) and `--json`, shared by upload and download. */

/** 100 MiB: the largest Put Block every Azure Storage version since 2016 accepts. */
export const MAX_BLOCK_SIZE = 100 * 1024 * 1024;
/** Each block in flight is held in memory; beyond this more parallelism only adds memory. */
export const MAX_PARALLELISM = 64;

export const PARALLEL_OPTION: OptionSpec = {
  name: 'parallel',
  type: 'string',
  placeholder: 'N',
  description: `blocks in flight at once, 1-${MAX_PARALLELISM} (default ${DEFAULT_PARALLELISM}); memory is about N + 3 blocks uploading, 2N downloading`,
};

export const BLOCK_SIZE_OPTION: OptionSpec = {
  name: 'block-size',
  type: 'string',
  placeholder: 'BYTES',
  description: `bytes per block: a multiple of 16, plain or with K or M (KiB, MiB), e.g. 4M (default ${DEFAULT_BLOCK_SIZE / 1024 / 1024}M, at most 100M)`,
};

export const JSON_OPTION: OptionSpec = { name: 'json', type: 'boolean', description: 'print the result as one line of JSON, and no progress' };

export interface TransferShape {
  parallelism: number;
  blockSize: number;
}

export function transferShape(options: ParsedOptions): TransferShape {
  const parallel = options.optionalString('parallel');
  const blockSize = options.optionalString('block-size');
  return {
    parallelism: parallel === undefined ? DEFAULT_PARALLELISM : parseParallelism(parallel),
    blockSize: blockSize === undefined ? DEFAULT_BLOCK_SIZE : parseBlockSize(blockSize),
  };
}

export function parseParallelism(text: string): number {
  if (!/^\d+$/.test(text) || Number(text) < 1 || Number(text) > MAX_PARALLELISM) {
    throw new UsageError(`--parallel must be a whole number from 1 to ${MAX_PARALLELISM}, got ${JSON.stringify(text)}`);
  }
  return Number(text);
}

const UNITS: Readonly<Record<string, number>> = { '': 1, k: 1024, kib: 1024, m: 1024 * 1024, mib: 1024 * 1024 };

/**
 * `--block-size`: bytes, or KiB/MiB with a K or M suffix (binary: blocks are sized in powers of
 * two). It must be a multiple of 16 so that every block but the last starts on an AES-CTR counter
 * block, as the .NET SDK cut them.
 */
export function parseBlockSize(text: string): number {
  const match = /^(\d+)\s*([a-z]*)$/i.exec(text.trim());
  const unit = match ? UNITS[match[2]!.toLowerCase()] : undefined;
  if (!match || unit === undefined) {
    throw new UsageError(`--block-size must be a number of bytes, optionally with K or M (KiB, MiB), e.g. 4194304 or 4M; got ${JSON.stringify(text)}`);
  }
  const bytes = Number(match[1]) * unit;
  if (bytes === 0 || bytes > MAX_BLOCK_SIZE) {
    throw new UsageError(`--block-size must be from 16 bytes to 100M, got ${JSON.stringify(text)}`);
  }
  if (bytes % 16 !== 0) {
    throw new UsageError(`--block-size must be a multiple of 16 bytes (the AES block), got ${bytes}; try ${Math.max(16, Math.round(bytes / 16) * 16)}`);
  }
  return bytes;
}
