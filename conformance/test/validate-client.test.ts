import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureBuilt, REPO } from '../../test/support/build.js';
import { fixture, runBin } from './support.js';

/**
 * `ams-conformance validate-client` on the reference client (`ams-client upload`, passes) and on the
 * broken clients kept as fixtures (each fails with its precise finding), in compat and strict mode.
 * Every test starts its own emulator process, so they run side by side.
 */

const AMS_CLIENT = join(REPO, 'dist', 'client', 'src', 'cli', 'main.js');

interface JsonValidation {
  ok: boolean;
  mode: string;
  auth: string;
  refused: Array<{ method: string; path: string }>;
  client: { code: number | null; startError?: string };
  environment: Record<string, string>;
  findings: Array<{ rule: string; severity: string; entityId: string | null; details: Record<string, unknown>; ruleInfo?: { fix: string } }>;
  verifications: Array<{ status: string; fileName: string | null; diagnosis: { id: string } | null }>;
  problems: string[];
}

let dir: string;
let uploads: string[];
beforeAll(async () => {
  await ensureBuilt();
  dir = mkdtempSync(join(tmpdir(), 'ams-conformance-validate-'));
  uploads = [join(dir, 'clip.bin'), join(dir, 'empty.bin')];
  writeFileSync(uploads[0]!, randomBytes(300_000));
  writeFileSync(uploads[1]!, Buffer.alloc(0));
}, 120_000);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function validate(name: string, options: { strict?: boolean; auth?: 'strict'; command?: string[] } = {}) {
  const json = join(dir, `${name.replace(/\W/g, '-')}${options.strict ? '-strict' : ''}${options.auth ? '-auth' : ''}.json`);
  const command = options.command ?? (name === 'reference' ? [process.execPath, AMS_CLIENT, 'upload', ...uploads] : [process.execPath, fixture(name)]);
  const flags = [...(options.strict ? ['--strict'] : []), ...(options.auth ? ['--auth', options.auth] : [])];
  const result = await runBin(['validate-client', ...flags, '--json', json, '--', ...command]);
  const report = JSON.parse(readFileSync(json, 'utf8')) as JsonValidation;
  return { ...result, report };
}

describe.concurrent('validate-client', () => {
  it('passes the reference client (ams-client upload): every upload verified, no finding, exit 0, and the client got every variable', async () => {
    const { code, stdout, report } = await validate('reference');
    expect(report.problems).toEqual([]);
    expect(code).toBe(0);
    expect(report.ok).toBe(true);
    expect(report.findings).toEqual([]);
    expect(report.verifications.map((v) => [v.fileName, v.status]).sort()).toEqual([['clip.bin', 'verified'], ['empty.bin', 'verified']]);
    expect(Object.keys(report.environment).sort()).toEqual(['AMS_CLIENT_ID', 'AMS_CLIENT_SECRET', 'AMS_ENDPOINT', 'AMS_TOKEN', 'AMS_TOKEN_ENDPOINT', 'AZURE_STORAGE_CONNECTION_STRING']);
    expect(report.environment['AZURE_STORAGE_CONNECTION_STRING']).toMatch(/^DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;.*BlobEndpoint=http:\/\/127\.0\.0\.1:\d+\/devstoreaccount1;QueueEndpoint=http:\/\/127\.0\.0\.1:\d+\/devstoreaccount1;?$/);
    expect(stdout).toMatch(/^Uploaded 2 files \(.*\) into asset nb:cid:UUID:/m);
    expect(stdout).toMatch(/^ {2}verified {2}clip\.bin \(nb:cid:UUID:/m);
    expect(stdout).toContain('Findings:  none: every request matched the reference client');
    expect(stdout).toMatch(/^PASS: /m);
  }, 60_000);

  it('passes the reference client in strict mode too', async () => {
    const { code, report } = await validate('reference', { strict: true });
    expect(report.problems).toEqual([]);
    expect(code).toBe(0);
    expect(report.mode).toBe('strict');
  }, 60_000);

  it('--auth strict: the reference client passes (it uses the token it is given); one that makes its token up fails on the 401s', async () => {
    const reference = await validate('reference', { auth: 'strict' });
    expect(reference.report.problems).toEqual([]);
    expect(reference.report).toMatchObject({ ok: true, auth: 'strict', refused: [] });
    const madeUp = await validate('broken-clients/made-up-token', { auth: 'strict' });
    expect(madeUp.code).toBe(1);
    expect(madeUp.report.refused).toEqual([{ method: 'GET', path: '/api/Assets' }]);
    expect(madeUp.report.problems).toContain('1 API request was refused for their token (401)');
    expect(madeUp.stdout).toContain('Refused:   1 API request with a token the emulator did not issue, or one that had expired (401)');
    expect(madeUp.stdout).toContain('  GET /api/Assets');
    // Without --auth strict the made-up token is taken: the same client passes.
    expect((await validate('broken-clients/made-up-token')).report.ok).toBe(true);
  }, 90_000);

  it('fails a client that lays the IV little-endian: decrypt-verification-failed, diagnosis iv-little-endian', async () => {
    const { code, stdout, report } = await validate('broken-clients/little-endian-iv');
    expect(code).toBe(1);
    expect(report.client.code).toBe(0);
    expect(report.findings.map((f) => [f.rule, f.details['diagnosis']])).toEqual([['decrypt-verification-failed', 'iv-little-endian']]);
    expect(report.verifications.map((v) => [v.fileName, v.status, v.diagnosis?.id])).toEqual([['movie.bin', 'failed', 'iv-little-endian']]);
    expect(stdout).toContain('[ERROR] decrypt-verification-failed: The uploaded blob does not decrypt to the file the client meant');
    expect(stdout).toMatch(/ {4}file: {3}movie\.bin \(nb:cid:UUID:[^)]+\) of asset nb:cid:UUID:/);
    expect(stdout).toContain('    diagnosis: iv-little-endian');
    expect(stdout).toContain('    how to fix it: Encrypt with AES-256-CTR');
    expect(stdout).toMatch(/^FAIL: 1 error finding \(decrypt-verification-failed\); 1 file failed decrypt verification$/m);
  }, 60_000);

  it('fails a client that reuses an IV under one key: iv-reused naming the first file', async () => {
    const { code, stdout, report } = await validate('broken-clients/reused-iv');
    expect(code).toBe(1);
    expect(report.findings.map((f) => f.rule)).toEqual(['iv-reused']);
    expect(report.findings[0]!.details['otherFileId']).toEqual(expect.stringMatching(/^nb:cid:UUID:/));
    // Both files decrypt: the mistake is the shared keystream, not the bytes.
    expect(report.verifications.map((v) => v.status)).toEqual(['verified', 'verified']);
    expect(stdout).toContain('[ERROR] iv-reused: Two files under one content key share an InitializationVector');
    expect(stdout).toMatch(/how to fix it: Draw a fresh IV for every file/);
  }, 60_000);

  it('in strict mode the reused IV is refused, so the client itself fails, and the finding still says why', async () => {
    const { code, stderr, report } = await validate('broken-clients/reused-iv', { strict: true });
    expect(code).toBe(1);
    expect(report.client.code).toBe(1);
    expect(stderr).toMatch(/POST .*Files failed with HTTP 409/);
    expect(report.findings.map((f) => f.rule)).toEqual(['iv-reused']);
    expect(report.problems[0]).toBe('the client exited with code 1');
  }, 60_000);

  it('fails a client that computes the checksum in RFC 4122 byte order: checksum-mismatch, variant rfc4122', async () => {
    const { code, stdout, report } = await validate('broken-clients/rfc4122-checksum');
    expect(code).toBe(1);
    expect(report.findings.map((f) => [f.rule, f.details['variant']])).toEqual([['checksum-mismatch', 'rfc4122']]);
    expect(report.findings[0]!.entityId).toMatch(/^nb:kid:UUID:/);
    expect(report.verifications.map((v) => v.status)).toEqual(['verified']);
    expect(stdout).toMatch(/ {4}content key: nb:kid:UUID:/);
    expect(stdout).toContain('    variant: rfc4122');
  }, 60_000);

  it('fails a client that wraps the key with OAEP-SHA256: content-key-unwrap-failed, diagnosis oaep-sha256', async () => {
    const { code, stdout, report } = await validate('broken-clients/oaep-sha256');
    expect(code).toBe(1);
    const unwrap = report.findings.filter((f) => f.rule === 'content-key-unwrap-failed');
    expect(unwrap.map((f) => f.details['diagnosis'])).toEqual(['oaep-sha256']);
    expect(unwrap[0]!.ruleInfo?.fix).toMatch(/RSA-OAEP using SHA-1/);
    expect(stdout).toContain('[ERROR] content-key-unwrap-failed: EncryptedContentKey cannot be unwrapped with the protection key');
    expect(stdout).toContain('    diagnosis: oaep-sha256');
  }, 60_000);

  it('fails when the client command fails, even without findings', async () => {
    const failing = await validate('exit-3', { command: [process.execPath, '-e', 'process.exit(3)'] });
    expect(failing.code).toBe(1);
    expect(failing.report.problems).toEqual(['the client exited with code 3']);
    expect(failing.stdout).toContain('(the client completed no upload, so nothing was decrypted)');
  }, 60_000);
});

it('refuses a command that cannot be run before starting an emulator for it (exit 1, one line)', async () => {
  const result = await runBin(['validate-client', '--', '/no/such/client-command', 'x']);
  expect(result.code).toBe(1);
  expect(result.stderr).toBe('ams-conformance: client validation could not run: cannot run "/no/such/client-command": no such executable file\n');
});
