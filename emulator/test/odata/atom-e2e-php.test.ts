import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomUUID } from 'node:crypto';
import { startTestEmulator, type TestEmulator } from '../../../test/support/emulator.js';
import { readBatchStrictly } from '../helpers/batch-strict.js';
import { storageEncryptionActions } from '../helpers/clients-actions.js';
import { loadSequence } from '../helpers/clients-replay.js';
import { atomEntries, atomProperties, parseXml } from '../helpers/clients-xml.js';
import { downloadAsset, STORAGE_DECRYPTION } from '../helpers/jobs-fixtures.js';

/**
 * The PHP SDK's storage-encryption ingest (fixtures/clients/php/sequence.json): Atom bodies with
 * no XML declaration and the data namespace declared on every property, booleans as "1", dates
 * with a `+00:00` offset, `$links` as `<data:uri>` sent as application/xml, the thumbprint of
 * content key type 0 used for a storage key, the PHP checksum, CreateFileInfos then a MERGE; then
 * the job created through `$batch` with the request's Content-Type folded (obs-fold), its answer
 * read as strictly as the SDK's Mail_mimeDecode-based BatchResponse reads it.
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
  it('runs end to end: "1" booleans, +00:00 dates, an application/xml $links body, and the job through a folded $batch', async () => {
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
        batchBoundaries: (s) => {
          s.set('batchBoundary', `batch_${randomUUID()}`);
          s.set('changesetBoundary', `changeset_${randomUUID()}`);
          s.set('storageDecryption', STORAGE_DECRYPTION);
        },
        readBatchAnswer: (s) => {
          const { response } = s.exchange('POST $batch: the job and its Storage Decryption task');
          const items = readBatchStrictly(String(response.headers['content-type']), response.text);
          expect(items).toHaveLength(1);
          const changeset = items[0]!;
          if (!('changeset' in changeset)) throw new Error('the answer is not one changeset');
          expect(changeset.changeset.map((p) => p.response.status)).toEqual([201, 201]);
          s.set('jobId', atomProperties(atomEntries(parseXml(changeset.changeset[0]!.response.body))[0]!)['Id']!);
        },
        outputIsClear: async (s) => {
          expect(s.get('jobState')).toBe('3');
          const files = await downloadAsset(emu, s.get('outputAssetId'));
          expect(files.get('Ingest.txt')?.equals(client.side.plaintext!)).toBe(true);
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
