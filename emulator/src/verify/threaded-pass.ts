import { MessageChannel, Worker, type MessagePort } from 'node:worker_threads';
import { counterBlock, ivToBytes, primeAllocatorForCipherOutputs } from '../../../client/src/crypto/index.js';
import type { DirectRead } from '../storage/types.js';
import type { DigestAlgorithm, Digests } from './digests.js';
import { digestThread } from './threads/digest-thread.js';
import type { DigestData, DigestMessage, ReaderData, ReaderMessage, ReleaseMessage } from './threads/protocol.js';
import { readerThread } from './threads/reader-thread.js';

/**
 * The verification's main pass for large blobs, off the event loop: a reader thread GETs the blob,
 * decrypts it and fills a ring of shared slots; a digest thread hashes each slot; the event loop
 * only runs `onClear` (the content probe) on them. The threads overlap with each other and with
 * storage serving the blob, and the process that answers API requests stays free.
 */
export interface ThreadedPassOptions {
  read: DirectRead;
  /** The file's key and IV; undefined: the stored bytes are already clear. */
  encryption?: { key: Buffer; iv: bigint };
  algorithms: readonly DigestAlgorithm[];
  /** Clear bytes in order, in slots of up to SLOT_BYTES; the buffer is reused after the call returns. */
  onClear(clear: Buffer): void;
  signal?: AbortSignal;
}

export interface PassResult {
  /** Stored bytes read. */
  bytes: number;
  digests: Digests;
}

/** No thread could be started (resource limits): the caller can do the same work on this thread. */
export class ThreadsUnavailableError extends Error {
  constructor(cause: unknown) {
    super(`no verification thread could be started: ${(cause as Error)?.message ?? String(cause)}`);
    this.name = 'ThreadsUnavailableError';
  }
}

export const SLOT_BYTES = 1024 * 1024;
/** The ring: all the memory the pass holds, whatever the blob's size. */
const SLOTS = 8;

export function runThreadedPass(options: ThreadedPassOptions): Promise<PassResult> {
  const { read, encryption, algorithms, signal } = options;
  const ring = new SharedArrayBuffer(SLOT_BYTES * SLOTS);
  const view = Buffer.from(ring);
  const workers: Worker[] = [];
  return new Promise<PassResult>((resolve, reject) => {
    let settled = false;
    let bytes: number | undefined;
    let digests: Digests | undefined = algorithms.length === 0 ? {} : undefined;
    const stop = (): void => {
      settled = true;
      signal?.removeEventListener('abort', onAbort);
      for (const worker of workers) void worker.terminate();
    };
    const fail = (err: unknown): void => {
      if (settled) return;
      stop();
      reject(err);
    };
    const settleIfDone = (): void => {
      if (settled || bytes === undefined || digests === undefined) return;
      stop();
      resolve({ bytes, digests });
    };
    const onAbort = (): void => fail(signal?.reason ?? new DOMException('The verification was aborted', 'AbortError'));
    if (signal?.aborted) return onAbort();
    signal?.addEventListener('abort', onAbort, { once: true });

    // The reader thread's decipher outputs come from the process's one malloc.
    primeAllocatorForCipherOutputs();
    const start = <T>(program: () => void, workerData: T, transferList: MessagePort[]): Worker | undefined => {
      let worker: Worker;
      try {
        worker = new Worker(`(${program.toString()})()`, { eval: true, workerData, transferList });
      } catch (err) {
        fail(new ThreadsUnavailableError(err));
        return undefined;
      }
      workers.push(worker);
      worker.on('error', fail);
      worker.on('exit', (code) => fail(new Error(`a verification thread stopped (exit code ${code}) before the pass ended`)));
      return worker;
    };

    const readerPorts: MessagePort[] = [];
    if (algorithms.length > 0) {
      const channel = new MessageChannel();
      readerPorts.push(channel.port1);
      const hasher = start<DigestData>(digestThread, { ring, slotBytes: SLOT_BYTES, algorithms: [...algorithms], reader: channel.port2 }, [channel.port2]);
      if (!hasher) return;
      hasher.on('message', (message: DigestMessage) => {
        digests = message.digests;
        settleIfDone();
      });
    }
    const readerData: ReaderData = {
      url: read.url,
      version: read.version,
      requestTimeoutMs: read.requestTimeoutMs,
      maxTries: read.maxTries,
      resumeTries: read.resumeTries,
      key: encryption?.key,
      counter: encryption ? counterBlock(ivToBytes(encryption.iv), 0n) : undefined,
      ring,
      slotBytes: SLOT_BYTES,
      consumers: readerPorts,
    };
    const reader = start(readerThread, readerData, readerPorts);
    if (!reader) return;
    reader.on('message', (message: ReaderMessage) => {
      if (message.kind === 'slot') {
        const at = message.slot * SLOT_BYTES;
        try {
          options.onClear(view.subarray(at, at + message.length));
        } catch (err) {
          fail(err);
          return;
        }
        const release: ReleaseMessage = { kind: 'release', slot: message.slot };
        reader.postMessage(release);
      } else if (message.kind === 'end') {
        bytes = message.bytes;
        settleIfDone();
      } else {
        const err = read.toError(message.failure);
        fail(err instanceof Error ? err : new Error(message.failure.message));
      }
    });
  });
}
