import { randomBytes } from 'node:crypto';
import { mkdir, readFile, writeFile, chmod } from 'node:fs/promises';
import { join } from 'node:path';
import {
  createProtectionCertificate,
  loadProtectionCertificatePem,
  toPrivateKey,
  type ProtectionCertificate,
  type RsaKeyPair,
} from '../../../client/src/crypto/index.js';
import type { KeyObject } from 'node:crypto';
import { PROTECTION_KEY_FILE, generateProtectionKeyPair } from './key-pair.js';

/**
 * The emulator's secrets: the protection certificate with its private key (one for every content
 * key type, as the evidence says the service used), and the key that signs its tokens. They live
 * only in the data directory (mode 0600) or, in memory mode, only in this process; the private key
 * is never served (RebindContentKey returns content keys, not it).
 */
export interface Secrets {
  protection: ProtectionCertificate;
  protectionPrivateKey: KeyObject;
  tokenSigningKey: Uint8Array;
}

const CERT_FILE = 'protection-certificate.pem';
const KEY_FILE = PROTECTION_KEY_FILE;
const TOKEN_KEY_FILE = 'token-signing.key';

/**
 * The directory's secrets, created (and saved) when it has none. `keyPair`: one made ahead
 * (key-pair.ts) for a protection key this will create; unused when the directory has one. Call it
 * only while holding the directory's lock: it writes there.
 */
export async function loadOrCreateSecrets(directory: string | undefined, keyPair?: Promise<RsaKeyPair>): Promise<Secrets> {
  const newCertificate = async () => createProtectionCertificate({ keyPair: await (keyPair ?? generateProtectionKeyPair()) });
  if (!directory) return fromParts(await newCertificate(), randomBytes(32));
  await mkdir(directory, { recursive: true });
  const protection = await loadOrCreate(
    async () => loadProtectionCertificatePem(await readFile(join(directory, CERT_FILE), 'utf8'), await readFile(join(directory, KEY_FILE), 'utf8')),
    async () => {
      const created = await newCertificate();
      await writePrivate(join(directory, KEY_FILE), created.privateKeyPem);
      await writeFile(join(directory, CERT_FILE), created.certificatePem);
      return created;
    },
  );
  const tokenKey = await loadOrCreate(
    async () => {
      const key = Buffer.from((await readFile(join(directory, TOKEN_KEY_FILE), 'utf8')).trim(), 'base64');
      if (key.length < 32) throw new Error(`${TOKEN_KEY_FILE} is shorter than 32 bytes`);
      return key;
    },
    async () => {
      const key = randomBytes(32);
      await writePrivate(join(directory, TOKEN_KEY_FILE), key.toString('base64') + '\n');
      return key;
    },
  );
  return fromParts(protection, tokenKey);
}

function fromParts(protection: ProtectionCertificate, tokenSigningKey: Uint8Array): Secrets {
  return { protection, protectionPrivateKey: toPrivateKey(protection.privateKeyPem), tokenSigningKey };
}

async function loadOrCreate<T>(load: () => Promise<T>, create: () => Promise<T>): Promise<T> {
  try {
    return await load();
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return create();
    throw new Error(`cannot read the emulator's keys in the data directory: ${(err as Error).message}`);
  }
}

async function writePrivate(path: string, content: string): Promise<void> {
  await writeFile(path, content, { mode: 0o600 });
  await chmod(path, 0o600);
}
