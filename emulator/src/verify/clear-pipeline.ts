import { Worker } from 'node:worker_threads';
import { AmsCtr, counterBlock, ivToBytes } from '../../../client/src/crypto/index.js';
import { InlineDigestSink, type DigestAlgorithm, type Digests } from './digests.js';

/**
 * The verification's main pass: stored bytes in, clear bytes out to `onClear` (the content probe),
 * digests at the end. Large blobs decrypt and hash in a worker thread: AES-CTR, MD5 and SHA-256
 * together cost more CPU than the download that feeds them, and on the event loop (which the
 * embedded Azurite shares) they would add to it rather than overlap with it.
 */
export interface ClearPipeline {
  /** Stored bytes, in order from file offset 0. Returns a promise only when the caller must wait. */
  update(stored: Buffer): void | Promise<void>;
  /** Every clear byte has gone to onClear; the digests of the clear bytes. */
  finish(): Promise<Digests>;
  /** Stop early; idempotent. */
  close(): void;
}

export interface ClearPipelineOptions {
  /** The file's key and IV; undefined: the stored bytes are already clear. */
  encryption?: { key: Buffer; iv: bigint };
  algorithms: readonly DigestAlgorithm[];
  /** The blob's size: small blobs are not worth a thread. */
  expectedBytes: number;
  /** Clear bytes, in order (the worker hands them back in 1 MiB batches). */
  onClear(clear: Buffer): void;
}

const WORKER_THRESHOLD_BYTES = 8 * 1024 * 1024;
const BATCH_BYTES = 1024 * 1024;
/** Batches in flight: bounds the pipeline's memory to BATCHES x BATCH_BYTES. */
const BATCHES = 4;

export function createClearPipeline(options: ClearPipelineOptions): ClearPipeline {
  if (options.expectedBytes >= WORKER_THRESHOLD_BYTES) {
    try {
      return new WorkerClearPipeline(options);
    } catch {
      // No worker (resource limits): the same work on this thread.
    }
  }
  return new InlineClearPipeline(options);
}

/** On the calling thread: the library's AmsCtr, then the digests. */
export class InlineClearPipeline implements ClearPipeline {
  private readonly ctr: AmsCtr | undefined;
  private readonly digests: InlineDigestSink;
  constructor(private readonly options: ClearPipelineOptions) {
    this.ctr = options.encryption ? new AmsCtr(options.encryption.key, options.encryption.iv) : undefined;
    this.digests = new InlineDigestSink(options.algorithms);
  }
  update(stored: Buffer): void {
    const clear = this.ctr ? this.ctr.update(stored) : stored;
    this.options.onClear(clear);
    this.digests.update(clear);
  }
  finish(): Promise<Digests> {
    return this.digests.finish();
  }
  close(): void {}
}

// Plain CommonJS, evaluated as the worker's script, so it runs the same from the TypeScript
// sources (tests) and from dist. The cipher is Node's aes-256-ctr started at the counter block of
// file offset 0, which the library computes (counterBlock): a stream that starts at block 0 would
// need 2^68 bytes before the low 64 bits wrap (where OpenSSL's 128-bit counter and AMS's 64-bit
// one part), far beyond any blob, so no wrap handling is needed here. The batch goes back for
// reuse and the cipher's output is transferred with it: its memory is then freed by the main
// thread's collector, which runs often, not by this thread's, which would let it pile up.
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const { createCipheriv, createHash } = require('node:crypto');
const cipher = workerData.counter ? createCipheriv('aes-256-ctr', workerData.key, workerData.counter) : undefined;
const hashes = workerData.algorithms.map((algorithm) => [algorithm, createHash(algorithm)]);
parentPort.on('message', (message) => {
  if (message.kind === 'data') {
    const stored = Buffer.from(message.buffer, 0, message.length);
    let clear = stored;
    if (cipher) {
      clear = cipher.update(stored);
      if (clear.byteOffset !== 0 || clear.byteLength !== clear.buffer.byteLength) {
        clear.copy(stored);
        clear = stored;
      }
    }
    for (const [, hash] of hashes) hash.update(clear);
    const transfer = clear === stored ? [message.buffer] : [message.buffer, clear.buffer];
    parentPort.postMessage({ kind: 'clear', batch: message.buffer, clear: clear.buffer, length: message.length }, transfer);
  } else if (message.kind === 'end') {
    const digests = {};
    for (const [algorithm, hash] of hashes) digests[algorithm] = hash.digest('hex');
    parentPort.postMessage({ kind: 'digests', digests });
  }
});
`;

type WorkerReply = { kind: 'clear'; batch: ArrayBuffer; clear: ArrayBuffer; length: number } | { kind: 'digests'; digests: Digests };

/** Copies stored bytes into a few reusable 1 MiB batches, transferred to the worker and back with their clear bytes. */
class WorkerClearPipeline implements ClearPipeline {
  private readonly worker: Worker;
  private readonly free: ArrayBuffer[] = [];
  private allocated = 0;
  private current: Buffer | undefined;
  private used = 0;
  private waiter: (() => void) | undefined;
  private failure: Error | undefined;
  private onDigests: ((digests: Digests) => void) | undefined;
  private onFailure: ((err: Error) => void) | undefined;
  private closed = false;

  constructor(private readonly options: ClearPipelineOptions) {
    const encryption = options.encryption;
    this.worker = new Worker(WORKER_SOURCE, {
      eval: true,
      workerData: {
        key: encryption?.key,
        counter: encryption ? counterBlock(ivToBytes(encryption.iv), 0n) : undefined,
        algorithms: [...options.algorithms],
      },
    });
    this.worker.on('message', (reply: WorkerReply) => {
      if (reply.kind === 'clear') {
        try {
          this.options.onClear(Buffer.from(reply.clear, 0, reply.length));
        } catch (err) {
          this.fail(err as Error);
        }
        this.free.push(reply.batch);
        this.wake();
      } else {
        this.onDigests?.(reply.digests);
      }
    });
    this.worker.on('error', (err) => this.fail(err));
    this.worker.on('exit', (code) => {
      if (!this.closed) this.fail(new Error(`the verification worker exited with code ${code}`));
    });
  }

  update(stored: Buffer): void | Promise<void> {
    if (this.failure) throw this.failure;
    let at = 0;
    while (at < stored.length) {
      if (!this.current) {
        const buffer = this.take();
        if (!buffer) {
          const rest = stored.subarray(at);
          return new Promise<void>((resolve) => {
            this.waiter = resolve;
          }).then(() => this.update(rest));
        }
        this.current = Buffer.from(buffer);
        this.used = 0;
      }
      const n = stored.copy(this.current, this.used, at);
      this.used += n;
      at += n;
      if (this.used === this.current.length) this.send();
    }
  }

  finish(): Promise<Digests> {
    if (this.failure) return Promise.reject(this.failure);
    if (this.current && this.used > 0) this.send();
    return new Promise<Digests>((resolve, reject) => {
      // Replies come in order: every batch's clear bytes reach onClear before the digests.
      this.onDigests = (digests) => {
        this.close();
        if (this.failure) reject(this.failure);
        else resolve(digests);
      };
      this.onFailure = reject;
      this.worker.postMessage({ kind: 'end' });
    });
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    void this.worker.terminate();
  }

  private take(): ArrayBuffer | undefined {
    const buffer = this.free.pop();
    if (buffer) return buffer;
    if (this.allocated >= BATCHES) return undefined;
    this.allocated++;
    return new ArrayBuffer(BATCH_BYTES);
  }

  private send(): void {
    const batch = this.current!;
    this.current = undefined;
    const buffer = batch.buffer as ArrayBuffer;
    this.worker.postMessage({ kind: 'data', buffer, length: this.used }, [buffer]);
  }

  private fail(err: Error): void {
    this.failure ??= err;
    this.wake();
    this.onFailure?.(this.failure);
  }

  private wake(): void {
    const waiter = this.waiter;
    this.waiter = undefined;
    waiter?.();
  }
}
