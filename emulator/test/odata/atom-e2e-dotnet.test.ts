import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestEmulator, type TestEmulator } from '../../../test/support/emulator.js';
import { storageEncryptionActions } from '../helpers/clients-actions.js';
import { modelTypeName, nullsInNonNullable } from '../helpers/clients-clr.js';
import { loadSequence } from '../helpers/clients-replay.js';
import { ATOM_NS, atomEntries, atomProperties, parseXml } from '../helpers/clients-xml.js';

/**
 * The storage-encryption workflow as the .NET SDK's WCF Data Services client drives it
 * (fixtures/clients/dotnet/sequence.json): m:/d: entries carrying every property, server-owned ones
 * with m:null or DateTime.MinValue, the MERGE verb with the whole entity, a Locator bound by its
 * Asset and AccessPolicy links with AssetId/AccessPolicyId m:null, blocks encrypted at their
 * offsets and uploaded in parallel through the SAS locator to the real Azurite.
 */

let emu: TestEmulator;
beforeAll(async () => {
  emu = await startTestEmulator();
});
afterAll(() => emu.close());

describe('.NET SDK storage-encryption workflow in Atom/XML', () => {
  it('runs end to end and every entry it reads back can be materialised', async () => {
    const client = storageEncryptionActions(emu, { checksum: 'dotnet', fileName: 'BigBuckBunny.mp4', fileSize: 300_001, upload: 'blocks', url: 'baseUri' });
    const session = loadSequence('dotnet', { baseUrl: emu.baseUrl, actions: client.actions });
    session.set('serviceUri', emu.url);
    await session.run();

    // One certificate for every key type (finding 4).
    expect(session.get('thumbprint0')).toBe(session.get('thumbprint'));
    // The clear key the SDK rebinds for AssetFiles.Create is the key it made.
    expect(Buffer.from(session.get('clearKey'), 'base64').equals(client.side.key!)).toBe(true);

    // The Locator was bound through its links: its AssetId/AccessPolicyId come from them, and
    // ExpirationDateTime (MinValue in the request) was computed, not left null.
    const locator = atomProperties(atomEntries(parseXml(session.exchange('POST Locators').response.text))[0]!);
    expect(locator['AssetId']).toBe(session.get('assetId'));
    expect(locator['AccessPolicyId']).toBe(session.get('policyId'));
    expect(Date.parse(locator['ExpirationDateTime']!) - Date.now()).toBeGreaterThan(700 * 60_000);

    // The full-entity MERGE changed what the client changed and nothing server-owned.
    const file = atomProperties(atomEntries(parseXml(session.exchange('GET the file').response.text))[0]!);
    expect(file).toMatchObject({ ContentFileSize: '300001', IsEncrypted: 'true', InitializationVector: session.get('iv'), Id: session.get('fileId') });
    expect(file['Created']).toBe(session.get('fileCreated'));

    // Every Atom entry the SDK read has a value in each property its data class declares non-nullable.
    for (const exchange of session.exchanges) {
      if (!/^application\/atom\+xml/.test(String(exchange.response.headers['content-type']))) continue;
      for (const entry of atomEntries(parseXml(exchange.response.text))) {
        const term = entry.children.find((c) => c.uri === ATOM_NS && c.local === 'category')!.attrs['term']!;
        expect(nullsInNonNullable(modelTypeName(term), atomProperties(entry)), `${exchange.step.name}: ${term}`).toEqual([]);
      }
    }
  });
});
