import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { configFromArgs, FLAGS, UsageError, usage } from '../../src/cli.js';

/**
 * Flags and environment variables in-process: every flag has a variable that means the same, a
 * flag beats its variable, and a mistake is a UsageError with a message for the user. The
 * spawned-process tests (cli-process) prove the same reaches a real `ams-emulator`.
 */

/** A valid value for each flag, and the config it must produce. */
const SAMPLES: Record<string, { value: string; config: Record<string, unknown> }> = {
  host: { value: '0.0.0.0', config: { host: '0.0.0.0' } },
  port: { value: '0', config: { port: 0 } },
  location: { value: 'some/dir', config: { location: resolve('some/dir') } },
  'in-memory': { value: 'true', config: { location: undefined } },
  'storage-connection-string': { value: 'UseDevelopmentStorage=true', config: { storageConnectionString: 'UseDevelopmentStorage=true' } },
  'storage-wait': { value: '5', config: { storageWaitMs: 5000 } },
  'azurite-port': { value: '10123', config: { azuritePort: 10123 } },
  'azurite-in-process': { value: 'true', config: { embeddedAzurite: 'in-process' } },
  strict: { value: 'true', config: { strict: true } },
  auth: { value: 'strict', config: { auth: 'strict' } },
  silent: { value: 'true', config: { silent: true } },
  debug: { value: 'debug.log', config: { debugFile: resolve('debug.log') } },
  'move-corrupt-state': { value: 'true', config: { moveCorruptStateAside: true } },
  'job-progression': { value: 'polls:3', config: { jobProgression: { mode: 'polls', pollsPerState: 3 } } },
  'operation-progression': { value: 'polls:2', config: { operationProgression: { mode: 'polls', pollsPerState: 2 } } },
  'id-seed': { value: '42', config: { idSeed: 42 } },
  'public-blob-endpoint': { value: 'http://localhost:10000/devstoreaccount1/', config: { publicBlobEndpoint: 'http://localhost:10000/devstoreaccount1' } },
  'max-files-per-asset': { value: '25', config: { limits: { maxFilesPerAsset: 25 } } },
  'verify-max-restream-mb': { value: '64', config: { limits: { verifyMaxRestreamBytes: 64 * 1024 * 1024 } } },
};

/** --cert and --key only make sense together; --ffmpeg-transcode reads the PATH (jobs/encoders/ffmpeg.test.ts). */
const PAIRED = new Set(['cert', 'key', 'ffmpeg-transcode']);

describe('configFromArgs', () => {
  it('has a sample for every flag but the --cert/--key pair (tested together) and --ffmpeg-transcode (tested with a PATH)', () => {
    expect(FLAGS.map((f) => f.flag).filter((f) => !PAIRED.has(f)).sort()).toEqual(Object.keys(SAMPLES).sort());
  });

  it.each(FLAGS.filter((f) => !PAIRED.has(f.flag)).map((f) => [f.flag, f] as const))('--%s and its environment variable give the same config', (_name, flag) => {
    const sample = SAMPLES[flag.flag]!;
    const args = flag.type === 'boolean' ? [`--${flag.flag}`] : [`--${flag.flag}`, sample.value];
    const fromFlag = configFromArgs(args, {}).config;
    const fromEnv = configFromArgs([], { [flag.env]: sample.value }).config;
    expect(fromFlag).toMatchObject(sample.config);
    expect(fromEnv).toEqual(fromFlag);
    expect(flag.env).toMatch(/^AMS_EMULATOR_[A-Z_]+$/);
  });

  it('--cert and --key (and their variables) turn on HTTPS, and refuse to come alone', () => {
    const fromFlags = configFromArgs(['--cert', 'c.pem', '--key', 'k.pem'], {}).config;
    expect(fromFlags.tls).toEqual({ certFile: resolve('c.pem'), keyFile: resolve('k.pem') });
    expect(configFromArgs([], { AMS_EMULATOR_CERT: 'c.pem', AMS_EMULATOR_KEY: 'k.pem' }).config).toEqual(fromFlags);
    expect(() => configFromArgs(['--cert', 'c.pem'], {})).toThrow(UsageError);
    expect(() => configFromArgs([], { AMS_EMULATOR_KEY: 'k.pem' })).toThrow(/--cert and --key go together/);
  });

  it('lets a flag win over its variable, and reads boolean variables as people write them', () => {
    expect(configFromArgs(['--port', '1234'], { AMS_EMULATOR_PORT: '4321' }).config.port).toBe(1234);
    for (const off of ['0', 'false', 'no', 'off', 'FALSE']) expect(configFromArgs([], { AMS_EMULATOR_STRICT: off }).config.strict, off).toBe(false);
    for (const on of ['1', 'true', 'yes', 'on']) expect(configFromArgs([], { AMS_EMULATOR_STRICT: on }).config.strict, on).toBe(true);
    // An empty variable is unset.
    expect(configFromArgs([], { AMS_EMULATOR_PORT: '' }).config.port).toBeUndefined();
  });

  it('defaults the data directory to ./.ams-emulator', () => {
    expect(configFromArgs([], {}).config.location).toBe(resolve('.ams-emulator'));
  });

  it.each([
    [['--in-memory', '--location', 'x'], /--in-memory and --location exclude each other/],
    [[], /--in-memory and --location/, { AMS_EMULATOR_IN_MEMORY: '1', AMS_EMULATOR_LOCATION: 'x' }],
    [['--port', '70000'], /--port must be a port number/],
    [['--port', 'abc'], /--port must be a port number/],
    [['--azurite-port', '-1'], /--azurite-port|argument/],
    [['--auth', 'maybe'], /--auth must be any, strict or none/],
    [['--job-progression', 'polls:0'], /--job-progression/],
    [['--operation-progression', 'soon'], /--operation-progression must be immediate or polls:N/],
    [['--id-seed', 'x'], /--id-seed/],
    [['--public-blob-endpoint', 'azurite:10000'], /--public-blob-endpoint must be an http\(s\) URL/],
    [['--no-such-flag'], /no-such-flag/],
    [['positional'], /positional|Unexpected argument/i],
  ] as [string[], RegExp, Record<string, string>?][])('refuses %j with a UsageError', (args, message, env = {}) => {
    expect(() => configFromArgs(args, env)).toThrow(UsageError);
    expect(() => configFromArgs(args, env)).toThrow(message);
  });
});

describe('usage', () => {
  it('lists every flag with its variable', () => {
    const text = usage();
    for (const f of FLAGS) {
      expect(text).toContain(`--${f.flag}`);
      expect(text).toContain(`[${f.env}]`);
    }
    expect(text).toContain('--help');
    expect(text).toContain('--version');
  });
});
