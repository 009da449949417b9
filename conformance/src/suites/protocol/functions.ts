import { randomBytes, randomUUID } from 'node:crypto';
import { AssetCreationOptions, certificateThumbprint, formatKeyId, functionQuery } from '../../../../client/src/index.js';
import { expectThat, type CaseRecorder } from '../../runner/recorder.js';
import { SasBlockBlob } from '../../workflow/blob.js';
import { writeAccess } from '../../workflow/encrypted-asset.js';
import { withResources, type Resources } from '../../workflow/resources.js';
import { createGoodKey } from '../../workflow/storage-keys.js';
import type { SuiteContext } from '../types.js';
import { FORMATS } from './formats.js';
import { describe, expectError, expectNoContent, readFunction } from './expect.js';

export const KNOWN_FUNCTIONS = ['GetProtectionKeyId', 'GetProtectionKey', 'RebindContentKey', 'CreateFileInfos', 'CancelJob'] as const;

/**
 * The service operations, in every format: GetProtectionKeyId names the certificate GetProtectionKey
 * returns (base64 DER, SHA-1 thumbprint), RebindContentKey('') returns the key in clear, CreateFileInfos
 * (204) makes a file entity per blob, and RebindContentKey and CancelJob answer 404/400 for
 * unknown/malformed ids.
 */
export async function functionsCheck(context: SuiteContext, cases: CaseRecorder, served: ReadonlySet<string>): Promise<void> {
  const { target } = context;
  const missing = KNOWN_FUNCTIONS.filter((f) => !served.has(f));
  if (missing.length === KNOWN_FUNCTIONS.length) {
    cases.notApplicable('functions', 'the service operations in every format', 'the endpoint declares none of GetProtectionKeyId, GetProtectionKey, RebindContentKey, CreateFileInfos', 'check');
    return;
  }
  await cases.check('functions', `${KNOWN_FUNCTIONS.filter((f) => served.has(f)).join(', ')} in JSON minimal, verbose and Atom: values, 204, and 404/400 for unknown/malformed ids`, async () => {
    await withResources(target.client(), async (resources) => {
      const key = randomBytes(32);
      const storageKey = served.has('RebindContentKey') ? await createGoodKey(target, resources, key) : undefined;
      for (const format of FORMATS) {
        const call = async (name: string, params: Record<string, string | number>) => {
          const path = `${name}?${functionQuery(params)}`;
          return { path, what: describe('GET', path, format), response: await target.raw.send('GET', { path, accept: format.accept }) };
        };
        let thumbprint: string | undefined;
        if (served.has('GetProtectionKeyId')) {
          const { what, response } = await call('GetProtectionKeyId', { contentKeyType: 1 });
          const value = readFunction(response, format, 'GetProtectionKeyId', what);
          expectThat(value !== null && /^[0-9A-Fa-f]{40}$/.test(value), `${what} returned ${JSON.stringify(value)}, not a 40-hex-digit thumbprint`);
          thumbprint = value;
        }
        if (served.has('GetProtectionKey')) {
          thumbprint ??= (await target.protectionCertificate()).thumbprint;
          const { what, response } = await call('GetProtectionKey', { ProtectionKeyId: thumbprint });
          const value = readFunction(response, format, 'GetProtectionKey', what);
          expectThat(value !== null && /^[A-Za-z0-9+/]+={0,2}$/.test(value), `${what} did not return base64 (no PEM armour, no line breaks)`);
          expectThat(certificateThumbprint(value) === thumbprint.toUpperCase(), `${what} returned a certificate whose SHA-1 thumbprint is ${certificateThumbprint(value)}`);
        }
        if (storageKey) {
          const { what, response } = await call('RebindContentKey', { id: storageKey.id, x509Certificate: '' });
          const value = readFunction(response, format, 'RebindContentKey', what);
          expectThat(value !== null && Buffer.from(value, 'base64').equals(key), `${what} did not return the key in clear`);
          const unknown = await call('RebindContentKey', { id: formatKeyId(randomUUID()), x509Certificate: '' });
          expectError(unknown.response, 404, format, `${unknown.what} (an unknown key)`);
          const malformed = await call('RebindContentKey', { id: 'notAValidId', x509Certificate: '' });
          expectError(malformed.response, 400, format, `${malformed.what} (a malformed key id)`);
        }
        if (served.has('CreateFileInfos')) await createFileInfos(context, format.accept, describe('GET', 'CreateFileInfos', format), resources);
        if (served.has('CancelJob')) {
          const unknown = await call('CancelJob', { jobid: `nb:jid:UUID:${randomUUID()}` });
          expectError(unknown.response, 404, format, `${unknown.what} (an unknown job)`);
          const malformed = await call('CancelJob', { jobid: 'notAValidId' });
          expectError(malformed.response, 400, format, `${malformed.what} (a malformed job id)`);
        }
      }
    });
  });
}

async function createFileInfos(context: SuiteContext, accept: string, what: string, resources: Resources): Promise<void> {
  const { target } = context;
  const client = target.client();
  const asset = await client.createAsset({ Name: 'ams-conformance-fileinfos', Options: AssetCreationOptions.None });
  resources.track('Assets', asset.Id);
  const blobUrl = await writeAccess(target, resources, asset.Id);
  const bytes = randomBytes(1 + (randomBytes(1)[0]! % 100));
  const blob = new SasBlockBlob(blobUrl('blob.bin'));
  await blob.stageBlock(Buffer.from('block-0').toString('base64'), bytes);
  await blob.commit([Buffer.from('block-0').toString('base64')]);
  const response = await target.raw.send('GET', { path: `CreateFileInfos?${functionQuery({ assetid: asset.Id })}`, accept });
  expectNoContent(response, what);
  const files = await client.listAssetFiles(asset.Id);
  const file = files.find((f) => f.Name === 'blob.bin');
  expectThat(file !== undefined, `${what} made no file entity for the blob blob.bin (files: ${files.map((f) => f.Name).join(', ') || 'none'})`);
  expectThat(file.ContentFileSize === BigInt(bytes.length), `${what}: the file entity says ContentFileSize ${file.ContentFileSize}, the blob holds ${bytes.length} bytes`);
  expectThat(!file.IsEncrypted, `${what}: the file entity of a blob says IsEncrypted true`);
}
