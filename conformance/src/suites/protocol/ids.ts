import fc from 'fast-check';
import type { HttpMethod } from '../../../../client/src/index.js';
import type { CaseRecorder } from '../../runner/recorder.js';
import type { SuiteContext } from '../types.js';
import { idPattern } from './crud.js';
import type { EntitySetSpec } from './entity-sets.js';
import { formatById, FORMATS, type Properties } from './formats.js';
import { describe, expectError } from './expect.js';

/** Ids that are not `nb:<tag>:UUID:<guid>` for this set: junk, a bare GUID, another set's tag, a cut GUID. */
function malformedId(tag: string): fc.Arbitrary<string> {
  const other = tag === 'cid' ? 'kid' : 'cid';
  const pattern = idPattern(tag);
  return fc
    .oneof(
      fc.constant('notAValidId'),
      fc.uuid(),
      fc.uuid().map((guid) => `nb:${other}:UUID:${guid}`),
      fc.uuid().map((guid) => `nb:${tag}:UUID:${guid.slice(0, -1)}`),
      fc.string({ unit: fc.constantFrom(...'abcXYZ0189:-_. '), maxLength: 30 }),
    )
    .filter((id) => !pattern.test(id));
}

const unknownId = (tag: string): fc.Arbitrary<string> => fc.uuid().map((guid) => `nb:${tag}:UUID:${guid}`);

/** A MERGE body the set accepts, so that only the id decides the answer. */
function mergeProbe(spec: EntitySetSpec): Properties {
  return spec.set === 'Files' ? { MimeType: { type: 'Edm.String', value: 'text/plain' } } : { Name: { type: 'Edm.String', value: 'ams-conformance' } };
}

/**
 * 400 for an id that is not well-formed for the set, 404 for a well-formed one that does not
 * exist, for every set, verb and format, each with an error document in the requested format
 * (the service answered `Assets('notAValidId')` with 400 and unknown ids with 404).
 */
export async function idsProperty(context: SuiteContext, cases: CaseRecorder, sets: readonly EntitySetSpec[]): Promise<void> {
  const { target } = context;
  const keyed = sets.filter((s): s is EntitySetSpec & { tag: string } => s.tag !== undefined);
  // Plain data (set name, format id), so a counterexample prints as what was sent.
  const request = fc.constantFrom(...keyed).chain((spec) =>
    fc.record({
      set: fc.constant(spec.set),
      method: fc.constantFrom<HttpMethod>(...(spec.create ? (['GET', 'MERGE', 'DELETE'] as const) : (['GET'] as const))),
      format: fc.constantFrom(...FORMATS.map((f) => f.id)),
      id: fc.oneof(malformedId(spec.tag).map((value) => ({ value, wellFormed: false })), unknownId(spec.tag).map((value) => ({ value, wellFormed: true }))),
    }),
  );
  await cases.property(
    'bad-and-unknown-ids',
    `a malformed id is 400 and an unknown well-formed id is 404, for GET, MERGE and DELETE on ${keyed.map((s) => s.set).join(', ')}, with an error document in the requested format`,
    fc.asyncProperty(request, async ({ set, method, format: formatId, id }) => {
      const spec = keyed.find((s) => s.set === set)!;
      const format = formatById(formatId);
      const path = `${set}('${encodeURIComponent(id.value.replace(/'/g, "''"))}')`;
      const body = method === 'MERGE' ? format.encodeEntity(mergeProbe(spec)) : undefined;
      const response = await target.raw.send(method, { path, accept: format.accept, ...(body !== undefined ? { contentType: format.contentType, body } : {}) });
      expectError(response, id.wellFormed ? 404 : 400, format, `${describe(method, path, format)} with ${id.wellFormed ? 'an unknown' : 'a malformed'} id`);
    }),
  );
}
