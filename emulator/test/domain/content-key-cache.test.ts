import { randomBytes, randomUUID } from 'node:crypto';
import fc from 'fast-check';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { contentKeyChecksum, createProtectionCertificate, formatKeyId, unwrapContentKey, wrapContentKey } from '../../../client/src/crypto/index.js';
import { startTestAzurite, type TestAzurite } from '../../../test/support/azurite.js';
import { AMS_HEADERS, entityPath } from '../../../test/support/emulator.js';
import { createTokenIssuer } from '../../src/auth/tokens.js';
import { defaultConfig } from '../../src/config.js';
import { ContentKeyOpener } from '../../src/domain/content-keys.js';
import { createApp } from '../../src/http/app.js';
import { composeApiRouter } from '../../src/app/compose.js';
import { JobRunner } from '../../src/jobs/runner.js';
import { RequestLog } from '../../src/http/request-log.js';
import { createIdGenerator } from '../../src/ids.js';
import { NO_EVENTS, type Services } from '../../src/app/services.js';
import { loadOrCreateSecrets } from '../../src/secrets/index.js';
import { openStore } from '../../src/store/index.js';

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

describe('the API and the unwrap cache', () => {
  const keys = new ContentKeyOpener(secrets.protectionPrivateKey);
  let azurite: TestAzurite;
  let app: ReturnType<typeof createApp>;
  beforeAll(async () => {
    azurite = await startTestAzurite();
    const services: Services = {
      config: defaultConfig({ port: 0, silent: true }),
      store: await openStore({}),
      storage: azurite.storage,
      secrets,
      keys,
      ids: createIdGenerator(7),
      now: () => new Date(),
      events: NO_EVENTS,
    };
    app = createApp({ services, router: composeApiRouter({ jobs: new JobRunner(services, { log: () => undefined }) }), tokens: createTokenIssuer(secrets.tokenSigningKey, 'any'), requests: new RequestLog(10), control: [], logError: () => undefined });
  });
  afterAll(() => azurite.stop());
  const newKey = (encryptedContentKey?: string) => {
    const key = randomBytes(32);
    const id = formatKeyId(randomUUID());
    return { Id: id, ContentKeyType: 1, EncryptedContentKey: encryptedContentKey ?? wrapped(key), ProtectionKeyId: secrets.protection.thumbprint, ProtectionKeyType: 0, Checksum: contentKeyChecksum(key, id, 'dotnet') };
  };

  it('forgets a key deleted directly or with its asset; a refused value never enters it', async () => {
    const direct = newKey();
    expect((await request(app).post('/api/ContentKeys').set(AMS_HEADERS).send(direct)).status).toBe(201);
    expect(keys.cachedEntries).toBe(1);
    // Compat mode stores a key that does not unwrap (with a finding): nothing cached for it.
    expect((await request(app).post('/api/ContentKeys').set(AMS_HEADERS).send(newKey(randomBytes(2_000).toString('base64')))).status).toBe(201);
    expect(keys.cachedEntries).toBe(1);
    expect((await request(app).delete(`/api/${entityPath('ContentKeys', direct.Id)}`).set(AMS_HEADERS)).status).toBe(204);
    expect([keys.cachedEntries, keys.cachedBytes]).toEqual([0, 0]);

    const linked = newKey();
    expect((await request(app).post('/api/ContentKeys').set(AMS_HEADERS).send(linked)).status).toBe(201);
    const asset = await request(app).post('/api/Assets').set(AMS_HEADERS).send({ Name: 'encrypted', Options: 1 });
    expect(asset.status).toBe(201);
    const link = await request(app).post(`/api/${entityPath('Assets', asset.body.Id)}/$links/ContentKeys`).set(AMS_HEADERS).send({ uri: `http://127.0.0.1/api/ContentKeys('${encodeURIComponent(linked.Id)}')` });
    expect(link.status).toBe(204);
    expect(keys.cachedEntries).toBe(1);
    expect((await request(app).delete(`/api/${entityPath('Assets', asset.body.Id)}`).set(AMS_HEADERS)).status).toBe(204);
    expect((await request(app).get(`/api/${entityPath('ContentKeys', linked.Id)}`).set(AMS_HEADERS)).status).toBe(404);
    expect([keys.cachedEntries, keys.cachedBytes]).toEqual([0, 0]);
  });
});
