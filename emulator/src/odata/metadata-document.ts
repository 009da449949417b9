import {
  CONTAINER_NAMESPACE,
  METADATA_NS,
  MODEL_NAMESPACE,
  qualifiedName,
  type ComplexTypeDef,
  type EntityActionDef,
  type EntityTypeDef,
  type FunctionDef,
  type NavigationDef,
  type PropertyDef,
} from './edm.js';
import { el, serializeDocument, type XmlElementNode } from './atom/xml-writer.js';
import { edmTypeName } from './property-types.js';

/**
 * `GET /api/$metadata`: CSDL in EDMX 1.0 with DataServiceVersion 3.0, describing exactly the types,
 * functions (service operations) and entity-bound actions given. Entity types, complex types and associations live in the model namespace;
 * the container is named after `WindowsAzureMediaServices` (the service's `$metadata#WindowsAzureMediaServices.Publish`).
 * Associations follow the WCF reflection provider's naming: `<Type>_<Nav>` with
 * `_Source`/`_Target` roles. The model has no reverse navigations, so the source end is `*`.
 */

export const EDMX_NS = 'http://schemas.microsoft.com/ado/2007/06/edmx';
/** CSDL 3.0, the schema namespace that goes with DataServiceVersion 3.0. */
export const CSDL_NS = 'http://schemas.microsoft.com/ado/2009/11/edm';

export function writeMetadataDocument(types: readonly EntityTypeDef[], functions: readonly FunctionDef[], actions: readonly EntityActionDef[] = []): string {
  const bySet = new Map(types.map((t) => [t.set, t]));
  if (bySet.size !== types.length || new Set(types.map((t) => t.name)).size !== types.length) {
    throw new TypeError('An entity type or set is listed more than once; CSDL cannot declare it twice');
  }
  const associations = types.flatMap((type) =>
    type.navigation.map((nav) => {
      const target = bySet.get(nav.target);
      if (!target) throw new TypeError(`${type.name}.${nav.name} leads to ${nav.target}, which is not among the types of this $metadata`);
      return { type, nav, target, name: `${type.name}_${nav.name}` };
    }),
  );

  const modelSchema = el('Schema', { Namespace: MODEL_NAMESPACE, xmlns: CSDL_NS }, [
    ...types.map(entityTypeElement),
    ...complexTypesOf(types).map(complexTypeElement),
    ...associations.map((a) =>
      el('Association', { Name: a.name }, [
        el('End', { Type: qualifiedName(a.type), Role: sourceRole(a.name), Multiplicity: '*' }),
        el('End', { Type: qualifiedName(a.target), Role: targetRole(a.name), Multiplicity: a.nav.many ? '*' : '0..1' }),
      ]),
    ),
  ]);

  const container = el('EntityContainer', { Name: CONTAINER_NAMESPACE, 'm:IsDefaultEntityContainer': 'true' }, [
    ...types.map((t) => el('EntitySet', { Name: t.set, EntityType: qualifiedName(t) })),
    ...associations.map((a) =>
      el('AssociationSet', { Name: a.name, Association: `${MODEL_NAMESPACE}.${a.name}` }, [
        el('End', { Role: sourceRole(a.name), EntitySet: a.type.set }),
        el('End', { Role: targetRole(a.name), EntitySet: a.target.set }),
      ]),
    ),
    ...functions.map(functionImportElement),
    ...actions.map((action) => {
      const bound = bySet.get(action.set);
      if (!bound) throw new TypeError(`The action ${action.name} is bound to ${action.set}, which is not among the types of this $metadata`);
      return actionImportElement(action, bound);
    }),
  ]);
  const containerSchema = el('Schema', { Namespace: CONTAINER_NAMESPACE, xmlns: CSDL_NS }, [container]);

  return serializeDocument(
    el('edmx:Edmx', { Version: '1.0', 'xmlns:edmx': EDMX_NS }, [
      el('edmx:DataServices', { 'm:DataServiceVersion': '3.0', 'm:MaxDataServiceVersion': '3.0', 'xmlns:m': METADATA_NS }, [modelSchema, containerSchema]),
    ]),
  );
}

function entityTypeElement(type: EntityTypeDef): XmlElementNode {
  return el('EntityType', { Name: type.name }, [
    el('Key', {}, [el('PropertyRef', { Name: type.key })]),
    ...type.properties.map(propertyElement),
    ...type.navigation.map((nav) => navigationElement(type, nav)),
  ]);
}

function propertyElement(property: PropertyDef): XmlElementNode {
  if (property.complexCollection || property.primitiveCollection) {
    // OData v3 collections are never null; the element itself is required.
    return el('Property', { Name: property.name, Type: edmTypeName(property), Nullable: 'false' });
  }
  if (property.complex) return el('Property', { Name: property.name, Type: edmTypeName(property), Nullable: property.nullable ? undefined : 'false' });
  return el('Property', {
    Name: property.name,
    Type: property.type,
    Nullable: property.nullable ? undefined : 'false',
    MaxLength: property.maxLength === undefined ? undefined : String(property.maxLength),
  });
}

function navigationElement(type: EntityTypeDef, nav: NavigationDef): XmlElementNode {
  const name = `${type.name}_${nav.name}`;
  return el('NavigationProperty', { Name: nav.name, Relationship: `${MODEL_NAMESPACE}.${name}`, FromRole: sourceRole(name), ToRole: targetRole(name) });
}

function complexTypesOf(types: readonly EntityTypeDef[]): ComplexTypeDef[] {
  const byName = new Map<string, ComplexTypeDef>();
  for (const type of types) {
    for (const p of type.properties) collectComplexTypes(p, byName);
  }
  return [...byName.values()];
}

/** The complex types a property uses, nested ones included (AccessControl -> IPAccessControl -> IPRange). */
function collectComplexTypes(property: PropertyDef, byName: Map<string, ComplexTypeDef>): void {
  const complex = property.complexCollection ?? property.complex;
  if (!complex || byName.has(complex.name)) return;
  byName.set(complex.name, complex);
  for (const p of complex.properties) collectComplexTypes(p, byName);
}

function complexTypeElement(complex: ComplexTypeDef): XmlElementNode {
  return el('ComplexType', { Name: complex.name }, complex.properties.map(propertyElement));
}

function functionImportElement(fn: FunctionDef): XmlElementNode {
  return el(
    'FunctionImport',
    { Name: fn.name, ReturnType: fn.returnType, 'm:HttpMethod': fn.httpMethod },
    fn.parameters.map((p) => el('Parameter', { Name: p.name, Type: p.type, Mode: 'In' })),
  );
}

/**
 * An entity-bound action (`POST <Set>('<id>')/<Name>`) as WCF Data Services wrote OData v3
 * actions: a FunctionImport that is side-effecting and bindable, whose first parameter is the
 * entity it is bound to (named after its type), then the body parameters. No m:HttpMethod: that
 * marks a service operation; an action is always POSTed.
 */
function actionImportElement(action: EntityActionDef, bound: EntityTypeDef): XmlElementNode {
  return el(
    'FunctionImport',
    { Name: action.name, ReturnType: action.returnType, IsSideEffecting: 'true', IsBindable: 'true', 'm:IsAlwaysBindable': 'true' },
    [
      el('Parameter', { Name: bound.name[0]!.toLowerCase() + bound.name.slice(1), Type: qualifiedName(bound), Mode: 'In' }),
      ...action.parameters.map((p) => el('Parameter', { Name: p.name, Type: p.type, Mode: 'In' })),
    ],
  );
}

function sourceRole(association: string): string {
  return `${association}_Source`;
}

function targetRole(association: string): string {
  return `${association}_Target`;
}
