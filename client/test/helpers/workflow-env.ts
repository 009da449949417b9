import { createCipheriv, createHash } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable, Writable } from 'node:stream';
import { BlobServiceClient, type ContainerClient } from '@azure/storage-blob';
import { startTestAzurite, type TestAzurite } from '../../../test/support/azurite.js';
import { startTestEmulator, type TestEmulator } from '../../../test/support/emulator.js';
import { AmsClient } from '../../src/rest/index.js';
import { emulatorAdmin, type FaultView, type RequestView } from './emulator-admin.js';
import { startStorageProxy, type StorageProxy } from './storage-proxy.js';

/**
 * Azurite, a storage proxy in front of it (to count, delay or fail blob requests), and the emulator
 * in process on that Azurite, handing out blob URLs through the proxy. What the tests learn about
 * the service side comes from the emulator's documented surfaces: its API, `/_emulator/...` and its
 * debug log.
 */
export interface WorkflowEnv {
  azurite: TestAzurite;
  proxy: StorageProxy;
  emu: TestEmulator;
  client: AmsClient;
  /** The API calls the emulator answered (`/_emulator/requests`, a ring of the last 200), oldest first. */
  calls(): Promise<RequestView[]>;
  clearCalls(): Promise<void>;
  /** Full URLs (path and query) of every request so far, from the emulator's debug log (`/_emulator/requests` keeps no query). */
  callUrls(): Promise<string[]>;
  /** `POST /_emulator/faults`: one rule (method, entity, path, status, message, count, latencyMs). */
  addFault(rule: Record<string, unknown>): Promise<FaultView>;
  faults(): Promise<FaultView[]>;
  clearFaults(): Promise<void>;
  /** The id of the asset created last (`/_emulator/state` lists entities in creation order). */
  newestAssetId(): Promise<string>;
  /** The locators and access policies the service still holds: write access not yet revoked. */
  writeAccessLeft(): Promise<{ locators: unknown[]; accessPolicies: unknown[] }>;
  /** The clear content key, from the service: RebindContentKey with an empty certificate. */
  clearKey(contentKeyId: string): Promise<Buffer>;
  /** The asset's container through the account key (independent of any SAS), named by its Uri. */
  container(assetId: string): Promise<ContainerClient>;
  stop(): Promise<void>;
}

export async function startWorkflowEnv(): Promise<WorkflowEnv> {
  const azurite = await startTestAzurite();
  const proxy = await startStorageProxy(azurite.url);
  const logDir = await mkdtemp(join(tmpdir(), 'ams-client-workflow-log-'));
  const debugFile = join(logDir, 'debug.jsonl');
  const emu = await startTestEmulator({
    storageConnectionString: azurite.connectionString,
    // The SAS signature does not cover the host, so the proxy's origin can stand in for Azurite's.
    publicBlobEndpoint: `${proxy.origin}${new URL(azurite.storage.blobEndpoint).pathname}`,
    debugFile,
  });
  const admin = emulatorAdmin(emu);
  const client = new AmsClient({ endpoint: emu.url, auth: { kind: 'static', token: 'test' }, retry: { baseDelayMs: 1, maxDelayMs: 10 } });
  const blobService = BlobServiceClient.fromConnectionString(emu.emulator.storage.connectionString);
  return {
    azurite,
    proxy,
    emu,
    client,
    calls: async () => (await admin<{ requests: RequestView[] }>('GET', 'requests')).requests.filter((r) => r.path.startsWith('/api/')),
    clearCalls: () => admin('DELETE', 'requests'),
    callUrls: async () => (await readDebugLog(debugFile)).map((entry) => entry.url),
    addFault: async (rule) => (await admin<{ faults: FaultView[] }>('POST', 'faults', rule)).faults[0]!,
    faults: async () => (await admin<{ faults: FaultView[] }>('GET', 'faults')).faults,
    clearFaults: () => admin('DELETE', 'faults'),
    newestAssetId: async () => {
      const { state } = await admin<{ state: { assets?: Array<{ Id: string }> } }>('GET', 'state');
      const newest = state.assets?.at(-1);
      if (!newest) throw new Error('the emulator holds no asset');
      return newest.Id;
    },
    writeAccessLeft: async () => {
      const { state } = await admin<{ state: Record<string, unknown[]> }>('GET', 'state');
      return { locators: state['locators'] ?? [], accessPolicies: state['accessPolicies'] ?? [] };
    },
    clearKey: async (contentKeyId) => Buffer.from(await client.rebindContentKey(contentKeyId, ''), 'base64'),
    container: async (assetId) => blobService.getContainerClient(containerOf((await client.getAsset(assetId)).Uri)),
    stop: async () => {
      await emu.close();
      await proxy.close();
      await azurite.stop();
      await rm(logDir, { recursive: true, force: true });
    },
  };
}

/** The container an asset `Uri` names: its last path segment. */
function containerOf(assetUri: string | null | undefined): string {
  const name = new URL(String(assetUri)).pathname.split('/').filter(Boolean).at(-1);
  if (name === undefined) throw new Error(`asset Uri ${String(assetUri)} names no container`);
  return name;
}

/** `size` reproducible pseudo-random bytes for `seed` (an AES-CTR keystream: fast for megabytes). */
export function bytesFor(seed: number, size: number): Buffer {
  const key = createHash('sha256').update(`seed:${seed}`).digest().subarray(0, 16);
  return createCipheriv('aes-128-ctr', key, Buffer.alloc(16)).update(Buffer.alloc(size));
}

/** A stream delivering `data` in chunks of `chunkSize` (not aligned to anything). */
export function streamOf(data: Buffer, chunkSize = 65_536): Readable {
  let offset = 0;
  return new Readable({
    read() {
      if (offset >= data.length) {
        this.push(null);
        return;
      }
      this.push(data.subarray(offset, offset + chunkSize));
      offset += chunkSize;
    },
  });
}

/** A Writable that keeps what it receives. */
export function collector(): { stream: Writable; bytes(): Buffer } {
  const chunks: Buffer[] = [];
  return {
    stream: new Writable({
      write(chunk: Buffer, _encoding, callback) {
        chunks.push(chunk);
        callback();
      },
    }),
    bytes: () => Buffer.concat(chunks),
  };
}

export function md5Hex(data: Uint8Array): string {
  return createHash('md5').update(data).digest('hex');
}

/** The emulator's debug log, one JSON object a line; no file yet means no request yet. */
async function readDebugLog(file: string): Promise<Array<{ url: string }>> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
  return text.split('\n').filter(Boolean).map((line) => JSON.parse(line) as { url: string });
}
