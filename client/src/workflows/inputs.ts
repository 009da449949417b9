import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { basename } from 'node:path';
import type { Readable } from 'node:stream';
import { AmsWorkflowError } from './errors.js';

/** A file to upload: a local path (its base name becomes the blob name), or a named stream of known size. */
export type UploadInput = string | { name: string; stream: Readable; size: number };

/** An input checked and ready: the stream is opened only when its turn comes. */
export interface ResolvedInput {
  name: string;
  size: number;
  /** The local file, for inputs given as a path (the upload then reads it without a stream). */
  path?: string;
  open(): Readable;
}

/** Characters REF/AssetFile forbids in a file name (they are reserved in URLs). */
const RESERVED = /[!*'();:@&=+$,/?%#[\]"\\]/;
const MAX_NAME_LENGTH = 260;

/**
 * Check every input before anything is created in the service, so a typo in the fifth name does not
 * leave four uploaded files behind. (The documented "only one '.'" rule is left to the service.)
 */
export async function resolveInputs(inputs: readonly UploadInput[]): Promise<ResolvedInput[]> {
  if (inputs.length === 0) throw new AmsWorkflowError('invalid-input', 'nothing to upload: give at least one file');
  const resolved: ResolvedInput[] = [];
  for (const input of inputs) {
    resolved.push(typeof input === 'string' ? await fromPath(input) : fromStream(input));
  }
  const seen = new Set<string>();
  for (const { name, size } of resolved) {
    checkName(name);
    if (seen.has(name)) throw new AmsWorkflowError('invalid-input', `two inputs are named ${JSON.stringify(name)}: file names are unique within an asset`);
    seen.add(name);
    if (!Number.isSafeInteger(size) || size < 0) throw new AmsWorkflowError('invalid-input', `the size of ${JSON.stringify(name)} must be a non-negative integer, got ${size}`);
  }
  return resolved;
}

export function checkName(name: string): void {
  if (name.length === 0 || name.length > MAX_NAME_LENGTH) {
    throw new AmsWorkflowError('invalid-input', `a file name is 1 to ${MAX_NAME_LENGTH} characters, got ${name.length}`);
  }
  const bad = RESERVED.exec(name);
  if (bad) {
    throw new AmsWorkflowError('invalid-input', `the file name ${JSON.stringify(name)} contains ${JSON.stringify(bad[0])}; AMS file names may not contain any of !*'();:@&=+$,/?%#[]"`);
  }
}

async function fromPath(path: string): Promise<ResolvedInput> {
  const info = await stat(path).catch((err: unknown) => {
    throw new AmsWorkflowError('invalid-input', `cannot read ${path}: ${(err as Error).message}`, { cause: err });
  });
  if (!info.isFile()) throw new AmsWorkflowError('invalid-input', `${path} is not a regular file`);
  return { name: basename(path), size: info.size, path, open: () => createReadStream(path) };
}

function fromStream(input: { name: string; stream: Readable; size: number }): ResolvedInput {
  let opened = false;
  return {
    name: input.name,
    size: input.size,
    open: () => {
      if (opened) throw new Error(`the stream of ${input.name} was already read`);
      opened = true;
      return input.stream;
    },
  };
}
