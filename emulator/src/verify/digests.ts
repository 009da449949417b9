import { createHash, type Hash } from 'node:crypto';

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

/** On the calling thread: the diagnosis' lanes, and the main pass of small blobs. */
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
