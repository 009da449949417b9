import { generateKeyPairSync } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SignJWT, decodeJwt, decodeProtectedHeader } from 'jose';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AAD_RESOURCE, ACS_SCOPE, DEV_CLIENT_ID, DEV_CLIENT_SECRET, DEV_TENANT, TOKEN_ISSUER } from '../../src/auth/credentials.js';
import { startTestAzurite, type TestAzurite } from '../../../test/support/azurite.js';
import { startTestEmulator, type TestEmulator } from '../../../test/support/emulator.js';
import { errorMessage } from '../helpers/api-fixtures.js';

/**
 * Token endpoints in the shapes ACS and Azure AD answered, and the three auth modes: `any` (any
 * Bearer), `strict` (only the emulator's own unexpired tokens) and `none`. The strict emulator
 * keeps its state in a temp directory so the test can mint tokens with its signing key.
 */

let azurite: TestAzurite;
let any: TestEmulator;
let strict: TestEmulator;
let none: TestEmulator;
let dataDir: string;

const DEV_FORM = { grant_type: 'client_credentials', client_id: DEV_CLIENT_ID, client_secret: DEV_CLIENT_SECRET };

beforeAll(async () => {
  azurite = await startTestAzurite();
  dataDir = await mkdtemp(join(tmpdir(), 'ams-auth-'));
  const storage = { storageConnectionString: azurite.connectionString };
  [any, strict, none] = await Promise.all([
    startTestEmulator(storage),
    startTestEmulator({ ...storage, auth: 'strict', location: dataDir }),
    startTestEmulator({ ...storage, auth: 'none' }),
  ]);
});
afterAll(async () => {
  await Promise.all([any?.close(), strict?.close(), none?.close()]);
  await azurite?.stop();
  await rm(dataDir, { recursive: true, force: true });
});

function tokenFrom(emu: TestEmulator, path: string, form: Record<string, string>) {
  return request(emu.origin).post(path).type('form').send(form);
}

async function acsToken(emu: TestEmulator): Promise<string> {
  const res = await tokenFrom(emu, '/v2/OAuth2-13', { ...DEV_FORM, scope: ACS_SCOPE });
  expect(res.status).toBe(200);
  return String(res.body.access_token);
}

const withToken = (emu: TestEmulator, token: string | undefined) =>
  emu.ams('GET', 'Assets', { headers: { Authorization: token === undefined ? undefined : `Bearer ${token}` } });

describe('token endpoints', () => {
  it('ACS POST /v2/OAuth2-13 answers exactly {token_type, access_token, expires_in, scope}', async () => {
    const res = await tokenFrom(any, '/v2/OAuth2-13', { grant_type: 'client_credentials', client_id: 'myaccount', client_secret: 'anything==', scope: 'urn:WindowsAzureMediaServices' });
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(/^application\/json/);
    expect(Object.keys(res.body).sort()).toEqual(['access_token', 'expires_in', 'scope', 'token_type']);
    expect(res.body.scope).toBe('urn:WindowsAzureMediaServices');
    expect(Number(res.body.expires_in)).toBeGreaterThan(0);
    const header = decodeProtectedHeader(res.body.access_token);
    expect(header.alg).toBe('HS256');
    const claims = decodeJwt(res.body.access_token);
    expect(claims.iss).toBe(TOKEN_ISSUER);
    expect(claims.aud).toBe(ACS_SCOPE);
    expect(claims.exp! - claims.iat!).toBe(Number(res.body.expires_in));
  });

  it('Azure AD v1 /{tenant}/oauth2/token answers the AAD v1 shape for resource=https://rest.media.azure.net', async () => {
    const res = await tokenFrom(any, `/${DEV_TENANT}/oauth2/token`, { ...DEV_FORM, resource: AAD_RESOURCE });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ token_type: 'Bearer', resource: AAD_RESOURCE });
    for (const field of ['expires_in', 'expires_on', 'not_before', 'access_token']) expect(res.body[field]).toBeTruthy();
    expect(decodeJwt(res.body.access_token).aud).toBe(AAD_RESOURCE);
  });

  it('Azure AD v2 /{tenant}/oauth2/v2.0/token answers the AAD v2 shape', async () => {
    const res = await tokenFrom(any, '/any-tenant-id/oauth2/v2.0/token', { ...DEV_FORM, scope: `${AAD_RESOURCE}/.default` });
    expect(res.status).toBe(200);
    expect(res.body.token_type).toBe('Bearer');
    expect(typeof res.body.expires_in).toBe('number');
    expect(decodeJwt(res.body.access_token).aud).toBe(AAD_RESOURCE);
  });

  // API requests skip the routes before the API's (http/app.ts); a tenant named `api` must not lose its token endpoints to that.
  it('a tenant named api still has its token endpoints: /api/oauth2/token and /api/OAuth2/v2.0/token are not API paths', async () => {
    const v1 = await tokenFrom(any, '/api/oauth2/token', { ...DEV_FORM, resource: AAD_RESOURCE });
    expect(v1.status).toBe(200);
    expect(v1.body).toMatchObject({ token_type: 'Bearer', resource: AAD_RESOURCE });
    const v2 = await tokenFrom(any, '/api/OAuth2/v2.0/token', { ...DEV_FORM, scope: `${AAD_RESOURCE}/.default` });
    expect(v2.status).toBe(200);
    expect(decodeJwt(v2.body.access_token).aud).toBe(AAD_RESOURCE);
  });

  it('refuses a wrong grant type or missing credentials with an OAuth error', async () => {
    const grant = await tokenFrom(any, '/v2/OAuth2-13', { grant_type: 'password', client_id: 'a', client_secret: 'b' });
    expect(grant.status).toBe(400);
    expect(grant.body.error).toBe('unsupported_grant_type');
    const missing = await tokenFrom(any, `/${DEV_TENANT}/oauth2/token`, { grant_type: 'client_credentials', client_id: 'a' });
    expect(missing.status).toBe(400);
    expect(missing.body.error).toBe('invalid_request');
  });

  it('in strict mode, issues tokens only for the dev credentials and the Media Services resource', async () => {
    const wrong = await tokenFrom(strict, '/v2/OAuth2-13', { ...DEV_FORM, client_secret: 'guess' });
    expect(wrong.status).toBe(401);
    expect(wrong.body.error).toBe('invalid_client');
    const resource = await tokenFrom(strict, `/${DEV_TENANT}/oauth2/token`, { ...DEV_FORM, resource: 'https://storage.azure.com' });
    expect(resource.status).toBe(400);
    expect(resource.body.error).toBe('invalid_resource');
    const scope = await tokenFrom(strict, `/${DEV_TENANT}/oauth2/v2.0/token`, { ...DEV_FORM, scope: 'https://graph.microsoft.com/.default' });
    expect(scope.status).toBe(400);
    expect((await tokenFrom(strict, `/${DEV_TENANT}/oauth2/v2.0/token`, { ...DEV_FORM, scope: `${AAD_RESOURCE}/.default` })).status).toBe(200);
  });
});

describe('--auth any (default)', () => {
  it('accepts any Bearer token', async () => {
    for (const token of ['x', 'not-even-a-jwt', await acsToken(any)]) expect((await withToken(any, token)).status).toBe(200);
  });

  it('answers a missing or non-Bearer Authorization with 401, an OData error and WWW-Authenticate', async () => {
    const missing = await withToken(any, undefined);
    expect(missing.status).toBe(401);
    expect(missing.headers.get('www-authenticate')).toMatch(/^Bearer/);
    expect(errorMessage(missing.body)).toMatch(/Authorization header is missing.*Bearer/);
    const basic = await any.ams('GET', 'Assets', { headers: { Authorization: 'Basic dXNlcjpwYXNz' } });
    expect(basic.status).toBe(401);
    expect(errorMessage(basic.body)).toMatch(/Bearer <token>/);
    const xml = await any.ams('GET', 'Assets', { headers: { Authorization: undefined, Accept: 'application/atom+xml' } });
    expect(xml.status).toBe(401);
    expect(xml.text).toContain('<error');
  });

  it('leaves /_emulator and the token endpoints open', async () => {
    expect((await any.admin('GET', 'health')).status).toBe(200);
  });
});

describe('--auth strict', () => {
  async function signingKey(): Promise<Uint8Array> {
    return Buffer.from((await readFile(join(dataDir, 'token-signing.key'), 'utf8')).trim(), 'base64');
  }

  function mint(key: Uint8Array, claims: { aud?: string; iss?: string; exp?: number; nbf?: number }) {
    const now = Math.floor(Date.now() / 1000);
    return new SignJWT({ appid: DEV_CLIENT_ID, ams_auth: 'strict' })
      .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
      .setIssuer(claims.iss ?? TOKEN_ISSUER)
      .setAudience(claims.aud ?? AAD_RESOURCE)
      .setSubject(DEV_CLIENT_ID)
      .setIssuedAt(now - 7200)
      .setNotBefore(claims.nbf ?? now - 7200)
      .setExpirationTime(claims.exp ?? now + 600)
      .sign(key);
  }

  it("accepts the emulator's own tokens from every endpoint", async () => {
    const acs = await acsToken(strict);
    const v1 = (await tokenFrom(strict, `/${DEV_TENANT}/oauth2/token`, { ...DEV_FORM, resource: AAD_RESOURCE })).body.access_token;
    const v2 = (await tokenFrom(strict, `/${DEV_TENANT}/oauth2/v2.0/token`, { ...DEV_FORM, scope: `${AAD_RESOURCE}/.default` })).body.access_token;
    for (const token of [acs, v1, v2]) expect((await withToken(strict, token)).status).toBe(200);
    // A token minted with the data directory's key and the right claims is as good.
    expect((await withToken(strict, await mint(await signingKey(), {}))).status).toBe(200);
  });

  it.each([
    ['a forged signature', async () => { const t = await acsToken(strict); const [h, p] = t.split('.'); return `${h}.${p}.${Buffer.alloc(32, 1).toString('base64url')}`; }, /signature does not verify/],
    ['a token signed with another key', async () => mint(new Uint8Array(32).fill(9), {}), /signature does not verify/],
    ['alg: none', async () => { const p = Buffer.from(JSON.stringify({ iss: TOKEN_ISSUER, aud: AAD_RESOURCE, exp: Math.floor(Date.now() / 1000) + 600 })).toString('base64url'); return `${Buffer.from('{"alg":"none","typ":"JWT"}').toString('base64url')}.${p}.`; }, /alg|not signed|well-formed/],
    ['an expired token', async () => mint(await signingKey(), { exp: Math.floor(Date.now() / 1000) - 60 }), /expired/],
    ['a token for another audience', async () => mint(await signingKey(), { aud: 'https://storage.azure.com' }), /another audience/],
    ['a token from another issuer', async () => mint(await signingKey(), { iss: 'https://sts.windows.net/x/' }), /not issued by this emulator/],
    ['garbage', async () => 'abc.def', /well-formed|not valid/],
  ])('refuses %s with 401 and a message that says why', async (_label, make, message) => {
    const res = await withToken(strict, await make());
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toMatch(/error="invalid_token"/);
    expect(errorMessage(res.body)).toMatch(message);
  });

  it('names the algorithm of a token signed with another one (RS256, HS512), not as alg none', async () => {
    const now = Math.floor(Date.now() / 1000);
    const claims = { appid: DEV_CLIENT_ID, ams_auth: 'strict', iss: TOKEN_ISSUER, aud: AAD_RESOURCE, sub: DEV_CLIENT_ID, exp: now + 600 };
    const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const rs256 = await new SignJWT(claims).setProtectedHeader({ alg: 'RS256', typ: 'JWT' }).sign(privateKey);
    const hs512 = await new SignJWT(claims).setProtectedHeader({ alg: 'HS512', typ: 'JWT' }).sign(new Uint8Array(64).fill(3));
    for (const [token, alg] of [[rs256, 'RS256'], [hs512, 'HS512']] as const) {
      const res = await withToken(strict, token);
      expect(res.status).toBe(401);
      expect(errorMessage(res.body)).toContain(`signed with "${alg}"`);
      expect(errorMessage(res.body)).not.toMatch(/none/);
    }
  });

  it('an AAD v2 scope must name Media Services exactly: a look-alike host gets no token', async () => {
    for (const scope of [`${AAD_RESOURCE}.evil/.default`, `${AAD_RESOURCE}.evil.example/.default`, `${AAD_RESOURCE}@evil.example/.default`, `${AAD_RESOURCE}:443.evil/.default`, `${AAD_RESOURCE}evil/.default`]) {
      const res = await tokenFrom(strict, `/${DEV_TENANT}/oauth2/v2.0/token`, { ...DEV_FORM, scope });
      expect(res.status, scope).toBe(400);
      expect(res.body.error, scope).toBe('invalid_scope');
    }
    for (const scope of [`${AAD_RESOURCE}/.default`, `${AAD_RESOURCE}//.default`, `openid ${AAD_RESOURCE}/.default`, 'HTTPS://REST.MEDIA.AZURE.NET/.default']) {
      expect((await tokenFrom(strict, `/${DEV_TENANT}/oauth2/v2.0/token`, { ...DEV_FORM, scope })).status, scope).toBe(200);
    }
  });

  it('a token --auth any gave (to any client id) is refused by --auth strict on the same data directory', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'ams-auth-modes-'));
    const storage = { storageConnectionString: azurite.connectionString, location: dir };
    try {
      const open = await startTestEmulator(storage);
      const res = await tokenFrom(open, '/v2/OAuth2-13', { grant_type: 'client_credentials', client_id: 'anyone-at-all', client_secret: 'x', scope: ACS_SCOPE });
      expect(res.status).toBe(200);
      const token = String(res.body.access_token);
      await open.close();
      const closed = await startTestEmulator({ ...storage, auth: 'strict' });
      try {
        const refused = await withToken(closed, token);
        expect(refused.status).toBe(401);
        expect(errorMessage(refused.body)).toMatch(/issued under --auth any, not --auth strict/);
        expect((await withToken(closed, await acsToken(closed))).status).toBe(200);
      } finally {
        await closed.close();
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('refuses a missing token with 401', async () => {
    expect((await withToken(strict, undefined)).status).toBe(401);
  });
});

describe('--auth none', () => {
  it('needs no token at all', async () => {
    expect((await withToken(none, undefined)).status).toBe(200);
    expect((await none.ams('POST', 'Assets', { body: { Name: 'open' }, headers: { Authorization: undefined } })).status).toBe(201);
  });
});
