import { readFileSync } from 'node:fs';
import { BlobServiceClient } from '@azure/storage-blob';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { entityPath, startTestEmulator, type TestEmulator } from '../../../test/support/emulator.js';
import { createStorageKey, protectionKey } from '../helpers/api-fixtures.js';
import { fileContent } from '../helpers/clients-actions.js';
import { loadSequence } from '../helpers/clients-replay.js';

/**
 * amspy, the Python client, configured as docs/real-clients.md says (`ams_rest_endpoint =
 * '.../API'`, no slash), replayed from fixtures/clients/amspy/sequence.json: its first call follows
 * the 301 to `/api/` and keeps that as the base of its `$links` URIs; wholly percent-encoded paths
 * (`API%2FAssets%28%27…`), string booleans and numbers, a PATCH to complete the file.
 */

let emu: TestEmulator;
beforeAll(async () => {
  emu = await startTestEmulator();
});
afterAll(() => emu.close());

describe('amspy against the endpoint the docs give it', () => {
  it('follows the 301 from .../API, links the key with a URI under the redirected base, and uploads and completes the file', async () => {
    const file = { name: 'movie.mp4', data: fileContent('movie.mp4', 40_000) };
    const session = loadSequence('amspy', {
      baseUrl: emu.baseUrl,
      actions: {
        contentKeyMadeBeforehand: async () => {
          await createStorageKey(emu, await protectionKey(emu));
        },
        newFile: (s) => {
          s.set('fileName', file.name);
          s.set('fileSize', String(file.data.length));
        },
        // do_sto_put: one PUT with amspy's own headers; amspy has no crypto, so the bytes go as they are.
        uploadAsIs: async (s) => {
          const res = await fetch(`${s.get('baseUri')}/${file.name}${s.get('sas')}`, {
            method: 'PUT',
            headers: { Accept: 'application/json;odata=verbose', 'Accept-Charset': 'UTF-8', 'x-ms-blob-type': 'BlockBlob', 'x-ms-meta-m1': 'v1', 'x-ms-meta-m2': 'v2', 'x-ms-version': '2015-02-21', 'Content-Length': String(file.data.length) },
            body: file.data,
          });
          expect(res.status, await res.text()).toBe(201);
        },
      },
    });
    // docs/real-clients.md gives amspy this endpoint: the fixture's first request is to it.
    const docs = readFileSync(new URL('../../../docs/real-clients.md', import.meta.url), 'utf8');
    expect(docs).toMatch(/ams_rest_endpoint = 'http:\/\/127\.0\.0\.1:10010\/API'/);
    await session.run();

    expect(session.get('redirected')).toBe(`${emu.baseUrl}api/`);
    const assetId = session.get('assetId');
    const keys = await emu.ams('GET', `${entityPath('Assets', assetId)}/ContentKeys`);
    expect(keys.body.value.map((k: { Id: string }) => k.Id)).toEqual([session.get('keyId')]);
    const stored = await emu.ams('GET', entityPath('Files', session.get('fileId')));
    expect(stored.body).toMatchObject({ Name: 'movie.mp4', ContentFileSize: String(file.data.length), IsEncrypted: true, EncryptionScheme: 'StorageEncryption', IsPrimary: false });
    const container = new URL(session.get('assetUri')).pathname.split('/').filter(Boolean).pop()!;
    const blob = await BlobServiceClient.fromConnectionString(emu.emulator.storage.connectionString).getContainerClient(container).getBlobClient(file.name).downloadToBuffer();
    expect(blob.equals(file.data)).toBe(true);
    expect((await emu.ams('GET', 'Locators')).body.value).toEqual([]);
  });
});
