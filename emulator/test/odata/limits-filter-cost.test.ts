import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_LIMITS } from '../../src/config.js';
import { MAX_FILTER_TEXT } from '../../src/odata/query/text-budget.js';
import { startTestEmulator, type TestEmulator } from '../../../test/support/emulator.js';
import { startTestAzurite, type TestAzurite } from '../../../test/support/azurite.js';
import { batchStatuses } from '../helpers/fuzz-oracle.js';
import { send } from '../helpers/fuzz-wire.js';

/**
 * Issue 13, item 6: `$filter` cost was bounded by the filter's text, not by the text it scanned
 * (63 `substringof` terms over 3.9 MB names held the event loop for 3.4 s), and a `$batch` of such
 * GETs ran past the request timeout and still answered 202. Reading now counts against the
 * per-query text budget (400 past it), and the request timeout covers a `$batch` as a whole.
 */

const ASSETS = 1000;
const ALTERNATE_ID = 4000;
const TIMEOUT_MS = 1000;
const AMS: [string, string][] = [
  ['Authorization', 'Bearer t'],
  ['x-ms-version', '2.19'],
];

let root: string;
let azurite: TestAzurite;
let emu: TestEmulator;
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'ams-filter-cost-'));
  azurite = await startTestAzurite();
  const location = join(root, 'emulator');
  // Filled with the default timeout (a busy machine must not fail the set-up), then reopened with a short one.
  const filler = await startTestEmulator({ location, storageConnectionString: azurite.connectionString });
  try {
    for (let start = 0; start < ASSETS; start += 10) {
      await Promise.all(
        Array.from({ length: 10 }, async (_, k) => {
          const i = start + k;
          const res = await filler.ams('POST', 'Assets', { body: { Name: `a${i}`, AlternateId: `${i}`.padEnd(ALTERNATE_ID, 'x') } });
          expect(res.status).toBe(201);
        }),
      );
    }
  } finally {
    await filler.close();
  }
  emu = await startTestEmulator({ location, storageConnectionString: azurite.connectionString, limits: { ...DEFAULT_LIMITS, requestTimeoutMs: TIMEOUT_MS } });
}, 180_000);
afterAll(async () => {
  await emu?.close();
  await azurite?.stop();
  await rm(root, { recursive: true, force: true });
});

/**
 * A needle that is never found and that string search cannot skip through: against a run of 'x'
 * every position has to be tried, so each call really reads every record's AlternateId in full.
 */
const NEEDLE = `${'x'.repeat(19)}y`;

/** `terms` substringof calls over every record's AlternateId. */
function scanningFilter(terms: number): string {
  return Array.from({ length: terms }, () => `substringof('${NEEDLE}', AlternateId)`).join(' or ');
}

describe('$filter text budget', () => {
  it('counts the text string functions read: past the budget is a 400 naming it, just under is answered', async () => {
    const perTerm = ASSETS * (ALTERNATE_ID + NEEDLE.length);
    const over = Math.ceil(MAX_FILTER_TEXT / perTerm) + 1;
    const res = await send(emu.baseUrl, { method: 'GET', target: `/api/Assets?$top=1&$filter=${encodeURIComponent(scanningFilter(over))}`, headers: [...AMS, ['Accept', 'application/json']] });
    expect(res.status).toBe(400);
    expect(res.body.toString('utf8')).toContain(`reads or builds more than ${MAX_FILTER_TEXT} characters of text`);
    const under = await emu.ams('GET', `Assets?$inlinecount=allpages&$top=1&$filter=${encodeURIComponent(scanningFilter(1))}`);
    expect(under.status).toBe(200);
  });
});

describe('request timeout over a $batch', () => {
  it('answers 503 with Retry-After when the batch as a whole outlasts the request timeout', async () => {
    // Each GET reads 60 M characters, just under the budget: 100 of them are seconds of work, far
    // past the 1 s timeout however fast the machine.
    const terms = Math.floor(MAX_FILTER_TEXT / (ASSETS * (ALTERNATE_ID + NEEDLE.length)));
    const filter = encodeURIComponent(scanningFilter(terms));
    const part = ['--b', 'Content-Type: application/http', '', `GET /api/Assets?$top=1&$filter=${filter} HTTP/1.1`, 'Accept: application/json', '', ''].join('\r\n');
    const body = `${Array.from({ length: 100 }, () => part).join('')}--b--\r\n`;
    const res = await send(emu.baseUrl, { method: 'POST', target: '/api/$batch', headers: [...AMS, ['Content-Type', 'multipart/mixed; boundary=b']], body: Buffer.from(body) }, { timeoutMs: 120_000 });
    expect(res.status, res.status === 202 ? `202 with parts ${JSON.stringify(batchStatuses(res.body).slice(0, 2))}` : '').toBe(503);
    expect(res.headers['retry-after']).toBe('1');
    // The emulator is still serving.
    expect((await emu.ams('GET', 'Assets/$count')).text).toBe(String(ASSETS));
  }, 120_000);
});
