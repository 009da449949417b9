import type { MessagePort } from 'node:worker_threads';
import type { ReadFailure } from '../../storage/types.js';
import type { DigestAlgorithm, Digests } from '../digests.js';

/**
 * Messages between the threads of the main pass. The reader fills slots of a shared ring with
 * clear bytes and hands each slot to every consumer (the event loop's content probe, the digest
 * thread); a slot is refilled once every consumer has released it. Only slot numbers cross
 * threads, never bytes, so nothing is copied or collected per megabyte.
 */

export interface ReaderData {
  url: string;
  version: string;
  requestTimeoutMs: number;
  maxTries: number;
  resumeTries: number;
  /** The AES-256 key; absent when the stored bytes are already clear. */
  key?: Uint8Array;
  /** The counter block of file offset 0. */
  counter?: Uint8Array;
  ring: SharedArrayBuffer;
  slotBytes: number;
  /** To the digest thread, if any; the event loop is the reader's parent port. */
  consumers: MessagePort[];
}

export interface DigestData {
  ring: SharedArrayBuffer;
  slotBytes: number;
  algorithms: DigestAlgorithm[];
  /** To the reader: slots come in, releases go out. */
  reader: MessagePort;
}

/** Reader to every consumer. `bytes` in `end` is the number of stored bytes read. */
export type SlotMessage = { kind: 'slot'; slot: number; length: number } | { kind: 'end'; bytes: number };

/** Consumer to reader. */
export type ReleaseMessage = { kind: 'release'; slot: number };

export type ReaderMessage = SlotMessage | { kind: 'failed'; failure: ReadFailure };

export type DigestMessage = { kind: 'digests'; digests: Digests };
