import express from 'express';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NO_EVENTS, type Services } from '../../src/app/services.js';
import { defaultConfig } from '../../src/config.js';
import { statusHandlers } from '../../src/control/status.js';
import { ContentKeyOpener } from '../../src/domain/content-keys.js';
import { RequestLog } from '../../src/http/request-log.js';
import { createIdGenerator } from '../../src/ids.js';
import { loadOrCreateSecrets } from '../../src/secrets/index.js';
import { openStore } from '../../src/store/index.js';
import { createVerification } from '../../src/verify/index.js';
import { startTestAzurite, type TestAzurite } from '../../../test/support/azurite.js';

/**
 * A verification state or result the store refuses (it is failing, or closing) is never thrown
 * into the request that caused it; it used to vanish without a trace. Now it is logged and
 * counted, and /_emulator/health shows the count.
 */
let azurite: TestAzurite;
beforeAll(async () => {
  azurite = await startTestAzurite();
});
afterAll(() => azurite?.stop());

describe('verification results the store refuses', () => {
  it('are logged, counted, and reported by health', async () => {
    const secrets = await loadOrCreateSecrets(undefined);
    const store = await openStore({});
    const services: Services = {
      config: defaultConfig({ port: 0, silent: true }),
      store,
      storage: azurite.storage,
      secrets,
      keys: new ContentKeyOpener(secrets.protectionPrivateKey),
      ids: createIdGenerator(3),
      now: () => new Date(),
      events: NO_EVENTS,
    };
    const logged: string[] = [];
    // The debounce keeps the scheduled run from starting: only the write of the pending state happens.
    const verification = createVerification(services, { debounceMs: 60_000, log: (message) => logged.push(message) });
    try {
      await store.close();
      verification.events.fileChanged('nb:cid:UUID:00000000-0000-4000-8000-000000000001', { requestId: 'r1', client: 'test', method: 'MERGE', path: 'Files' });
      for (let i = 0; i < 100 && verification.control.unsavedResults() === 0; i++) await new Promise((resolve) => setImmediate(resolve));
      expect(verification.control.unsavedResults()).toBe(1);
      expect(logged).toEqual(['a verification result could not be stored']);

      const app = express();
      app.get('/health', statusHandlers({ services, requests: new RequestLog(5), reset: async () => ({ containersDeleted: 0 }), verification: verification.control }).health);
      const health = await request(app).get('/health');
      expect(health.status).toBe(200);
      expect(health.body.verification).toEqual({ pending: 1, unsavedResults: 1 });
    } finally {
      await verification.close();
    }
  });
});
