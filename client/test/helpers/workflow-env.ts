import { createCipheriv, createHash } from 'node:crypto';
import { Readable, Writable } from 'node:stream';
import { startTestAzurite, type TestAzurite } from '../../../test/support/azurite.js';
import { AmsClient } from '../../src/rest/index.js';
import { startFakeAms, type FakeAms } from './fake-ams.js';
import { startStorageProxy, type StorageProxy } from './storage-proxy.js';

/** Azurite, a storage proxy in front of it, and the fake AMS handing out blob URLs through the proxy. */
export interface WorkflowEnv {
  azurite: TestAzurite;
  proxy: StorageProxy;
  ams: FakeAms;
  client: AmsClient;
  stop(): Promise<void>;
}

export async function startWorkflowEnv(): Promise<WorkflowEnv> {
  const azurite = await startTestAzurite();
  const proxy = await startStorageProxy(azurite.url);
  const ams = await startFakeAms(azurite.connectionString, { blobOrigin: proxy.origin });
  const client = new AmsClient({ endpoint: ams.endpoint, auth: { kind: 'static', token: 'test' }, retry: { baseDelayMs: 1, maxDelayMs: 10 } });
  return {
    azurite,
    proxy,
    ams,
    client,
    stop: async () => {
      await ams.close();
      await proxy.close();
      await azurite.stop();
    },
  };
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
