import type { StartEmbeddedAzuriteOptions, StartedEmbeddedAzurite } from './azurite.js';
import { startAzuriteProcess, type AzuriteExit, type AzuriteProcess, type ForkedAzurite } from './azurite-process.js';

/** First wait before restarting a dead Azurite child; doubled after each failed start. */
export const RESTART_FIRST_DELAY_MS = 1_000;
/** The longest wait between two restart attempts. */
export const RESTART_MAX_DELAY_MS = 30_000;
/**
 * A child that ran this long before it died was not crash-looping: the next restart starts again
 * from the first delay rather than from where an earlier crash loop left off.
 */
export const RESTART_STABLE_MS = 60_000;

/** What `/_emulator/health` reports about the embedded Azurite child. */
export interface AzuriteChildStatus {
  /** running: serving; restarting: dead, a new child is being started; stopped: the emulator is shutting down. */
  state: 'running' | 'restarting' | 'stopped';
  /** The current child's pid (while running). */
  pid?: number;
  /** Children started after the first one. */
  restarts: number;
  /** How the last child that died unasked ended. */
  lastExit?: { code: number | null; signal: string | null; at: string };
  /** Why the last restart attempt failed, while restarting. */
  lastError?: string;
  /** When the next restart attempt is due, while restarting. */
  nextAttemptAt?: string;
}

export interface SupervisedAzurite extends StartedEmbeddedAzurite {
  status(): AzuriteChildStatus;
}

export interface SupervisorOptions {
  /** One line for the operator (the CLI writes it to stderr). */
  log(message: string): void;
  /** Replaceable for tests of the schedule; the real one forks the child. */
  start?: (options: StartEmbeddedAzuriteOptions) => Promise<AzuriteProcess>;
  /** A child forked ahead (forkAzuriteProcess) to start first; restarts fork their own. */
  forked?: ForkedAzurite;
}

/** The wait before restart attempt `attempt` (0-based) of one crash loop. */
export function restartDelayMs(attempt: number): number {
  return Math.min(RESTART_MAX_DELAY_MS, RESTART_FIRST_DELAY_MS * 2 ** Math.min(attempt, 30));
}

/**
 * The embedded Azurite child, kept running: when it dies without being asked (kill -9, a crash, the
 * OOM killer), a new one is started on the same port and data directory, so the connection string
 * the emulator and its clients hold stays valid and the blobs on disk are served again. Until then
 * storage calls fail with StorageUnavailableError, which clients see as 503 with Retry-After.
 */
export async function startSupervisedAzurite(options: StartEmbeddedAzuriteOptions, supervisor: SupervisorOptions): Promise<SupervisedAzurite> {
  const start = supervisor.start ?? startAzuriteProcess;
  const first = await (supervisor.forked ? supervisor.forked.start(options) : start(options));
  // Port 0 was resolved by the first child: every later one must listen where clients already point.
  const fixed: StartEmbeddedAzuriteOptions = { ...options, port: first.port, queuePort: first.queuePort };
  let current: AzuriteProcess = first;
  let startedAt = Date.now();
  let state: AzuriteChildStatus['state'] = 'running';
  let restarts = 0;
  let attempt = 0;
  let lastExit: AzuriteChildStatus['lastExit'];
  let lastError: string | undefined;
  let nextAttemptAt: number | undefined;
  let timer: NodeJS.Timeout | undefined;
  let starting: Promise<void> | undefined;
  let stopping: Promise<void> | undefined;

  const watch = (child: AzuriteProcess) => {
    void child.exited.then((exit) => {
      if (stopping !== undefined || child !== current) return;
      onUnexpectedExit(child, exit);
    });
  };

  const onUnexpectedExit = (child: AzuriteProcess, exit: AzuriteExit) => {
    lastExit = { code: exit.code, signal: exit.signal, at: new Date().toISOString() };
    state = 'restarting';
    if (Date.now() - startedAt >= RESTART_STABLE_MS) attempt = 0;
    supervisor.log(`the embedded Azurite (pid ${child.pid}) exited (${exit.signal ?? `code ${exit.code}`}); storage requests get 503 until it is back`);
    schedule();
  };

  const schedule = () => {
    const delay = restartDelayMs(attempt);
    nextAttemptAt = Date.now() + delay;
    supervisor.log(`restarting the embedded Azurite on port ${first.port} in ${delay / 1000} s`);
    timer = setTimeout(() => {
      timer = undefined;
      starting = tryRestart().finally(() => (starting = undefined));
    }, delay);
    // A pending restart must not keep a finished emulator alive.
    timer.unref();
  };

  const tryRestart = async () => {
    let child: AzuriteProcess;
    try {
      child = await start(fixed);
    } catch (err) {
      if (stopping !== undefined) return;
      attempt++;
      lastError = (err as Error).message;
      supervisor.log(`the embedded Azurite could not be restarted: ${lastError}`);
      schedule();
      return;
    }
    if (stopping !== undefined) {
      await child.stop();
      return;
    }
    current = child;
    startedAt = Date.now();
    state = 'running';
    restarts++;
    // If this child dies soon too, the next restart waits longer: a crash loop backs off.
    attempt++;
    lastError = undefined;
    nextAttemptAt = undefined;
    supervisor.log(`the embedded Azurite is back (pid ${child.pid}, restart ${restarts})`);
    watch(child);
  };

  watch(first);
  return {
    url: first.url,
    host: first.host,
    port: first.port,
    blobEndpoint: first.blobEndpoint,
    queuePort: first.queuePort,
    queueEndpoint: first.queueEndpoint,
    accountName: first.accountName,
    connectionString: first.connectionString,
    ...(first.location !== undefined ? { location: first.location } : {}),
    status() {
      return {
        state,
        ...(state === 'running' ? { pid: current.pid } : {}),
        restarts,
        ...(lastExit ? { lastExit } : {}),
        ...(state === 'restarting' && lastError !== undefined ? { lastError } : {}),
        ...(state === 'restarting' && nextAttemptAt !== undefined ? { nextAttemptAt: new Date(nextAttemptAt).toISOString() } : {}),
      };
    },
    stop() {
      stopping ??= (async () => {
        state = 'stopped';
        if (timer) clearTimeout(timer);
        await starting;
        await current.stop();
      })();
      return stopping;
    },
  };
}
