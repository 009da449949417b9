import { randomBytes } from 'node:crypto';
import { expectThat, type CaseRecorder } from '../../runner/recorder.js';
import { withResources } from '../../workflow/resources.js';
import type { SuiteContext } from '../types.js';
import { assetIdOfLocation, describe, expectStatus, readEntity } from './expect.js';
import { formatById } from './formats.js';

/**
 * Request headers the service acted on: `x-ms-version` (a version it does not know is a 400 on
 * the service and in strict mode; compat mode answers and, where findings are kept, records
 * `unsupported-api-version`), and `Prefer: return-no-content` on a create (204, with the new
 * entity's address in Location, as OData v3 has it).
 */
export async function headersCheck(context: SuiteContext, cases: CaseRecorder): Promise<void> {
  const { target, mode } = context;
  await cases.check('api-version', `an unknown x-ms-version is ${mode === 'strict' ? 'refused with 400' : 'answered, and recorded as a finding where findings are kept'} (${mode} mode)`, async () => {
    const response = await target.raw.send('GET', { path: 'Assets?$top=1', accept: 'application/json', headers: { 'x-ms-version': '9.9' } });
    if (mode === 'strict') {
      expectStatus(response, 400, 'GET Assets with x-ms-version 9.9');
      expectThat(/x-ms-version|version/i.test(response.text), () => `the 400 for x-ms-version 9.9 does not say what was wrong: ${response.text.slice(0, 200)}`);
      return;
    }
    expectStatus(response, 200, 'GET Assets with x-ms-version 9.9 (compat mode)');
    const extras = target.extras;
    if (extras && context.capabilities.findings) {
      const findings = await extras.findings({ rule: 'unsupported-api-version' });
      expectThat(findings.length > 0, 'compat mode answered x-ms-version 9.9 but recorded no unsupported-api-version finding');
    }
  });

  await cases.check('prefer-return-no-content', 'POST Assets with Prefer: return-no-content answers 204 with Preference-Applied and the new asset in Location', async () => {
    await withResources(target.client(), async (resources) => {
      const name = `amsconf-prefer-${randomBytes(4).toString('hex')}`;
      const format = formatById('minimal');
      const created = await target.raw.send('POST', {
        path: 'Assets',
        accept: format.accept,
        contentType: format.contentType,
        body: JSON.stringify({ Name: name }),
        headers: { Prefer: 'return-no-content' },
      });
      const location = created.headers.get('location');
      const id = assetIdOfLocation(location);
      if (id) resources.track('Assets', id);
      expectStatus(created, 204, 'POST Assets with Prefer: return-no-content');
      expectThat(created.text === '', 'the 204 for Prefer: return-no-content has a body');
      expectThat(/return-no-content/i.test(created.headers.get('preference-applied') ?? ''), () => `Preference-Applied is ${JSON.stringify(created.headers.get('preference-applied'))}, not return-no-content`);
      expectThat(location !== null && id !== undefined, () => `the 204 has no Location naming the new asset (got ${JSON.stringify(location)})`);
      const read = await target.raw.send('GET', { path: `Assets('${encodeURIComponent(id!)}')`, accept: format.accept });
      const what = describe('GET', `Assets('${id}')`, format);
      expectStatus(read, 200, what);
      expectThat(readEntity(read, format, what).properties['Name'] === name, `${what} is not the asset just created`);
    });
  });
}
