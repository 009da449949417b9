import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestEmulator, type TestEmulator } from '../../test/support/emulator.js';
import { runConformance, type CaseResult, type RunReport } from '../src/index.js';
import { batchWithoutContentIds, corruptRebind, countOffByOne, notFoundAsBadRequest, operationsAlwaysSucceed, startProxy, type TestProxy } from './helpers/proxy.js';

/**
 * `ams-conformance run` against the emulator in compat and in strict mode, against the same
 * emulator behind a proxy that hides its /_emulator/ extras, and against deliberately broken
 * servers. Few inputs per property (--runs 4) keep the file inside CI's time budget; the
 * properties are the same at any size.
 */

const RUNS = 4;
const SEED = 20261128;
const token = { kind: 'token', token: 'conformance-test' } as const;

let compat: TestEmulator;
let strict: TestEmulator;
beforeAll(async () => {
  [compat, strict] = await Promise.all([startTestEmulator(), startTestEmulator({ strict: true })]);
}, 120_000);
afterAll(async () => {
  await Promise.all([compat?.close(), strict?.close()]);
});

function cases(report: RunReport): Array<CaseResult & { suite: string }> {
  return report.suites.flatMap((s) => s.cases.map((c) => ({ ...c, suite: s.id })));
}

function failures(report: RunReport): string[] {
  return cases(report)
    .filter((c) => c.status === 'failed')
    .map((c) => `${c.suite}/${c.id}: ${c.error} ${c.counterexample ?? ''}`);
}

describe.concurrent('against the emulator', () => {
  for (const mode of ['compat', 'strict'] as const) {
    it(`${mode} mode: every suite passes, nothing is left not applicable, and the report names the three guarantees`, async () => {
      const emulator = mode === 'compat' ? compat : strict;
      const report = await runConformance({ endpoint: emulator.url, credentials: token, seed: SEED, runs: RUNS, queueConnectionString: emulator.emulator.storage.connectionString });
      expect(failures(report)).toEqual([]);
      expect(report.ok).toBe(true);
      expect(report.target).toMatchObject({ mode, modeSource: 'GET /_emulator/health', extras: { findings: true, verification: true, rules: true }, storageDecryption: true });
      expect(cases(report).filter((c) => c.status === 'not-applicable')).toEqual([]);
      expect(report.suites.map((s) => s.title)).toEqual(['RSA-OAEP unwrapping', 'Counter wraparound', 'IV uniqueness', 'Checksums', 'Protocol', 'Encoders', 'Job notifications']);
      expect(report.suites.every((s) => s.status === 'passed')).toBe(true);
      for (const c of cases(report).filter((c) => c.kind === 'property')) {
        expect(c.seed, c.id).toBe(SEED);
        expect(c.runs, c.id).toBeGreaterThanOrEqual(1);
        expect(c.runs, `${c.id}: --runs bounds every property`).toBeLessThanOrEqual(RUNS);
      }
      const titles = cases(report).map((c) => c.id);
      expect(titles).toEqual(expect.arrayContaining([mode === 'strict' ? 'variants-refused' : 'variants-flagged', 'reuse-under-one-key', 'bad-wraps-never-rebind', 'blocks-verify-on-server', 'storage-decryption-roundtrip', 'lookup', 'mes-outputs', 'unknown-preset', 'wame-output', 'subscriptions-checked', 'webhook-delivery', 'queue-delivery', 'streaming-endpoints', 'key-delivery']));
    }, 90_000);
  }
});

describe('against a server without /_emulator/ (a proxy that forwards /api/ and the key delivery service only)', () => {
  let proxy: TestProxy;
  beforeAll(async () => {
    // Key delivery is the service's own (GetKeyDeliveryUrl names it), not an emulator extra.
    proxy = await startProxy(compat.baseUrl, { forward: (path) => path.startsWith('/api/') || path.startsWith('/keydelivery/') });
  });
  afterAll(() => proxy?.close());

  it('probes the mode, reports what needs findings or verification as not applicable, and passes the rest', async () => {
    const report = await runConformance({ endpoint: `${proxy.url}api/`, credentials: token, seed: SEED, runs: RUNS, queueConnectionString: compat.emulator.storage.connectionString });
    expect(failures(report)).toEqual([]);
    expect(report.ok).toBe(true);
    expect(report.target.mode).toBe('compat');
    expect(report.target.modeSource).toMatch(/^probed: /);
    expect(report.target.extras).toEqual({ findings: false, verification: false, rules: false });
    expect(report.target.server).toBeUndefined();
    const notApplicable = cases(report).filter((c) => c.status === 'not-applicable');
    expect(notApplicable.map((c) => `${c.suite}/${c.id}`).sort()).toEqual(['checksums/variants-named', 'counter/blocks-verify-on-server', 'iv/reuse-under-one-key', 'rsa-oaep/bad-wraps-diagnosed']);
    for (const c of notApplicable) expect(c.reason).toMatch(/\/_emulator\//);
    // What needs only HTTP and storage still ran: the job round trip, the bad wraps, the checksums, the protocol.
    const passed = cases(report).filter((c) => c.status === 'passed').map((c) => c.id);
    expect(passed).toEqual(expect.arrayContaining(['storage-decryption-roundtrip', 'bad-wraps-never-rebind', 'variants-flagged', 'dotnet-accepted', 'create-read-update-delete', 'bad-and-unknown-ids', 'query-options']));
  }, 90_000);
});

describe('against broken servers', () => {
  it('a server that corrupts the key RebindContentKey returns fails RSA-OAEP unwrapping with a shrunk counterexample the seed reproduces', async () => {
    const proxy = await startProxy(compat.baseUrl, { tamper: corruptRebind });
    try {
      const run = () => runConformance({ endpoint: `${proxy.url}api/`, credentials: token, seed: SEED, runs: RUNS, suites: ['rsa-oaep'] });
      const first = await run();
      expect(first.ok).toBe(false);
      const failed = cases(first).find((c) => c.id === 'rebind-clear')!;
      expect(failed.status).toBe('failed');
      expect(failed.seed).toBe(SEED);
      // Shrunk to the simplest key: 32 zero bytes, which came back with its first bit flipped.
      expect(failed.counterexample).toBe(`[Buffer.from([${new Array(32).fill(0).join(',')}])]`);
      expect(failed.error).toMatch(/RebindContentKey\('nb:kid:UUID:[^']+', ''\) returned 01(00){31} for the key (00){32}/);
      expect(failed.path).toEqual(expect.any(String));
      expect(first.suites[0]!.title).toBe('RSA-OAEP unwrapping');

      const again = await run();
      const repeated = cases(again).find((c) => c.id === 'rebind-clear')!;
      expect(repeated.counterexample).toBe(failed.counterexample);
      expect(repeated.path).toBe(failed.path);
    } finally {
      await proxy.close();
    }
  }, 90_000);

  it('a server that answers 400 for unknown ids fails the Protocol suite, naming the request', async () => {
    const proxy = await startProxy(compat.baseUrl, { tamper: notFoundAsBadRequest });
    try {
      const report = await runConformance({ endpoint: `${proxy.url}api/`, credentials: token, seed: SEED, runs: RUNS, suites: ['protocol'] });
      expect(report.ok).toBe(false);
      const ids = cases(report).find((c) => c.id === 'bad-and-unknown-ids')!;
      expect(ids.status).toBe('failed');
      expect(ids.counterexample).toMatch(/"wellFormed":true/);
      expect(ids.error).toMatch(/with an unknown id answered HTTP 400, not 404/);
    } finally {
      await proxy.close();
    }
  }, 90_000);

  it('a server whose $batch answers lose their Content-IDs fails the batch check', async () => {
    const proxy = await startProxy(compat.baseUrl, { tamper: batchWithoutContentIds });
    try {
      const report = await runConformance({ endpoint: `${proxy.url}api/`, credentials: token, seed: SEED, runs: RUNS, suites: ['protocol'] });
      const batch = cases(report).find((c) => c.id === 'batch-changesets')!;
      expect(batch.status).toBe('failed');
      expect(batch.error).toMatch(/came back with Content-ID undefined, not "1"/);
    } finally {
      await proxy.close();
    }
  }, 90_000);

  it('a server whose refused operations report Succeeded fails the streaming check, naming the operation', async () => {
    const proxy = await startProxy(compat.baseUrl, { tamper: operationsAlwaysSucceed });
    try {
      const report = await runConformance({ endpoint: `${proxy.url}api/`, credentials: token, seed: SEED, runs: RUNS, suites: ['protocol'] });
      expect(report.ok).toBe(false);
      const streaming = cases(report).find((c) => c.id === 'streaming-endpoints')!;
      expect(streaming.status).toBe('failed');
      expect(streaming.error).toMatch(/DELETE of the default StreamingEndpoint ended Succeeded\s*, not Failed DeleteNotAllowedOnDefaultOrigin/);
    } finally {
      await proxy.close();
    }
  }, 90_000);

  it('a server whose $count is wrong fails the query property, naming the request', async () => {
    const proxy = await startProxy(compat.baseUrl, { tamper: countOffByOne });
    try {
      const report = await runConformance({ endpoint: `${proxy.url}api/`, credentials: token, seed: SEED, runs: RUNS, suites: ['protocol'] });
      expect(report.ok).toBe(false);
      const query = cases(report).find((c) => c.id === 'query-options')!;
      expect(query.status).toBe('failed');
      expect(query.error).toMatch(/GET Assets\/\$count\?\$filter=\S+ answered "(\d+)", expected \d+/);
    } finally {
      await proxy.close();
    }
  }, 90_000);
});
