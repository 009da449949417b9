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
 * (a page is the right slice, and paging visits every entity once), `$select`, `$orderby` (both
 * directions), `$count` and `$inlinecount=allpages`.
 */
export async function queryProperty(context: SuiteContext, cases: CaseRecorder): Promise<void> {
  const { target } = context;
  await cases.property(
    'query-options',
    'on Assets in every format: $filter (eq, startswith, quoted literals) returns exactly the matching entities, $top/$skip page through them once each, $select returns only the selected properties, $orderby sorts, $count and $inlinecount count the filtered set',
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

        const sortedNames = created.map((c) => c.name).sort(ordinal);
        for (const [direction, expected] of [['', sortedNames], [' desc', [...sortedNames].reverse()]] as const) {
          const ordered = await query(context, format, `$filter=${encodeURIComponent(byPrefix)}&$orderby=${encodeURIComponent(`Name${direction}`)}`);
          const got = ordered.map((e) => e.properties['Name'] ?? '');
          expectThat(sameOrder(got, expected), () => `$orderby=Name${direction} returned ${JSON.stringify(got)}, expected ${JSON.stringify(expected)}`);
        }

        const countPath = `Assets/$count?$filter=${encodeURIComponent(byPrefix)}`;
        const counted = await target.raw.send('GET', { path: countPath, accept: 'text/plain' });
        expectStatus(counted, 200, `GET ${countPath}`);
        expectThat(counted.text.trim() === String(all.length), `GET ${countPath} answered ${JSON.stringify(counted.text.slice(0, 40))}, expected ${all.length}`);

        const inlinePath = `Assets?$filter=${encodeURIComponent(byPrefix)}&$top=1&$inlinecount=allpages`;
        const inline = await target.raw.send('GET', { path: inlinePath, accept: format.accept });
        const what = describe('GET', inlinePath, format);
        expectStatus(inline, 200, what);
        expectThat(readFeed(inline, format, what).length === 1, `${what} returned more than $top=1 entities`);
        const inlineCount = format.readInlineCount(inline.text);
        expectThat(inlineCount === all.length, `${what} counted ${inlineCount}, expected ${all.length} (the count is of the filtered set, before $top)`);
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

/** Names under one prefix differ in ASCII letters and a quote: ordinal and culture order agree. */
function ordinal(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function sameOrder(got: readonly string[], expected: readonly string[]): boolean {
  return got.length === expected.length && got.every((name, i) => name === expected[i]);
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
