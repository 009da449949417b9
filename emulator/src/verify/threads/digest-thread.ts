import type { DigestData, DigestMessage, ReleaseMessage, SlotMessage } from './protocol.js';

/**
 * The digest thread's whole program (run from its source text: nothing from outside its body):
 * every requested digest over every slot the reader hands it, in order. MD5 runs at about
 * 700 MB/s on one core, slower than storage serves a blob, so the digests get a thread of their
 * own rather than sharing the reader's. One thread for all of them: on two cores a thread per
 * digest finishes no sooner, and each thread costs about 9 MiB.
 */
export function digestThread(): void {
  const { parentPort, workerData } = require('node:worker_threads') as typeof import('node:worker_threads');
  const { createHash } = require('node:crypto') as typeof import('node:crypto');

  const data = workerData as DigestData;
  const ring = Buffer.from(data.ring);
  const hashes = data.algorithms.map((algorithm) => [algorithm, createHash(algorithm)] as const);
  data.reader.on('message', (message: SlotMessage) => {
    if (message.kind === 'slot') {
      const start = message.slot * data.slotBytes;
      const clear = ring.subarray(start, start + message.length);
      for (const [, hash] of hashes) hash.update(clear);
      const release: ReleaseMessage = { kind: 'release', slot: message.slot };
      data.reader.postMessage(release);
    } else {
      const digests: DigestMessage = { kind: 'digests', digests: Object.fromEntries(hashes.map(([algorithm, hash]) => [algorithm, hash.digest('hex')])) };
      // The thread stays until the pass terminates it: an exit of its own would read as a crash.
      parentPort!.postMessage(digests);
    }
  });
}
