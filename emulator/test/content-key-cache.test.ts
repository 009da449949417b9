import { randomBytes } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createProtectionCertificate, unwrapContentKey, wrapContentKey } from '../../client/src/crypto/index.js';
import { ContentKeyOpener } from '../src/domain/content-keys.js';
import { loadOrCreateSecrets } from '../src/secrets/index.js';

/**
 * Issue 13, item 5: the unwrap cache held every EncryptedContentKey string it saw (350 refused
 * 2.9 MB values took the process from 79 MB to 1.1 GB). It is now keyed by digest, skips values
 * that fail the length check, is bounded in bytes, and forgets deleted keys. Memory is measured by
 * the cache's own byte count, not by RSS.
 */

const secrets = await loadOrCreateSecrets(undefined);
const certificate = secrets.protection.certificatePem;
const wrapped = (key: Buffer = randomBytes(32)) => wrapContentKey(certificate, key).toString('base64');
/** 160 bytes: digest and entry (128) plus a 32-byte key. */
const ENTRY = 160;

describe('content-key unwrap cache', () => {
  it('caches nothing for values that fail the length check, however large or many', () => {
    const opener = new ContentKeyOpener(secrets.protectionPrivateKey);
    for (let i = 0; i < 350; i++) {
      const outcome = opener.open(randomBytes(3_000 + i).toString('base64'));
      expect(outcome).toMatchObject({ ok: false, reason: 'wrong-length' });
    }
    expect(opener.open('not base64 at all !!!')).toMatchObject({ ok: false });
    expect([opener.cachedEntries, opener.cachedBytes]).toEqual([0, 0]);
  });

  it('costs the same per entry whatever the length of the value: it keeps a digest, not the string', () => {
    const opener = new ContentKeyOpener(secrets.protectionPrivateKey);
    const value = wrapped();
    // Padding base64 with whitespace does not change what it decodes to, only its length.
    const padded = `${value.slice(0, 4)}${' '.repeat(3_900)}${value.slice(4)}`;
    expect(opener.open(value).ok).toBe(true);
    expect(opener.cachedBytes).toBe(ENTRY);
    const outcome = opener.open(padded);
    expect(opener.cachedBytes).toBe(outcome.ok ? 2 * ENTRY : ENTRY);
  });

  it('stays within its byte bound, keeps the most recently used, and forgets deleted keys', () => {
    const opener = new ContentKeyOpener(secrets.protectionPrivateKey, 10 * ENTRY);
    const values = Array.from({ length: 30 }, () => wrapped());
    const hot = values[0]!;
    for (const value of values) {
      opener.open(value);
      opener.open(hot);
      expect(opener.cachedBytes).toBeLessThanOrEqual(10 * ENTRY);
    }
    expect(opener.cachedEntries).toBe(10);
    // Still cached (no RSA operation would be needed): forgetting it frees its bytes.
    const before = opener.cachedBytes;
    opener.forget(hot);
    expect(opener.cachedBytes).toBe(before - ENTRY);
    opener.forget(hot);
    opener.forget(null);
    expect(opener.cachedBytes).toBe(before - ENTRY);
  });

  it('property: any mix of opens (valid, other certificate, wrong length) and forgets answers as a fresh unwrap would, within the bound', () => {
    const other = createProtectionCertificate();
    const keys = Array.from({ length: 6 }, () => randomBytes(32));
    const pool = [
      ...keys.map((key) => wrapped(key)),
      wrapContentKey(other.certificatePem, randomBytes(32)).toString('base64'),
      randomBytes(100).toString('base64'),
    ];
    const action = fc.record({ forget: fc.boolean(), index: fc.nat(pool.length - 1) });
    fc.assert(
      fc.property(fc.array(action, { maxLength: 60 }), fc.integer({ min: 0, max: 6 }), (actions, entries) => {
        const opener = new ContentKeyOpener(secrets.protectionPrivateKey, entries * ENTRY + 300);
        for (const { forget, index } of actions) {
          const value = pool[index]!;
          if (forget) {
            opener.forget(value);
            continue;
          }
          const outcome = opener.open(value);
          let fresh: Buffer | undefined;
          try {
            fresh = unwrapContentKey(secrets.protectionPrivateKey, value);
          } catch {
            fresh = undefined;
          }
          expect(outcome.ok ? outcome.key : undefined).toEqual(fresh);
          expect(opener.cachedBytes).toBeLessThanOrEqual(entries * ENTRY + 300);
        }
      }),
      { numRuns: 30 },
    );
  });
});
