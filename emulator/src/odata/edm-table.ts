import { ENTITY_SET_NAMES, type ComplexTypeDef, type EdmPrimitive, type EntitySetName, type EntityTypeDef, type NavigationDef, type PropertyDef } from './edm-types.js';

/**
 * The entity model written as tables: an entity type's properties and navigations are rows of text,
 * read once at import by the builders below, so that declaring a type is writing its table (data),
 * not repeating one object-literal statement per property. Only `edm-types.ts` is imported, so an
 * area file (`edm-delivery.ts`, `edm-ingest.ts`…) can build its types without a cycle through `edm.ts`.
 *
 * A property row: `Name  Type  flag…`, where
 * - Type is an Edm primitive without `Edm.` (`String`, `Int32`, `Int64`, `Double`, `Boolean`,
 *   `DateTime`, `Guid`), with `?` when the property is nullable (`String?`);
 * - the flags are `server` (server-owned), `create` (create-only), `required`, `max=N` (maxLength),
 *   `list` (a collection of the primitive), `complex=Name` (one value of a complex type) and
 *   `collection=Name` (a collection of a complex type); a named complex type is one of those
 *   handed to the builder in `complex`.
 * A navigation row: `Name  Set` (to at most one) or `Name  Set*` (to many).
 * Anything else is a TypeError at import, so a typo fails every test rather than a wire format.
 */

const PRIMITIVES: ReadonlySet<string> = new Set<EdmPrimitive>(['Edm.String', 'Edm.Int32', 'Edm.Int64', 'Edm.Double', 'Edm.Boolean', 'Edm.DateTime', 'Edm.Guid']);
const SET_NAMES: ReadonlySet<string> = new Set(ENTITY_SET_NAMES);

/** The complex types a table may name, by name. */
export type ComplexTypes = Readonly<Record<string, ComplexTypeDef>>;

function rows(table: string): string[][] {
  return table
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '')
    .map((line) => line.split(/\s+/));
}

function primitive(where: string, text: string): EdmPrimitive {
  const type = `Edm.${text}`;
  if (!PRIMITIVES.has(type)) throw new TypeError(`${where}: '${text}' is not an Edm primitive type`);
  return type as EdmPrimitive;
}

function complexNamed(where: string, complex: ComplexTypes, name: string): ComplexTypeDef {
  const found = complex[name];
  if (!found) throw new TypeError(`${where}: the complex type '${name}' was not given to the table`);
  return found;
}

/** One property row (see above). */
function property(owner: string, cells: readonly string[], complex: ComplexTypes): PropertyDef {
  const [name, typeText, ...flags] = cells;
  const where = `${owner}.${name ?? ''}`;
  if (name === undefined || typeText === undefined) throw new TypeError(`${where}: a property row is 'Name Type flag…'`);
  const nullable = typeText.endsWith('?');
  const def: PropertyDef = { name, type: primitive(where, nullable ? typeText.slice(0, -1) : typeText), nullable };
  for (const flag of flags) {
    const [word, value] = flag.split('=', 2) as [string, string | undefined];
    if (word === 'server' && value === undefined) def.serverOwned = true;
    else if (word === 'create' && value === undefined) def.createOnly = true;
    else if (word === 'required' && value === undefined) def.required = true;
    else if (word === 'list' && value === undefined) def.primitiveCollection = true;
    else if (word === 'max' && value !== undefined && /^[1-9][0-9]*$/.test(value)) def.maxLength = Number(value);
    else if (word === 'complex' && value !== undefined) def.complex = complexNamed(where, complex, value);
    else if (word === 'collection' && value !== undefined) def.complexCollection = complexNamed(where, complex, value);
    else throw new TypeError(`${where}: unknown flag '${flag}'`);
  }
  return def;
}

/** The property rows of a table. */
export function properties(owner: string, table: string, complex: ComplexTypes = {}): PropertyDef[] {
  return rows(table).map((cells) => property(owner, cells, complex));
}

/** A complex type: its name and its property table. */
export function complexType(name: string, table: string, complex: ComplexTypes = {}): ComplexTypeDef {
  return { name, properties: properties(name, table, complex) };
}

/**
 * Several complex types in one table: a line of one word names a type, the property rows under it
 * are its fields. A row may name a type declared above it (or one of `known`).
 */
export function complexTypes(table: string, known: ComplexTypes = {}): ComplexTypes {
  const declared: Record<string, ComplexTypeDef> = { ...known };
  let current: { name: string; properties: PropertyDef[] } | undefined;
  for (const cells of rows(table)) {
    if (cells.length === 1) {
      const name = cells[0]!;
      if (declared[name]) throw new TypeError(`${name}: the complex type is declared twice`);
      current = { name, properties: [] };
      declared[name] = current;
      continue;
    }
    if (!current) throw new TypeError(`${cells[0] ?? ''}: a property row before any complex type's name`);
    current.properties.push(property(current.name, cells, declared));
  }
  return declared;
}

function navigation(owner: string, cells: readonly string[]): NavigationDef {
  const [name, targetText, ...rest] = cells;
  const where = `${owner}.${name ?? ''}`;
  if (name === undefined || targetText === undefined || rest.length > 0) throw new TypeError(`${where}: a navigation row is 'Name Set' or 'Name Set*'`);
  const many = targetText.endsWith('*');
  const target = many ? targetText.slice(0, -1) : targetText;
  if (!SET_NAMES.has(target)) throw new TypeError(`${where}: '${target}' is not an entity set`);
  return { name, target: target as EntitySetName, many };
}

/** What an entity type is besides its tables; `key` is `Id` unless given. */
export interface EntityTypeHead {
  name: string;
  set: EntitySetName;
  idTag?: string;
  key?: string;
  readOnly?: boolean;
}

/** An entity type from its head, its property table, its navigation table and the complex types the tables name. */
export function entityType(head: EntityTypeHead, propertyTable: string, navigationTable = '', complex: ComplexTypes = {}): EntityTypeDef {
  const { key = 'Id', ...rest } = head;
  return {
    ...rest,
    key,
    properties: properties(head.name, propertyTable, complex),
    navigation: rows(navigationTable).map((cells) => navigation(head.name, cells)),
  };
}
