import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestEmulator, type TestEmulator } from '../../../test/support/emulator.js';
import { storageEncryptionActions } from '../helpers/clients-actions.js';
import { loadSequence } from '../helpers/clients-replay.js';
import { atomEntries, atomProperties, atomPropertyTypes, DATA_NS, parseXml, rootText } from '../helpers/clients-xml.js';

/**
 * The whole storage-encryption workflow as the legacy Java SDK drives it, in Atom/XML only
 * (fixtures/clients/java/sequence.json): ns2:/ns3: bodies without m:type, POST + X-HTTP-Method:
 * MERGE, a $links XML body with the key id percent-encoded, `Accept: application/xml,application/xml`
 * for the protection-key functions, a single-shot blob PUT through the SAS locator against the real
 * Azurite, CreateFileInfos after the upload, the files listed through the asset's related/Files
 * link, then the MERGE of the encryption fields; the blob must decrypt to the original.
 */

let emu: TestEmulator;
beforeAll(async () => {
  emu = await startTestEmulator();
});
afterAll(() => emu.close());

describe('Java SDK storage-encryption workflow in Atom/XML', () => {
  it('runs end to end: key, asset, link, policy, locator, upload, CreateFileInfos, MERGE, and the blob decrypts', async () => {
    const client = storageEncryptionActions(emu, { checksum: 'java', fileName: 'MPEG4-H264.mp4', fileSize: 200_000, upload: 'single', url: 'baseUri', highIv: true });
    const session = loadSequence('java', { baseUrl: emu.baseUrl, actions: client.actions });
    session.set('serviceUri', emu.url);
    await session.run();

    // Function results: one element in the dataservices namespace, as JAXB reads them.
    const keyId = session.exchange('GetProtectionKeyId');
    expect(keyId.response.headers['content-type']).toMatch(/^application\/xml/);
    expect(rootText(parseXml(keyId.response.text), 'GetProtectionKeyId', DATA_NS)).toBe(emu.emulator.protectionKeyId);

    // The entry Java unmarshals after the MERGE: encryption fields as sent, the IV above 2^63 verbatim.
    const file = atomProperties(atomEntries(parseXml(session.exchange('GET the file').response.text))[0]!);
    expect(file).toMatchObject({
      Name: 'MPEG4-H264.mp4',
      IsEncrypted: 'true',
      EncryptionScheme: 'StorageEncryption',
      EncryptionVersion: '1.0',
      EncryptionKeyId: session.get('keyId'),
      InitializationVector: session.get('iv'),
      ContentFileSize: '200000',
      IsPrimary: 'true',
      ParentAssetId: session.get('assetId'),
    });
    expect(BigInt(session.get('iv'))).toBeGreaterThan(2n ** 63n);
    const types = atomPropertyTypes(atomEntries(parseXml(session.exchange('GET the file').response.text))[0]!);
    expect(types).toMatchObject({ ContentFileSize: 'Edm.Int64', IsEncrypted: 'Edm.Boolean', Created: 'Edm.DateTime' });

    // The policy was read from Java's `10.0` and written back as a double.
    const policy = atomProperties(atomEntries(parseXml(session.exchange('POST AccessPolicies').response.text))[0]!);
    expect(policy['DurationInMinutes']).toBe('10.0');
    // The asset's key list holds the key linked through the XML $links body.
    const keys = await emu.ams('GET', `Assets('${encodeURIComponent(session.get('assetId'))}')/ContentKeys`);
    expect(keys.body.value.map((k: { Id: string }) => k.Id)).toEqual([session.get('keyId')]);
  });
});
