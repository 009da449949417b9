import { AmsCtr } from '../../../client/src/crypto/index.js';
import type { BlobStorage } from '../storage/types.js';
import type { ContentProbe } from './content-probe.js';
import { IDENTITY } from './counter-layouts.js';
import { InlineDigestSink, type DigestAlgorithm } from './digests.js';
import { runPass } from './pass.js';
import { runThreadedPass, ThreadsUnavailableError, type PassResult } from './threaded-pass.js';

export interface MainPassOptions {
  /** The file's key and IV; undefined: the stored bytes are already clear. */
  encryption?: { key: Buffer; iv: bigint };
  algorithms: readonly DigestAlgorithm[];
  probe: ContentProbe;
  signal?: AbortSignal;
}

/** From this size up, the pass runs in threads: below it, starting them costs more than it saves. */
export const THREADED_PASS_MIN_BYTES = 8 * 1024 * 1024;
/** The reader thread's SAS never leaves the process; a day outlives any pass (each has a deadline). */
const DIRECT_READ_VALID_MS = 24 * 60 * 60_000;

/**
 * Verification's main pass over a blob: every stored byte read once, in order, decrypted, into the
 * digests and the content probe. Errors are those of `BlobStorage.readBlob`, and the signal's
 * reason when it aborts.
 */
export async function runMainPass(storage: BlobStorage, container: string, blob: { name: string; size: number }, options: MainPassOptions): Promise<PassResult> {
  const { encryption, algorithms, probe, signal } = options;
  const read = blob.size >= THREADED_PASS_MIN_BYTES ? storage.directRead(container, blob.name, DIRECT_READ_VALID_MS) : undefined;
  if (read) {
    try {
      return await runThreadedPass({ read, encryption, algorithms, onClear: (clear) => probe.update(clear), signal });
    } catch (err) {
      // No thread before any byte was read: the same pass on this thread.
      if (!(err instanceof ThreadsUnavailableError)) throw err;
    }
  }
  const lane = { decryptor: encryption ? new AmsCtr(encryption.key, encryption.iv) : IDENTITY, digests: new InlineDigestSink(algorithms), probe };
  const bytes = await runPass(await storage.readBlob(container, blob.name), [lane], signal);
  return { bytes, digests: await lane.digests.finish() };
}
