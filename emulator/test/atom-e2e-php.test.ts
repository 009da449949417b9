import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestEmulator, type TestEmulator } from '../../test/support/emulator.js';
import { storageEncryptionActions } from './helpers/clients-actions.js';
import { loadSequence } from './helpers/clients-replay.js';
import { atomEntries, atomProperties, parseXml } from './helpers/clients-xml.js';

/**
 * The PHP SDK's storage-encryption ingest (fixtures/clients/php/sequence.json): Atom bodies with
 * no XML declaration and the data namespace declared on every property, booleans as "1", dates
 * with a `+00:00` offset, `$links` as `<data:uri>` sent as application/xml, the thumbprint of
 * content key type 0 used for a storage key, the PHP checksum, CreateFileInfos then a MERGE.
 */

let emu: TestEmulator;
beforeAll(async () => {
  emu = await startTestEmulator();
});
afterAll(() => emu.close());

/** PHP `DateTime::format('Y-m-d\TH:i:sP')` in UTC. */
function phpDate(date: Date): string {
  return `${date.toISOString().slice(0, 19)}+00:00`;
}

describe('PHP SDK storage-encryption workflow in Atom/XML', () => {
  it('runs end to end: "1" booleans, +00:00 dates and an application/xml $links body are understood', async () => {
    const start = new Date(Math.floor(Date.now() / 1000) * 1000 - 5 * 60_000);
    const client = storageEncryptionActions(emu, { checksum: 'php', fileName: 'Ingest.txt', fileSize: 70_000, upload: 'single', url: 'baseUri' });
    const session = loadSequence('php', {
      baseUrl: emu.baseUrl,
      actions: {
        ...client.actions,
        phpDates: (s) => {
          s.set('startTime', phpDate(start));
          s.set('phpCreated', phpDate(new Date()));
        },
      },
    });
    session.set('serviceUri', emu.url);
    await session.run();

    const locator = atomProperties(atomEntries(parseXml(session.exchange('POST Locators').response.text))[0]!);
    expect(locator['StartTime']).toBe(`${start.toISOString().slice(0, 19)}.0000000Z`);
    const file = atomProperties(atomEntries(parseXml(session.exchange('GET the file').response.text))[0]!);
    expect(file).toMatchObject({ IsEncrypted: 'true', InitializationVector: session.get('iv'), ContentFileSize: '70000', MimeType: 'text/plain' });
    // Created is the server's, not the +00:00 date the MERGE carried.
    const created = atomProperties(atomEntries(parseXml(session.exchange('list the asset\'s files').response.text))[0]!)['Created'];
    expect(file['Created']).toBe(created);
  });
});
