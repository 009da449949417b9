/**
 * A pass-through HTTP proxy in front of Azurite that can hold one storage request until the test
 * lets it go. The emulator awaits storage in the middle of some requests (a SAS locator's stored
 * policy, CreateFileInfos' listing, --strict's read-back); holding that call opens the window
 * deterministically, so a test can run a conflicting request inside it instead of hoping a race
 * lands there.
 *
 *   const gate = await startStorageGate(azurite.url);
 *   const held = gate.holdNext((r) => r.method === 'PUT' && r.url.includes('comp=acl'));
 *   const locator = ams('POST', 'Locators', ...);   // stops at its storage call
 *   await held.reached;
 *   await ams('DELETE', entityPath('AccessPolicies', id));
 *   held.release();
 */
import { createServer, request, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { azuriteConnectionString } from '../../src/storage/connection-string.js';

export interface StorageRequest {
  method: string;
  /** Path and query as sent, e.g. `/devstoreaccount1/asset-x?restype=container&comp=acl`. */
  url: string;
}

export interface HeldRequest {
  /** Resolves when a matching request arrived and is being held. */
  readonly reached: Promise<StorageRequest>;
  /** Forward it (and stop holding); before it arrived: hold nothing. */
  release(): void;
}

/**
 * `request`: storage has not seen it yet. `response`: storage has done it, the answer waits (the
 * emulator's handler is between the storage call and whatever it does with the result).
 */
export type HoldPhase = 'request' | 'response';

export interface StorageGate {
  /** The Azurite account through this proxy. */
  readonly connectionString: string;
  /** Hold the next request that matches, once. */
  holdNext(matches: (request: StorageRequest) => boolean, phase?: HoldPhase): HeldRequest;
  close(): Promise<void>;
}

interface Hold {
  matches(request: StorageRequest): boolean;
  phase: HoldPhase;
  arrived(request: StorageRequest): void;
  released: Promise<void>;
}

export async function startStorageGate(azuriteUrl: string): Promise<StorageGate> {
  const target = new URL(azuriteUrl);
  const holds: Hold[] = [];
  const server: Server = createServer((req, res) => {
    const seen: StorageRequest = { method: req.method ?? 'GET', url: req.url ?? '/' };
    const index = holds.findIndex((h) => h.matches(seen));
    const hold = index >= 0 ? holds.splice(index, 1)[0] : undefined;
    if (hold?.phase !== 'response') hold?.arrived(seen);
    const before = hold?.phase === 'request' ? hold.released : Promise.resolve();
    void before.then(() =>
      forward(req, res, async () => {
        if (hold?.phase !== 'response') return;
        hold.arrived(seen);
        await hold.released;
      }),
    );
  });
  const forward = (req: IncomingMessage, res: ServerResponse, beforeAnswer: () => Promise<void>) => {
    const upstream = request(
      { host: target.hostname, port: target.port, method: req.method, path: req.url, headers: req.headers },
      (answer) => {
        // Read the whole answer first: storage has finished the operation before it is held.
        const chunks: Buffer[] = [];
        answer.on('data', (chunk: Buffer) => chunks.push(chunk));
        answer.on('end', () => {
          void beforeAnswer().then(() => {
            res.writeHead(answer.statusCode ?? 502, answer.headers);
            res.end(Buffer.concat(chunks));
          });
        });
      },
    );
    upstream.on('error', () => res.destroy());
    req.pipe(upstream);
  };
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    connectionString: azuriteConnectionString(url),
    holdNext(matches, phase = 'request') {
      let arrived!: (request: StorageRequest) => void;
      let release!: () => void;
      const reached = new Promise<StorageRequest>((resolve) => (arrived = resolve));
      const released = new Promise<void>((resolve) => (release = resolve));
      const hold: Hold = { matches, phase, arrived, released };
      holds.push(hold);
      return {
        reached,
        release() {
          const waiting = holds.indexOf(hold);
          if (waiting >= 0) holds.splice(waiting, 1);
          release();
        },
      };
    },
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
