import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestEmulator, type TestEmulator } from '../../../test/support/emulator.js';
import { storageEncryptionActions } from '../helpers/clients-actions.js';
import { modelTypeName, nullsInNonNullable } from '../helpers/clients-clr.js';
import { loadSequence } from '../helpers/clients-replay.js';

/**
 * The storage-encryption workflow in JSON verbose, the way fritzy/node-azure-media talks
 * (fixtures/clients/fritzy/sequence.json): x-ms-version 2.2, `/API/` in capitals, keys as
 * `Set(%27...%27)`, a Locator StartTime formatted `M/D/YYYY hh:mm:ss A`, the upload URL built from
 * `Path`, `/API//CreateFileInfos`, `+` for spaces in `$filter`, a MERGE with strings for booleans
 * and numbers; against the real Azurite, ending with the blob decrypting to the original.
 */

let emu: TestEmulator;
beforeAll(async () => {
  emu = await startTestEmulator();
});
afterAll(() => emu.close());

/** `moment.utc().subtract(10, 'minutes').format('M/D/YYYY hh:mm:ss A')`. */
function fritzyStartTime(date: Date): string {
  const h = date.getUTCHours();
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${date.getUTCMonth() + 1}/${date.getUTCDate()}/${date.getUTCFullYear()} ${pad(h % 12 === 0 ? 12 : h % 12)}:${pad(date.getUTCMinutes())}:${pad(date.getUTCSeconds())} ${h < 12 ? 'AM' : 'PM'}`;
}

describe('fritzy-style storage-encryption workflow in JSON verbose', () => {
  it('runs end to end with verbose payloads throughout', async () => {
    const start = new Date(Math.floor(Date.now() / 1000) * 1000 - 10 * 60_000);
    const client = storageEncryptionActions(emu, { checksum: 'dotnet', fileName: 'fritzy.mp4', fileSize: 150_000, upload: 'single', url: 'path' });
    const session = loadSequence('fritzy', {
      baseUrl: emu.baseUrl,
      actions: { ...client.actions, startTime: (s) => s.set('startTime', fritzyStartTime(start)) },
    });
    await session.run();

    // Verbose entities: {"d":{...}} with __metadata id/uri/type and __deferred navigation.
    const asset = JSON.parse(session.exchange('POST Assets').response.text);
    const assetUri = `${emu.url}Assets('${encodeURIComponent(session.get('assetId'))}')`;
    expect(asset.d.__metadata).toEqual({ id: assetUri, uri: assetUri, type: 'Microsoft.Cloud.Media.Vod.Rest.Data.Models.Asset' });
    expect(asset.d.Files).toEqual({ __deferred: { uri: `${assetUri}/Files` } });
    expect(asset.d.Options).toBe(1);
    expect(session.exchange('POST Assets').response.text).toMatch(/"Created":"\\\/Date\(\d+\)\\\/"/);

    // Verbose function results: {"d":{"<Function>": ...}}.
    expect(JSON.parse(session.exchange('GetProtectionKeyId').response.text)).toEqual({ d: { GetProtectionKeyId: emu.emulator.protectionKeyId } });

    // The locator started when fritzy said (M/D/YYYY hh:mm:ss A, UTC) and runs for the policy's 300 minutes.
    const locator = JSON.parse(session.exchange('POST Locators').response.text).d;
    expect(locator.StartTime).toBe(`/Date(${start.getTime()})/`);
    expect(locator.ExpirationDateTime).toBe(`/Date(${start.getTime() + 300 * 60_000})/`);

    // Feeds: {"d":{"results":[...]}}; the MERGE's string values were coerced to their types.
    const feed = JSON.parse(session.exchange('find the file').response.text);
    expect(feed.d.results).toHaveLength(1);
    const file = JSON.parse(session.exchange('GET the file').response.text).d;
    expect(file).toMatchObject({ IsEncrypted: true, ContentFileSize: '150000', InitializationVector: session.get('iv'), EncryptionKeyId: session.get('keyId') });

    for (const name of ['POST Assets', 'POST ContentKeys', 'POST AccessPolicies', 'POST Locators', 'GET the file']) {
      const entity = JSON.parse(session.exchange(name).response.text).d;
      expect(nullsInNonNullable(modelTypeName(entity.__metadata.type), entity), name).toEqual([]);
    }
  });
});
