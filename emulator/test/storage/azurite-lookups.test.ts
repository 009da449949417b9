import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BlobServiceClient } from '@azure/storage-blob';
import { accountNameLast } from '../../src/storage/azurite-lookups.js';
import { startEmbeddedAzurite, type StartedEmbeddedAzurite } from '../../src/storage/azurite.js';

describe('accountNameLast', () => {
  it('moves a leading accountName to the end and keeps every property and value', () => {
    fc.assert(
      fc.property(fc.dictionary(fc.constantFrom('name', 'containerName', 'blobName', 'snapshot', 'x'), fc.string()), fc.string(), (rest, account) => {
        const query = { accountName: account, ...rest };
        const out = accountNameLast(query) as Record<string, unknown>;
        expect(out).toEqual(query);
        if (Object.keys(rest).length > 0) expect(Object.keys(out).at(-1)).toBe('accountName');
      }),
    );
  });

  it('leaves other queries alone', () => {
    for (const q of [undefined, null, 'x', [1], { accountName: 'a' }, { name: 'n', accountName: 'a' }, { $and: [] }]) {
      expect(accountNameLast(q)).toBe(q);
    }
  });
});

describe('the embedded Azurite with its lookups reordered', () => {
  let azurite: StartedEmbeddedAzurite;
  beforeAll(async () => {
    azurite = await startEmbeddedAzurite({ port: 0 });
  });
  afterAll(async () => {
    await azurite.stop();
  });

  it('still finds, refuses duplicates of, lists and deletes the right containers and blobs among many', async () => {
    const service = BlobServiceClient.fromConnectionString(azurite.connectionString);
    const names = Array.from({ length: 60 }, (_, i) => `c-${String(i).padStart(3, '0')}`);
    for (const name of names) await service.getContainerClient(name).create();
    await expect(service.getContainerClient('c-017').create()).rejects.toMatchObject({ statusCode: 409 });
    for (const name of ['c-003', 'c-041']) {
      await service.getContainerClient(name).getBlockBlobClient('movie.mp4').upload(name, name.length);
    }
    expect((await service.getContainerClient('c-041').getBlobClient('movie.mp4').downloadToBuffer()).toString()).toBe('c-041');
    expect(await service.getContainerClient('c-042').getBlobClient('movie.mp4').exists()).toBe(false);
    const listed: string[] = [];
    for await (const c of service.listContainers({ prefix: 'c-0' })) listed.push(c.name);
    expect(listed).toEqual(names.filter((n) => n.startsWith('c-0')));
    await service.getContainerClient('c-003').delete();
    expect(await service.getContainerClient('c-003').exists()).toBe(false);
    expect(await service.getContainerClient('c-004').exists()).toBe(true);
  });
});
