import { randomBytes, randomUUID } from 'node:crypto';
import { BlockBlobClient } from '@azure/storage-blob';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_STORED_POLICIES, SAS_VERSION } from '../../src/storage/blob-storage.js';
import { StorageRequestError, type BlobStorage } from '../../src/storage/types.js';
import { startTestAzurite, type TestAzurite } from '../../../test/support/azurite.js';

/**
 * The upload and download half of the AMS workflow: the emulator creates a SAS locator (a stored
 * access policy named after the locator id, and a container SAS bound to it) and the client talks
 * to storage directly with `<Path>/<file>?<sas>`, as the .NET, Java and node clients did.
 */

let azurite: TestAzurite;
let storage: BlobStorage;

beforeAll(async () => {
  azurite = await startTestAzurite();
  storage = azurite.storage;
});
afterAll(() => azurite.stop());

const hour = 60 * 60 * 1000;

async function newAsset(): Promise<string> {
  const container = `asset-${randomUUID()}`;
  await storage.createContainer(container);
  return container;
}

async function locator(container: string, permissions: string): Promise<{ id: string; sas: string; blobUrl: (name: string) => string }> {
  const id = randomUUID();
  const sas = await storage.createContainerSas(container, { identifier: id, permissions, startsOn: new Date(Date.now() - 5 * 60_000), expiresOn: new Date(Date.now() + hour) });
  return { id, sas, blobUrl: (name) => `${storage.containerUrl(container)}/${name}${sas}` };
}

async function bytesOf(container: string, blob: string): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of await storage.readBlob(container, blob)) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

describe('SAS shape', () => {
  it('is a container SAS bound to the stored policy, with the verified version and the leading "?"', async () => {
    const container = await newAsset();
    const { id, sas } = await locator(container, 'wl');
    expect(sas.startsWith('?')).toBe(true);
    const query = new URLSearchParams(sas.slice(1));
    expect(query.get('sv')).toBe(SAS_VERSION);
    expect(query.get('sr')).toBe('c');
    expect(query.get('si')).toBe(id);
    expect(query.get('sig')).toBeTruthy();
    // Permissions and expiry live in the stored policy, where deleting the locator can revoke them.
    expect(query.has('sp')).toBe(false);
    expect(query.has('se')).toBe(false);
  });

  it('refuses permission letters outside racwdl', async () => {
    const container = await newAsset();
    await expect(storage.createContainerSas(container, { identifier: randomUUID(), permissions: 'rx', expiresOn: new Date(Date.now() + hour) })).rejects.toBeInstanceOf(StorageRequestError);
  });

  it('refuses a policy on a missing container with 404', async () => {
    await expect(storage.createContainerSas(`asset-${randomUUID()}`, { identifier: randomUUID(), permissions: 'w', expiresOn: new Date(Date.now() + hour) })).rejects.toMatchObject({ statusCode: 404 });
  });
});

describe('upload through a write locator', () => {
  it('takes blocks (Put Block x3 + Put Block List) from the SDK', async () => {
    const container = await newAsset();
    const { blobUrl } = await locator(container, 'wl');
    const client = new BlockBlobClient(blobUrl('movie.mp4'));
    const blocks = [randomBytes(256 * 1024), randomBytes(256 * 1024 + 1), randomBytes(1000)];
    const ids = blocks.map((_, i) => Buffer.from(`block-${String(i).padStart(6, '0')}`).toString('base64'));
    for (const [i, block] of blocks.entries()) await client.stageBlock(ids[i]!, block, block.length);
    await client.commitBlockList(ids, { blobHTTPHeaders: { blobContentType: 'video/mp4' } });

    expect((await bytesOf(container, 'movie.mp4')).equals(Buffer.concat(blocks))).toBe(true);
    expect(await storage.getBlob(container, 'movie.mp4')).toMatchObject({ size: 256 * 1024 * 2 + 1 + 1000, contentType: 'video/mp4' });
  });

  it('takes a single-shot Put Blob from the SDK', async () => {
    const container = await newAsset();
    const { blobUrl } = await locator(container, 'w');
    const data = randomBytes(70_000);
    await new BlockBlobClient(blobUrl('single.bin')).upload(data, data.length);
    expect((await bytesOf(container, 'single.bin')).equals(data)).toBe(true);
  });

  for (const version of [undefined, '2011-08-18', '2009-09-19']) {
    it(`takes a raw PUT with ${version ? `x-ms-version ${version}` : 'no x-ms-version'} (old clients) and answers 201 with Last-Modified`, async () => {
      const container = await newAsset();
      const { blobUrl } = await locator(container, 'w');
      const data = randomBytes(12_345);
      const headers: Record<string, string> = { 'x-ms-blob-type': 'BlockBlob', 'content-type': 'application/octet-stream' };
      if (version) headers['x-ms-version'] = version;
      const response = await fetch(blobUrl('old-client.bin'), { method: 'PUT', headers, body: data });
      expect(response.status).toBe(201);
      // The legacy Java SDK throws a NullPointerException without it.
      expect(response.headers.get('last-modified')).toMatch(/GMT$/);
      expect((await bytesOf(container, 'old-client.bin')).equals(data)).toBe(true);
    });
  }
});

describe('download through a read locator', () => {
  it('serves whole blobs and ranges through the SDK and raw GETs', async () => {
    const container = await newAsset();
    const data = randomBytes(300 * 1024);
    await storage.uploadBlob(container, 'movie.mp4', data, 'video/mp4');
    const { blobUrl } = await locator(container, 'r');

    const sdk = new BlockBlobClient(blobUrl('movie.mp4'));
    expect((await sdk.downloadToBuffer()).equals(data)).toBe(true);
    expect((await sdk.downloadToBuffer(150 * 1024, 100 * 1024)).equals(data.subarray(150 * 1024, 250 * 1024))).toBe(true);

    const ranged = await fetch(blobUrl('movie.mp4'), { headers: { range: 'bytes=1000-5999' } });
    expect(ranged.status).toBe(206);
    expect(Buffer.from(await ranged.arrayBuffer()).equals(data.subarray(1000, 6000))).toBe(true);
    const plain = await fetch(blobUrl('movie.mp4'));
    expect(plain.status).toBe(200);
    expect(plain.headers.get('content-type')).toBe('video/mp4');
    expect(Buffer.from(await plain.arrayBuffer()).equals(data)).toBe(true);
  });

  it('refuses writes with a read-only locator (403)', async () => {
    const container = await newAsset();
    const { blobUrl } = await locator(container, 'r');
    const response = await fetch(blobUrl('nope.bin'), { method: 'PUT', headers: { 'x-ms-blob-type': 'BlockBlob' }, body: Buffer.from('x') });
    expect(response.status).toBe(403);
    await expect(new BlockBlobClient(blobUrl('nope.bin')).upload(Buffer.from('x'), 1)).rejects.toMatchObject({ statusCode: 403 });
    expect(await storage.getBlob(container, 'nope.bin')).toBeUndefined();
  });
});

describe('stored access policies', () => {
  it('removeStoredPolicy revokes the SAS, idempotently, and leaves the other locators working', async () => {
    const container = await newAsset();
    const revoked = await locator(container, 'w');
    const kept = await locator(container, 'w');
    const put = (url: string) => fetch(url, { method: 'PUT', headers: { 'x-ms-blob-type': 'BlockBlob' }, body: Buffer.from('data') });
    expect((await put(revoked.blobUrl('a.bin'))).status).toBe(201);

    await storage.removeStoredPolicy(container, revoked.id);
    expect((await put(revoked.blobUrl('b.bin'))).status).toBe(403);
    expect((await put(kept.blobUrl('c.bin'))).status).toBe(201);

    await storage.removeStoredPolicy(container, revoked.id);
    await storage.removeStoredPolicy(container, randomUUID());
    await storage.removeStoredPolicy(`asset-${randomUUID()}`, revoked.id);
  });

  it(`allows ${MAX_STORED_POLICIES} policies per container and refuses a 6th clearly; replacing one is fine`, async () => {
    const container = await newAsset();
    const locators = [];
    for (let i = 0; i < MAX_STORED_POLICIES; i++) locators.push(await locator(container, 'r'));

    const err = await storage.createContainerSas(container, { identifier: randomUUID(), permissions: 'r', expiresOn: new Date(Date.now() + hour) }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StorageRequestError);
    expect(err).toMatchObject({ statusCode: 409, code: 'TooManyStoredAccessPolicies' });
    expect((err as Error).message).toMatch(/already has 5 stored access policies/);

    // Re-issuing an existing identifier (e.g. with a new expiry) replaces it in place.
    const again = await storage.createContainerSas(container, { identifier: locators[0]!.id, permissions: 'rw', expiresOn: new Date(Date.now() + 2 * hour) });
    const response = await fetch(`${storage.containerUrl(container)}/replaced.bin${again}`, { method: 'PUT', headers: { 'x-ms-blob-type': 'BlockBlob' }, body: Buffer.from('x') });
    expect(response.status).toBe(201);

    await storage.removeStoredPolicy(container, locators[1]!.id);
    await expect(locator(container, 'r')).resolves.toBeDefined();
  });

  it('keeps every policy when locators are created concurrently on one container', async () => {
    const container = await newAsset();
    const created = await Promise.all(Array.from({ length: MAX_STORED_POLICIES }, () => locator(container, 'w')));
    for (const [i, { blobUrl }] of created.entries()) {
      const response = await fetch(blobUrl(`${i}.bin`), { method: 'PUT', headers: { 'x-ms-blob-type': 'BlockBlob' }, body: Buffer.from(String(i)) });
      expect(response.status).toBe(201);
    }
    await Promise.all(created.map(({ id }) => storage.removeStoredPolicy(container, id)));
    for (const { blobUrl } of created) {
      const response = await fetch(blobUrl('late.bin'), { method: 'PUT', headers: { 'x-ms-blob-type': 'BlockBlob' }, body: Buffer.from('x') });
      expect(response.status).toBe(403);
    }
  });

  it('honours the policy expiry', async () => {
    const container = await newAsset();
    const id = randomUUID();
    const sas = await storage.createContainerSas(container, { identifier: id, permissions: 'w', startsOn: new Date(Date.now() - 2 * hour), expiresOn: new Date(Date.now() - hour) });
    const response = await fetch(`${storage.containerUrl(container)}/expired.bin${sas}`, { method: 'PUT', headers: { 'x-ms-blob-type': 'BlockBlob' }, body: Buffer.from('x') });
    expect(response.status).toBe(403);
  });
});
