import { afterEach, describe, expect, it } from 'vitest';
import { AmsClient, AmsRequestError, readErrorBody } from '../src/rest/index.js';
import { ASSET_ID } from './helpers/ams-json.js';
import { startTestServer, type TestServer } from './helpers/http-server.js';

let server: TestServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

async function failingWith(status: number, contentType: string, body: string): Promise<AmsRequestError> {
  server = await startTestServer((req, res) => {
    res.writeHead(status, { 'content-type': contentType, 'x-ms-request-id': 'a0b1c2d3-0000-4000-8000-000000000001' });
    res.end(body);
  });
  const client = new AmsClient({ endpoint: `${server.origin}/api/`, auth: { kind: 'static', token: 't' }, retry: { maxAttempts: 1 } });
  const error = await client.getAsset(ASSET_ID).catch((e: unknown) => e);
  expect(error).toBeInstanceOf(AmsRequestError);
  return error as AmsRequestError;
}

describe('AmsRequestError', () => {
  it('surfaces a minimal-metadata odata.error with the request id, method and URL', async () => {
    const error = await failingWith(
      404,
      'application/json;odata=minimalmetadata',
      JSON.stringify({ 'odata.error': { code: 'ResourceNotFound', message: { lang: 'en-US', value: 'Resource Assets not found' } } }),
    );
    expect(error).toMatchObject({
      status: 404,
      code: 'ResourceNotFound',
      serviceMessage: 'Resource Assets not found',
      requestId: 'a0b1c2d3-0000-4000-8000-000000000001',
      method: 'GET',
      url: `${server!.origin}/api/Assets('nb%3Acid%3AUUID%3A9bc8ff20-24fb-4fdb-9d7c-b04c7ee573a1')`,
      attempts: 1,
    });
    expect(error.clientRequestId).toMatch(/^[0-9a-f-]{36}$/);
    expect(error.message).toContain('HTTP 404: ResourceNotFound: Resource Assets not found (x-ms-request-id a0b1c2d3-0000-4000-8000-000000000001)');
    expect(error.message).toContain(`GET ${server!.origin}/api/Assets(`);
  });

  it('surfaces the verbose error the service sent (empty code, message object)', async () => {
    const error = await failingWith(
      400,
      'application/json;odata=verbose',
      '{"error":{"code":"","message":{"lang":"en-US","value":"Parsing request content failed due to: Make sure to only use property names that are defined by the type"}}}',
    );
    expect(error.code).toBe('');
    expect(error.serviceMessage).toBe('Parsing request content failed due to: Make sure to only use property names that are defined by the type');
    expect(error.message).toMatch(/HTTP 400: Parsing request content failed/);
  });

  it('surfaces an Atom/XML error and a plain-text one', async () => {
    let error = await failingWith(
      409,
      'application/xml',
      '<?xml version="1.0"?><error xmlns="http://schemas.microsoft.com/ado/2007/08/dataservices/metadata"><code>Conflict</code><message xml:lang="en-US">A file with the name &quot;a.mp4&quot; already exists</message></error>',
    );
    expect(error).toMatchObject({ status: 409, code: 'Conflict', serviceMessage: 'A file with the name "a.mp4" already exists' });
    await server!.close();
    error = await failingWith(503, 'text/plain', 'Server is busy. Please retry later.\n');
    expect(error).toMatchObject({ status: 503, code: undefined, serviceMessage: 'Server is busy. Please retry later.' });
  });

  it('reads what it can from odd bodies', () => {
    expect(readErrorBody('')).toEqual({});
    expect(readErrorBody('{"error":{"code":"X","message":"plain string"}}')).toEqual({ code: 'X', message: 'plain string' });
    expect(readErrorBody('{"Message":"An error has occurred."}')).toEqual({ message: 'An error has occurred.' });
    expect(readErrorBody('<html><head><title>502 Bad Gateway</title></head></html>')).toEqual({ message: '502 Bad Gateway' });
  });
});
