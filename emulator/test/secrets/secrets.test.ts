import { X509Certificate } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { loadOrCreateSecrets } from '../../src/secrets/index.js';
import { PROTECTION_KEY_FILE, generateProtectionKeyPair, willCreateProtectionKey } from '../../src/secrets/key-pair.js';

/**
 * A first start-up makes its protection key pair ahead, on the thread pool, while it loads its
 * modules (cli.ts): the secrets must then be built around that pair, and a directory that already
 * has a key must keep it whatever pair was made ahead.
 */
const dirs: string[] = [];
afterEach(async () => {
  for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true });
});
async function scratch(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'ams-secrets-'));
  dirs.push(dir);
  return dir;
}
const spki = (x509: X509Certificate) => x509.publicKey.export({ type: 'spki', format: 'der' });

describe('secrets with a key pair made ahead', () => {
  it('builds and saves the new protection certificate around it, and a restart loads the same', async () => {
    const dir = await scratch();
    expect(willCreateProtectionKey(dir)).toBe(true);
    const keyPair = generateProtectionKeyPair();
    const first = await loadOrCreateSecrets(dir, keyPair);
    expect(spki(new X509Certificate(first.protection.der))).toEqual((await keyPair).publicKey.export({ type: 'spki', format: 'der' }));
    expect(await readFile(join(dir, PROTECTION_KEY_FILE), 'utf8')).toBe(first.protection.privateKeyPem);
    expect(willCreateProtectionKey(dir)).toBe(false);

    const again = await loadOrCreateSecrets(dir, generateProtectionKeyPair());
    expect(again.protection.thumbprint).toBe(first.protection.thumbprint);
    expect(Buffer.from(again.tokenSigningKey)).toEqual(Buffer.from(first.tokenSigningKey));
  });

  it('uses it in memory too, and makes a pair of its own without one', async () => {
    expect(willCreateProtectionKey(undefined)).toBe(true);
    const keyPair = generateProtectionKeyPair();
    const inMemory = await loadOrCreateSecrets(undefined, keyPair);
    expect(spki(new X509Certificate(inMemory.protection.der))).toEqual((await keyPair).publicKey.export({ type: 'spki', format: 'der' }));
    const own = await loadOrCreateSecrets(undefined);
    expect(own.protection.thumbprint).not.toBe(inMemory.protection.thumbprint);
    expect(new X509Certificate(own.protection.der).publicKey.asymmetricKeyDetails?.modulusLength).toBe(2048);
  });
});
