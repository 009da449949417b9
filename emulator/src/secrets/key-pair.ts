import { generateKeyPair } from 'node:crypto';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { RsaKeyPair } from '../../../client/src/crypto/certificate.js';

/** The protection key's file in the data directory (secrets/index.ts reads and writes it). */
export const PROTECTION_KEY_FILE = 'protection-key.pem';

/**
 * An RSA-2048 key pair for a new protection certificate, made on libuv's thread pool: about a
 * quarter of a second of CPU that, made synchronously, held the event loop through a first
 * start-up. Its own module, with nothing but Node's, so the CLI can start it before it loads the
 * server's modules and the two run on both cores.
 */
export function generateProtectionKeyPair(): Promise<RsaKeyPair> {
  const made = new Promise<RsaKeyPair>((resolve, reject) => {
    generateKeyPair('rsa', { modulusLength: 2048 }, (err, publicKey, privateKey) => (err ? reject(err) : resolve({ publicKey, privateKey })));
  });
  // One made ahead may go unused (a start-up that failed first): no unhandled rejection then.
  made.catch(() => undefined);
  return made;
}

/**
 * Whether a start-up in `directory` (undefined: in memory) will create a protection key. Only a
 * hint for making one ahead: a directory that gains a key meanwhile keeps it, and the one made
 * ahead goes unused; one that loses its key has one made then.
 */
export function willCreateProtectionKey(directory: string | undefined): boolean {
  return directory === undefined || !existsSync(join(directory, PROTECTION_KEY_FILE));
}
