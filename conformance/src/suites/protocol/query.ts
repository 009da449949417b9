import { randomBytes } from 'node:crypto';
import fc from 'fast-check';
import { odataString } from '../../../../client/src/index.js';
import { expectThat, type CaseRecorder } from '../../runner/recorder.js';
import { withResources } from '../../workflow/resources.js';
import type { SuiteContext } from '../types.js';
import { formatById, FORMATS, type ReadEntity, type WireFormatSpec } from './formats.js';
import { describe, expectStatus, readFeed } from './expect.js';

/** Few distinct names, so that several assets share one; one needs its quote doubled in a literal. */
const names = fc.array(fc.constantFrom('a', 'b', "o'k"), { minLength: 1, maxLength: 6 });

/**
 * The query options the service documented, over assets named under a prefix no one else uses:
 * `$filter` with `eq` and `startswith` (string literals with doubled quotes), `$top` and `$skip`
 * (a page is the right slice, and paging visits every entity once), and `$select`.
 */
export async function queryProperty(context: SuiteContext, cases: CaseRecorder): Promise<void> {
  const { target } = context;
  await cases.property(
    'query-options',
    'on Assets in every format: $filter (eq, startswith, quoted literals) returns exactly the matching entities, $top/$skip page through them once each, $select returns only the selected properties',
    fc.asyncProperty(fc.constantFrom(...FORMATS.map((f) => f.id)), names, fc.integer({ min: 1, max: 7 }), fc.integer({ min: 0, max: 7 }), async (formatId, chosen, top, skip) => {
      const format = formatById(formatId);
      await withResources(target.client(), async (resources) => {
        const prefix = `amsconf-${randomBytes(4).toString('hex')}-`;
        const created: Array<{ id: string; name: string }> = [];
        for (const name of chosen) {
          const asset = await target.client().createAsset({ Name: prefix + name });
          resources.track('Assets', asset.Id);
          created.push({ id: asset.Id, name: prefix + name });
        }
        const all = created.map((c) => c.id).sort();
        const byPrefix = `startswith(Name,${odataString(prefix)})`;

        for (const name of new Set(created.map((c) => c.name))) {
          const got = await query(context, format, `$filter=${encodeURIComponent(`Name eq ${odataString(name)}`)}`);
          const expected = created.filter((c) => c.name === name).map((c) => c.id).sort();
          expectThat(sameIds(got, expected), () => `$filter=Name eq ${odataString(name)} returned ${ids(got).join(', ') || 'nothing'}, expected ${expected.join(', ')}`);
        }
        const everything = await query(context, format, `$filter=${encodeURIComponent(byPrefix)}`);
        expectThat(sameIds(everything, all), () => `$filter=${byPrefix} returned ${everything.length} of the ${all.length} assets`);

        const page = await query(context, format, `$filter=${encodeURIComponent(byPrefix)}&$top=${top}&$skip=${skip}`);
        const expectedLength = Math.max(0, Math.min(top, all.length - skip));
        expectThat(page.length === expectedLength, `$top=${top}&$skip=${skip} over ${all.length} assets returned ${page.length}, expected ${expectedLength}`);
        expectThat(ids(page).every((id) => all.includes(id)), '$top/$skip returned an asset outside the $filter');

        const visited: string[] = [];
        for (let at = 0; at <= all.length; at += top) {
          const slice = await query(context, format, `$filter=${encodeURIComponent(byPrefix)}&$top=${top}&$skip=${at}`);
          visited.push(...ids(slice));
          if (slice.length < top) break;
        }
        expectThat(sameList(visited, all), () => `paging by ${top} visited ${visited.length} assets (${new Set(visited).size} distinct), expected each of the ${all.length} once`);

        const selected = await query(context, format, `$filter=${encodeURIComponent(byPrefix)}&$select=Id,Name`);
        for (const entity of selected) {
          const extra = Object.keys(entity.properties).filter((p) => p !== 'Id' && p !== 'Name');
          expectThat(extra.length === 0, `$select=Id,Name also returned ${extra.join(', ')}`);
          expectThat(typeof entity.properties['Name'] === 'string' && entity.properties['Name'].startsWith(prefix), '$select=Id,Name lost the Name');
        }
      });
    }),
    { share: 0.3 },
  );
}

async function query(context: SuiteContext, format: WireFormatSpec, options: string): Promise<ReadEntity[]> {
  const path = `Assets?${options}`;
  const what = describe('GET', path, format);
  const response = await context.target.raw.send('GET', { path, accept: format.accept });
  expectStatus(response, 200, what);
  return readFeed(response, format, what);
}

function ids(entities: readonly ReadEntity[]): string[] {
  return entities.map((e) => e.properties['Id'] ?? '');
}

function sameIds(entities: readonly ReadEntity[], expected: readonly string[]): boolean {
  return sameList(ids(entities), expected);
}

/** The same ids, each as often, in any order. */
function sameList(got: readonly string[], expected: readonly string[]): boolean {
  const a = [...got].sort();
  const b = [...expected].sort();
  return a.length === b.length && a.every((id, i) => id === b[i]);
}
