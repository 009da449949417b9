import { qualifiedName, type ComplexTypeDef, type EntityTypeDef, type NavigationDef, type PropertyDef } from './edm.js';
import { edmTypeName } from './property-types.js';
import { entityPath } from './urls.js';
import { formatDateTime, formatDouble, verboseJsonDate } from './values.js';

/**
 * JSON wire formats as the service wrote them: minimal metadata (`odata.metadata`, `value`),
 * verbose (`{"d": ...}`, `__metadata`, `__deferred`, `\/Date(ms)\/`) and no metadata. Written as
 * text rather than through JSON.stringify of an object, because verbose dates need the literal
 * `\/` and doubles keep their decimal point (`440.0`), as .NET serialised them.
 */
export type JsonFormat = 'json-minimal' | 'json-verbose' | 'json-nometadata';

export interface JsonContext {
  /** Absolute service root ending in `/api/`. */
  serviceRoot: string;
}

type Record_ = Readonly<Record<string, unknown>>;

export function jsonEntity(ctx: JsonContext, type: EntityTypeDef, record: Record_, format: JsonFormat, select?: readonly string[]): string {
  if (format === 'json-verbose') return `{"d":${verboseEntity(ctx, type, record, select)}}`;
  const meta = format === 'json-minimal' ? `"odata.metadata":${str(`${ctx.serviceRoot}$metadata#${type.set}/@Element`)}` : '';
  return `{${join([meta, properties(type, record, format, select)])}}`;
}

export function jsonFeed(
  ctx: JsonContext,
  type: EntityTypeDef,
  records: readonly Record_[],
  format: JsonFormat,
  options: { select?: readonly string[]; count?: number } = {},
): string {
  if (format === 'json-verbose') {
    const count = options.count !== undefined ? `"__count":${str(String(options.count))},` : '';
    return `{"d":{${count}"results":[${records.map((r) => verboseEntity(ctx, type, r, options.select)).join(',')}]}}`;
  }
  const meta = format === 'json-minimal' ? `"odata.metadata":${str(`${ctx.serviceRoot}$metadata#${type.set}`)}` : '';
  const count = options.count !== undefined ? `"odata.count":${str(String(options.count))}` : '';
  const value = `"value":[${records.map((r) => `{${properties(type, r, format, options.select)}}`).join(',')}]`;
  return `{${join([meta, count, value])}}`;
}

/** A single property (`Assets('..')/Name`). */
export function jsonProperty(ctx: JsonContext, type: EntityTypeDef, property: PropertyDef, value: unknown, format: JsonFormat): string {
  const text = valueText(property, value, format);
  if (format === 'json-verbose') return `{"d":{${str(property.name)}:${text}}}`;
  const meta = format === 'json-minimal' ? `"odata.metadata":${str(`${ctx.serviceRoot}$metadata#${edmTypeName(property)}`)}` : '';
  return `{${join([meta, `"value":${text}`])}}`;
}

/** A function's result: `{"odata.metadata":"...#Edm.String","value":"..."}` / `{"d":{"<Fn>":"..."}}`. */
export function jsonFunctionResult(ctx: JsonContext, name: string, value: string | null, format: JsonFormat): string {
  const text = value === null ? 'null' : str(value);
  if (format === 'json-verbose') return `{"d":{${str(name)}:${text}}}`;
  const meta = format === 'json-minimal' ? `"odata.metadata":${str(`${ctx.serviceRoot}$metadata#Edm.String`)}` : '';
  return `{${join([meta, `"value":${text}`])}}`;
}

/** `GET Assets('..')/$links/ContentKeys`. */
export function jsonLinks(ctx: JsonContext, type: EntityTypeDef, nav: NavigationDef, uris: readonly string[], format: JsonFormat, single: boolean): string {
  if (format === 'json-verbose') {
    if (single) return `{"d":{"uri":${str(uris[0] ?? '')}}}`;
    return `{"d":{"results":[${uris.map((u) => `{"uri":${str(u)}}`).join(',')}]}}`;
  }
  const meta = format === 'json-minimal' ? `"odata.metadata":${str(`${ctx.serviceRoot}$metadata#${type.set}/$links/${nav.name}${single ? '/@Element' : ''}`)}` : '';
  if (single) return `{${join([meta, `"url":${str(uris[0] ?? '')}`])}}`;
  return `{${join([meta, `"value":[${uris.map((u) => `{"url":${str(u)}}`).join(',')}]`])}}`;
}

export function jsonError(code: string, message: string, format: JsonFormat): string {
  const body = `{"code":${str(code)},"message":{"lang":"en-US","value":${str(message)}}}`;
  return format === 'json-verbose' ? `{"error":${body}}` : `{"odata.error":${body}}`;
}

export function jsonServiceDocument(ctx: JsonContext, sets: readonly string[], format: JsonFormat): string {
  if (format === 'json-verbose') return `{"d":{"EntitySets":[${sets.map(str).join(',')}]}}`;
  const meta = format === 'json-minimal' ? `"odata.metadata":${str(`${ctx.serviceRoot}$metadata`)}` : '';
  return `{${join([meta, `"value":[${sets.map((s) => `{"name":${str(s)},"url":${str(s)}}`).join(',')}]`])}}`;
}

function verboseEntity(ctx: JsonContext, type: EntityTypeDef, record: Record_, select?: readonly string[]): string {
  const key = String(record[type.key] ?? '');
  const uri = ctx.serviceRoot + entityPath(type, key);
  const meta = `"__metadata":{"id":${str(uri)},"uri":${str(uri)},"type":${str(qualifiedName(type))}}`;
  const navs = type.navigation
    .filter((n) => !select || select.includes(n.name))
    .map((n) => `${str(n.name)}:{"__deferred":{"uri":${str(`${uri}/${n.name}`)}}}`)
    .join(',');
  return `{${join([meta, navs, properties(type, record, 'json-verbose', select)])}}`;
}

function properties(type: EntityTypeDef, record: Record_, format: JsonFormat, select?: readonly string[]): string {
  const parts: string[] = [];
  for (const p of type.properties) {
    if (select && !select.includes(p.name)) continue;
    parts.push(`${str(p.name)}:${valueText(p, record[p.name], format)}`);
  }
  return parts.join(',');
}

function valueText(p: PropertyDef, value: unknown, format: JsonFormat): string {
  if (value === null || value === undefined) return 'null';
  if (p.complexCollection) {
    const complex = p.complexCollection;
    const elements = (Array.isArray(value) ? value : []).map((item: unknown) => complexText(complex, item, format));
    return collectionText(edmTypeName(p), elements, format);
  }
  if (p.complex) return complexText(p.complex, value, format);
  if (p.primitiveCollection) {
    const elements = (Array.isArray(value) ? value : []).map((item: unknown) => primitiveText(p.type, item, format));
    return collectionText(edmTypeName(p), elements, format);
  }
  return primitiveText(p.type, value, format);
}

/** A complex value; its fields written by their own definitions, so complex values nest. */
function complexText(complex: ComplexTypeDef, value: unknown, format: JsonFormat): string {
  const item = (typeof value === 'object' && value !== null ? value : {}) as Record<string, unknown>;
  const fields = complex.properties.map((cp) => `${str(cp.name)}:${valueText(cp, item[cp.name], format)}`).join(',');
  return format === 'json-verbose' ? `{${join([`"__metadata":{"type":${str(qualifiedName(complex))}}`, fields])}}` : `{${fields}}`;
}

function collectionText(typeName: string, elements: string[], format: JsonFormat): string {
  if (format === 'json-verbose') return `{"__metadata":{"type":${str(typeName)}},"results":[${elements.join(',')}]}`;
  return `[${elements.join(',')}]`;
}

function primitiveText(type: string, value: unknown, format: JsonFormat): string {
  if (value === null || value === undefined) return 'null';
  switch (type) {
    case 'Edm.Int32':
      return String(Number(value));
    case 'Edm.Double':
      return formatDouble(Number(value));
    case 'Edm.Boolean':
      return value === true ? 'true' : 'false';
    case 'Edm.Int64':
      return str(String(value));
    case 'Edm.DateTime':
      return format === 'json-verbose' ? verboseJsonDate(String(value)) : str(formatDateTime(String(value)));
    default:
      return str(String(value));
  }
}

function str(value: string): string {
  return JSON.stringify(value);
}

function join(parts: string[]): string {
  return parts.filter((p) => p !== '').join(',');
}
