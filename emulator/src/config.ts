import { DEFAULT_MAX_STATE_CHARS } from './store/state-store.js';

/**
 * Everything `startEmulator` needs, typed, with the defaults the CLI documents. The CLI maps flags
 * and environment variables onto this; tests pass it directly.
 */
export type AuthMode = 'any' | 'strict' | 'none';

export interface EmulatorConfig {
  /** Interface to listen on; loopback unless told otherwise. */
  host: string;
  /** 0 = any free port. */
  port: number;
  /** State directory (state file, journal, lock, protection key, token key); undefined = in memory. */
  location?: string;
  /** Move a corrupt or unknown-version state file aside instead of refusing to start. */
  moveCorruptStateAside: boolean;
  /** Use this storage account instead of an embedded Azurite. */
  storageConnectionString?: string;
  /**
   * How long start-up waits for that storage account to answer before giving up (0 = one try).
   * The CLI waits 60 s: in compose or CI, storage may start after the emulator.
   */
  storageWaitMs: number;
  /**
   * The blob endpoint clients should use, when it differs from the one the emulator reaches storage
   * at (Docker: the emulator talks to `http://azurite:10000`, clients on the host to 127.0.0.1).
   * Asset `Uri` and locator `BaseUri`/`Path` use it; SAS signatures do not depend on the host.
   */
  publicBlobEndpoint?: string;
  /** Port of the embedded Azurite (0 = any free port). */
  azuritePort: number;
  /**
   * Where the embedded Azurite runs: in this process (fast to start: tests), or in a child process
   * of its own (the CLI's default: Azurite's work does not share the emulator's event loop, and
   * Azurite still shuts down cleanly when the emulator is killed).
   */
  embeddedAzurite: 'in-process' | 'child-process';
  /** Refuse (400/409) what compat mode accepts and records as a finding. */
  strict: boolean;
  auth: AuthMode;
  /** No access log on stdout. */
  silent: boolean;
  /** Append a debug log (requests, responses, storage calls) to this file. */
  debugFile?: string;
  /** HTTPS with this certificate and key (PEM files). */
  tls?: { certFile: string; keyFile: string };
  limits: EmulatorLimits;
  /** How jobs progress: at once, or one state per N polls of the job. */
  jobProgression: { mode: 'immediate' } | { mode: 'polls'; pollsPerState: number };
  /** How asynchronous operations (StreamingEndpoint Start, Stop, Scale...) complete: at once, or on the N-th poll of the operation. */
  operationProgression: { mode: 'immediate' } | { mode: 'polls'; pollsPerState: number };
  /** Size of the `/_emulator/requests` ring buffer. */
  requestLogSize: number;
  /** Seed for the ids the emulator generates (deterministic ids for snapshot tests); undefined = random. */
  idSeed?: number;
  /**
   * The ffmpeg binary the simulated encoders transcode with (`--ffmpeg-transcode`); undefined =
   * they copy the input under each output name. Checked at start-up: one that does not run fails it.
   */
  ffmpegPath?: string;
}

export interface EmulatorLimits {
  /** Request body bytes (after decompression). */
  maxBodyBytes: number;
  /** Entities per response page (the service's cap). */
  maxPageSize: number;
  /** Bytes of one response body (a `$batch`'s queries together): past it, 400 rather than a page too big to build. */
  maxResponseBytes: number;
  /** Files per asset. */
  maxFilesPerAsset: number;
  /**
   * The account's encoding reserved units until a client changes them (EncodingReservedUnitTypes):
   * how many jobs do their work at once; the others wait in Scheduled. Each running job holds a
   * few blocks in memory and its share of the CPU.
   */
  maxRunningJobs: number;
  /** Nesting depth of JSON and XML bodies. */
  maxBodyDepth: number;
  /** Time for a request before the emulator answers 503 rather than hang. */
  requestTimeoutMs: number;
  /** Time for one verification run before it is recorded as timed out rather than left pending. */
  verifyTimeoutMs: number;
  /** Largest blob a diagnosis decrypts again in full; above it, only the first bytes are tried under each hypothesis. */
  verifyMaxRestreamBytes: number;
  /** Total bytes (blob bytes x hypotheses) one diagnosis may decrypt. */
  verifyMaxDiagnosisBytes: number;
  /** Hypotheses a diagnosis decrypts side by side in one pass over the blob. */
  verifyLanesPerPass: number;
  /** Other content keys and other files' IVs a diagnosis tries, each. */
  verifyMaxAlternatives: number;
  /** After the data directory could not be written, how long before the store tries it again (also the 503's Retry-After). */
  storeRetryMs: number;
  /** Characters the stored records may take in a snapshot; a change past it is refused with 507 (keeps the state saveable). */
  maxStateChars: number;
  /** Wait before the first retry of a failed notification delivery; doubled per try, at most 60 s. */
  notificationRetryMs: number;
  /** Tries per notification (the first included) before it is marked failed and the next one goes. */
  notificationMaxAttempts: number;
}

export const DEFAULT_LIMITS: EmulatorLimits = {
  maxBodyBytes: 4 * 1024 * 1024,
  maxPageSize: 1000,
  maxResponseBytes: 64 * 1024 * 1024,
  maxFilesPerAsset: 10_000,
  maxRunningJobs: 2,
  maxBodyDepth: 32,
  requestTimeoutMs: 30_000,
  verifyTimeoutMs: 300_000,
  verifyMaxRestreamBytes: 256 * 1024 * 1024,
  verifyMaxDiagnosisBytes: 4 * 1024 * 1024 * 1024,
  verifyLanesPerPass: 8,
  verifyMaxAlternatives: 32,
  storeRetryMs: 2000,
  maxStateChars: DEFAULT_MAX_STATE_CHARS,
  notificationRetryMs: 1000,
  notificationMaxAttempts: 8,
};

export const DEFAULT_API_PORT = 10010;
export const DEFAULT_AZURITE_PORT = 10000;
/** The CLI's wait at start-up for a `--storage-connection-string` account that is not up yet. */
export const DEFAULT_CLI_STORAGE_WAIT_SECONDS = 60;

export function defaultConfig(overrides: Partial<EmulatorConfig> = {}): EmulatorConfig {
  return {
    host: '127.0.0.1',
    port: DEFAULT_API_PORT,
    moveCorruptStateAside: false,
    storageWaitMs: 0,
    azuritePort: DEFAULT_AZURITE_PORT,
    embeddedAzurite: 'in-process',
    strict: false,
    auth: 'any',
    silent: false,
    requestLogSize: 200,
    jobProgression: { mode: 'immediate' },
    operationProgression: { mode: 'immediate' },
    ...overrides,
    limits: { ...DEFAULT_LIMITS, ...overrides.limits },
  };
}
