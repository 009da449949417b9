import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestAzurite, type TestAzurite } from '../../../test/support/azurite.js';
import { REPO_ROOT, ensureCliBuilt } from '../helpers/api-cli.js';

/**
 * The health check pings storage, and the first healthy answer ends every start-up: a ping that
 * loaded the Azure storage SDK (~300 modules) would put that load on every start-up's critical
 * path. Run in a fresh Node process (the built module), so the require cache shows what one ping
 * loaded and nothing another test loaded before it.
 */
let azurite: TestAzurite;
beforeAll(async () => {
  await ensureCliBuilt();
  azurite = await startTestAzurite();
}, 180_000);
afterAll(() => azurite?.stop());

const SCRIPT = `
import { createRequire } from 'node:module';
const { createBlobStorage } = await import(process.argv[1]);
const sdkLoaded = () => Object.keys(createRequire(import.meta.url).cache).some((path) => path.includes('@azure/storage-blob'));
const storage = createBlobStorage(process.argv[2]);
await storage.ping();
const afterPing = sdkLoaded();
// The same check after a call that does use the SDK: it would see the SDK had ping loaded it.
await storage.containerExists('asset-none');
process.stdout.write(JSON.stringify({ afterPing, afterSdkCall: sdkLoaded() }));
`;

describe('ping', () => {
  it('answers without loading the storage SDK', async () => {
    const module = pathToFileURL(join(REPO_ROOT, 'dist/emulator/src/storage/blob-storage.js')).href;
    const { stdout } = await promisify(execFile)(process.execPath, ['--input-type=module', '-e', SCRIPT, module, azurite.connectionString], { env: { ...process.env, HTTP_PROXY: '', HTTPS_PROXY: '', http_proxy: '', https_proxy: '' } });
    expect(JSON.parse(stdout)).toEqual({ afterPing: false, afterSdkCall: true });
  });
});
