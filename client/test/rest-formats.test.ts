import { afterEach, describe, expect, it } from 'vitest';
import { AmsClient, AmsResponseError, readFunctionValue, type WireFormat } from '../src/rest/index.js';
import { ASSET_ID, KEY_ID, minimalCollection, minimalEntity, verboseCollection, verboseEntity } from './helpers/ams-json.js';
import { sendJson, startTestServer, type TestServer } from './helpers/http-server.js';

let server: TestServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

/** A client whose every call is answered with `body`. */
async function answering(body: unknown, format: WireFormat = 'json'): Promise<AmsClient> {
  server = await startTestServer((req, res) => sendJson(res, 200, body));
  return new AmsClient({ endpoint: `${server.origin}/api/`, auth: { kind: 'static', token: 't' }, format, retry: { maxAttempts: 1 } });
}

const FILE_ID = 'nb:cid:UUID:2a22445d-1500-80c6-4b34-f1e5190d33c6';

/** An AssetFile as verbose JSON sent it: \/Date()\/ dates, Int64 and booleans as strings. */
const verboseFile = {
  Id: FILE_ID,
  Name: 'BigBuckBunny.mp4',
  ContentFileSize: '3186542',
  ParentAssetId: ASSET_ID,
  EncryptionVersion: '1.0',
  EncryptionScheme: 'StorageEncryption',
  IsEncrypted: 'true',
  EncryptionKeyId: KEY_ID,
  InitializationVector: '397304628502661816',
  IsPrimary: false,
  LastModified: '/Date(1423017466968)/',
  Created: '/Date(1423017466000)/',
  MimeType: 'video/mp4',
  ContentChecksum: null,
  Options: '0',
};

const expectedFile = {
  Id: FILE_ID,
  Name: 'BigBuckBunny.mp4',
  ContentFileSize: 3186542n,
  ParentAssetId: ASSET_ID,
  EncryptionVersion: '1.0',
  EncryptionScheme: 'StorageEncryption',
  IsEncrypted: true,
  EncryptionKeyId: KEY_ID,
  InitializationVector: '397304628502661816',
  IsPrimary: false,
  LastModified: new Date(1423017466968),
  Created: new Date(1423017466000),
  MimeType: 'video/mp4',
  ContentChecksum: null,
  Options: 0,
};

describe('minimal metadata', () => {
  it('reads an entity: ISO dates (with and without zone), Int64 as a string', async () => {
    const client = await answering(
      minimalEntity('x', 'Files', {
        ...verboseFile,
        IsEncrypted: true,
        Options: 0,
        Created: '2015-02-04T02:37:46Z',
        LastModified: '2015-02-04T02:37:46.968',
      }),
    );
    expect(await client.getFile(FILE_ID)).toEqual(expectedFile);
  });

  it('reads a collection from "value"', async () => {
    const client = await answering(minimalCollection('x', 'Files', [{ ...verboseFile, Created: '2015-02-04T02:37:46Z', LastModified: '2015-02-04T02:37:46.968Z' }]));
    expect(await client.listAssetFiles(ASSET_ID)).toEqual([expectedFile]);
  });

  it('reads a function result from "value"', async () => {
    const client = await answering({ 'odata.metadata': 'https://h/api/$metadata#Edm.String', value: '7D9BB04D9D0A4A24800CADBFEF232689E048F69C' });
    expect(await client.getProtectionKeyId(1)).toBe('7D9BB04D9D0A4A24800CADBFEF232689E048F69C');
  });

  it('reads the documented ContentKey sample (ProtectionKeyType 1, numbers as strings)', async () => {
    const client = await answering(
      minimalEntity('x', 'ContentKeys', {
        Id: 'nb:kid:UUID:316d14d4-b603-4d90-b8db-0fede8aa48f8',
        ContentKeyType: '1',
        EncryptedContentKey: 'Y4NPej7heOFa2vsd8ZEOcjjp',
        ProtectionKeyId: '7D9BB04D9D0A4A24800CADBFEF232689E048F69C',
        ProtectionKeyType: 1,
        Checksum: 'TfXtjCIlq1Y=',
        Created: '2015-03-20T06:34:47.267872+00:00',
        LastModified: '2015-03-20T06:34:47.267872+00:00',
      }),
    );
    const key = await client.getContentKey(KEY_ID);
    expect(key).toMatchObject({ ContentKeyType: 1, ProtectionKeyType: 1, Checksum: 'TfXtjCIlq1Y=', Name: null, AuthorizationPolicyId: null });
    expect(key.Created.toISOString()).toBe('2015-03-20T06:34:47.267Z');
  });
});

describe('verbose', () => {
  it('reads an entity from "d", with \\/Date(ms)\\/ dates and string numbers and booleans', async () => {
    const client = await answering(verboseEntity('x', 'Files', 'AssetFile', verboseFile), 'verbose');
    expect(await client.getFile(FILE_ID)).toEqual(expectedFile);
  });

  it('reads a collection from "d.results", and the OData v1 "d" array', async () => {
    let client = await answering(verboseCollection('x', 'Files', 'AssetFile', [verboseFile, verboseFile]), 'verbose');
    expect(await client.listFiles()).toEqual([expectedFile, expectedFile]);
    await server!.close();
    client = await answering({ d: [verboseFile] }, 'verbose');
    expect(await client.listFiles()).toEqual([expectedFile]);
  });

  it('reads a Task with its ErrorDetails collection and ISO dates among \\/Date()\\/ ones', async () => {
    const client = await answering(
      verboseCollection('x', 'Tasks', 'Task', [
        {
          Id: 'nb:tid:UUID:1',
          Name: 'decrypt',
          MediaProcessorId: 'nb:mpid:UUID:aec03716-7c5e-4f68-b592-f4850eba9f10',
          State: 3,
          Progress: 100.0,
          StartTime: '2015-02-04T02:37:46.9684379Z',
          EndTime: '/Date(1423017500000)/',
          ErrorDetails: { __metadata: { type: 'Collection(Microsoft.Cloud.Media.Vod.Rest.Data.Models.ErrorDetail)' }, results: [{ Code: 'E1', Message: 'bad' }] },
        },
      ]),
      'verbose',
    );
    const [task] = await client.listJobTasks('nb:jid:UUID:1');
    expect(task!.ErrorDetails).toEqual([{ Code: 'E1', Message: 'bad' }]);
    expect(task!.StartTime!.toISOString()).toBe('2015-02-04T02:37:46.968Z');
    expect(task!.EndTime).toEqual(new Date(1423017500000));
  });

  it('reads a function result from "d.<Function>" or a bare "d"', async () => {
    let client = await answering({ d: { GetProtectionKey: 'MIIDSTCC' } }, 'verbose');
    expect(await client.getProtectionKey('T')).toBe('MIIDSTCC');
    await server!.close();
    client = await answering({ d: 'MIIDSTCC' }, 'verbose');
    expect(await client.getProtectionKey('T')).toBe('MIIDSTCC');
  });
});

describe('odd and wrong responses', () => {
  it('reads a function result sent as Atom/XML whatever was asked for', () => {
    expect(
      readFunctionValue('<?xml version="1.0"?><GetProtectionKeyId xmlns="http://schemas.microsoft.com/ado/2007/08/dataservices">7D9B&amp;</GetProtectionKeyId>', 'GetProtectionKeyId'),
    ).toBe('7D9B&');
  });

  it('refuses an entity missing a required property, naming it and the call', async () => {
    const client = await answering(minimalEntity('x', 'Assets', { Id: ASSET_ID, State: 0, Options: 'one', Created: '2015-02-04T02:37:46Z', LastModified: '2015-02-04T02:37:46Z' }));
    const error = await client.getAsset(ASSET_ID).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AmsResponseError);
    expect((error as Error).message).toMatch(/GET http:.*Assets\('nb%3Acid.*property Options should be a number, got "one"/);
  });

  it('refuses a non-JSON 2xx body', async () => {
    server = await startTestServer((req, res) => {
      res.writeHead(200, { 'content-type': 'text/html' });
      res.end('<html>proxy login</html>');
    });
    const client = new AmsClient({ endpoint: `${server.origin}/api`, auth: { kind: 'static', token: 't' } });
    await expect(client.listAssets()).rejects.toThrow(/not JSON/);
  });

  it('refuses a function result that is not a string', async () => {
    const client = await answering({ value: 42 });
    await expect(client.rebindContentKey(KEY_ID)).rejects.toThrow(/RebindContentKey should return a string, got 42/);
  });
});
