import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable, Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureBuilt } from '../../test/support/build.js';
import { startTestEmulator, type TestEmulator } from '../../test/support/emulator.js';
import { corruptRebind, startProxy, type TestProxy } from './helpers/proxy.js';
import { runCli } from '../src/cli.js';
import { attr, elements, parseXml, runBin, type CliResult } from './support.js';

/**
 * The `ams-conformance run` command line: the console report, the exit status, the JUnit XML and
 * JSON files (well-formed, with the counterexample and seed of a failure), and usage errors.
 */

let emulator: TestEmulator;
let broken: TestProxy;
let dir: string;
beforeAll(async () => {
  await ensureBuilt();
  emulator = await startTestEmulator();
  broken = await startProxy(emulator.baseUrl, { tamper: corruptRebind });
  dir = mkdtempSync(join(tmpdir(), 'ams-conformance-cli-'));
}, 120_000);
afterAll(async () => {
  await broken?.close();
  await emulator?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('ams-conformance run', () => {
  it('passes against the emulator: exit 0, the guarantees by name, well-formed JUnit and JSON', async () => {
    const junit = join(dir, 'pass.xml');
    const json = join(dir, 'pass.json');
    const result = await runBin(['run', '--endpoint', emulator.url, '--token', 't', '--runs', '3', '--seed', '5', '--suite', 'iv,checksums', '--suite', 'rsa-oaep', '--junit', junit, '--json', json]);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('Seed:      5 (repeat this run with --seed 5); at most 3 inputs per property');
    expect(result.stdout).toMatch(/^RSA-OAEP unwrapping: /m);
    expect(result.stdout).toMatch(/^IV uniqueness: /m);
    expect(result.stdout).toMatch(/^PASS: \d+ passed, 0 failed, 0 not applicable, in 3 suites \(seed 5, /m);

    const xml = parseXml(readFileSync(junit, 'utf8'));
    expect(xml.local).toBe('testsuites');
    expect(attr(xml, 'failures')).toBe('0');
    expect(elements(xml, 'testsuite').map((s) => attr(s, 'name'))).toEqual(['RSA-OAEP unwrapping', 'IV uniqueness', 'Checksums']);
    const testcases = elements(xml, 'testcase');
    expect(Number(attr(xml, 'tests'))).toBe(testcases.length);
    expect(elements(xml, 'failure')).toEqual([]);
    expect(elements(xml, 'property').find((p) => attr(p, 'name') === 'seed') && attr(elements(xml, 'property').find((p) => attr(p, 'name') === 'seed')!, 'value')).toBe('5');

    const report = JSON.parse(readFileSync(json, 'utf8')) as { reportVersion: number; ok: boolean; seed: number; runs: number; suites: Array<{ id: string; cases: Array<{ status: string }> }>; summary: { cases: number } };
    expect(report).toMatchObject({ reportVersion: 1, ok: true, seed: 5, runs: 3 });
    expect(report.suites.map((s) => s.id)).toEqual(['rsa-oaep', 'iv', 'checksums']);
    expect(report.summary.cases).toBe(testcases.length);
  }, 90_000);

  it('fails against a broken server: exit 1, the counterexample, the seed and the command that repeats it, also in JUnit', async () => {
    const junit = join(dir, 'fail.xml');
    const endpoint = `${broken.url}api/`;
    const result = await runBin(['run', '--endpoint', endpoint, '--token', 't', '--runs', '3', '--seed', '77', '--suite', 'rsa-oaep', '--junit', junit]);
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(/^RSA-OAEP unwrapping: /m);
    expect(result.stdout).toMatch(/ {2}FAIL {2}RebindContentKey\(id, ''\) returns exactly/);
    expect(result.stdout).toContain(`counterexample: [Buffer.from([${new Array(32).fill(0).join(',')}])]`);
    expect(result.stdout).toMatch(/shrunk \d+ times?; seed 77, path [\d:]+/);
    expect(result.stdout).toContain(`reproduce: ams-conformance run --endpoint ${endpoint} --token T --seed 77 --suite rsa-oaep`);
    expect(result.stdout).toMatch(/^FAIL: \d+ passed, [1-9]\d* failed/m);

    const xml = parseXml(readFileSync(junit, 'utf8'));
    const failuresCount = Number(attr(xml, 'failures'));
    expect(failuresCount).toBeGreaterThan(0);
    const failures = elements(xml, 'failure');
    expect(failures).toHaveLength(failuresCount);
    expect(failures[0]!.text).toContain('counterexample: [Buffer.from([0,');
    expect(failures[0]!.text).toContain('seed: 77');
  }, 90_000);

  it('says in one line why it cannot run against an unreachable endpoint (exit 1)', async () => {
    const result = await runBin(['run', '--endpoint', 'http://127.0.0.1:9/api/', '--token', 't']);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/^ams-conformance: the run against http:\/\/127\.0\.0\.1:9\/api\/ stopped: .*\n$/);
    expect(result.stderr.split('\n')).toHaveLength(2);
  });
});

/** The command line in this process, for the cases that never reach a server. */
async function cli(args: readonly string[]): Promise<CliResult> {
  let stdout = '';
  let stderr = '';
  const sink = (append: (text: string) => void) =>
    new Writable({
      write(chunk: Buffer, _encoding, callback) {
        append(chunk.toString('utf8'));
        callback();
      },
    });
  const code = await runCli(args, { stdin: Readable.from([]), stdout: sink((t) => (stdout += t)), stderr: sink((t) => (stderr += t)), env: {} });
  return { code, stdout, stderr };
}

describe('usage', () => {
  it.each([
    [[], /no command given \(commands: run, validate-client\)/],
    [['nope'], /unknown command 'nope'/],
    [['run'], /missing --endpoint URL/],
    [['run', '--endpoint', 'http://x/api/'], /give --token T, or --client-id ID and --client-secret S/],
    [['run', '--endpoint', 'http://x/api/', '--token', 't', '--client-id', 'a'], /exclude each other/],
    [['run', '--endpoint', 'http://x/api/', '--token', 't', '--suite', 'iv,nope'], /unknown suite 'nope' \(suites: rsa-oaep, counter, iv, checksums, protocol, encoders, notifications\)/],
    [['run', '--endpoint', 'http://x/api/', '--token', 't', '--runs', '0'], /--runs must be a whole number from 1/],
    [['run', '--endpoint', 'ftp://x/', '--token', 't'], /--endpoint must be an http\(s\) URL/],
    [['run', '--endpoint', 'http://x/api/', '--token', 't', '--seed', '1', '--seed', '2'], /--seed is given more than once/],
    [['validate-client'], /missing -- COMMAND \[ARGS\.\.\.\]/],
    [['validate-client', 'node', 'x.js'], /put the COMMAND \[ARGS\.\.\.\] after --/],
  ])('%j: exit 2 with one line', async (args, message) => {
    const result = await cli(args as string[]);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(message);
    expect(result.stderr).toMatch(/run 'ams-conformance( [\w-]+)? --help' for usage\n$/);
    expect(result.stdout).toBe('');
  });

  it('--help shows the options generated from the command table; --version the version', async () => {
    const help = await cli(['run', '--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/^Usage: ams-conformance run --endpoint URL \[--token T\]/);
    for (const option of ['--client-id ID', '--token-endpoint URL', '--seed N', '--runs N', '--suite NAME', '--junit FILE', '--json FILE']) expect(help.stdout).toContain(option);
    const validate = await cli(['validate-client', '--help']);
    expect(validate.stdout).toMatch(/^Usage: ams-conformance validate-client \[--strict\] .* -- COMMAND \[ARGS\.\.\.\]/);
    const top = await cli(['--help']);
    expect(top.stdout).toContain('validate-client');
    // The bin itself, once: it exits with what runCli returned.
    const version = await runBin(['--version']);
    expect(version.code).toBe(0);
    expect(version.stdout).toMatch(/^\d+\.\d+\.\d+\n$/);
    const usage = await runBin(['run']);
    expect(usage.code).toBe(2);
  });
});
