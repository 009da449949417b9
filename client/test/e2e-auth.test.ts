import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEV_CLIENT_ID, DEV_CLIENT_SECRET, DEV_TENANT } from '../../emulator/src/auth/credentials.js';
import { lastJsonLine, startE2eEnv, type E2eEnv, type UploadJson } from './helpers/e2e-env.js';
import { bytesFor } from './helpers/workflow-env.js';

/**
 * Credentials against an emulator that checks them (`auth: 'strict'`): only tokens it issued, only
 * for its development client id and secret. Each way of authenticating moves a file both ways;
 * each wrong one fails with a line that says what to fix.
 */

let env: E2eEnv;
let file: string;
const data = bytesFor(7, 70_000);

beforeAll(async () => {
  env = await startE2eEnv({ auth: 'strict' });
  file = join(env.dir, 'auth.bin');
  await writeFile(file, data);
});
afterAll(async () => {
  await env?.stop();
});

const credentials = ['--client-id', DEV_CLIENT_ID, '--client-secret', DEV_CLIENT_SECRET];

async function uploadAndDownload(auth: readonly string[], extraEnv: Record<string, string> = {}): Promise<void> {
  const up = await env.cli(['upload', file, '--endpoint', env.emu.url, ...auth, '--json'], { env: extraEnv });
  expect(up.stderr).toBe('');
  expect(up.code).toBe(0);
  const { assetId } = lastJsonLine<UploadJson>(up);
  const out = join(env.dir, `${assetId.slice(-12)}.out`);
  const down = await env.cli(['download', '--endpoint', env.emu.url, ...auth, '--asset', assetId, '--file', 'auth.bin', '--out', out, '--json'], { env: extraEnv });
  expect(down.stderr).toBe('');
  expect(down.code).toBe(0);
  expect((await readFile(out)).equals(data)).toBe(true);
}

async function tokenFromEmulator(): Promise<string> {
  const response = await fetch(`${env.emu.baseUrl}${DEV_TENANT}/oauth2/token`, {
    method: 'POST',
    body: new URLSearchParams({ grant_type: 'client_credentials', client_id: DEV_CLIENT_ID, client_secret: DEV_CLIENT_SECRET, resource: 'https://rest.media.azure.net' }),
  });
  return ((await response.json()) as { access_token: string }).access_token;
}

describe('ways to authenticate', () => {
  it('a static token the emulator issued', async () => {
    await uploadAndDownload(['--token', await tokenFromEmulator()]);
  });

  it('client credentials at the default token endpoint (ACS, <endpoint origin>/v2/OAuth2-13)', async () => {
    await uploadAndDownload(credentials);
  });

  it('client credentials at an Azure AD v1 token endpoint', async () => {
    await uploadAndDownload([...credentials, '--token-endpoint', `${env.emu.baseUrl}${DEV_TENANT}/oauth2/token`]);
  });

  it('client credentials at an Azure AD v2 token endpoint', async () => {
    await uploadAndDownload([...credentials, '--token-endpoint', `${env.emu.baseUrl}${DEV_TENANT}/oauth2/v2.0/token`]);
  });

  it('client credentials from AMS_CLIENT_ID and AMS_CLIENT_SECRET', async () => {
    await uploadAndDownload([], { AMS_CLIENT_ID: DEV_CLIENT_ID, AMS_CLIENT_SECRET: DEV_CLIENT_SECRET, AMS_TOKEN_ENDPOINT: `${env.emu.baseUrl}${DEV_TENANT}/oauth2/token` });
  });

  it('a flag wins over its variable: --token over a stale AMS_TOKEN', async () => {
    await uploadAndDownload(['--token', await tokenFromEmulator()], { AMS_TOKEN: 'stale' });
  });
});

describe('wrong credentials fail with one line saying what to fix', () => {
  it.each([
    ['the ACS endpoint', []],
    ['the Azure AD endpoint', ['--token-endpoint', `${DEV_TENANT}/oauth2/token`]],
  ])('a wrong client secret at %s', async (_where, endpointArgs) => {
    const tokenEndpoint = endpointArgs.length === 0 ? [] : ['--token-endpoint', `${env.emu.baseUrl}${endpointArgs[1]}`];
    const run = await env.cli(['ls', 'assets', '--endpoint', env.emu.url, '--client-id', DEV_CLIENT_ID, '--client-secret', 'not-the-secret', ...tokenEndpoint]);
    expect(run.code).toBe(1);
    expect(run.stdout).toBe('');
    expect(run.stderr).toMatch(/^ams-client: the token endpoint http:\/\/\S+ refused the client credentials \(HTTP 401 invalid_client: the client id or secret is wrong[^\n]*; check --client-id and --client-secret \(or AMS_CLIENT_ID and AMS_CLIENT_SECRET\)\n$/);
  });

  it('a token the emulator did not issue: 401 with its reason', async () => {
    const assetsBefore = (await env.state()).assets!.length;
    const run = await env.cli(['upload', file, '--endpoint', env.emu.url, '--token', 'not-a-jwt']);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/^ams-client: the AMS endpoint refused the credentials: GET \S+ failed with HTTP 401: Unauthorized: The token is refused: the access token is not a well-formed JWT \(x-ms-request-id [0-9a-f-]+\); get a fresh token for --token \(or AMS_TOKEN\), or use --client-id and --client-secret\n$/);
    // Refused at the first call: nothing was created.
    expect((await env.state()).assets).toHaveLength(assetsBefore);
  });
});
