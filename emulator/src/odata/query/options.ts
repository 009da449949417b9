/**
 * The system query options of one request, parsed and validated against the entity type. Everything a
 * client can get wrong here is a 400 that names the option; parameters without '$' belong to others
 * (api-version, function parameters) and `$format` to the format layer.
 */
import type { EntityTypeDef } from '../edm.js';
import { badRequest, type ODataError } from '../errors.js';
import type { FilterExpression } from './ast.js';
import { parseFilter } from './filter.js';
import { resolveLimits, type QueryLimits } from './limits.js';
import { pathNotSupported, resolveProperty } from './properties.js';
import { decodeValue, splitQuery, tryDecode } from './query-string.js';
import { quote } from './text.js';

export interface OrderByItem {
  property: string;
  descending: boolean;
}

export interface QueryOptions {
  filter?: FilterExpression;
  orderBy: OrderByItem[];
  /** Already capped at `maxTop`: the service served at most 1000 entities, it did not refuse more. */
  top?: number;
  skip: number;
  /** Property names in declared order; undefined = all properties (`*` is expanded to all). */
  select?: string[];
  /** `$inlinecount=allpages`. */
  inlineCount: boolean;
}

const HANDLED = ['$filter', '$orderby', '$top', '$skip', '$select', '$inlinecount'] as const;
type HandledOption = (typeof HANDLED)[number];

/** Not ours, but known: the format layer reads it. */
const PASSED_THROUGH = new Set(['$format']);

const INT32_MAX = 2_147_483_647;

export function parseQueryOptions(query: string, type: EntityTypeDef, limits?: QueryLimits): QueryOptions {
  const resolved = resolveLimits(limits);
  const raw = collectOptions(query);
  const options: QueryOptions = { orderBy: [], skip: 0, inlineCount: false };

  const filter = raw.get('$filter');
  if (filter !== undefined) options.filter = parseFilter(decodeValue(filter, '$filter'), type, resolved);
  const orderBy = raw.get('$orderby');
  if (orderBy !== undefined) options.orderBy = parseOrderBy(decodeValue(orderBy, '$orderby'), type);
  const top = raw.get('$top');
  if (top !== undefined) options.top = Math.min(parseCount(decodeValue(top, '$top'), '$top'), resolved.maxTop);
  const skip = raw.get('$skip');
  if (skip !== undefined) options.skip = parseCount(decodeValue(skip, '$skip'), '$skip');
  const select = raw.get('$select');
  if (select !== undefined) options.select = parseSelect(decodeValue(select, '$select'), type);
  const inlineCount = raw.get('$inlinecount');
  if (inlineCount !== undefined) options.inlineCount = parseInlineCount(decodeValue(inlineCount, '$inlinecount'));
  return options;
}

/** The raw (still encoded) value of each system query option this module handles, refusing the rest. */
function collectOptions(query: string): Map<HandledOption, string> {
  const found = new Map<HandledOption, string>();
  for (const param of splitQuery(query)) {
    const name = tryDecode(param.name);
    if (name === undefined) {
      // Only a name that is visibly a system option is our business; other parameters belong to others.
      if (/^(\$|%24)/i.test(param.name)) throw badRequest(`Malformed percent-encoding in the query option name ${quote(param.name)}`);
      continue;
    }
    if (!name.startsWith('$') || PASSED_THROUGH.has(name)) continue;
    if (!isHandled(name)) throw unsupportedOption(name);
    if (found.has(name)) throw badRequest(`Invalid ${name}: the option is given more than once`);
    found.set(name, param.value);
  }
  return found;
}

function isHandled(name: string): name is HandledOption {
  return (HANDLED as readonly string[]).includes(name);
}

function unsupportedOption(name: string): ODataError {
  switch (name) {
    case '$expand':
      return badRequest('$expand is not supported by Media Services');
    case '$skiptoken':
      return badRequest('$skiptoken is not supported: page with $skip and $top (at most 1000 entities per response)');
    case '$count':
      return badRequest('$count is not a query option in OData v3: use $inlinecount=allpages');
  }
  const known = [...HANDLED, ...PASSED_THROUGH, '$expand'];
  const sameLetters = known.find((k) => k === name.toLowerCase());
  const hint = sameLetters !== undefined ? ` (system query options are case-sensitive: did you mean ${sameLetters}?)` : '';
  return badRequest(`Unknown system query option ${quote(name)}${hint}; supported: ${[...HANDLED, ...PASSED_THROUGH].join(', ')}`);
}

function parseCount(text: string, option: '$top' | '$skip'): number {
  if (!/^\d+$/.test(text)) throw badRequest(`Invalid ${option}: ${quote(text)} is not a non-negative integer`);
  const value = Number(text);
  if (value > INT32_MAX) throw badRequest(`Invalid ${option}: ${quote(text)} is larger than ${INT32_MAX}`);
  return value;
}

function parseInlineCount(text: string): boolean {
  if (text === 'allpages') return true;
  if (text === 'none') return false;
  throw badRequest(`Invalid $inlinecount: ${quote(text)} (expected allpages or none)`);
}

/** Comma-separated items, each trimmed; an empty item is a mistake worth reporting. */
function listItems(text: string, option: '$orderby' | '$select'): string[] {
  if (text.trim() === '') throw badRequest(`Invalid ${option}: the value is empty`);
  return text.split(',').map((item, i) => {
    const trimmed = item.trim();
    if (trimmed === '') throw badRequest(`Invalid ${option}: item ${i + 1} of ${quote(text)} is empty`);
    return trimmed;
  });
}

function checkPropertyName(name: string, type: EntityTypeDef, option: '$orderby' | '$select'): void {
  if (name.includes('/')) throw pathNotSupported(name, option);
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) {
    throw badRequest(`Invalid ${option}: ${quote(name)} is not a property name (only property names are supported in ${option})`);
  }
  resolveProperty(name, type, option);
}

function parseOrderBy(text: string, type: EntityTypeDef): OrderByItem[] {
  return listItems(text, '$orderby').map((item) => {
    const parts = item.split(/\s+/);
    if (parts.length > 2) throw badRequest(`Invalid $orderby: ${quote(item)} is not 'Property', 'Property asc' or 'Property desc'`);
    const [property, direction] = parts;
    checkPropertyName(property, type, '$orderby');
    if (direction !== undefined && direction !== 'asc' && direction !== 'desc') {
      const lower = direction.toLowerCase();
      const hint = lower === 'asc' || lower === 'desc' ? ` (directions are lower-case: ${lower})` : '';
      throw badRequest(`Invalid $orderby: expected asc or desc after ${property}, found ${quote(direction)}${hint}`);
    }
    return { property, descending: direction === 'desc' };
  });
}

function parseSelect(text: string, type: EntityTypeDef): string[] {
  const items = listItems(text, '$select');
  const wanted = new Set<string>();
  for (const item of items) {
    if (item === '*') {
      type.properties.forEach((p) => wanted.add(p.name));
      continue;
    }
    checkPropertyName(item, type, '$select');
    wanted.add(item);
  }
  return type.properties.map((p) => p.name).filter((name) => wanted.has(name));
}
