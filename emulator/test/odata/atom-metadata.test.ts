import { describe, expect, it } from 'vitest';
import { AccessPolicy, Asset, CONTAINER_NAMESPACE, ENTITY_TYPES, FUNCTIONS, Locator, MODEL_NAMESPACE, type EntityTypeDef, type PropertyDef } from '../../src/odata/edm.js';
import { CSDL_NS, EDMX_NS, writeMetadataDocument } from '../../src/odata/metadata-document.js';
import { child, childNames, parseWritten, type Node } from '../fixtures/atom/support.js';

const M = 'http://schemas.microsoft.com/ado/2007/08/dataservices/metadata';
const PRIMITIVES = new Set(['Edm.String', 'Edm.Int32', 'Edm.Int64', 'Edm.Double', 'Edm.Boolean', 'Edm.DateTime', 'Edm.Guid']);

const e = (local: string): string => `{${CSDL_NS}}${local}`;
const all = (node: Node, local: string): Node[] => node.children.filter((c) => c.name === e(local));

function parseCsdl(xml: string): { model: Node; container: Node } {
  const { decl, root } = parseWritten(xml);
  expect(decl).toMatchObject({ version: '1.0', encoding: 'utf-8' });
  expect(root.name).toBe(`{${EDMX_NS}}Edmx`);
  expect(root.attrs).toEqual({ Version: '1.0' });
  const services = child(root, `{${EDMX_NS}}DataServices`);
  expect(services.attrs).toEqual({ [`{${M}}DataServiceVersion`]: '3.0', [`{${M}}MaxDataServiceVersion`]: '3.0' });
  const schemas = all(services, 'Schema');
  expect(schemas.map((s) => s.attrs['Namespace'])).toEqual([MODEL_NAMESPACE, CONTAINER_NAMESPACE]);
  return { model: schemas[0]!, container: child(schemas[1]!, e('EntityContainer')) };
}

/** Resolve `Namespace.Name` against the model schema. */
function declared(model: Node, kind: 'EntityType' | 'ComplexType' | 'Association', qualified: string): Node {
  expect(qualified.startsWith(`${MODEL_NAMESPACE}.`), qualified).toBe(true);
  const name = qualified.slice(MODEL_NAMESPACE.length + 1);
  const found = all(model, kind).filter((n) => n.attrs['Name'] === name);
  expect(found, `${kind} ${qualified}`).toHaveLength(1);
  return found[0]!;
}

/** The document against the model it was written from: every type, property, key, navigation and function, nothing else. */
function checkAgainstModel(xml: string, types: readonly EntityTypeDef[], functions: typeof FUNCTIONS): void {
  const { model, container } = parseCsdl(xml);
  expect(all(model, 'EntityType').map((t) => t.attrs['Name'])).toEqual(types.map((t) => t.name));
  for (const type of types) {
    const node = declared(model, 'EntityType', `${MODEL_NAMESPACE}.${type.name}`);
    expect(childNames(child(node, e('Key')))).toEqual([e('PropertyRef')]);
    expect(child(child(node, e('Key')), e('PropertyRef')).attrs).toEqual({ Name: type.key });
    const props = all(node, 'Property');
    expect(props.map((p) => p.attrs['Name'])).toEqual(type.properties.map((p) => p.name));
    type.properties.forEach((p, i) => checkProperty(model, props[i]!.attrs, p));
    const navs = all(node, 'NavigationProperty');
    expect(navs.map((n) => n.attrs['Name'])).toEqual(type.navigation.map((n) => n.name));
    type.navigation.forEach((nav, i) => {
      const { Relationship, FromRole, ToRole } = navs[i]!.attrs;
      const association = declared(model, 'Association', Relationship!);
      const ends = Object.fromEntries(all(association, 'End').map((end) => [end.attrs['Role'], end.attrs]));
      expect(Object.keys(ends)).toHaveLength(2);
      expect(ends[FromRole!]!['Type']).toBe(`${MODEL_NAMESPACE}.${type.name}`);
      const target = types.find((t) => t.set === nav.target)!;
      expect(ends[ToRole!]).toMatchObject({ Type: `${MODEL_NAMESPACE}.${target.name}`, Multiplicity: nav.many ? '*' : '0..1' });
      // The container binds both ends to the sets.
      const sets = all(container, 'AssociationSet').filter((s) => s.attrs['Association'] === Relationship);
      expect(sets).toHaveLength(1);
      const setEnds = Object.fromEntries(all(sets[0]!, 'End').map((end) => [end.attrs['Role'], end.attrs['EntitySet']]));
      expect(setEnds).toEqual({ [FromRole!]: type.set, [ToRole!]: nav.target });
    });
  }
  expect(all(model, 'Association')).toHaveLength(types.reduce((n, t) => n + t.navigation.length, 0));
  expect(all(container, 'AssociationSet')).toHaveLength(types.reduce((n, t) => n + t.navigation.length, 0));

  expect(container.attrs).toEqual({ Name: CONTAINER_NAMESPACE, [`{${M}}IsDefaultEntityContainer`]: 'true' });
  expect(all(container, 'EntitySet').map((s) => s.attrs)).toEqual(types.map((t) => ({ Name: t.set, EntityType: `${MODEL_NAMESPACE}.${t.name}` })));
  for (const set of all(container, 'EntitySet')) declared(model, 'EntityType', set.attrs['EntityType']!);

  const imports = all(container, 'FunctionImport');
  expect(imports.map((f) => f.attrs['Name'])).toEqual(functions.map((f) => f.name));
  functions.forEach((fn, i) => {
    expect(imports[i]!.attrs).toEqual({ Name: fn.name, [`{${M}}HttpMethod`]: fn.httpMethod, ...(fn.returnType ? { ReturnType: fn.returnType } : {}) });
    expect(all(imports[i]!, 'Parameter').map((p) => p.attrs)).toEqual(fn.parameters.map((p) => ({ Name: p.name, Type: p.type, Mode: 'In' })));
  });
}

/** One property against its definition; complex types are declared, and their fields checked the same way. */
function checkProperty(model: Node, attrs: Record<string, string>, p: PropertyDef): void {
  const complex = p.complexCollection ?? p.complex;
  if (p.complexCollection || p.primitiveCollection) {
    // OData v3 collections are never null.
    const item = complex ? `${MODEL_NAMESPACE}.${complex.name}` : p.type;
    expect(attrs).toEqual({ Name: p.name, Type: `Collection(${item})`, Nullable: 'false' });
  } else if (complex) {
    expect(attrs).toEqual({ Name: p.name, Type: `${MODEL_NAMESPACE}.${complex.name}`, ...(p.nullable ? {} : { Nullable: 'false' }) });
  } else {
    expect(PRIMITIVES.has(attrs['Type']!)).toBe(true);
    expect(attrs).toEqual({
      Name: p.name,
      Type: p.type,
      ...(p.nullable ? {} : { Nullable: 'false' }),
      ...(p.maxLength === undefined ? {} : { MaxLength: String(p.maxLength) }),
    });
  }
  if (!complex) return;
  const fields = all(declared(model, 'ComplexType', `${MODEL_NAMESPACE}.${complex.name}`), 'Property');
  expect(fields.map((f) => f.attrs['Name'])).toEqual(complex.properties.map((f) => f.name));
  complex.properties.forEach((f, i) => checkProperty(model, fields[i]!.attrs, f));
}

describe('writeMetadataDocument', () => {
  it('describes exactly the emulator model: types, properties, keys, navigation, functions', () => {
    checkAgainstModel(writeMetadataDocument(ENTITY_TYPES, FUNCTIONS), ENTITY_TYPES, FUNCTIONS);
  });

  it('declares each complex type once, however many properties use it', () => {
    const { model } = parseCsdl(writeMetadataDocument(ENTITY_TYPES, FUNCTIONS));
    expect(all(model, 'ComplexType').map((c) => c.attrs['Name'])).toEqual([
      'JobNotificationSubscription',
      'ErrorDetail',
      'TaskHistoricalEvent',
      'TaskNotificationSubscription',
      'IngestManifestStatistics',
      'ContentKeyAuthorizationPolicyRestriction',
      // StreamingEndpoint's, nested ones right after the type that uses them.
      'StreamingEndpointAccessControl',
      'AkamaiAccessControl',
      'AkamaiSignatureHeaderAuthenticationKey',
      'IPAccessControl',
      'IPRange',
      'StreamingEndpointCacheControl',
      'CrossSiteAccessPolicies',
    ]);
  });

  it('covers exactly a subset when given one', () => {
    const types = [Asset, Locator, AccessPolicy, ...ENTITY_TYPES.filter((t) => ['ContentKeys', 'Files', 'StorageAccounts', 'AssetDeliveryPolicies'].includes(t.set))];
    checkAgainstModel(writeMetadataDocument(types, FUNCTIONS.slice(0, 1)), types, FUNCTIONS.slice(0, 1));
    checkAgainstModel(writeMetadataDocument([AccessPolicy], []), [AccessPolicy], []);
  });

  it('refuses a navigation to a type it was not given (it could not declare the association)', () => {
    expect(() => writeMetadataDocument([Locator], [])).toThrow(/Locator.AccessPolicy leads to AccessPolicies/);
    expect(() => writeMetadataDocument([AccessPolicy, AccessPolicy], [])).toThrow(/more than once/);
  });
});
