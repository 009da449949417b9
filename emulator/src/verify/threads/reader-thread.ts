import type { IncomingMessage } from 'node:http';
import type { ReadFailure } from '../../storage/types.js';
import type { ReaderData, ReleaseMessage, SlotMessage } from './protocol.js';

/**
 * The reader thread's whole program (run from its source text, so it must not use anything from
 * outside its body): GET the blob through its SAS URL, resuming a body cut off mid-stream from
 * where it stopped (If-Match the first answer's ETag, so a blob replaced meanwhile fails with 412
 * rather than splicing two blobs), decrypt with Node's aes-256-ctr, and fill the ring.
 *
 * The cipher starts at the counter block of file offset 0: the block counter lives in its low 64
 * bits, which would wrap (where OpenSSL's 128-bit counter and AMS's 64-bit one part) only after
 * 2^68 bytes, so reading the blob from its start needs no wrap handling.
 *
 * A thread of its own because receiving a gigabyte on the event loop costs more than the download
 * itself: every socket read is an external allocation, and in a process with the emulator's heap
 * those trigger full collections by the dozen. This thread's heap stays tiny.
 */
export function readerThread(): void {
  const { parentPort, workerData } = require('node:worker_threads') as typeof import('node:worker_threads');
  const http = require('node:http') as typeof import('node:http');
  const https = require('node:https') as typeof import('node:https');
  const { createDecipheriv } = require('node:crypto') as typeof import('node:crypto');

  const data = workerData as ReaderData;
  const main = parentPort!;
  const ring = Buffer.from(data.ring);
  const consumers = [main, ...data.consumers];
  const holders: number[] = [];
  const free: number[] = [];
  for (let slot = data.ring.byteLength / data.slotBytes - 1; slot >= 0; slot--) {
    holders[slot] = 0;
    free.push(slot);
  }
  /** Called once when a slot comes free: a body waiting for room. */
  let wake: (() => void) | undefined;
  const release = (message: ReleaseMessage): void => {
    if (message.kind !== 'release' || --holders[message.slot]! !== 0) return;
    free.push(message.slot);
    const waiting = wake;
    wake = undefined;
    waiting?.();
  };
  for (const consumer of consumers) consumer.on('message', release);

  let slot = -1;
  let used = 0;
  const publish = (): void => {
    holders[slot] = consumers.length;
    const message: SlotMessage = { kind: 'slot', slot, length: used };
    for (const consumer of consumers) consumer.postMessage(message);
    slot = -1;
  };
  /** Copies `clear` from `at` into slots; returns where it stopped for want of a free slot, or -1. */
  const fill = (clear: Buffer, at: number): number => {
    while (at < clear.length) {
      if (slot < 0) {
        if (free.length === 0) return at;
        slot = free.pop()!;
        used = 0;
      }
      const n = Math.min(data.slotBytes - used, clear.length - at);
      clear.copy(ring, slot * data.slotBytes + used, at, at + n);
      used += n;
      at += n;
      if (used === data.slotBytes) publish();
    }
    return -1;
  };

  const failureOf = (err: unknown): ReadFailure => {
    const e = err as { message?: unknown; code?: unknown; statusCode?: unknown };
    return {
      message: typeof e?.message === 'string' ? e.message : String(err),
      ...(typeof e?.statusCode === 'number' ? { statusCode: e.statusCode } : {}),
      ...(typeof e?.code === 'string' ? { code: e.code } : {}),
    };
  };
  const client = data.url.startsWith('https:') ? https : http;
  let etag: string | undefined;

  const request = (from: number): Promise<IncomingMessage> =>
    new Promise((resolve, reject) => {
      const headers: Record<string, string> = { 'x-ms-version': data.version };
      if (from > 0) {
        headers['range'] = `bytes=${from}-`;
        if (etag) headers['if-match'] = etag;
      }
      const req = client.get(data.url, { headers }, (res) => {
        req.setTimeout(0);
        resolve(res);
      });
      req.setTimeout(data.requestTimeoutMs, () => {
        req.destroy(Object.assign(new Error(`no answer within ${data.requestTimeoutMs} ms`), { code: 'ETIMEDOUT' }));
      });
      req.on('error', reject);
    });

  /** A response with the bytes from `from` on, after up to maxTries tries; throws a ReadFailure. */
  const open = async (from: number): Promise<IncomingMessage> => {
    for (let attempt = 1; ; attempt++) {
      let failure: ReadFailure;
      let retry = true;
      try {
        const res = await request(from);
        const status = res.statusCode ?? 0;
        if (status === (from > 0 ? 206 : 200)) return res;
        res.resume();
        const code = res.headers['x-ms-error-code'];
        failure = { statusCode: status, message: `${status} ${res.statusMessage ?? ''}`.trim(), ...(typeof code === 'string' ? { code } : {}) };
        retry = status >= 500;
      } catch (err) {
        failure = failureOf(err);
      }
      if (!retry || attempt >= data.maxTries) throw failure;
      await new Promise((resolve) => setTimeout(resolve, Math.min(200 * 2 ** (attempt - 1), 1000)));
    }
  };

  const decipher = data.key && data.counter ? createDecipheriv('aes-256-ctr', data.key, data.counter) : undefined;
  let received = 0;
  /**
   * Feeds one response's body into the ring, pausing it while every slot is taken; resolves once
   * all it delivered is in slots, with the failure that cut it off, if any.
   */
  const consume = (res: IncomingMessage): Promise<ReadFailure | undefined> =>
    new Promise((resolve) => {
      let stuck: Buffer | undefined;
      let stuckAt = 0;
      let ended: { failure?: ReadFailure } | undefined;
      const settle = (outcome: { failure?: ReadFailure }): void => {
        ended ??= outcome;
        if (!stuck) resolve(ended.failure);
      };
      const drain = (): void => {
        stuckAt = fill(stuck!, stuckAt);
        if (stuckAt >= 0) {
          wake = drain;
          return;
        }
        stuck = undefined;
        if (ended) resolve(ended.failure);
        else res.resume();
      };
      res.on('data', (chunk: Buffer) => {
        received += chunk.length;
        const clear = decipher ? decipher.update(chunk) : chunk;
        const at = fill(clear, 0);
        if (at < 0) return;
        stuck = clear;
        stuckAt = at;
        res.pause();
        wake = drain;
      });
      res.on('end', () => settle({}));
      res.on('error', (err) => settle({ failure: failureOf(err) }));
      res.on('close', () => settle({ failure: res.complete ? undefined : { code: 'ECONNRESET', message: 'the connection closed mid-body' } }));
    });

  const read = async (): Promise<number> => {
    for (let resumes = 0; ; resumes++) {
      const res = await open(received);
      if (received === 0) etag = typeof res.headers.etag === 'string' ? res.headers.etag : undefined;
      const end = received + Number(res.headers['content-length']);
      let cut = await consume(res);
      if (!cut && !(received < end)) return received;
      cut ??= { code: 'ECONNRESET', message: `the body ended after ${received} of ${end} bytes` };
      if (resumes >= data.resumeTries) throw cut;
    }
  };

  read().then(
    (bytes) => {
      if (slot >= 0) publish();
      const end: SlotMessage = { kind: 'end', bytes };
      for (const consumer of consumers) consumer.postMessage(end);
    },
    (err: unknown) => main.postMessage({ kind: 'failed', failure: failureOf(err) }),
  );
}
