import { afterEach, describe, expect, it } from 'vitest';
import { AmsClient, AmsRequestError, isAadV2Endpoint, type AmsAuth } from '../src/rest/index.js';
import { minimalCollection } from './helpers/ams-json.js';
import { sendJson, startTestServer, type Handler, type TestServer } from './helpers/http-server.js';

const servers: TestServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

async function start(handler: Handler): Promise<TestServer> {
  const server = await startTestServer(handler);
  servers.push(server);
  return server;
}

/** An AMS endpoint that accepts only the tokens in `valid` and lists no assets. */
async function startAms(valid: Set<string>): Promise<TestServer> {
  return start((req, res) => {
    const token = req.headers.authorization?.replace(/^Bearer /, '') ?? '';
    if (!valid.has(token)) {
      sendJson(res, 401, { 'odata.error': { code: '', message: { lang: 'en-US', value: 'Access token is invalid or expired.' } } });
      return;
    }
    sendJson(res, 200, minimalCollection('x', 'Assets', []));
  });
}

interface TokenEndpoint {
  server: TestServer;
  issued: string[];
}

/** A token endpoint issuing `tok-1`, `tok-2`, ... with the body `shape` builds, after `delayMs`. */
async function startTokenEndpoint(shape: (token: string) => Record<string, unknown>, delayMs = 0): Promise<TokenEndpoint> {
  const issued: string[] = [];
  const server = await start(async (req, res) => {
    await new Promise((resolve) => setTimeout(resolve, delayMs));
    const token = `tok-${issued.length + 1}`;
    issued.push(token);
    sendJson(res, 200, shape(token), { 'content-type': 'application/json; charset=utf-8' });
  });
  return { server, issued };
}

function client(ams: TestServer, auth: AmsAuth, clock?: () => number): AmsClient {
  return new AmsClient({ endpoint: `${ams.origin}/api/`, auth, retry: { baseDelayMs: 1 }, ...(clock ? { clock } : {}) });
}

/** ACS answered exactly these four fields, expires_in as a string of seconds. */
const acsResponse = (token: string): Record<string, unknown> => ({
  token_type: 'http://schemas.xmlsoap.org/ws/2009/11/swt-token-profile-1.0',
  access_token: token,
  expires_in: '21600',
  scope: 'urn:WindowsAzureMediaServices',
});

describe('ACS tokens', () => {
  it('posts client credentials with the AMS scope and sends the token as Bearer', async () => {
    const tokens = await startTokenEndpoint(acsResponse);
    const ams = await startAms(new Set(['tok-1']));
    await client(ams, { kind: 'acs', tokenEndpoint: `${tokens.server.origin}/v2/OAuth2-13`, clientId: 'account', clientSecret: 'se+cr=et' }).listAssets();

    const request = tokens.server.requests[0]!;
    expect(request.method).toBe('POST');
    expect(request.headers['content-type']).toBe('application/x-www-form-urlencoded');
    expect(Object.fromEntries(new URLSearchParams(request.body))).toEqual({
      grant_type: 'client_credentials',
      client_id: 'account',
      client_secret: 'se+cr=et',
      scope: 'urn:WindowsAzureMediaServices',
    });
    expect(ams.requests[0]!.headers.authorization).toBe('Bearer tok-1');
  });

  it('caches the token, and refreshes it shortly before it expires', async () => {
    const tokens = await startTokenEndpoint((token) => ({ ...acsResponse(token), expires_in: '3600' }));
    const ams = await startAms(new Set(['tok-1', 'tok-2']));
    let now = 1_700_000_000_000;
    const c = client(ams, { kind: 'acs', tokenEndpoint: `${tokens.server.origin}/token`, clientId: 'a', clientSecret: 'b' }, () => now);

    await c.listAssets();
    now += 50 * 60_000;
    await c.listAssets();
    expect(tokens.issued).toEqual(['tok-1']);
    // 5 minutes before the hour is up, the token is due: the next call fetches a new one.
    now += 5 * 60_000 + 1;
    await c.listAssets();
    expect(tokens.issued).toEqual(['tok-1', 'tok-2']);
    expect(ams.requests.map((r) => r.headers.authorization)).toEqual(['Bearer tok-1', 'Bearer tok-1', 'Bearer tok-2']);
  });

  it('lets concurrent callers share one token request', async () => {
    const tokens = await startTokenEndpoint(acsResponse, 50);
    const ams = await startAms(new Set(['tok-1']));
    const c = client(ams, { kind: 'acs', tokenEndpoint: `${tokens.server.origin}/token`, clientId: 'a', clientSecret: 'b' });
    await Promise.all(Array.from({ length: 8 }, () => c.listAssets()));
    expect(tokens.server.requests).toHaveLength(1);
    expect(ams.requests).toHaveLength(8);
  });

  it('fetches a new token once when the service answers 401', async () => {
    const tokens = await startTokenEndpoint(acsResponse);
    const ams = await startAms(new Set(['tok-2']));
    await client(ams, { kind: 'acs', tokenEndpoint: `${tokens.server.origin}/token`, clientId: 'a', clientSecret: 'b' }).listAssets();
    expect(tokens.issued).toEqual(['tok-1', 'tok-2']);
    expect(ams.requests.map((r) => r.headers.authorization)).toEqual(['Bearer tok-1', 'Bearer tok-2']);
  });

  it('does not loop on a 401 that a new token does not cure', async () => {
    const tokens = await startTokenEndpoint(acsResponse);
    const ams = await startAms(new Set());
    const error = await client(ams, { kind: 'acs', tokenEndpoint: `${tokens.server.origin}/token`, clientId: 'a', clientSecret: 'b' })
      .listAssets()
      .catch((e: unknown) => e);
    expect((error as AmsRequestError).status).toBe(401);
    expect((error as AmsRequestError).serviceMessage).toBe('Access token is invalid or expired.');
    expect(ams.requests).toHaveLength(2);
  });

  it('surfaces a refused credential with the OAuth error', async () => {
    const tokens = await start((req, res) =>
      sendJson(res, 400, { error: 'invalid_client', error_description: 'ACS50012: Authentication failed.' }),
    );
    const ams = await startAms(new Set());
    const error = await client(ams, { kind: 'acs', tokenEndpoint: `${tokens.origin}/token`, clientId: 'a', clientSecret: 'wrong' })
      .listAssets()
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AmsRequestError);
    expect(error).toMatchObject({ status: 400, code: 'invalid_client', serviceMessage: 'ACS50012: Authentication failed.', method: 'POST' });
    expect(ams.requests).toHaveLength(0);
  });

  it('keeps using a still-valid token when its refresh fails', async () => {
    let fail = false;
    let count = 0;
    const tokens = await start((req, res) => {
      if (fail) return sendJson(res, 400, { error: 'temporarily_unavailable' });
      count++;
      return sendJson(res, 200, { access_token: `tok-${count}`, expires_in: 3600 });
    });
    const ams = await startAms(new Set(['tok-1']));
    let now = 0;
    const c = client(ams, { kind: 'acs', tokenEndpoint: `${tokens.origin}/t`, clientId: 'a', clientSecret: 'b' }, () => now);
    await c.listAssets();
    fail = true;
    now += 58 * 60_000;
    await c.listAssets();
    expect(ams.requests.map((r) => r.headers.authorization)).toEqual(['Bearer tok-1', 'Bearer tok-1']);
    now += 3 * 60_000;
    await expect(c.listAssets()).rejects.toMatchObject({ status: 400, code: 'temporarily_unavailable' });
  });
});

describe('Azure AD tokens', () => {
  it('v1 endpoint: sends resource, and reads expires_in given as a string', async () => {
    const tokens = await startTokenEndpoint((token) => ({
      token_type: 'Bearer',
      expires_in: '3599',
      ext_expires_in: '3599',
      expires_on: '1700003599',
      not_before: '1700000000',
      resource: 'https://rest.media.azure.net',
      access_token: token,
    }));
    const ams = await startAms(new Set(['tok-1', 'tok-2']));
    let now = 1_700_000_000_000;
    const c = client(ams, { kind: 'aad', tokenEndpoint: `${tokens.server.origin}/tenant-id/oauth2/token`, clientId: 'app', clientSecret: 's' }, () => now);
    await c.listAssets();
    expect(Object.fromEntries(new URLSearchParams(tokens.server.requests[0]!.body))).toEqual({
      grant_type: 'client_credentials',
      client_id: 'app',
      client_secret: 's',
      resource: 'https://rest.media.azure.net',
    });
    now += 3599_000 - 5 * 60_000 - 1;
    await c.listAssets();
    expect(tokens.issued).toEqual(['tok-1']);
    now += 2;
    await c.listAssets();
    expect(tokens.issued).toEqual(['tok-1', 'tok-2']);
  });

  it('v2 endpoint: sends scope=<resource>/.default', async () => {
    const tokens = await startTokenEndpoint((token) => ({ token_type: 'Bearer', expires_in: 3599, access_token: token }));
    const ams = await startAms(new Set(['tok-1']));
    await client(ams, { kind: 'aad', tokenEndpoint: `${tokens.server.origin}/tenant-id/oauth2/v2.0/token`, clientId: 'app', clientSecret: 's' }).listAssets();
    expect(new URLSearchParams(tokens.server.requests[0]!.body).get('scope')).toBe('https://rest.media.azure.net/.default');
    expect(new URLSearchParams(tokens.server.requests[0]!.body).get('resource')).toBeNull();
  });

  it('tells the endpoint versions apart by their path', () => {
    expect(isAadV2Endpoint('https://login.microsoftonline.com/contoso.onmicrosoft.com/oauth2/v2.0/token')).toBe(true);
    expect(isAadV2Endpoint('https://login.microsoftonline.com/contoso.onmicrosoft.com/oauth2/token')).toBe(false);
  });
});
