import fc from 'fast-check';
import { entityPath, odataString } from '../../../../client/src/index.js';
import { expectThat, type CaseRecorder } from '../../runner/recorder.js';
import { withResources } from '../../workflow/resources.js';
import type { SuiteContext } from '../types.js';
import type { EntitySetSpec } from './entity-sets.js';
import { formatById, FORMATS } from './formats.js';
import { describe, expectError, expectNoContent, expectStatus, keyInUrl, readEntity, readFeed } from './expect.js';

/** Names with what the formats must escape: XML markup, quotes, non-ASCII. */
export const entityName = fc.string({ unit: fc.constantFrom(...'abcXYZ019 _-.&<>"\'é'), minLength: 1, maxLength: 16 });

export function idPattern(tag: string): RegExp {
  return new RegExp(`^nb:${tag}:UUID:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$`, 'i');
}

/**
 * Create, read, update and delete an entity of every writable set in every format: 201 with a
 * Location naming the new entity and the entity in the requested format, an `nb:` id, GET of the
 * Location, `$filter` by Id, MERGE (204, no body, the change visible), DELETE (204), then 404.
 */
export async function crudProperty(context: SuiteContext, cases: CaseRecorder, sets: readonly EntitySetSpec[]): Promise<void> {
  const { target } = context;
  const writable = sets.filter((s) => s.create && (s.set !== 'Jobs' || context.storageDecryptionProcessorId));
  if (writable.length === 0) {
    cases.notApplicable('create-read-update-delete', 'create, read, update and delete in every format', 'the endpoint lists none of the entity sets the kit can create');
    return;
  }
  await cases.property(
    'create-read-update-delete',
    `create (201, Location, nb: id), read, $filter by Id, MERGE (204) and DELETE (204, then 404) of ${writable.map((s) => s.set).join(', ')} in JSON minimal, verbose and Atom`,
    fc.asyncProperty(fc.constantFrom(...writable.map((s) => s.set)), fc.constantFrom(...FORMATS.map((f) => f.id)), entityName, entityName, async (set, formatId, name, newName) => {
      const spec = writable.find((s) => s.set === set)!;
      const format = formatById(formatId);
      await withResources(target.client(), async (resources) => {
        const request = await spec.create!({ target, resources, name, storageDecryptionProcessorId: context.storageDecryptionProcessorId });
        const headers = { accept: format.accept, contentType: format.contentType };
        const what = describe('POST', spec.set, format);
        const created = await target.raw.send('POST', { path: spec.set, ...headers, body: format.encodeEntity(request.properties, request.extras) });
        expectStatus(created, 201, what);
        const entity = readEntity(created, format, what);
        const id = entity.properties['Id'];
        expectThat(typeof id === 'string', `${what}: the created entity has no Id`);
        if (spec.tracked) resources.track(spec.tracked, id);
        await spec.afterCreate?.(target, resources, id);
        expectThat(idPattern(spec.tag!).test(id), `${what}: the Id ${JSON.stringify(id)} is not nb:${spec.tag}:UUID:<guid>`);
        const echoed = entity.properties[request.echo.property];
        expectThat(echoed === request.echo.value, `${what}: ${request.echo.property} came back as ${JSON.stringify(echoed)}, sent ${JSON.stringify(request.echo.value)}`);

        const location = created.headers.get('location');
        expectThat(location !== null, `${what}: 201 without a Location header`);
        expectThat(/^https?:\/\//i.test(location), `${what}: Location ${JSON.stringify(location)} is not an absolute URL`);
        expectThat(keyInUrl(location, spec.set) === id, `${what}: Location ${JSON.stringify(location)} does not name ${spec.set}('${id}')`);

        const read = await target.raw.send('GET', { path: location, accept: format.accept });
        expectStatus(read, 200, describe('GET', location, format));
        expectThat(readEntity(read, format, 'GET Location').properties['Id'] === id, `GET ${location} returned another entity`);

        const filterPath = `${spec.set}?$filter=${encodeURIComponent(`Id eq ${odataString(id)}`)}`;
        const filtered = await target.raw.send('GET', { path: filterPath, accept: format.accept });
        expectStatus(filtered, 200, describe('GET', filterPath, format));
        const found = readFeed(filtered, format, describe('GET', filterPath, format)).map((e) => e.properties['Id']);
        expectThat(found.length === 1 && found[0] === id, `${describe('GET', filterPath, format)} returned ${JSON.stringify(found)}, not exactly ${id}`);

        const path = entityPath(spec.set, id);
        if (spec.merge) {
          const change = spec.merge(newName);
          const merged = await target.raw.send('MERGE', { path, ...headers, body: format.encodeEntity(change.properties) });
          expectNoContent(merged, describe('MERGE', path, format));
          const after = readEntity(await target.raw.send('GET', { path, accept: format.accept }), format, describe('GET', path, format));
          expectThat(after.properties[change.echo.property] === change.echo.value, `after MERGE, ${change.echo.property} is ${JSON.stringify(after.properties[change.echo.property])}, not ${JSON.stringify(change.echo.value)}`);
        }

        await spec.beforeDelete?.(target, id);
        const deleted = await target.raw.send('DELETE', { path, accept: format.accept });
        expectNoContent(deleted, describe('DELETE', path, format));
        const gone = await target.raw.send('GET', { path, accept: format.accept });
        expectError(gone, 404, format, `${describe('GET', path, format)} after DELETE`);
      });
    }),
    { share: 0.6 },
  );
}
