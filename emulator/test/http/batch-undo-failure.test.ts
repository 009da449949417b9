import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { batchBody, readBatchResponse } from '../../../client/src/rest/batch-wire.js';
import { API_FUNCTIONS, ENTITY_SETS } from '../../src/app/compose.js';
import { NO_EVENTS, type Services } from '../../src/app/services.js';
import { defaultConfig } from '../../src/config.js';
import { ContentKeyOpener } from '../../src/domain/content-keys.js';
import { resolveMethod } from '../../src/http/api-handler.js';
import { executeBatch } from '../../src/http/batch.js';
import { createIdGenerator } from '../../src/ids.js';
import { JobRunner } from '../../src/jobs/runner.js';
import { Asset } from '../../src/odata/edm.js';
import { jobRoutes } from '../../src/resources/jobs.js';
import { ENTITY_NAVIGATIONS } from '../../src/resources/navigation.js';
import { createApiRouter, type ApiRoutes } from '../../src/resources/router.js';
import { loadOrCreateSecrets } from '../../src/secrets/index.js';
import { openStore } from '../../src/store/index.js';
import { startTestAzurite, type TestAzurite } from '../../../test/support/azurite.js';
import { STORAGE_DECRYPTION, taskBody } from '../helpers/jobs-fixtures.js';

/**
 * A failed changeset's undo that itself fails is never silent: the failure's answer names it in
 * `x-ms-emulator-undo` and the error log gets it. The undo is forced to fail by composing the
 * real router with a handler that fails (an Asset delete; a CancelJob), the way a storage or
 * store fault would.
 */
const BOUNDARY = 'batch_0d6c2b9e-3f53-4a8e-9d51-6a5b9a3f3c11';
const JSON_HEADERS = { 'Content-Type': 'application/json', Accept: 'application/json' };

let azurite: TestAzurite;
let services: Services;
beforeAll(async () => {
  azurite = await startTestAzurite();
  const secrets = await loadOrCreateSecrets(undefined);
  services = {
    // Jobs stay Queued (polls:1000), so a job the changeset created is still live at its undo.
    config: defaultConfig({ port: 0, silent: true, jobProgression: { mode: 'polls', pollsPerState: 1000 } }),
    store: await openStore({}),
    storage: azurite.storage,
    secrets,
    keys: new ContentKeyOpener(secrets.protectionPrivateKey),
    ids: createIdGenerator(11),
    now: () => new Date(),
    events: NO_EVENTS,
  };
});
afterAll(async () => {
  await services?.store.close();
  await azurite?.stop();
});

function failing(message: string): never {
  throw new Error(message);
}

/** The emulator's routes, but an Asset delete and CancelJob that fail as a broken storage account would. */
function brokenRoutes(): ApiRoutes {
  const jobs = jobRoutes(new JobRunner(services, { log: () => undefined }));
  return {
    sets: [...ENTITY_SETS.map((r) => (r.type === Asset ? { ...r, handlers: { ...r.handlers, remove: () => failing('the container delete failed') } } : r)), ...jobs.sets],
    functions: [...API_FUNCTIONS, ...jobs.functions.map((f) => ({ ...f, handler: () => failing('the cancel failed') }))],
    navigations: [...ENTITY_NAVIGATIONS, ...jobs.navigations],
  };
}

async function runChangeset(changeset: { method: string; url: string; headers?: Record<string, string>; body?: string }[], logged: string[]) {
  const router = createApiRouter(brokenRoutes());
  const rendered = await executeBatch(
    {
      services,
      router,
      serviceRoot: 'http://127.0.0.1/api/',
      baseUrl: 'http://127.0.0.1/',
      info: { requestId: 'batch-1', client: 'test', method: 'POST', path: '/api/$batch' },
      outerHeader: () => undefined,
      resolveMethod,
      logError: (message, err) => logged.push(`${message}: ${(err as Error).message}`),
    },
    Buffer.from(batchBody(BOUNDARY, [{ changeset }])),
    `multipart/mixed; boundary=${BOUNDARY}`,
  );
  const [item] = readBatchResponse(String(rendered.headers['Content-Type']), rendered.body!.toString('latin1'));
  if (!item || !('changeset' in item)) throw new Error('expected a changeset');
  return item.changeset;
}

describe('a changeset whose undo fails', () => {
  it('says which undo failed in the answer and logs it', async () => {
    const logged: string[] = [];
    const answer = await runChangeset(
      [
        { method: 'POST', url: 'Assets', headers: JSON_HEADERS, body: JSON.stringify({ Name: 'kept by a failed undo' }) },
        { method: 'POST', url: 'Assets', headers: JSON_HEADERS, body: JSON.stringify({ Bogus: 1 }) },
      ],
      logged,
    );
    expect(answer.map((part) => part.status)).toEqual([400]);
    expect(answer[0]!.headers['x-ms-emulator-undo']).toMatch(/^incomplete: delete of the Asset 'nb:cid:UUID:[^']+' it created failed: the container delete failed$/);
    expect(logged).toEqual([expect.stringMatching(/could not be fully undone \(request batch-1\): delete of the Asset .* failed: the container delete failed$/)]);
  });

  it('says so when a job it created cannot be canceled, and that the job could then not be deleted', async () => {
    const input = (await runChangeset([{ method: 'POST', url: 'Assets', headers: JSON_HEADERS, body: JSON.stringify({ Name: 'input' }) }], []))[0]!;
    const inputId = String(JSON.parse(input.body)['Id']);
    const job = { Name: 'j', 'InputMediaAssets@odata.bind': [`http://127.0.0.1/api/Assets('${encodeURIComponent(inputId)}')`], Tasks: [{ MediaProcessorId: STORAGE_DECRYPTION, TaskBody: taskBody() }] };
    const logged: string[] = [];
    const answer = await runChangeset(
      [
        { method: 'POST', url: 'Jobs', headers: JSON_HEADERS, body: JSON.stringify(job) },
        { method: 'POST', url: 'Assets', headers: JSON_HEADERS, body: JSON.stringify({ Bogus: 1 }) },
      ],
      logged,
    );
    expect(answer.map((part) => part.status)).toEqual([400]);
    const said = String(answer[0]!.headers['x-ms-emulator-undo']);
    expect(said).toMatch(/cancel of the Job 'nb:jid:UUID:[^']+' it created failed: the cancel failed/);
    expect(said).toMatch(/delete of the Job .* failed: .*cancel it first/);
    expect(logged).toHaveLength(1);
  });
});
