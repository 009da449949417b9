#!/usr/bin/env node
import { resolve } from 'node:path';
import { realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { DEV_CLIENT_ID, DEV_CLIENT_SECRET, DEV_TENANT } from './auth/credentials.js';
import { DEFAULT_API_PORT, DEFAULT_AZURITE_PORT, DEFAULT_CLI_STORAGE_WAIT_SECONDS, DEFAULT_LIMITS, type AuthMode, type EmulatorConfig } from './config.js';
import type { RunningEmulator } from './server.js';
import { findFfmpeg } from './jobs/encoders/ffmpeg.js';
import { forkAzuriteProcess, type ForkedAzurite } from './storage/azurite-process.js';
import { listensBeyondLoopback } from './http/emulator-exposure.js';
import { EMULATOR_NAME, EMULATOR_VERSION } from './version.js';

/**
 * `ams-emulator`: flags and environment variables -> EmulatorConfig -> startEmulator(). Every flag
 * has an environment variable (for Docker and CI); a flag wins over its variable.
 */
export interface FlagDef {
  flag: string;
  env: string;
  type: 'string' | 'boolean';
  value?: string;
  description: string;
}

export const FLAGS: readonly FlagDef[] = [
  { flag: 'host', env: 'AMS_EMULATOR_HOST', type: 'string', value: 'ADDR', description: 'interface to listen on (default 127.0.0.1: loopback only)' },
  { flag: 'port', env: 'AMS_EMULATOR_PORT', type: 'string', value: 'N', description: `API port (default ${DEFAULT_API_PORT}; 0 = any free port, printed)` },
  { flag: 'location', env: 'AMS_EMULATOR_LOCATION', type: 'string', value: 'DIR', description: 'data directory: state, journal, lock, keys, embedded Azurite blobs (default ./.ams-emulator)' },
  { flag: 'in-memory', env: 'AMS_EMULATOR_IN_MEMORY', type: 'boolean', description: 'keep everything in memory (nothing written to disk)' },
  { flag: 'storage-connection-string', env: 'AMS_EMULATOR_STORAGE_CONNECTION_STRING', type: 'string', value: 'CS', description: 'use this Azure Storage account (a running Azurite, or real Azure) instead of the embedded Azurite' },
  { flag: 'storage-wait', env: 'AMS_EMULATOR_STORAGE_WAIT', type: 'string', value: 'SECONDS', description: `how long start-up waits for the --storage-connection-string account to answer before giving up (default ${DEFAULT_CLI_STORAGE_WAIT_SECONDS}; 0 = fail at once)` },
  { flag: 'public-blob-endpoint', env: 'AMS_EMULATOR_PUBLIC_BLOB_ENDPOINT', type: 'string', value: 'URL', description: 'blob endpoint to hand to clients in asset and locator URLs when they reach storage under another name (Docker)' },
  { flag: 'azurite-port', env: 'AMS_EMULATOR_AZURITE_PORT', type: 'string', value: 'N', description: `port of the embedded Azurite blob service (default ${DEFAULT_AZURITE_PORT}; 0 = any free port)` },
  { flag: 'azurite-in-process', env: 'AMS_EMULATOR_AZURITE_IN_PROCESS', type: 'boolean', description: 'run the embedded Azurite inside the emulator\'s process instead of its own child process (starts faster; shares one event loop)' },
  { flag: 'strict', env: 'AMS_EMULATOR_STRICT', type: 'boolean', description: 'refuse (400/409) what compat mode accepts and records as a finding' },
  { flag: 'auth', env: 'AMS_EMULATOR_AUTH', type: 'string', value: 'any|strict|none', description: 'any: any Bearer token (default); strict: only the emulator\'s own unexpired tokens; none: no token needed' },
  { flag: 'silent', env: 'AMS_EMULATOR_SILENT', type: 'boolean', description: 'no access log on stdout' },
  { flag: 'debug', env: 'AMS_EMULATOR_DEBUG', type: 'string', value: 'FILE', description: 'append a debug log (one JSON line per request) to FILE' },
  { flag: 'cert', env: 'AMS_EMULATOR_CERT', type: 'string', value: 'PEM', description: 'serve HTTPS with this certificate (with --key)' },
  { flag: 'key', env: 'AMS_EMULATOR_KEY', type: 'string', value: 'PEM', description: 'private key for --cert' },
  { flag: 'move-corrupt-state', env: 'AMS_EMULATOR_MOVE_CORRUPT_STATE', type: 'boolean', description: 'move a corrupt or unknown-version state file aside and start empty, instead of refusing to start' },
  { flag: 'job-progression', env: 'AMS_EMULATOR_JOB_PROGRESSION', type: 'string', value: 'immediate|polls:N', description: 'how jobs advance: at once (default), or one state per N reads of the job' },
  { flag: 'operation-progression', env: 'AMS_EMULATOR_OPERATION_PROGRESSION', type: 'string', value: 'immediate|polls:N', description: 'how asynchronous operations (StreamingEndpoint create, Start, Stop, Scale, delete) complete: at once (default), or on the N-th read of Operations(\'<id>\')' },
  { flag: 'ffmpeg-transcode', env: 'AMS_EMULATOR_FFMPEG_TRANSCODE', type: 'boolean', description: 'the simulated encoders (MES, WAME) transcode with the ffmpeg on the PATH instead of copying the input under each output name; no ffmpeg there = start-up fails' },
  { flag: 'id-seed', env: 'AMS_EMULATOR_ID_SEED', type: 'string', value: 'N', description: 'generate deterministic ids from this seed (for snapshot tests)' },
  { flag: 'max-files-per-asset', env: 'AMS_EMULATOR_MAX_FILES_PER_ASSET', type: 'string', value: 'N', description: `files an asset may hold; one more is refused with 400 (default ${DEFAULT_LIMITS.maxFilesPerAsset})` },
  { flag: 'verify-max-restream-mb', env: 'AMS_EMULATOR_VERIFY_MAX_RESTREAM_MB', type: 'string', value: 'N', description: `largest blob (MiB) a diagnosis decrypts again in full; above it, only the first bytes are tried (default ${DEFAULT_LIMITS.verifyMaxRestreamBytes / (1024 * 1024)})` },
];

export class UsageError extends Error {}

/** Parse argv and the environment into a config; throws UsageError with a message for the user. */
export function configFromArgs(argv: readonly string[], env: NodeJS.ProcessEnv): { config: Partial<EmulatorConfig>; help: boolean; version: boolean } {
  let parsed;
  try {
    parsed = parseArgs({
      args: [...argv],
      strict: true,
      allowPositionals: false,
      options: {
        ...Object.fromEntries(FLAGS.map((f) => [f.flag, { type: f.type }])),
        help: { type: 'boolean', short: 'h' },
        version: { type: 'boolean', short: 'v' },
      },
    });
  } catch (err) {
    throw new UsageError((err as Error).message.replace(/^.*?: /, ''));
  }
  const values = parsed.values as Record<string, string | boolean | undefined>;
  const get = (flag: string): string | boolean | undefined => {
    if (values[flag] !== undefined) return values[flag];
    const def = FLAGS.find((f) => f.flag === flag)!;
    const fromEnv = env[def.env];
    if (fromEnv === undefined || fromEnv === '') return undefined;
    if (def.type === 'boolean') return !['0', 'false', 'no', 'off'].includes(fromEnv.toLowerCase());
    return fromEnv;
  };
  const str = (flag: string) => {
    const v = get(flag);
    return typeof v === 'string' ? v : undefined;
  };
  const bool = (flag: string) => get(flag) === true;

  const config: Partial<EmulatorConfig> = {};
  const host = str('host');
  if (host !== undefined) config.host = host;
  const port = str('port');
  if (port !== undefined) config.port = portNumber('--port', port);
  const azuritePort = str('azurite-port');
  if (azuritePort !== undefined) config.azuritePort = portNumber('--azurite-port', azuritePort);
  if (bool('in-memory') && str('location') !== undefined) throw new UsageError('--in-memory and --location exclude each other');
  config.location = bool('in-memory') ? undefined : resolve(str('location') ?? '.ams-emulator');
  const cs = str('storage-connection-string');
  if (cs !== undefined) config.storageConnectionString = cs;
  const wait = str('storage-wait');
  if (wait !== undefined && !/^\d{1,5}$/.test(wait)) throw new UsageError(`--storage-wait must be a whole number of seconds, not ${JSON.stringify(wait)}`);
  config.storageWaitMs = Number(wait ?? DEFAULT_CLI_STORAGE_WAIT_SECONDS) * 1000;
  const publicEndpoint = str('public-blob-endpoint');
  if (publicEndpoint !== undefined) {
    if (!/^https?:\/\/[^/\s]+(\/[^\s]*)?$/.test(publicEndpoint)) throw new UsageError(`--public-blob-endpoint must be an http(s) URL, not ${JSON.stringify(publicEndpoint)}`);
    config.publicBlobEndpoint = publicEndpoint.replace(/\/+$/, '');
  }
  // The CLI runs Azurite in its own process unless told otherwise; startEmulator() defaults to in-process.
  config.embeddedAzurite = bool('azurite-in-process') ? 'in-process' : 'child-process';
  config.strict = bool('strict');
  const auth = str('auth');
  if (auth !== undefined) {
    if (auth !== 'any' && auth !== 'strict' && auth !== 'none') throw new UsageError(`--auth must be any, strict or none, not ${JSON.stringify(auth)}`);
    config.auth = auth as AuthMode;
  }
  config.silent = bool('silent');
  const debug = str('debug');
  if (debug !== undefined) config.debugFile = resolve(debug);
  const cert = str('cert');
  const key = str('key');
  if ((cert === undefined) !== (key === undefined)) throw new UsageError('--cert and --key go together');
  if (cert !== undefined && key !== undefined) config.tls = { certFile: resolve(cert), keyFile: resolve(key) };
  config.moveCorruptStateAside = bool('move-corrupt-state');
  const jobs = progression('job-progression', str('job-progression'));
  if (jobs) config.jobProgression = jobs;
  const operations = progression('operation-progression', str('operation-progression'));
  if (operations) config.operationProgression = operations;
  if (bool('ffmpeg-transcode')) {
    const ffmpeg = findFfmpeg(env['PATH']);
    // No silent fallback to copies: the user asked for real transcodes.
    if (ffmpeg === undefined) throw new UsageError('--ffmpeg-transcode needs ffmpeg on the PATH and none was found there; install ffmpeg (e.g. apt-get install ffmpeg) or leave the flag off to have the encoders copy the input');
    config.ffmpegPath = ffmpeg;
  }
  const seed = str('id-seed');
  if (seed !== undefined) {
    if (!/^\d{1,9}$/.test(seed)) throw new UsageError(`--id-seed must be a whole number, not ${JSON.stringify(seed)}`);
    config.idSeed = Number(seed);
  }
  const maxFiles = str('max-files-per-asset');
  if (maxFiles !== undefined) {
    if (!/^\d{1,9}$/.test(maxFiles) || Number(maxFiles) < 1) throw new UsageError(`--max-files-per-asset must be a whole number from 1, not ${JSON.stringify(maxFiles)}`);
    config.limits = { ...DEFAULT_LIMITS, ...config.limits, maxFilesPerAsset: Number(maxFiles) };
  }
  const restream = str('verify-max-restream-mb');
  if (restream !== undefined) {
    if (!/^\d{1,7}$/.test(restream)) throw new UsageError(`--verify-max-restream-mb must be a whole number of MiB, not ${JSON.stringify(restream)}`);
    config.limits = { ...DEFAULT_LIMITS, ...config.limits, verifyMaxRestreamBytes: Number(restream) * 1024 * 1024 };
  }
  return { config, help: values['help'] === true, version: values['version'] === true };
}

/** `immediate` or `polls:N` (N >= 1), for --job-progression and --operation-progression. */
function progression(flag: string, text: string | undefined): EmulatorConfig['jobProgression'] | undefined {
  if (text === undefined) return undefined;
  const m = /^polls:(\d+)$/.exec(text);
  if (text === 'immediate') return { mode: 'immediate' };
  if (m && Number(m[1]) >= 1) return { mode: 'polls', pollsPerState: Number(m[1]) };
  throw new UsageError(`--${flag} must be immediate or polls:N (N >= 1), not ${JSON.stringify(text)}`);
}

function portNumber(flag: string, text: string): number {
  if (!/^\d{1,5}$/.test(text) || Number(text) > 65535) throw new UsageError(`${flag} must be a port number from 0 to 65535, not ${JSON.stringify(text)}`);
  return Number(text);
}

export function usage(): string {
  const lines = [
    `Usage: ams-emulator [options]`,
    '',
    'An offline emulator of the Azure Media Services v2 REST API (storage encryption), with an',
    'embedded Azurite for the media bytes.',
    '',
    'Options (each also an environment variable):',
  ];
  for (const f of FLAGS) {
    const left = `  --${f.flag}${f.value ? ` ${f.value}` : ''}`;
    lines.push(`${left.padEnd(40)} ${f.description}`);
    lines.push(`${''.padEnd(40)}   [${f.env}]`);
  }
  lines.push(`${'  -h, --help'.padEnd(40)} this text`, `${'  -v, --version'.padEnd(40)} the version`);
  return lines.join('\n');
}

/** The start-up banner: everything a user needs to point a client at the emulator. */
export function banner(emulator: RunningEmulator): string {
  const base = emulator.baseUrl;
  const data = emulator.config.location ?? 'in memory (nothing is written to disk)';
  const where = emulator.config.embeddedAzurite === 'child-process' ? 'its own process' : 'in process';
  const storage = emulator.storage.embeddedAzuriteUrl ? `embedded Azurite ${emulator.storage.embeddedAzuriteUrl} (${where})` : `external ${emulator.storage.blobEndpoint}`;
  return [
    `${EMULATOR_NAME} ${EMULATOR_VERSION}`,
    `  API:                  ${emulator.url}`,
    `  Token endpoints:      ${base}v2/OAuth2-13 (ACS)`,
    `                        ${base}${DEV_TENANT}/oauth2/token (Azure AD v1, resource=https://rest.media.azure.net)`,
    `                        ${base}${DEV_TENANT}/oauth2/v2.0/token (Azure AD v2, scope=https://rest.media.azure.net/.default)`,
    `  Dev credentials:      client_id=${DEV_CLIENT_ID} client_secret=${DEV_CLIENT_SECRET}`,
    `  Protection key id:    ${emulator.protectionKeyId}`,
    `  Key delivery:         ${base}keydelivery/?KID=<key guid> (AES-128 envelope keys; GetKeyDeliveryUrl)`,
    `  Storage:              ${storage}`,
    `  Storage connection:   ${emulator.storage.connectionString}`,
    `  Data directory:       ${data}`,
    `  Mode:                 ${emulator.config.strict ? 'strict' : 'compat'}, auth ${emulator.config.auth}`,
    `  Encoders:             ${emulator.config.ffmpegPath ? `transcode with ${emulator.config.ffmpegPath} (--ffmpeg-transcode)` : 'simulated: media files are copies of the input'}`,
    `  Health:               ${base}_emulator/health`,
    `  Dashboard:            ${base}_emulator/ui`,
    ...exposureWarning(emulator),
    '',
  ].join('\n');
}

/**
 * Beyond loopback, anyone who can reach the machine can use the emulator: /api in --auth any mode
 * takes any token, /_emulator has no auth, and Azurite's account key is the well-known dev key.
 */
function exposureWarning(emulator: RunningEmulator): string[] {
  if (!listensBeyondLoopback(emulator.config.host)) return [];
  const azurite = emulator.storage.embeddedAzuriteUrl ? ` and the embedded Azurite (well-known dev account key) on ${emulator.config.host}` : '';
  return [
    '',
    `  WARNING: listening on ${emulator.config.host}, beyond loopback: the API${azurite} can be reached by other machines.`,
    `           /_emulator (reset, state, findings) has no auth; the API takes ${emulator.config.auth === 'strict' ? 'only the dev credentials' : emulator.config.auth === 'none' ? 'requests without a token' : 'any token'} (--auth ${emulator.config.auth}).`,
    '           Use --host 127.0.0.1 unless other machines must reach it, and only on a network you trust.',
  ];
}

export async function main(argv: readonly string[], env: NodeJS.ProcessEnv): Promise<number> {
  let parsed;
  try {
    parsed = configFromArgs(argv, env);
  } catch (err) {
    if (err instanceof UsageError) {
      process.stderr.write(`ams-emulator: ${err.message}; run ams-emulator --help for the options\n`);
      return 2;
    }
    throw err;
  }
  if (parsed.help) {
    process.stdout.write(`${usage()}\n`);
    return 0;
  }
  if (parsed.version) {
    process.stdout.write(`${EMULATOR_VERSION}\n`);
    return 0;
  }
  let emulator: RunningEmulator;
  let azuriteChild: ForkedAzurite | undefined;
  try {
    // The embedded Azurite's child first, then the server's modules: the child loads Azurite's
    // modules on the other core meanwhile (it opens the data directory only once the store holds
    // its lock). Together they are most of a start-up.
    azuriteChild = forkAhead(parsed.config);
    // Likewise a first start-up's protection key pair (a quarter of a second of RSA), on the thread
    // pool while the main thread loads the server; only written once the store holds the lock.
    const keys = await import('./secrets/key-pair.js');
    const protectionKeyPair = keys.willCreateProtectionKey(parsed.config.location) ? keys.generateProtectionKeyPair() : undefined;
    const { startEmulator } = await import('./server.js');
    emulator = await startEmulator(parsed.config, { ...(azuriteChild ? { azuriteChild } : {}), ...(protectionKeyPair ? { protectionKeyPair } : {}) });
  } catch (err) {
    azuriteChild?.discard();
    process.stderr.write(`ams-emulator: ${(err as Error).message}\n`);
    if (env['AMS_DEBUG'] === '1') process.stderr.write(`${(err as Error).stack}\n`);
    return 1;
  }
  // Listen for the stop signal before the banner is out: a supervisor may send SIGTERM the moment
  // it reads the banner, and without a handler Node dies on the spot, skipping close().
  const stopped = new Promise<void>((resolveStop) => {
    const stop = () => resolveStop();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  process.stdout.write(banner(emulator));
  await stopped;
  await emulator.close();
  return 0;
}

/** The embedded Azurite's child, when the config runs one; startEmulator forks its own if this cannot (and says why). */
function forkAhead(config: Partial<EmulatorConfig>): ForkedAzurite | undefined {
  if (config.storageConnectionString || config.embeddedAzurite !== 'child-process') return undefined;
  try {
    return forkAzuriteProcess();
  } catch {
    return undefined;
  }
}

function isMain(): boolean {
  try {
    return process.argv[1] !== undefined && realpathSync(process.argv[1]) === realpathSync(fileURLToPath(import.meta.url));
  } catch {
    return false;
  }
}

if (isMain()) {
  main(process.argv.slice(2), process.env).then(
    (code) => process.exit(code),
    (err: unknown) => {
      process.stderr.write(`ams-emulator: ${(err as Error)?.message ?? String(err)}\n`);
      process.exit(1);
    },
  );
}
