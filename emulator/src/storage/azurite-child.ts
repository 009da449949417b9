/**
 * The entry point of an Azurite child process (see azurite-process.ts): starts the embedded blob
 * service in this process, reports its address to the parent over IPC, and stops it cleanly when
 * the parent asks or goes away, so Azurite saves its metadata even when the emulator is killed.
 */
import { startEmbeddedAzurite, type StartEmbeddedAzuriteOptions, type StartedEmbeddedAzurite } from './azurite.js';
import { loadAzurite } from './azurite-modules.js';

export type ParentMessage = { kind: 'start'; options: StartEmbeddedAzuriteOptions } | { kind: 'stop' };
export type ChildMessage =
  | { kind: 'ready'; url: string; host: string; port: number; blobEndpoint: string; queuePort: number; queueEndpoint: string; accountName: string; connectionString: string; location?: string }
  | { kind: 'error'; message: string }
  | { kind: 'stopped' };

let running: StartedEmbeddedAzurite | undefined;
let stopping = false;

async function stopAndExit(code: number): Promise<void> {
  if (stopping) return;
  stopping = true;
  try {
    await running?.stop();
    send({ kind: 'stopped' });
  } finally {
    process.exit(code);
  }
}

function send(message: ChildMessage): void {
  if (process.connected) process.send?.(message);
}

process.on('message', (message: ParentMessage) => {
  if (message.kind === 'stop') {
    void stopAndExit(0);
    return;
  }
  startEmbeddedAzurite(message.options).then(
    (azurite) => {
      running = azurite;
      send({ kind: 'ready', url: azurite.url, host: azurite.host, port: azurite.port, blobEndpoint: azurite.blobEndpoint, queuePort: azurite.queuePort, queueEndpoint: azurite.queueEndpoint, accountName: azurite.accountName, connectionString: azurite.connectionString, location: azurite.location });
    },
    (err: unknown) => {
      send({ kind: 'error', message: (err as Error).message });
      void stopAndExit(1);
    },
  );
});

// The parent went away (exited, crashed, was killed): stop cleanly rather than hold the port.
process.on('disconnect', () => void stopAndExit(0));
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => void stopAndExit(0));

// Azurite's modules now, before the start message: the parent forks this child early in its own
// start-up (forkAzuriteProcess), so both load their modules at once; 'start' then only opens the
// data and listens. A module that cannot load is reported by the start that needs it.
try {
  loadAzurite();
} catch {
  // startEmbeddedAzurite() loads them again and sends the error.
}
