import { createHash } from 'node:crypto';
import { Worker } from 'node:worker_threads';
import { AmsCtr, CTR_IN_PLACE_SOURCE, CTR_SLICE_BYTES, ivToBytes, primeAllocatorForCipherOutputs } from '../crypto/index.js';

/**
 * The CPU work of a transfer, for one file: AES-CTR of blocks at their offsets and the MD5 of the
 * clear bytes in file order. Large files do it in a worker thread: on the event loop, AES-CTR, MD5
 * and the garbage of their buffers cost about as much as the transfer itself (on 2 cores,
 * encrypted uploads ran at half the plain speed), and would add to it rather than overlap with it.
 *
 * Buffers passed to `hashAndTransform` and `transform` are consumed: the worker takes their memory
 * over (no copy) and hands the transformed block back in it, so callers pass only buffers they made
 * themselves and never touch them again. `hash` says whether it may consume.
 */
export interface BlockCrypto {
  /** Hash `clear` (the next bytes of the file, in order) and encrypt it as the bytes at `offset`. */
  hashAndTransform(clear: Buffer, offset: number): Promise<Buffer>;
  /** Encrypt or decrypt `data` as the bytes at `offset`. */
  transform(data: Buffer, offset: number): Promise<Buffer>;
  /**
   * Hash `clear`, the next bytes of the file in order. `consume: false` when someone still holds
   * the buffer (a Writable may keep the chunks written to it): it is then copied.
   */
  hash(clear: Buffer, options: { consume: boolean }): void;
  /** The MD5 (hex) of everything hashed. */
  digest(): Promise<string>;
  /** Stop the worker, if any; pending calls reject. Idempotent. */
  close(): void;
}

export interface BlockCryptoOptions {
  /** The 32-byte content key and the file's IV; without them `transform` is refused. */
  key?: Uint8Array | undefined;
  iv?: bigint | undefined;
  /** The file's size: below WORKER_THRESHOLD_BYTES a thread costs more than it saves. */
  expectedBytes: number;
  /**
   * A thread started ahead (`startCryptoThread`) for a large file to use; without one, a large
   * file starts its own and stops it on `close`. With one, `close` ends only this file's work.
   */
  thread?: CryptoThread | undefined;
}

export const WORKER_THRESHOLD_BYTES = 8 * 1024 * 1024;

export function createBlockCrypto(options: BlockCryptoOptions): BlockCrypto {
  if (options.expectedBytes >= WORKER_THRESHOLD_BYTES) {
    if (options.thread && !options.thread.closed) return options.thread.openFile(options);
    try {
      return new CryptoThread().openFile(options, { ownsThread: true });
    } catch {
      // No thread to be had (resource limits): the same work on this one.
    }
  }
  return new InlineBlockCrypto(options);
}

/**
 * A thread for the block crypto of the files of one transfer, started before it knows their keys.
 * A thread takes 30-40 ms to start and its first block waits for that: a transfer starts it before
 * its REST calls, so the start-up runs beside them, and its files share it one after another.
 * `undefined` when no thread can be had (the files then work inline).
 */
export function startCryptoThread(): CryptoThread | undefined {
  try {
    return new CryptoThread();
  } catch {
    return undefined;
  }
}

/** On the calling thread, with the library's AmsCtr, in place: `transform` consumes its buffer. */
class InlineBlockCrypto implements BlockCrypto {
  private readonly md5 = createHash('md5');
  private closed = false;
  constructor(private readonly options: BlockCryptoOptions) {}

  hashAndTransform(clear: Buffer, offset: number): Promise<Buffer> {
    if (!this.closed) this.md5.update(clear);
    return this.transform(clear, offset);
  }

  transform(data: Buffer, offset: number): Promise<Buffer> {
    const { key, iv } = this.options;
    if (this.closed) return Promise.reject(new Error('the block crypto was closed'));
    if (!key || iv === undefined) return Promise.reject(new Error('this BlockCrypto has no key'));
    return Promise.resolve(new AmsCtr(key, iv, offset).updateInPlace(data));
  }

  hash(clear: Buffer): void {
    if (!this.closed) this.md5.update(clear);
  }

  digest(): Promise<string> {
    if (this.closed) return Promise.reject(new Error('the block crypto was closed'));
    return Promise.resolve(this.md5.digest('hex'));
  }

  close(): void {
    this.closed = true;
  }
}

// Plain CommonJS evaluated as the worker's script, so it runs the same from the TypeScript sources
// (tests) and from dist. Offsets are JS numbers (< 2^53), so the counter's low 64 bits start below
// 2^49 and never reach the wrap within a file: Node's aes-256-ctr opened at BE64(IV) || BE64(offset
// / 16) gives exactly the AMS keystream. Each block is encrypted in place, in cache-sized slices,
// by the library's own cipherInPlace (its source text opens the script). A thread serves several
// files, each opened with its key and IV and with an MD5 of its own.
const WORKER_SOURCE = `${CTR_IN_PLACE_SOURCE}
const { parentPort } = require('node:worker_threads');
const { createCipheriv, createHash } = require('node:crypto');
const files = new Map();
parentPort.on('message', (m) => {
  try {
    if (m.kind === 'open') {
      files.set(m.file, { key: m.key && Buffer.from(m.key), iv8: m.iv8 && Buffer.from(m.iv8), md5: createHash('md5') });
      return;
    }
    if (m.kind === 'end') {
      files.delete(m.file);
      return;
    }
    const file = files.get(m.file);
    if (!file) throw new Error('file ' + m.file + ' is not open on this thread');
    if (m.kind === 'digest') {
      parentPort.postMessage({ id: m.id, digest: file.md5.digest('hex') });
      return;
    }
    const data = Buffer.from(m.buffer, 0, m.length);
    if (m.hash) file.md5.update(data);
    if (m.offset === undefined) {
      parentPort.postMessage({ id: m.id });
      return;
    }
    const counter = Buffer.alloc(16);
    file.iv8.copy(counter, 0);
    counter.writeBigUInt64BE(BigInt(Math.floor(m.offset / 16)), 8);
    const cipher = createCipheriv('aes-256-ctr', file.key, counter);
    if (m.offset % 16 !== 0) cipher.update(Buffer.alloc(m.offset % 16));
    cipherInPlace(cipher, data, ${CTR_SLICE_BYTES});
    parentPort.postMessage({ id: m.id, buffer: m.buffer, length: m.length }, [m.buffer]);
  } catch (err) {
    parentPort.postMessage({ id: m.id, error: String((err && err.message) || err) });
  }
});
`;

type WorkerReply = { id: number; buffer?: ArrayBuffer; length?: number; digest?: string; error?: string };
type Waiter = { resolve: (reply: WorkerReply) => void; reject: (err: Error) => void };

export class CryptoThread {
  private readonly worker: Worker;
  private readonly pending = new Map<number, Waiter>();
  private nextId = 0;
  private nextFile = 0;
  private failure: Error | undefined;

  constructor() {
    primeAllocatorForCipherOutputs(); // malloc is the process's: the thread's cipher outputs share it
    this.worker = new Worker(WORKER_SOURCE, { eval: true });
    // The thread keeps the process alive only while an answer is awaited, never while it idles.
    this.worker.unref();
    this.worker.on('message', (reply: WorkerReply) => {
      const waiter = this.pending.get(reply.id);
      if (!waiter) return;
      this.pending.delete(reply.id);
      if (this.pending.size === 0) this.worker.unref();
      if (reply.error !== undefined) waiter.reject(new Error(`block crypto failed: ${reply.error}`));
      else waiter.resolve(reply);
    });
    this.worker.on('error', (err) => this.fail(err));
    this.worker.on('exit', () => this.fail(new Error('the block crypto thread stopped')));
  }

  get closed(): boolean {
    return this.failure !== undefined;
  }

  /** The block crypto of one file on this thread. */
  openFile(options: BlockCryptoOptions, { ownsThread = false } = {}): BlockCrypto {
    const file = this.nextFile++;
    const hasKey = options.key !== undefined && options.iv !== undefined;
    this.post({ kind: 'open', file, ...(hasKey ? { key: Buffer.from(options.key!), iv8: Buffer.from(ivToBytes(options.iv!)) } : {}) }, []);
    return new ThreadFileCrypto(this, file, hasKey, ownsThread);
  }

  /** Send `message` and wait for its answer; `onSent` learns its id (to cancel it). */
  request(message: Record<string, unknown>, transfer: ArrayBuffer[], onSent: (id: number, waiter: Waiter) => void): Promise<WorkerReply> {
    if (this.failure) return Promise.reject(this.failure);
    const id = this.nextId++;
    return new Promise<WorkerReply>((resolve, reject) => {
      if (this.pending.size === 0) this.worker.ref();
      const waiter = { resolve, reject };
      this.pending.set(id, waiter);
      onSent(id, waiter);
      try {
        this.worker.postMessage({ ...message, id }, transfer);
      } catch (err) {
        // Not sent (a buffer that cannot be handed over): nothing will answer, so nothing may wait.
        this.forget(id);
        throw err;
      }
    });
  }

  /** A message with no answer (opening and ending files). */
  post(message: Record<string, unknown>, transfer: ArrayBuffer[]): void {
    if (!this.failure) this.worker.postMessage(message, transfer);
  }

  /** Forget a request whose caller gave up on it: its answer, if one comes, is dropped. */
  forget(id: number): void {
    this.pending.delete(id);
    if (this.pending.size === 0) this.worker.unref();
  }

  /** Stop the thread; pending calls of every file reject. Idempotent. */
  close(): void {
    this.fail(new Error('the block crypto was closed'));
    void this.worker.terminate();
  }

  private fail(err: Error): void {
    this.failure ??= err;
    for (const waiter of this.pending.values()) waiter.reject(this.failure);
    this.pending.clear();
    this.worker.unref();
  }
}

/** One file's work on a CryptoThread. */
class ThreadFileCrypto implements BlockCrypto {
  private readonly waiting = new Map<number, Waiter>();
  private closed = false;

  constructor(
    private readonly thread: CryptoThread,
    private readonly file: number,
    private readonly hasKey: boolean,
    private readonly ownsThread: boolean,
  ) {}

  hashAndTransform(clear: Buffer, offset: number): Promise<Buffer> {
    return this.send(clear, { hash: true, offset }).then(blockOf);
  }

  transform(data: Buffer, offset: number): Promise<Buffer> {
    return this.send(data, { hash: false, offset }).then(blockOf);
  }

  hash(clear: Buffer, options: { consume: boolean }): void {
    // A failure here also fails digest(), which every caller awaits.
    this.send(options.consume ? clear : copyOf(clear), { hash: true }).catch(() => undefined);
  }

  async digest(): Promise<string> {
    const reply = await this.request({ kind: 'digest' }, []);
    return reply.digest!;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    if (this.ownsThread) {
      this.thread.close();
      return;
    }
    this.thread.post({ kind: 'end', file: this.file }, []);
    const closed = new Error('the block crypto was closed');
    for (const [id, waiter] of this.waiting) {
      this.thread.forget(id);
      waiter.reject(closed);
    }
    this.waiting.clear();
  }

  private send(data: Buffer, message: { hash: boolean; offset?: number }): Promise<WorkerReply> {
    if (message.offset !== undefined && !this.hasKey) return Promise.reject(new Error('this BlockCrypto has no key'));
    const owned = ownedBuffer(data);
    return this.request({ ...message, buffer: owned.buffer, length: owned.length }, [owned.buffer as ArrayBuffer]);
  }

  private request(message: Record<string, unknown>, transfer: ArrayBuffer[]): Promise<WorkerReply> {
    if (this.closed) return Promise.reject(new Error('the block crypto was closed'));
    let sent: number | undefined;
    return this.thread
      .request({ ...message, file: this.file }, transfer, (id, waiter) => {
        sent = id;
        this.waiting.set(id, waiter);
      })
      .finally(() => {
        if (sent !== undefined) this.waiting.delete(sent);
      });
  }
}

function blockOf(reply: WorkerReply): Buffer {
  return Buffer.from(reply.buffer!, 0, reply.length!);
}

/**
 * A buffer whose memory can be handed to the worker: one that is the whole of its ArrayBuffer.
 * Anything else (a slice, or a small buffer inside Node's shared pool, which must never be
 * transferred) is copied into memory of its own first.
 */
function ownedBuffer(data: Buffer): Buffer {
  if (data.byteOffset === 0 && data.buffer.byteLength === data.length && !(data.buffer instanceof SharedArrayBuffer)) return data;
  return copyOf(data);
}

/** A copy in memory of its own (never in Node's shared pool). */
function copyOf(data: Buffer): Buffer {
  const copy = Buffer.allocUnsafeSlow(data.length);
  data.copy(copy);
  return copy;
}
