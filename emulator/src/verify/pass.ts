import { addAbortSignal, type Readable } from 'node:stream';
import type { Decryptor } from './counter-layouts.js';
import type { ContentProbe } from './content-probe.js';
import type { DigestSink } from './digests.js';

/** One way of reading a blob: its bytes through `decryptor`, into digests and a content probe. */
export interface Lane {
  decryptor: Decryptor;
  digests: DigestSink;
  probe: ContentProbe;
}

/**
 * Read `stream` once, in order, feeding every lane; returns the number of bytes read. Memory is
 * the stream's chunk plus each lane's output for it: flat whatever the blob size.
 */
export async function runPass(stream: Readable, lanes: readonly Lane[], signal?: AbortSignal): Promise<number> {
  const source = signal ? addAbortSignal(signal, stream) : stream;
  let bytes = 0;
  try {
    for await (const chunk of source as AsyncIterable<Buffer>) {
      bytes += chunk.length;
      for (const lane of lanes) {
        const clear = lane.decryptor.update(chunk);
        lane.probe.update(clear);
        const wait = lane.digests.update(clear);
        if (wait) await wait;
      }
    }
  } finally {
    if (!source.destroyed) source.destroy();
  }
  return bytes;
}
