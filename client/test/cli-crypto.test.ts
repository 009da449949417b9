import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { constants, createCipheriv, publicEncrypt, randomBytes, X509Certificate } from 'node:crypto';
import { closeSync, existsSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { PassThrough, Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { runCli } from '../src/cli/main.js';
import { ensureBuilt } from '../../test/support/build.js';
import { ctrWithCounters } from '../../test/support/crypto-reference.js';
import {
  amsCtr,
  counterBlock,
  createProtectionCertificate,
  guidToDotNetBytes,
  ivToBytes,
  type ProtectionCertificate,
} from '../src/crypto/index.js';

const REPO = resolve(fileURLToPath(new URL('../..', import.meta.url)));
const BIN = join(REPO, 'dist/client/src/cli/main.js');
const KAT1_CERT = join(REPO, 'client/test/fixtures/kat1-protection-certificate.b64');
const KAT1_THUMBPRINT = '7D9BB04D9D0A4A24800CADBFEF232689E048F69C';

const KEY = Buffer.from(Array.from({ length: 32 }, (_, i) => i));
const KEY_HEX = KEY.toString('hex');
const KID = 'nb:kid:UUID:00112233-4455-6677-8899-aabbccddeeff';
const IV = '397304628502661816';
const PLAIN_64 = Buffer.from(Array.from({ length: 64 }, (_, i) => i));
const CIPHER_64 = Buffer.from(
  '1d74ca19fe1654d84ff1783e6473d23acb3100919cb7f9006dc1b84877a0728e9f4fe5d84e8c45d452b06a9c747c635a29a014d315e6659beebf0f2d221e3992',
  'hex',
);
const TWO64 = 1n << 64n;

interface RunResult {
  code: number;
  stdout: Buffer;
  stderr: string;
}

interface RunOptions {
  stdin?: Buffer | Buffer[];
  env?: Record<string, string>;
}

type Runner = (argv: readonly string[], options?: RunOptions) => Promise<RunResult>;

/** runCli against in-memory streams; stdin chunks are fed as given, to exercise chunking. */
const inProcess: Runner = async (argv, options = {}) => {
  const stdin = new PassThrough();
  const chunks = options.stdin === undefined ? [] : Array.isArray(options.stdin) ? options.stdin : [options.stdin];
  for (const chunk of chunks) stdin.write(chunk);
  stdin.end();
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  const collector = (into: Buffer[]): Writable =>
    new Writable({
      write(chunk: Buffer, _encoding, callback) {
        into.push(chunk);
        callback();
      },
    });
  const code = await runCli(argv, { stdin, stdout: collector(out), stderr: collector(err), env: options.env ?? {} });
  return { code, stdout: Buffer.concat(out), stderr: Buffer.concat(err).toString('utf8') };
};

/** The built bin in a real child process, as a user runs it. */
const childProcess: Runner = (argv, options = {}) => spawnCollect(process.execPath, [BIN, ...argv], options);

function spawnCollect(command: string, args: readonly string[], options: RunOptions & { cwd?: string } = {}): Promise<RunResult> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(command, args, {
      cwd: options.cwd ?? REPO,
      env: { ...process.env, AMS_DEBUG: '', ...options.env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (c: Buffer) => out.push(c));
    child.stderr.on('data', (c: Buffer) => err.push(c));
    // The child may exit (usage error) before reading its input.
    child.stdin.on('error', () => {});
    child.on('error', reject);
    child.on('close', (code, signal) => {
      if (code === null) reject(new Error(`${command} ended by ${signal}`));
      else resolvePromise({ code, stdout: Buffer.concat(out), stderr: Buffer.concat(err).toString('utf8') });
    });
    const input = options.stdin === undefined ? [] : Array.isArray(options.stdin) ? options.stdin : [options.stdin];
    for (const chunk of input) child.stdin.write(chunk);
    child.stdin.end();
  });
}

let tmp: string;
let cert: ProtectionCertificate;
let otherCert: ProtectionCertificate;
const files = {
  certPem: '',
  certDer: '',
  certB64: '',
  keyPem: '',
  otherKeyPem: '',
  garbage: '',
  notACert: '',
  kat1Der: '',
  kat1Pem: '',
};

beforeAll(async () => {
  await ensureBuilt();
  if (!existsSync(BIN)) throw new Error(`the build did not produce ${BIN}`);

  tmp = mkdtempSync(join(tmpdir(), 'ams-cli-test-'));
  cert = createProtectionCertificate({ commonName: 'cli-test' });
  otherCert = createProtectionCertificate({ commonName: 'cli-test-other' });
  const write = (name: string, data: string | Buffer): string => {
    const path = join(tmp, name);
    writeFileSync(path, data);
    return path;
  };
  files.certPem = write('cert.pem', cert.certificatePem);
  files.certDer = write('cert.der', cert.der);
  files.certB64 = write('cert.b64', cert.der.toString('base64'));
  files.keyPem = write('key.pem', cert.privateKeyPem);
  files.otherKeyPem = write('other-key.pem', otherCert.privateKeyPem);
  files.garbage = write('garbage.txt', 'key: this is not a certificate!\n');
  files.notACert = write('not-a-cert.b64', randomBytes(300).toString('base64'));
  const kat1 = Buffer.from(readFileSync(KAT1_CERT, 'utf8').trim(), 'base64');
  files.kat1Der = write('kat1.der', kat1);
  files.kat1Pem = write('kat1.pem', `Bag Attributes: text openssl puts before the armour\n${new X509Certificate(kat1).toString()}`);
}, 180_000);

afterAll(() => {
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

function expectSuccess(result: RunResult): void {
  expect(result.stderr).toBe('');
  expect(result.code).toBe(0);
}

function stdoutLine(result: RunResult): string {
  expectSuccess(result);
  const text = result.stdout.toString('utf8');
  expect(text).toMatch(/^[^\n]+\n$/);
  return text.trimEnd();
}

const ctrArgs = (command: 'encrypt' | 'decrypt', ...extra: string[]): string[] => ['crypto', command, '--key', KEY_HEX, '--iv', IV, ...extra];

describe.each([
  ['in-process', inProcess],
  ['child process', childProcess],
] as const)('ams-client crypto (%s)', (_mode, run) => {
  it.each([
    ['dotnet', 'pWuIS8ZQuMQ='],
    ['rfc4122', 'jqK3ylFnRb8='],
    ['java', 'EEuQjrUbuYI='],
    ['php', 'ul3reL4LYdw='],
  ])('checksum --variant %s gives the known answer', async (variant, expected) => {
    expect(stdoutLine(await run(['crypto', 'checksum', '--key', KEY_HEX, '--kid', KID, '--variant', variant]))).toBe(expected);
  });

  it('checksum defaults to the .NET variant', async () => {
    expect(stdoutLine(await run(['crypto', 'checksum', '--key', KEY_HEX, '--kid', KID]))).toBe('pWuIS8ZQuMQ=');
  });

  it('checksum takes a 16-byte key (AES-128-ECB over Guid.ToByteArray())', async () => {
    const key16 = KEY.subarray(0, 16);
    const ecb = createCipheriv('aes-128-ecb', key16, null).setAutoPadding(false);
    const expected = ecb.update(guidToDotNetBytes('00112233-4455-6677-8899-aabbccddeeff')).subarray(0, 8).toString('base64');
    expect(stdoutLine(await run(['crypto', 'checksum', '--key', key16.toString('hex'), '--kid', KID]))).toBe(expected);
  });

  it('encrypt gives the known ciphertext of bytes 00..3f', async () => {
    const result = await run(ctrArgs('encrypt'), { stdin: PLAIN_64 });
    expectSuccess(result);
    expect(result.stdout.toString('hex')).toBe(CIPHER_64.toString('hex'));
  });

  it('decrypt turns the known ciphertext back into bytes 00..3f', async () => {
    const result = await run(ctrArgs('decrypt'), { stdin: CIPHER_64 });
    expectSuccess(result);
    expect(result.stdout.equals(PLAIN_64)).toBe(true);
  });

  it('encrypt --offset 20 of bytes 20..49 gives the matching slice', async () => {
    const result = await run(ctrArgs('encrypt', '--offset', '20'), { stdin: PLAIN_64.subarray(20, 50) });
    expectSuccess(result);
    expect(result.stdout.toString('hex')).toBe(CIPHER_64.subarray(20, 50).toString('hex'));
  });

  it('an offset past 2^64 blocks wraps the block index without carry', async () => {
    // 2^68 bytes is 2^64 blocks: the counter is back at block 0, so the known answer must repeat.
    const wrapped = (1n << 68n) + 20n;
    const result = await run(ctrArgs('encrypt', '--offset', wrapped.toString()), { stdin: PLAIN_64.subarray(20, 50) });
    expectSuccess(result);
    expect(result.stdout.toString('hex')).toBe(CIPHER_64.subarray(20, 50).toString('hex'));
  });

  it('a range that crosses the 2^64-block wrap matches the per-block ECB reference', async () => {
    const offset = 3n * (1n << 68n) - 40n; // 40 bytes before the third wrap, 64 bytes after it
    const data = randomBytes(104);
    const iv8 = ivToBytes(BigInt(IV));
    const expected = ctrWithCounters(KEY, data, offset, (block) => counterBlock(iv8, block % TWO64));
    const result = await run(ctrArgs('encrypt', '--offset', offset.toString()), { stdin: data });
    expectSuccess(result);
    expect(result.stdout.toString('hex')).toBe(expected.toString('hex'));
  });

  it('wrap then unwrap returns the content key, for the certificate as PEM, DER and base64 DER', async () => {
    const contentKey = randomBytes(32).toString('hex');
    for (const certFile of [files.certPem, files.certDer, files.certB64]) {
      const wrapped = stdoutLine(await run(['crypto', 'wrap', '--cert', certFile, '--key', contentKey]));
      expect(Buffer.from(wrapped, 'base64')).toHaveLength(256);
      expect(stdoutLine(await run(['crypto', 'unwrap', '--private-key', files.keyPem, '--wrapped', wrapped]))).toBe(contentKey);
    }
  });

  it('unwrap of a key wrapped with OAEP-SHA-256 says so', async () => {
    const wrapped = publicEncrypt(
      { key: new X509Certificate(cert.der).publicKey, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha256' },
      KEY,
    ).toString('base64');
    const result = await run(['crypto', 'unwrap', '--private-key', files.keyPem, '--wrapped', wrapped]);
    expectOneLineError(result, 1, /RSA-OAEP using SHA-256/);
  });

  it('unwrap with the wrong certificate says it was wrapped to another certificate', async () => {
    const wrapped = stdoutLine(await run(['crypto', 'wrap', '--cert', files.certPem, '--key', KEY_HEX]));
    const result = await run(['crypto', 'unwrap', '--private-key', files.otherKeyPem, '--wrapped', wrapped]);
    expectOneLineError(result, 1, /another certificate/);
  });

  it.each([
    ['base64 DER (GetProtectionKey)', () => KAT1_CERT],
    ['DER', () => files.kat1Der],
    ['PEM with text before the armour', () => files.kat1Pem],
  ])('thumbprint of the KAT-1 certificate as %s', async (_form, file) => {
    expect(stdoutLine(await run(['crypto', 'thumbprint', '--cert', file()]))).toBe(KAT1_THUMBPRINT);
  });

  it('thumbprint of a generated certificate is what the library computed', async () => {
    const printed = stdoutLine(await run(['crypto', 'thumbprint', '--cert', files.certPem]));
    expect(printed).toMatch(/^[0-9A-F]{40}$/);
    expect(printed).toBe(cert.thumbprint);
  });

  it('iv prints a decimal below 2^64, different each time', async () => {
    const a = stdoutLine(await run(['crypto', 'iv']));
    const b = stdoutLine(await run(['crypto', 'iv']));
    for (const iv of [a, b]) {
      expect(iv).toMatch(/^(0|[1-9][0-9]*)$/);
      expect(BigInt(iv) < TWO64).toBe(true);
    }
    expect(a).not.toBe(b);
  });

  it('--version prints the package version', async () => {
    const pkg = JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8')) as { version: string };
    expect(stdoutLine(await run(['--version']))).toBe(pkg.version);
  });

  it.each([
    [['--help'], /^Usage: ams-client <command>[\s\S]*\bcrypto\b/],
    [['crypto', '--help'], /^Usage: ams-client crypto <command>[\s\S]*checksum[\s\S]*thumbprint/],
    [['crypto', 'checksum', '--help'], /^Usage: ams-client crypto checksum --key HEX --kid KID \[--variant dotnet\|rfc4122\|java\|php\]/],
    [['crypto', 'encrypt', '--help'], /^Usage: ams-client crypto encrypt --key HEX --iv DECIMAL \[--offset BYTES\]/],
    [['crypto', 'decrypt', '-h'], /^Usage: ams-client crypto decrypt --key HEX --iv DECIMAL \[--offset BYTES\]/],
    [['crypto', 'wrap', '--help'], /^Usage: ams-client crypto wrap --cert FILE --key HEX/],
    [['crypto', 'unwrap', '--help'], /^Usage: ams-client crypto unwrap --private-key PEMFILE --wrapped BASE64/],
    [['crypto', 'thumbprint', '--help'], /^Usage: ams-client crypto thumbprint --cert FILE/],
    [['crypto', 'iv', '--help'], /^Usage: ams-client crypto iv\n/],
  ])('%j prints usage', async (argv, pattern) => {
    const result = await run(argv);
    expectSuccess(result);
    expect(result.stdout.toString('utf8')).toMatch(pattern);
  });

  // [description, argv, exit code, what the one line must say]
  const errorCases: ReadonlyArray<readonly [string, () => string[], 1 | 2, RegExp]> = [
    ['no command', () => [], 2, /no command given/],
    ['unknown command', () => ['frobnicate'], 2, /unknown command 'frobnicate'.*'ams-client --help'/],
    ['unknown top-level flag', () => ['--frobnicate'], 2, /unknown option '--frobnicate'/],
    ['crypto without a command', () => ['crypto'], 2, /'ams-client crypto' needs a command/],
    ['unknown crypto command', () => ['crypto', 'nope'], 2, /unknown command 'nope'.*'ams-client crypto --help'/],
    ['unknown flag', () => [...ctrArgs('encrypt'), '--bogus'], 2, /unknown option '--bogus'.*'ams-client crypto encrypt --help'/],
    ['positional argument', () => [...ctrArgs('encrypt'), 'file.bin'], 2, /unexpected argument 'file.bin'/],
    ['flag given twice', () => [...ctrArgs('encrypt'), '--iv', '5'], 2, /--iv is given more than once/],
    ['flag without its value', () => ['crypto', 'encrypt', '--key', KEY_HEX, '--iv'], 2, /--iv needs a value/],
    ['missing --key', () => ['crypto', 'encrypt', '--iv', IV], 2, /missing --key HEX/],
    ['missing --iv', () => ['crypto', 'decrypt', '--key', KEY_HEX], 2, /missing --iv DECIMAL/],
    ['missing --kid', () => ['crypto', 'checksum', '--key', KEY_HEX], 2, /missing --kid/],
    ['missing --cert', () => ['crypto', 'thumbprint'], 2, /missing --cert FILE/],
    ['missing --wrapped', () => ['crypto', 'unwrap', '--private-key', files.keyPem], 2, /missing --wrapped/],
    ['16-byte key for encrypt', () => ['crypto', 'encrypt', '--key', KEY_HEX.slice(0, 32), '--iv', IV], 2, /--key must be 64 hex digits.*got 32/],
    ['odd-length hex key', () => ['crypto', 'wrap', '--cert', files.certPem, '--key', KEY_HEX.slice(1)], 2, /--key must be 64 hex digits.*got 63/],
    ['non-hex key', () => ['crypto', 'encrypt', '--key', `zz${KEY_HEX.slice(2)}`, '--iv', IV], 2, /--key .*contains "z"/],
    ['24-byte checksum key', () => ['crypto', 'checksum', '--key', '00'.repeat(24), '--kid', KID], 2, /--key must be 32 or 64 hex digits/],
    ['hex IV', () => ['crypto', 'encrypt', '--key', KEY_HEX, '--iv', '0x583827461850ab8'], 2, /--iv: .*looks hexadecimal/],
    ['negative IV', () => ['crypto', 'encrypt', '--key', KEY_HEX, '--iv=-1'], 2, /--iv: .*has a sign/],
    ['IV past 2^64', () => ['crypto', 'encrypt', '--key', KEY_HEX, '--iv', TWO64.toString()], 2, /--iv: .*exceeds/],
    ['empty IV', () => ['crypto', 'encrypt', '--key', KEY_HEX, '--iv='], 2, /--iv: the IV is empty/],
    ['negative offset', () => ctrArgs('encrypt', '--offset=-16'), 2, /--offset must be a non-negative decimal/],
    ['hex offset', () => ctrArgs('encrypt', '--offset', '0x10'), 2, /--offset must be a non-negative decimal/],
    ['fractional offset', () => ctrArgs('encrypt', '--offset', '1.5'), 2, /--offset must be a non-negative decimal/],
    ['unknown checksum variant', () => ['crypto', 'checksum', '--key', KEY_HEX, '--kid', KID, '--variant', 'go'], 2, /--variant must be one of dotnet, rfc4122, java, php/],
    ['bare GUID as kid', () => ['crypto', 'checksum', '--key', KEY_HEX, '--kid', '00112233-4455-6677-8899-aabbccddeeff'], 2, /--kid: .*nb:kid:UUID:<guid>/],
    ['wrapped key not base64', () => ['crypto', 'unwrap', '--private-key', files.keyPem, '--wrapped', 'not base64!'], 2, /--wrapped: .*not base64/],
    ['certificate file missing', () => ['crypto', 'thumbprint', '--cert', join(tmp, 'absent.pem')], 1, /cannot read the --cert file .*absent\.pem.*no such file/],
    ['certificate file is a directory', () => ['crypto', 'wrap', '--cert', tmp, '--key', KEY_HEX], 1, /cannot read the --cert file .*it is a directory/],
    ['certificate file is text', () => ['crypto', 'thumbprint', '--cert', files.garbage], 1, /garbage\.txt.*neither PEM nor base64 DER/],
    ['certificate file is base64 of something else', () => ['crypto', 'wrap', '--cert', files.notACert, '--key', KEY_HEX], 1, /could not be parsed as X\.509/],
    ['private key file missing', () => ['crypto', 'unwrap', '--private-key', join(tmp, 'absent.key'), '--wrapped', 'AAAA'], 1, /cannot read the --private-key file/],
    ['private key file is not a key', () => ['crypto', 'unwrap', '--private-key', files.garbage, '--wrapped', 'AAAA'], 1, /--private-key file .*private key could not be read/],
    ['truncated wrapped key', () => ['crypto', 'unwrap', '--private-key', files.keyPem, '--wrapped', randomBytes(128).toString('base64')], 1, /128 bytes.*exactly 256/],
  ];

  it.each(errorCases)('%s: one line on stderr, the right exit code, no stack', async (_name, argv, code, pattern) => {
    expectOneLineError(await run(argv()), code, pattern);
  });

  it('AMS_DEBUG=1 adds the stack after the one line', async () => {
    const result = await run(['crypto', 'encrypt', '--key', 'abc', '--iv', IV], { env: { AMS_DEBUG: '1' } });
    expect(result.code).toBe(2);
    const [first, ...rest] = result.stderr.trimEnd().split('\n');
    expect(first).toMatch(/^ams-client: --key must be 64 hex digits/);
    expect(rest.join('\n')).toMatch(/UsageError[\s\S]*\n\s+at /);
  });
});

function expectOneLineError(result: RunResult, code: number, pattern: RegExp): void {
  expect(result.stderr).toMatch(/^ams-client: [^\n]+\n$/);
  expect(result.stderr).toMatch(pattern);
  expect(result.stderr).not.toMatch(/\bat .*:\d+:\d+/);
  expect(result.stdout.length).toBe(0);
  expect(result.code).toBe(code);
}

describe('ams-client crypto encrypt/decrypt streaming', () => {
  it('any chunking of stdin gives the one-shot result (in-process)', async () => {
    const data = randomBytes(100_003);
    const chunks: Buffer[] = [];
    for (let at = 0, size = 1; at < data.length; at += size, size = (size * 7 + 3) % 4099) chunks.push(data.subarray(at, at + size));
    const result = await inProcess(ctrArgs('encrypt', '--offset', '7'), { stdin: chunks });
    expectSuccess(result);
    expect(result.stdout.equals(amsCtr(KEY, BigInt(IV), data, 7n))).toBe(true);
  });

  it('a several-MB file encrypted then decrypted by child processes equals the input', async () => {
    const size = 6 * 1024 * 1024 + 5;
    const plain = randomBytes(size);
    const plainFile = join(tmp, 'big.plain');
    const cipherFile = join(tmp, 'big.cipher');
    const roundFile = join(tmp, 'big.round');
    writeFileSync(plainFile, plain);
    await runWithFiles(ctrArgs('encrypt'), plainFile, cipherFile);
    await runWithFiles(ctrArgs('decrypt'), cipherFile, roundFile);
    const cipher = readFileSync(cipherFile);
    expect(cipher.length).toBe(size);
    expect(cipher.equals(plain)).toBe(false);
    expect(cipher.equals(amsCtr(KEY, BigInt(IV), plain))).toBe(true);
    expect(readFileSync(roundFile).equals(plain)).toBe(true);
  });

  it('a reader that closes stdout early (| head -c 10) ends the bin quietly', async () => {
    const script = `head -c 64000000 /dev/zero | "${process.execPath}" "${BIN}" crypto encrypt --key ${KEY_HEX} --iv ${IV} 2>"${join(tmp, 'epipe.err')}" | head -c 10 | wc -c; echo "status=\${PIPESTATUS[1]}"`;
    const result = await spawnCollect('bash', ['-c', script]);
    expect(result.stdout.toString('utf8')).toMatch(/^\s*10\s+status=0\s*$/);
    expect(readFileSync(join(tmp, 'epipe.err'), 'utf8')).toBe('');
  });
});

/** Run the bin with a file as stdin and another as stdout, as `< in > out` would. */
async function runWithFiles(argv: readonly string[], input: string, output: string): Promise<void> {
  const inFd = openSync(input, 'r');
  const outFd = openSync(output, 'w');
  try {
    const code = await new Promise<number | null>((resolvePromise, reject) => {
      const child = spawn(process.execPath, [BIN, ...argv], { stdio: [inFd, outFd, 'inherit'] });
      child.on('error', reject);
      child.on('close', resolvePromise);
    });
    expect(code).toBe(0);
  } finally {
    closeSync(inFd);
    closeSync(outFd);
  }
}

describe('npx ams-client', () => {
  it('runs the bin from the repository root, as on a fresh machine (empty npm cache, no network)', async () => {
    // npx links the project's own bins through its cache; a private, empty cache keeps the test
    // from passing on a cache entry an earlier run left behind, and --offline from the network.
    const cache = mkdtempSync(join(tmpdir(), 'ams-npx-cache-'));
    const result = await spawnCollect('npx', ['--offline', '--yes', 'ams-client', 'crypto', 'iv'], { cwd: REPO, env: { npm_config_cache: cache } });
    rmSync(cache, { recursive: true, force: true });
    expect(result.code).toBe(0);
    expect(result.stdout.toString('utf8')).toMatch(/^(0|[1-9][0-9]*)\n$/);
  });
});
