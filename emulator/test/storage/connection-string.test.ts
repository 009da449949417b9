import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  ConnectionStringError,
  DEV_ACCOUNT_KEY,
  DEV_ACCOUNT_NAME,
  DEV_BLOB_ENDPOINT,
  azuriteConnectionString,
  formatConnectionString,
  parseConnectionString,
  redactConnectionString,
} from '../../src/storage/connection-string.js';

describe('parseConnectionString', () => {
  it('reads the Azurite form with an explicit BlobEndpoint', () => {
    expect(parseConnectionString(`DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=${DEV_ACCOUNT_KEY};BlobEndpoint=http://127.0.0.1:10000/devstoreaccount1;`)).toEqual({
      accountName: DEV_ACCOUNT_NAME,
      accountKey: DEV_ACCOUNT_KEY,
      blobEndpoint: 'http://127.0.0.1:10000/devstoreaccount1',
    });
  });

  it('reads UseDevelopmentStorage=true, with and without a proxy URI', () => {
    expect(parseConnectionString('UseDevelopmentStorage=true')).toEqual({ accountName: DEV_ACCOUNT_NAME, accountKey: DEV_ACCOUNT_KEY, blobEndpoint: DEV_BLOB_ENDPOINT });
    expect(parseConnectionString('UseDevelopmentStorage=true;DevelopmentStorageProxyUri=http://azurite').blobEndpoint).toBe('http://azurite:10000/devstoreaccount1');
  });

  it('builds the endpoint of a real account from protocol, name and suffix', () => {
    const key = Buffer.alloc(64, 7).toString('base64');
    expect(parseConnectionString(`DefaultEndpointsProtocol=https;AccountName=media01;AccountKey=${key};EndpointSuffix=core.windows.net`).blobEndpoint).toBe('https://media01.blob.core.windows.net');
    expect(parseConnectionString(`AccountName=media01;AccountKey=${key}`).blobEndpoint).toBe('https://media01.blob.core.windows.net');
    expect(parseConnectionString(`DefaultEndpointsProtocol=https;AccountName=m;AccountKey=${key};EndpointSuffix=core.chinacloudapi.cn`).blobEndpoint).toBe('https://m.blob.core.chinacloudapi.cn');
  });

  it('matches setting names case-insensitively, tolerates spaces and drops a trailing slash', () => {
    expect(parseConnectionString(` accountname=a1 ; ACCOUNTKEY=${DEV_ACCOUNT_KEY} ; blobendpoint=http://h:1/a1/ `)).toEqual({ accountName: 'a1', accountKey: DEV_ACCOUNT_KEY, blobEndpoint: 'http://h:1/a1' });
  });

  it('round-trips through formatConnectionString', () => {
    fc.assert(
      fc.property(
        fc.stringMatching(/^[a-z0-9]{3,24}$/),
        fc.uint8Array({ minLength: 16, maxLength: 64 }),
        fc.constantFrom('http://127.0.0.1:10000/x', 'https://acct.blob.core.windows.net', 'http://[::1]:4000/acct'),
        (accountName, key, blobEndpoint) => {
          const connection = { accountName, accountKey: Buffer.from(key).toString('base64'), blobEndpoint };
          expect(parseConnectionString(formatConnectionString(connection))).toEqual(connection);
        },
      ),
    );
  });

  it('explains what is wrong with a malformed string, without echoing the key', () => {
    const cases: Array<[string, RegExp]> = [
      ['', /empty/],
      ['AccountName=a', /no AccountKey/],
      ['AccountName=a;SharedAccessSignature=sv=2021&sig=x', /SAS connection string is not enough/],
      [`AccountKey=${DEV_ACCOUNT_KEY}`, /no AccountName/],
      ['AccountName=a;AccountKey=not base64!', /not base64/],
      [`AccountName=a;AccountKey=${DEV_ACCOUNT_KEY};BlobEndpoint=localhost:10000`, /BlobEndpoint must be http or https|not a URL/],
      [`AccountName=a;AccountKey=${DEV_ACCOUNT_KEY};BlobEndpoint=nope`, /BlobEndpoint is not a URL/],
      [`AccountName=a;AccountKey=${DEV_ACCOUNT_KEY};BlobEndpoint=http://h/a?sv=1`, /query/],
      [`AccountName=a;AccountKey=${DEV_ACCOUNT_KEY};DefaultEndpointsProtocol=ftp`, /http or https/],
      ['just-some-text', /not Name=Value/],
    ];
    for (const [input, message] of cases) {
      let caught: unknown;
      try {
        parseConnectionString(input);
      } catch (err) {
        caught = err;
      }
      expect(caught, input).toBeInstanceOf(ConnectionStringError);
      expect((caught as Error).message, input).toMatch(message);
      expect((caught as Error).message).not.toContain(DEV_ACCOUNT_KEY);
    }
  });
});

describe('helpers', () => {
  it('builds the path-style connection string of an embedded Azurite', () => {
    const cs = azuriteConnectionString('http://127.0.0.1:40091/');
    expect(cs).toBe(`DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=${DEV_ACCOUNT_KEY};BlobEndpoint=http://127.0.0.1:40091/devstoreaccount1;`);
    expect(parseConnectionString(cs).blobEndpoint).toBe('http://127.0.0.1:40091/devstoreaccount1');
  });

  it('redacts keys and signatures for logs', () => {
    const redacted = redactConnectionString(azuriteConnectionString('http://127.0.0.1:1'));
    expect(redacted).not.toContain(DEV_ACCOUNT_KEY);
    expect(redacted).toContain('AccountKey=***;');
    expect(redactConnectionString('BlobEndpoint=http://h;SharedAccessSignature=sv=1&sig=abc')).toBe('BlobEndpoint=http://h;SharedAccessSignature=***');
  });
});
