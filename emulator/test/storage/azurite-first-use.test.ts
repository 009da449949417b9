import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT, ensureCliBuilt } from '../helpers/api-cli.js';

/**
 * Packages Azurite requires as it loads but an embedded Azurite does not use at start-up get a
 * stand-in that loads them on first use (azurite-modules.ts). In a fresh Node process (the built
 * module), so the require cache shows what loading Azurite loaded and nothing another test did.
 */
beforeAll(() => ensureCliBuilt(), 180_000);

const SCRIPT = `
import { createRequire } from 'node:module';
import { dirname } from 'node:path';
const { loadAzurite, LOADED_ON_FIRST_USE } = await import(process.argv[1]);
const require = createRequire(process.argv[1]);
/** Files of the package loaded, beyond its entry point (which the stand-in stands for). */
const files = (name) => Object.keys(require.cache).filter((path) => path.includes('/node_modules/' + name + '/')).length;
const azurite = loadAzurite();
const afterLoad = Object.fromEntries(LOADED_ON_FIRST_USE.map(({ name }) => [name, files(name)]));
// Used, each loads for real and answers as itself.
azurite.configLogger(true, '/dev/null');
azurite.configLogger(false);
const where = (name, from) => require.resolve(name, { paths: [dirname(require.resolve(from, { paths: [dirname(require.resolve('azurite/package.json'))] }))] });
const jwt = require(where('jsonwebtoken', 'azurite/dist/src/blob/authentication/BlobTokenAuthenticator.js'));
const decoded = jwt.decode('eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.c2ln');
const tough = require(where('tough-cookie', '@azure/ms-rest-js'));
const jar = new tough.CookieJar();
jar.setCookieSync('a=b', 'http://example.test/');
const afterUse = Object.fromEntries(LOADED_ON_FIRST_USE.map(({ name }) => [name, files(name)]));
process.stdout.write(JSON.stringify({ afterLoad, afterUse, decoded, cookie: jar.getCookieStringSync('http://example.test/'), keys: Object.keys(jwt).includes('verify') }));
`;

describe('Azurite packages loaded on first use', () => {
  it('are not loaded by loading Azurite, and work as themselves once used', async () => {
    const module = pathToFileURL(join(REPO_ROOT, 'dist/emulator/src/storage/azurite-modules.js')).href;
    const { stdout } = await promisify(execFile)(process.execPath, ['--input-type=module', '-e', SCRIPT, module]);
    const result = JSON.parse(stdout) as { afterLoad: Record<string, number>; afterUse: Record<string, number>; decoded: unknown; cookie: string; keys: boolean };
    expect(result.afterLoad).toEqual({ winston: 1, jsonwebtoken: 1, 'tough-cookie': 1 });
    for (const name of ['winston', 'jsonwebtoken', 'tough-cookie']) expect(result.afterUse[name], name).toBeGreaterThan(1);
    expect(result.decoded).toEqual({ sub: 'x' });
    expect(result.cookie).toBe('a=b');
    expect(result.keys).toBe(true);
  });
});
