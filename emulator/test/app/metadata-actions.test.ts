import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiRoutes, type ApiParts } from '../../src/app/compose.js';
import { CONTAINER_NAMESPACE, MODEL_NAMESPACE } from '../../src/odata/edm.js';
import { CSDL_NS } from '../../src/odata/metadata-document.js';
import { startTestEmulator, type TestEmulator } from '../../../test/support/emulator.js';
import { parseXml, type Node } from '../helpers/clients-xml.js';

/**
 * `$metadata` declares everything `/api/` answers: each function and each entity-bound action the
 * composition (`app/compose.ts`) serves is a FunctionImport of the container, an action bindable
 * (IsBindable, its first parameter the entity it is bound to), as WCF Data Services wrote OData v3
 * actions. Read from the composition itself, so an action added later cannot be left out.
 */

let emu: TestEmulator;
beforeAll(async () => {
  emu = await startTestEmulator();
});
afterAll(() => emu.close());

const M = 'http://schemas.microsoft.com/ado/2007/08/dataservices/metadata';
const csdl = (node: Node, local: string): Node[] => node.children.filter((c) => c.uri === CSDL_NS && c.local === local);

/** The composition's lists; building them calls nothing on the parts, so empty stand-ins do. */
const ROUTES = apiRoutes({ jobs: {}, ingest: {} } as unknown as ApiParts);
const ACTIONS = ROUTES.actions ?? [];

async function functionImports(): Promise<Map<string, Node[]>> {
  const res = await emu.ams('GET', '$metadata', { headers: { Accept: 'application/xml' } });
  expect(res.status).toBe(200);
  const schemas = parseXml(res.text).children.flatMap((services) => csdl(services, 'Schema'));
  const container = schemas.filter((s) => s.attrs['Namespace'] === CONTAINER_NAMESPACE).flatMap((s) => csdl(s, 'EntityContainer'));
  expect(container).toHaveLength(1);
  const byName = new Map<string, Node[]>();
  for (const fn of csdl(container[0]!, 'FunctionImport')) byName.set(fn.attrs['Name']!, [...(byName.get(fn.attrs['Name']!) ?? []), fn]);
  return byName;
}

describe('$metadata declares what /api/ answers', () => {
  it('every composed entity-bound action, as a bindable FunctionImport whose first parameter is its entity', async () => {
    const imports = await functionImports();
    expect(ACTIONS.map((a) => `${a.type.set}/${a.name}`)).toEqual(expect.arrayContaining(['ContentKeys/GetKeyDeliveryUrl', 'StreamingEndpoints/Scale', 'StreamingEndpoints/Start', 'StreamingEndpoints/Stop']));
    // The body parameters the handlers read, by the names the SDKs send (ams-v2-surface.md §2.5, §4.2).
    const known: Record<string, Array<[string, string]>> = { GetKeyDeliveryUrl: [['keyDeliveryType', 'Edm.Int32']], Scale: [['scaleUnits', 'Edm.Int32']], Start: [], Stop: [] };
    for (const action of ACTIONS) {
      const bound = (imports.get(action.name) ?? []).filter((fn) => csdl(fn, 'Parameter')[0]?.attrs['Type'] === `${MODEL_NAMESPACE}.${action.type.name}`);
      expect(bound, `${action.type.set}('…')/${action.name}`).toHaveLength(1);
      const [fn] = bound;
      expect(fn!.attrs).toMatchObject({ IsBindable: 'true', IsSideEffecting: 'true', [`{${M}}IsAlwaysBindable`]: 'true' });
      expect(fn!.attrs[`{${M}}HttpMethod`], 'an action is POSTed; HttpMethod is for service operations').toBeUndefined();
      const [binding, ...rest] = csdl(fn!, 'Parameter');
      expect(binding!.attrs).toEqual({ Name: action.type.name[0]!.toLowerCase() + action.type.name.slice(1), Type: `${MODEL_NAMESPACE}.${action.type.name}`, Mode: 'In' });
      for (const p of rest) expect(p.attrs['Mode']).toBe('In');
      if (action.name in known) expect(rest.map((p) => [p.attrs['Name'], p.attrs['Type']])).toEqual(known[action.name]);
    }
    expect(imports.get('GetKeyDeliveryUrl')![0]!.attrs['ReturnType']).toBe('Edm.String');
    expect(imports.get('Start')![0]!.attrs['ReturnType']).toBeUndefined();
  });

  it('every composed function (service operation) too, with its HTTP method, unbound', async () => {
    const imports = await functionImports();
    for (const fn of ROUTES.functions) {
      const declared = imports.get(fn.name) ?? [];
      expect(declared, fn.name).toHaveLength(1);
      expect(declared[0]!.attrs[`{${M}}HttpMethod`], fn.name).toMatch(/^(GET|POST)$/);
      expect(declared[0]!.attrs['IsBindable'], fn.name).toBeUndefined();
    }
    // Nothing is declared that /api/ does not answer.
    const composed = new Set([...ROUTES.functions.map((f) => f.name), ...ACTIONS.map((a) => a.name)]);
    expect([...imports.keys()].filter((name) => !composed.has(name))).toEqual([]);
  });
});
