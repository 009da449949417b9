import { AssetCreationOptions, entityPath } from '../../../../client/src/index.js';
import { expectThat, type CaseRecorder } from '../../runner/recorder.js';
import { withResources } from '../../workflow/resources.js';
import { createGoodKey } from '../../workflow/storage-keys.js';
import type { SuiteContext } from '../types.js';
import { FORMATS } from './formats.js';
import { describe, expectNoContent, expectStatus, keyInUrl, readFeed } from './expect.js';

/**
 * `$links` between an asset and its content key, in every format: POST the key's URI (204), read
 * it back from `$links` and from the navigation, DELETE the link (204), and it is gone.
 */
export async function linksCheck(context: SuiteContext, cases: CaseRecorder): Promise<void> {
  const { target } = context;
  await cases.check('links', "Assets('..')/$links/ContentKeys in JSON minimal, verbose and Atom: POST 204, read back through $links and the ContentKeys navigation, DELETE 204", async () => {
    for (const format of FORMATS) {
      await withResources(target.client(), async (resources) => {
        const key = await createGoodKey(target, resources);
        const asset = await target.client().createAsset({ Name: 'ams-conformance-links', Options: AssetCreationOptions.StorageEncrypted });
        resources.track('Assets', asset.Id);
        const links = `${entityPath('Assets', asset.Id)}/$links/ContentKeys`;
        const keyUri = target.raw.url(entityPath('ContentKeys', key.id));

        const posted = await target.raw.send('POST', { path: links, accept: format.accept, contentType: format.id === 'atom' ? 'application/xml' : format.contentType, body: format.encodeLink(keyUri) });
        expectNoContent(posted, describe('POST', links, format));

        const listed = await target.raw.send('GET', { path: links, accept: format.accept });
        expectStatus(listed, 200, describe('GET', links, format));
        let uris: string[];
        try {
          uris = format.readLinks(listed.text);
        } catch (err) {
          throw new Error(`${describe('GET', links, format)}: not a ${format.title} $links document: ${(err as Error).message}`);
        }
        expectThat(uris.length === 1 && keyInUrl(uris[0]!, 'ContentKeys') === key.id, `${describe('GET', links, format)} lists ${JSON.stringify(uris)}, not the linked key ${key.id}`);

        const navigation = `${entityPath('Assets', asset.Id)}/ContentKeys`;
        const related = await target.raw.send('GET', { path: navigation, accept: format.accept });
        expectStatus(related, 200, describe('GET', navigation, format));
        const keys = readFeed(related, format, describe('GET', navigation, format)).map((e) => e.properties['Id']);
        expectThat(keys.length === 1 && keys[0] === key.id, `${describe('GET', navigation, format)} returned ${JSON.stringify(keys)}, not the linked key`);

        const link = `${links.slice(0, -'/ContentKeys'.length)}/${entityPath('ContentKeys', key.id)}`;
        expectNoContent(await target.raw.send('DELETE', { path: link, accept: format.accept }), describe('DELETE', link, format));
        const after = await target.raw.send('GET', { path: links, accept: format.accept });
        expectStatus(after, 200, describe('GET', links, format));
        expectThat(format.readLinks(after.text).length === 0, `${describe('GET', links, format)} still lists the key after DELETE of the link`);
      });
    }
  });
}
