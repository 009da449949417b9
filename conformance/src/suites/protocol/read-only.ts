import { entityPath } from '../../../../client/src/index.js';
import { expectThat, type CaseRecorder } from '../../runner/recorder.js';
import type { SuiteContext } from '../types.js';
import type { EntitySetSpec } from './entity-sets.js';
import { FORMATS } from './formats.js';
import { describe, expectStatus, readEntity, readFeed } from './expect.js';

/**
 * The sets clients only read (MediaProcessors, StorageAccounts, Tasks, EncodingReservedUnitTypes): each collection in every
 * format, and its first member again by key.
 */
export async function readOnlyCheck(context: SuiteContext, cases: CaseRecorder, sets: readonly EntitySetSpec[]): Promise<void> {
  const { target } = context;
  const readOnly = sets.filter((s) => !s.create);
  if (readOnly.length === 0) return;
  await cases.check('read-only-sets', `${readOnly.map((s) => s.set).join(', ')}: the collection in JSON minimal, verbose and Atom, and a member by its key`, async () => {
    for (const spec of readOnly) {
      for (const format of FORMATS) {
        const what = describe('GET', spec.set, format);
        const listed = await target.raw.send('GET', { path: spec.set, accept: format.accept });
        expectStatus(listed, 200, what);
        const members = readFeed(listed, format, what);
        const first = members[0];
        if (!first) continue;
        const keyProperty = spec.key ?? (spec.tag === undefined ? 'Name' : 'Id');
        const key = first.properties[keyProperty];
        expectThat(typeof key === 'string' && key !== '', `${what}: a member has no ${keyProperty}`);
        const path = entityPath(spec.set, key);
        const one = await target.raw.send('GET', { path, accept: format.accept });
        expectStatus(one, 200, describe('GET', path, format));
        expectThat(readEntity(one, format, describe('GET', path, format)).properties[keyProperty] === key, `${describe('GET', path, format)} returned another member`);
      }
    }
  });
}
