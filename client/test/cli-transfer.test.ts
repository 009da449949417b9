import { PassThrough, Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { ParsedOptions } from '../src/cli/command.js';
import { connectionSettings, defaultTokenEndpoint, tokenEndpointKind } from '../src/cli/connection-options.js';
import { UsageError } from '../src/cli/errors.js';
import { table } from '../src/cli/ls.js';
import { runCli } from '../src/cli/main.js';
import { createProgress, formatBytes, formatDuration } from '../src/cli/progress.js';
import { parseBlockSize, parseParallelism } from '../src/cli/transfer-options.js';

/** The transfer commands' own logic, without a network: options, credentials, progress, tables, usage. */

function options(values: Record<string, string | boolean>): ParsedOptions {
  return new ParsedOptions(values);
}

function usageMessage(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(UsageError);
    return (err as Error).message;
  }
  throw new Error('expected a UsageError');
}

describe('--block-size', () => {
  it.each([
    ['16', 16],
    ['4096', 4096],
    ['256K', 256 * 1024],
    ['256k', 256 * 1024],
    ['64KiB', 64 * 1024],
    ['4M', 4 * 1024 * 1024],
    ['4MiB', 4 * 1024 * 1024],
    ['100M', 100 * 1024 * 1024],
  ])('%s is %i bytes', (text, bytes) => {
    expect(parseBlockSize(text)).toBe(bytes);
  });

  it.each([
    ['17', /multiple of 16 bytes \(the AES block\), got 17; try 16/],
    ['1000', /got 1000; try 1008/],
    ['0', /from 16 bytes to 100M/],
    ['101M', /from 16 bytes to 100M/],
    ['4G', /optionally with K or M/],
    ['4.5M', /optionally with K or M/],
    ['-16', /optionally with K or M/],
    ['', /optionally with K or M/],
  ])('%j is refused', (text, message) => {
    expect(usageMessage(() => parseBlockSize(text))).toMatch(message);
  });
});

describe('--parallel', () => {
  it('takes 1 to 64', () => {
    expect(parseParallelism('1')).toBe(1);
    expect(parseParallelism('64')).toBe(64);
  });
  it.each(['0', '65', '2.5', 'four', ''])('refuses %j', (text) => {
    expect(usageMessage(() => parseParallelism(text))).toMatch(/--parallel must be a whole number from 1 to 64/);
  });
});

describe('connection settings', () => {
  const API = 'http://127.0.0.1:10010/api/';

  it('a static token from the flags, minimal JSON by default', () => {
    expect(connectionSettings(options({ endpoint: API, token: 't' }), {})).toEqual({ endpoint: API, auth: { kind: 'static', token: 't' }, format: 'json' });
  });

  it('everything from the environment', () => {
    expect(connectionSettings(options({}), { AMS_ENDPOINT: API, AMS_TOKEN: 't' })).toEqual({ endpoint: API, auth: { kind: 'static', token: 't' }, format: 'json' });
  });

  it('a flag wins over its variable', () => {
    const settings = connectionSettings(options({ endpoint: API, token: 'flag' }), { AMS_ENDPOINT: 'http://elsewhere/api/', AMS_TOKEN: 'env' });
    expect(settings).toMatchObject({ endpoint: API, auth: { kind: 'static', token: 'flag' } });
  });

  it('a token and client credentials both in the environment (as validate-client sets them): the token is used', () => {
    const env = { AMS_ENDPOINT: API, AMS_TOKEN: 't', AMS_CLIENT_ID: 'id', AMS_CLIENT_SECRET: 's', AMS_TOKEN_ENDPOINT: 'http://127.0.0.1:10010/v2/OAuth2-13' };
    expect(connectionSettings(options({}), env).auth).toEqual({ kind: 'static', token: 't' });
  });

  it('credential flags replace all credential variables, so a token in the environment cannot mix in', () => {
    const settings = connectionSettings(options({ endpoint: API, 'client-id': 'id', 'client-secret': 's' }), { AMS_TOKEN: 'env' });
    expect(settings.auth).toEqual({ kind: 'acs', tokenEndpoint: 'http://127.0.0.1:10010/v2/OAuth2-13', clientId: 'id', clientSecret: 's' });
  });

  it('client credentials default to ACS at <endpoint origin>/v2/OAuth2-13; a token endpoint with /oauth2/ is Azure AD', () => {
    expect(defaultTokenEndpoint('https://acct.example:8443/some/api/')).toBe('https://acct.example:8443/v2/OAuth2-13');
    expect(tokenEndpointKind('https://wamsprodglobal001acs.accesscontrol.windows.net/v2/OAuth2-13')).toBe('acs');
    expect(tokenEndpointKind('https://login.microsoftonline.com/tenant/oauth2/token')).toBe('aad');
    expect(tokenEndpointKind('https://login.microsoftonline.com/tenant/OAuth2/v2.0/token')).toBe('aad');
    const aad = connectionSettings(options({ endpoint: API }), {
      AMS_CLIENT_ID: 'id',
      AMS_CLIENT_SECRET: 's',
      AMS_TOKEN_ENDPOINT: 'https://login.microsoftonline.com/t/oauth2/token',
    });
    expect(aad.auth).toEqual({ kind: 'aad', tokenEndpoint: 'https://login.microsoftonline.com/t/oauth2/token', clientId: 'id', clientSecret: 's' });
  });

  it('--odata verbose speaks verbose JSON', () => {
    expect(connectionSettings(options({ endpoint: API, token: 't', odata: 'verbose' }), {}).format).toBe('verbose');
  });

  it('an empty variable counts as unset', () => {
    expect(usageMessage(() => connectionSettings(options({ token: 't' }), { AMS_ENDPOINT: '' }))).toMatch(/^missing --endpoint URL \(or set AMS_ENDPOINT\)/);
  });

  it.each([
    ['no endpoint', {}, {}, /^missing --endpoint URL \(or set AMS_ENDPOINT\)/],
    ['an endpoint that is not a URL', { endpoint: 'localhost:10010' }, {}, /--endpoint \(or AMS_ENDPOINT\) must be an http or https URL, got "localhost:10010"/],
    ['no credentials', { endpoint: API }, {}, /^no credentials: give --token \(or AMS_TOKEN\), or --client-id and --client-secret/],
    ['a token and client credentials', { endpoint: API, token: 't', 'client-id': 'id', 'client-secret': 's' }, {}, /give either --token or --client-id with --client-secret, not both/],
    ['a client id without a secret', { endpoint: API, 'client-id': 'id' }, {}, /--client-id needs --client-secret/],
    ['a secret without a client id', { endpoint: API }, { AMS_CLIENT_SECRET: 's' }, /AMS_CLIENT_SECRET needs AMS_CLIENT_ID/],
    ['a token endpoint that is not http', { endpoint: API, 'client-id': 'i', 'client-secret': 's', 'token-endpoint': 'ftp://x/' }, {}, /--token-endpoint \(or AMS_TOKEN_ENDPOINT\) must be an http or https URL/],
    ['an unknown dialect', { endpoint: API, token: 't', odata: 'atom' }, {}, /--odata must be one of minimal, verbose, got "atom"/],
  ])('%s is a usage error', (_what, flags, env, message) => {
    expect(usageMessage(() => connectionSettings(options(flags), env))).toMatch(message);
  });
});

/** A stderr stand-in: a terminal of `columns` or a pipe, keeping what is written. */
function fakeStderr(tty?: { columns: number }): { stream: Writable; text(): string } {
  let text = '';
  const stream = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      text += chunk.toString('utf8');
      callback();
    },
  });
  if (tty) Object.assign(stream, { isTTY: true, columns: tty.columns });
  return { stream, text: () => text };
}

async function flushed(): Promise<void> {
  await new Promise((resolve) => setImmediate(resolve));
}

describe('progress', () => {
  const MiB = 1024 * 1024;

  it('on a terminal: a bar redrawn in place at most every 100 ms, with bytes, rate and ETA, cut to the width', async () => {
    let now = 0;
    const stderr = fakeStderr({ columns: 100 });
    const progress = createProgress(stderr.stream, { verb: 'upload', totalBytes: 40 * MiB, quiet: false, now: () => now });
    now = 1000;
    progress.update(10 * MiB, 'movie.mp4');
    now = 1050;
    progress.update(11 * MiB, 'movie.mp4'); // too soon: not drawn
    now = 2000;
    progress.update(20 * MiB, 'movie.mp4');
    progress.end();
    await flushed();
    expect(stderr.text()).toBe(
      '\rupload [======                  ]  25%  10.0 MiB / 40.0 MiB  10.0 MiB/s  ETA 0:03  movie.mp4\x1b[K' +
        '\rupload [============            ]  50%  20.0 MiB / 40.0 MiB  10.0 MiB/s  ETA 0:02  movie.mp4\x1b[K' +
        '\n',
    );
  });

  it('on a narrow terminal the line is cut one column short of the width', async () => {
    const stderr = fakeStderr({ columns: 40 });
    const progress = createProgress(stderr.stream, { verb: 'download', totalBytes: 100, quiet: false, now: () => 5 });
    progress.update(50, 'a-long-file-name.mp4');
    await flushed();
    const frame = stderr.text().replace(/^\r/, '').replace(/\x1b\[K$/, '');
    expect(frame).toHaveLength(39);
    expect(frame).toBe('download [============            ]  50');
  });

  it('in a pipe: a plain line at most every 2 s, and one per finished file', async () => {
    let now = 0;
    const stderr = fakeStderr();
    const progress = createProgress(stderr.stream, { verb: 'download', totalBytes: 8 * MiB, quiet: false, now: () => now });
    now = 500;
    progress.update(1 * MiB, 'a.bin'); // under 2 s since the start: no line
    now = 2000;
    progress.update(4 * MiB, 'a.bin');
    now = 3000;
    progress.update(5 * MiB, 'a.bin'); // 1 s after the last line: no line
    progress.fileDone('a.bin', 6 * MiB);
    progress.end();
    await flushed();
    expect(stderr.text()).toBe('download: 50%  4.0 MiB / 8.0 MiB  2.0 MiB/s  ETA 0:02  a.bin\ndownload: a.bin: all 6.0 MiB transferred\n');
  });

  it('quiet (--json): nothing at all, also on a terminal', async () => {
    const stderr = fakeStderr({ columns: 80 });
    const progress = createProgress(stderr.stream, { verb: 'upload', totalBytes: 10, quiet: true, now: () => 1000 });
    progress.update(5, 'x');
    progress.fileDone('x', 10);
    progress.end();
    await flushed();
    expect(stderr.text()).toBe('');
  });

  it('formats sizes and durations for people', () => {
    expect([0, 1023, 1024, 1536, 5 * MiB, 3 * 1024 * MiB].map(formatBytes)).toEqual(['0 B', '1023 B', '1.0 KiB', '1.5 KiB', '5.0 MiB', '3.0 GiB']);
    expect([0, 0.2, 59, 61, 3599, 3600, 3661].map(formatDuration)).toEqual(['0:00', '0:01', '0:59', '1:01', '59:59', '1:00:00', '1:01:01']);
  });
});

describe('ls tables', () => {
  it('pads every column but the last, and keeps a row on one line', () => {
    const columns = [
      { title: 'ID', value: (r: { id: string; name: string }) => r.id },
      { title: 'NAME', value: (r: { id: string; name: string }) => r.name },
    ];
    expect(table(columns, [{ id: 'a', name: 'first\nline' }, { id: 'longer-id', name: '' }])).toBe('ID         NAME\na          first line\nlonger-id');
  });
});

describe('usage errors exit 2 before anything is sent', () => {
  async function run(argv: string[], env: Record<string, string> = {}): Promise<{ code: number; stdout: string; stderr: string }> {
    let stdout = '';
    let stderr = '';
    const sink = (append: (s: string) => void): Writable =>
      new Writable({
        write(chunk: Buffer, _e, cb) {
          append(chunk.toString('utf8'));
          cb();
        },
      });
    const stdin = new PassThrough();
    stdin.end();
    const code = await runCli(argv, { stdin, stdout: sink((s) => (stdout += s)), stderr: sink((s) => (stderr += s)), env });
    return { code, stdout, stderr };
  }

  // An endpoint nothing listens on: if any of these sent a request, it would fail with exit 1 instead.
  const endpoint = ['--endpoint', 'http://127.0.0.1:9/api/', '--token', 't'];

  it.each([
    ['upload without files', ['upload', ...endpoint], "ams-client: missing FILE (files to upload; each becomes a file of the asset under its base name); run 'ams-client upload --help' for usage\n"],
    ['upload without credentials', ['upload', 'a.bin', '--endpoint', 'http://127.0.0.1:9/api/'], /^ams-client: no credentials: .*; run 'ams-client upload --help' for usage\n$/],
    ['download without --asset', ['download', ...endpoint, '--out', 'x'], "ams-client: missing --asset ID (the asset id, nb:cid:UUID:...); run 'ams-client download --help' for usage\n"],
    ['download with --parallel 0', ['download', ...endpoint, '--asset', 'a', '--out', 'x', '--parallel', '0'], /^ams-client: --parallel must be a whole number from 1 to 64, got "0"; run 'ams-client download --help' for usage\n$/],
    ['ls of something unknown', ['ls', 'jobs', ...endpoint], /^ams-client: unknown command 'jobs' for 'ams-client ls' \(commands: assets, files, keys, locators\); run 'ams-client ls --help' for usage\n$/],
    ['ls assets --asset (assets take no filter)', ['ls', 'assets', ...endpoint, '--asset', 'x'], /^ams-client: unknown option '--asset'.*run 'ams-client ls assets --help' for usage\n$/],
    ['a flag given twice', ['upload', 'a.bin', ...endpoint, '--parallel', '2', '--parallel', '3'], /^ams-client: --parallel is given more than once; /],
  ])('%s', async (_what, argv, expected) => {
    const result = await run(argv);
    expect(result.code).toBe(2);
    expect(result.stdout).toBe('');
    if (typeof expected === 'string') expect(result.stderr).toBe(expected);
    else expect(result.stderr).toMatch(expected);
  });

  it('upload --help shows FILE... and the connection options with their variables', async () => {
    const result = await run(['upload', '--help']);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^Usage: ams-client upload FILE\.\.\. \[--endpoint URL\] \[--token T\]/);
    expect(result.stdout).toContain('\nArguments:\n  FILE...  files to upload');
    for (const variable of ['AMS_ENDPOINT', 'AMS_TOKEN', 'AMS_CLIENT_ID', 'AMS_CLIENT_SECRET', 'AMS_TOKEN_ENDPOINT']) expect(result.stdout).toContain(variable);
  });

  it('the top-level help lists the new commands', async () => {
    const result = await run(['--help']);
    expect(result.stdout).toMatch(/\n {2}upload {4}Upload files into a new storage-encrypted asset/);
    expect(result.stdout).toMatch(/\n {2}download {2}Download the files of an asset/);
    expect(result.stdout).toMatch(/\n {2}ls {8}List assets, files, content keys or locators\./);
  });
});
