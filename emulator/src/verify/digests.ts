import { createHash, type Hash } from 'node:crypto';
import { Worker } from 'node:worker_threads';

export type DigestAlgorithm = 'md5' | 'sha256';
export type Digests = Partial<Record<DigestAlgorithm, string>>;

/** Digests of a byte stream fed in order. `update` returns a promise only when the caller must wait. */
export interface DigestSink {
  update(chunk: Buffer): void | Promise<void>;
  /** Lowercase hex of each algorithm. */
  finish(): Promise<Digests>;
  /** Stop early; idempotent. */
  close(): void;
}

/** Below this, hashing in the calling thread is cheaper than starting a worker. */
const WORKER_THRESHOLD_BYTES = 8 * 1024 * 1024;
const BATCH_BYTES = 1024 * 1024;
/** Batches in flight to the worker: bounds the memory to BATCHES x BATCH_BYTES. */
const BATCHES = 6;

/**
 * A sink for `algorithms` over about `expectedBytes`. Large streams hash in a worker thread: MD5
 * runs at ~700 MB/s, slower than the download and the AES that feed it, so on the event loop it
 * would be the bottleneck; on another core it overlaps with them.
 */
export function createDigestSink(algorithms: readonly DigestAlgorithm[], expectedBytes: number): DigestSink {
  if (algorithms.length === 0) return { update: () => undefined, finish: async () => ({}), close: () => undefined };
  if (expectedBytes < WORKER_THRESHOLD_BYTES) return new InlineDigestSink(algorithms);
  try {
    return new WorkerDigestSink(algorithms);
  } catch {
    return new InlineDigestSink(algorithms);
  }
}

export class InlineDigestSink implements DigestSink {
  private readonly hashes: Array<[DigestAlgorithm, Hash]>;
  constructor(algorithms: readonly DigestAlgorithm[]) {
    this.hashes = algorithms.map((a) => [a, createHash(a)]);
  }
  update(chunk: Buffer): void {
    for (const [, hash] of this.hashes) hash.update(chunk);
  }
  async finish(): Promise<Digests> {
    const out: Digests = {};
    for (const [algorithm, hash] of this.hashes) out[algorithm] = hash.digest('hex');
    return out;
  }
  close(): void {}
}

// Plain CommonJS, evaluated as the worker's script, so it runs the same from the TypeScript
// sources (tests) and from dist.
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const { createHash } = require('node:crypto');
const hashes = workerData.map((algorithm) => [algorithm, createHash(algorithm)]);
parentPort.on('message', (message) => {
  if (message.kind === 'data') {
    const bytes = Buffer.from(message.buffer, 0, message.length);
    for (const [, hash] of hashes) hash.update(bytes);
    parentPort.postMessage({ kind: 'free', buffer: message.buffer }, [message.buffer]);
  } else if (message.kind === 'end') {
    const digests = {};
    for (const [algorithm, hash] of hashes) digests[algorithm] = hash.digest('hex');
    parentPort.postMessage({ kind: 'digests', digests });
  }
});
`;

type WorkerReply = { kind: 'free'; buffer: ArrayBuffer } | { kind: 'digests'; digests: Digests };

/** Copies the stream into a few reusable 1 MiB batches and transfers them to a hashing worker. */
class WorkerDigestSink implements DigestSink {
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

  constructor(algorithms: readonly DigestAlgorithm[]) {
    this.worker = new Worker(WORKER_SOURCE, { eval: true, workerData: [...algorithms] });
    this.worker.on('message', (reply: WorkerReply) => {
      if (reply.kind === 'free') {
        this.free.push(reply.buffer);
        this.wake();
      } else {
        this.onDigests?.(reply.digests);
      }
    });
    this.worker.on('error', (err) => this.fail(err));
    this.worker.on('exit', (code) => {
      if (!this.closed) this.fail(new Error(`the hashing worker exited with code ${code}`));
    });
  }

  update(chunk: Buffer): void | Promise<void> {
    if (this.failure) throw this.failure;
    let at = 0;
    while (at < chunk.length) {
      if (!this.current) {
        const buffer = this.take();
        if (!buffer) {
          const rest = chunk.subarray(at);
          return new Promise<void>((resolve) => {
            this.waiter = resolve;
          }).then(() => this.update(rest));
        }
        this.current = Buffer.from(buffer);
        this.used = 0;
      }
      const n = chunk.copy(this.current, this.used, at);
      this.used += n;
      at += n;
      if (this.used === this.current.length) this.send();
    }
  }

  finish(): Promise<Digests> {
    if (this.failure) return Promise.reject(this.failure);
    if (this.current && this.used > 0) this.send();
    return new Promise<Digests>((resolve, reject) => {
      this.onDigests = (digests) => {
        this.close();
        resolve(digests);
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
