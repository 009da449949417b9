import { fork, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { StartEmbeddedAzuriteOptions, StartedEmbeddedAzurite } from './azurite.js';
import type { ChildMessage, ParentMessage } from './azurite-child.js';

const CHILD = fileURLToPath(new URL('./azurite-child.js', import.meta.url));
const START_TIMEOUT_MS = 30_000;
const STOP_TIMEOUT_MS = 10_000;

/** How an Azurite child process ended. */
export interface AzuriteExit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/** An Azurite in a child process: its pid, and when (and how) it ended, stopped or not. */
export interface AzuriteProcess extends StartedEmbeddedAzurite {
  readonly pid: number;
  /** Settles once the child has exited, whether `stop()` ended it or something else did (kill -9, a crash). */
  readonly exited: Promise<AzuriteExit>;
}

/**
 * The embedded Azurite in a child process of its own. The emulator's event loop then does not
 * share a core with Azurite's (a 1 GiB upload or a verification no longer stalls the API, and
 * POST Assets runs at Azurite's own create-container rate), and when the emulator is killed the
 * child notices the closed IPC channel and stops Azurite cleanly, saving its metadata.
 */
export async function startAzuriteProcess(options: StartEmbeddedAzuriteOptions): Promise<AzuriteProcess> {
  return forkAzuriteProcess().start(options);
}

/** A forked Azurite child that has not been told to start yet. */
export interface ForkedAzurite {
  readonly pid: number;
  /** Start Azurite in it (once): listen, and open `options.location`. */
  start(options: StartEmbeddedAzuriteOptions): Promise<AzuriteProcess>;
  /** End it unused (a start-up that failed first, or chose other storage). */
  discard(): void;
}

/**
 * Forks the Azurite child now; it loads Azurite's modules (most of its ~0.7 s start) at once but
 * opens no data until `start()`. A start-up forks it before loading its own modules, so the two
 * loads run side by side on two cores, and starts it once the data directory's lock is held.
 */
export function forkAzuriteProcess(): ForkedAzurite {
  // The child is compiled code: from TypeScript sources (vitest) there is no .js to fork.
  if (!existsSync(CHILD)) throw new Error(`the Azurite child process needs the built emulator (${CHILD} is missing): run npm run build, or use the in-process Azurite`);
  // execArgv: []: the parent's node flags (--input-type, loaders, profilers) are not the child's.
  const child = fork(CHILD, [], { stdio: ['ignore', 'ignore', 'pipe', 'ipc'], serialization: 'advanced', execArgv: [] });
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => {
    stderr = (stderr + d.toString()).slice(-4000);
  });
  const exited = new Promise<AzuriteExit>((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  // Until start(), nothing here may keep the emulator's process alive.
  child.unref();
  child.channel?.unref();
  let started = false;
  return {
    pid: child.pid!,
    discard() {
      if (!started && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    },
    start(options) {
      if (started) return Promise.reject(new Error('this Azurite child was already started'));
      started = true;
      return startForked(child, exited, () => stderr, options);
    },
  };
}

async function startForked(child: ChildProcess, exited: Promise<AzuriteExit>, stderr: () => string, options: StartEmbeddedAzuriteOptions): Promise<AzuriteProcess> {
  if (options.accessLog) {
    child.kill('SIGKILL');
    throw new Error('an access-log stream cannot be handed to an Azurite child process');
  }
  child.ref();
  child.channel?.ref();
  let timer: NodeJS.Timeout | undefined;
  const starting = new Promise<Extract<ChildMessage, { kind: 'ready' }>>((resolve, reject) => {
    timer = setTimeout(() => reject(new Error(`Azurite did not start within ${START_TIMEOUT_MS / 1000} s`)), START_TIMEOUT_MS);
    child.on('message', (message: ChildMessage) => {
      if (message.kind === 'ready') resolve(message);
      if (message.kind === 'error') reject(new Error(message.message));
    });
    void exited.then(({ code, signal }) => {
      const last = stderr().trim().split('\n').at(-1);
      reject(new Error(`the Azurite process exited (${signal ?? code}) before it was ready${last ? `: ${last}` : ''}`));
    });
    if (child.connected) child.send({ kind: 'start', options } satisfies ParentMessage);
  });
  let ready: Extract<ChildMessage, { kind: 'ready' }>;
  try {
    ready = await starting;
  } catch (err) {
    child.kill('SIGKILL');
    await exited;
    throw err;
  } finally {
    clearTimeout(timer);
  }
  // The emulator must be able to exit while its Azurite runs; `stop()` ends both.
  child.unref();
  child.channel?.unref();
  let stopping: Promise<void> | undefined;
  return {
    pid: child.pid!,
    exited,
    url: ready.url,
    host: ready.host,
    port: ready.port,
    blobEndpoint: ready.blobEndpoint,
    queuePort: ready.queuePort,
    queueEndpoint: ready.queueEndpoint,
    accountName: ready.accountName,
    connectionString: ready.connectionString,
    ...(ready.location !== undefined ? { location: ready.location } : {}),
    stop() {
      stopping ??= stopChild(child, exited);
      return stopping;
    },
  };
}

async function stopChild(child: ChildProcess, exited: Promise<AzuriteExit>): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.send({ kind: 'stop' } satisfies ParentMessage);
  const timer = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS);
  await exited;
  clearTimeout(timer);
}
