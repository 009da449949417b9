import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AmsClient } from '../../client/src/index.js';
import { ensureBuilt } from '../../test/support/build.js';
import { startTestEmulator, type TestEmulator } from '../../test/support/emulator.js';
import { CORPUS, USER_AGENT_PREFIX } from '../src/fixtures/verdict-corpus/cases.js';
import { corpusDiscrepancies } from '../src/fixtures/verdict-corpus/check.js';
import { runCorpus } from '../src/fixtures/verdict-corpus/main.js';
import { EmulatorExtras, type KitFinding, type KitVerification } from '../src/target/extras.js';
import { fixture, runBin } from './support.js';

/**
 * The verdict corpus (conformance/src/fixtures/verdict-corpus): correct-but-unusual clients get no
 * error finding and no failed verification, each known mistake exactly its errors. Driven twice:
 * against an in-process emulator directly (compat and --strict), and end to end through
 * `ams-conformance validate-client`, whose verdict must agree.
 */

const CORRECT = CORPUS.filter((c) => c.kind === 'correct');
const MISTAKES = CORPUS.filter((c) => c.kind === 'mistake');

describe('the false-positive corpus has the breadth it promises', () => {
  it('at least 20 correct-but-unusual behaviours and a mistake for every rule it names', () => {
    expect(CORRECT.length).toBeGreaterThanOrEqual(20);
    // Key requests: correct-but-odd tokens, both token types among the mistakes, and the unknowable signer as a warning only.
    expect(CORRECT.filter((c) => c.id.startsWith('key-')).length).toBeGreaterThanOrEqual(8);
    expect(MISTAKES.filter((c) => c.id.startsWith('key-swt-')).length).toBeGreaterThanOrEqual(3);
    expect(MISTAKES.filter((c) => c.warnings?.includes('key-delivery-token-wrong-signing-key')).map((c) => c.errors)).toEqual([[], []]);
    const named = new Set(MISTAKES.flatMap((c) => c.errors.flatMap((e) => [e.rule, ...(e.diagnosis ? [e.diagnosis] : [])])));
    for (const id of ['iv-little-endian', 'counter-starts-at-1', 'counter-little-endian', 'iv-and-counter-little-endian', 'iv-text-hex', 'other-content-key', 'iv-of-another-file', 'plaintext-uploaded', 'blocks-encrypted-from-offset-0', 'blocks-committed-out-of-order', 'content-length-mismatch', 'iv-reused', 'checksum-mismatch', 'content-key-unwrap-failed', 'content-key-length', 'iv-not-decimal-uint64',
      'key-delivery-token-wrong-audience', 'key-delivery-token-wrong-issuer', 'key-delivery-token-expired', 'key-delivery-token-not-yet-valid', 'key-delivery-token-missing-key-id-claim',
      'key-delivery-token-wrong-key-id-claim', 'key-delivery-token-missing-claim', 'key-delivery-token-malformed']) {
      expect(named, id).toContain(id);
    }
  });
});

async function runDirect(emu: TestEmulator, cases: typeof CORPUS): Promise<{ failures: string[]; findings: KitFinding[]; verifications: KitVerification[] }> {
  const failures = await runCorpus(cases, (userAgent) => new AmsClient({ endpoint: emu.url, auth: { kind: 'static', token: 'corpus' }, userAgent }), emu.emulator.storage.connectionString);
  const extras = await EmulatorExtras.detect(emu.url);
  expect(await extras!.waitIdle(120_000)).toBe(true);
  return { failures, findings: await extras!.findings(), verifications: await extras!.verifications() };
}

describe.concurrent('the verdict corpus against the emulator, directly', () => {
  let compat: TestEmulator;
  let strict: TestEmulator;
  beforeAll(async () => {
    [compat, strict] = await Promise.all([startTestEmulator(), startTestEmulator({ strict: true })]);
  });
  afterAll(async () => {
    await Promise.all([compat?.close(), strict?.close()]);
  });

  it('correct-but-unusual clients: no error finding, no failed verification, only honest warnings', async () => {
    const { failures, findings, verifications } = await runDirect(compat, CORRECT);
    expect(failures).toEqual([]);
    expect(corpusDiscrepancies(CORRECT, findings, verifications)).toEqual([]);
    // The mistakes run on the same emulator meanwhile: judge the correct clients' own.
    const correctClients = new Set(CORRECT.map((c) => `${USER_AGENT_PREFIX}${c.id}`));
    expect(findings.filter((f) => f.severity === 'error' && correctClients.has(String(f.details['client'])))).toEqual([]);
    expect(verifications.filter((v) => v.status === 'failed' && correctClients.has(String(v.client)))).toEqual([]);
  });

  it('--strict refuses none of them: a refusal needs the same evidence as an error', async () => {
    const { failures, findings } = await runDirect(strict, CORRECT);
    expect(failures).toEqual([]);
    expect(findings.filter((f) => f.severity === 'error')).toEqual([]);
  });

  it('every known mistake: exactly its error findings, with the right rule and diagnosis', async () => {
    const { failures, findings, verifications } = await runDirect(compat, MISTAKES);
    expect(failures).toEqual([]);
    expect(corpusDiscrepancies(MISTAKES, findings, verifications)).toEqual([]);
  });
});

/** A fresh emulator process and the whole corpus in a client process: minutes on a loaded 2-core machine. */
const VALIDATE_TIMEOUT_MS = 300_000;

describe.concurrent('the verdict corpus through validate-client', { timeout: VALIDATE_TIMEOUT_MS }, () => {
  let dir: string;
  beforeAll(async () => {
    await ensureBuilt();
    dir = mkdtempSync(join(tmpdir(), 'ams-verdict-corpus-'));
  }, 120_000);
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  async function validate(...which: string[]) {
    const json = join(dir, `${which.join('-')}.json`);
    const result = await runBin(['validate-client', '--json', json, '--', process.execPath, fixture('verdict-corpus/main'), ...which]);
    const report = JSON.parse(readFileSync(json, 'utf8')) as { ok: boolean; findings: KitFinding[]; verifications: KitVerification[]; problems: string[]; coverage: Record<string, number> };
    return { ...result, report };
  }

  it('PASSes the correct corpus, and says what the PASS rests on', async () => {
    const { code, stdout, report } = await validate('correct');
    expect(report.problems).toEqual([]);
    expect(code).toBe(0);
    expect(corpusDiscrepancies(CORRECT, report.findings, report.verifications)).toEqual([]);
    expect(report.coverage['unverifiable']).toBeGreaterThan(0);
    expect(report.coverage['typeChecked']).toBeGreaterThan(0);
    expect(stdout).toMatch(/^PASS: the client implements storage encryption as the reference client does, as far as its uploads show \(\d+ storage-encrypted uploads, \d+ clear: \d+ verified by digest, \d+ type-checked only, \d+ unverifiable/m);
  });

  it('a client that uploads only clear files is told nothing about encryption was validated', async () => {
    const { code, stdout, report } = await validate('clear-random-mp4-no-digest', 'clear-mp4-no-digest');
    expect(code).toBe(0);
    expect(report.coverage).toMatchObject({ encrypted: 0, clear: 2, typeChecked: 1, unverifiable: 1 });
    expect(stdout).toMatch(/^PASS, but no storage-encrypted upload was observed: nothing about encryption was validated/m);
    expect(stdout).not.toMatch(/implements storage encryption/);
  });

  it('a client whose encrypted uploads cannot be checked is told to send ContentChecksum', async () => {
    const { code, stdout } = await validate('random-mp4-no-digest');
    expect(code).toBe(0);
    expect(stdout).toMatch(/^PASS, but none of the 1 storage-encrypted upload could be verified .*send ContentChecksum/m);
  });

  it('FAILs the mistakes corpus with exactly the errors each mistake stands for', async () => {
    const { code, stdout, report } = await validate('mistakes');
    expect(code).toBe(1);
    expect(report.ok).toBe(false);
    expect(corpusDiscrepancies(MISTAKES, report.findings, report.verifications)).toEqual([]);
    expect(stdout).toMatch(/^FAIL: \d+ error findings \(/m);
  });
});
