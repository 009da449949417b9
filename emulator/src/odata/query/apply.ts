/** Running parsed query options over stored records: filter, order, page, count, select. */
import { propertyOf, type EntityTypeDef, type PropertyDef } from '../edm.js';
import { evaluateFilter } from './evaluate.js';
import { MAX_PAGE } from './limits.js';
import { TextBudget } from './text-budget.js';
import type { OrderByItem, QueryOptions } from './options.js';
import { compareValues, propertyValue, type RuntimeValue } from './values.js';

/**
 * Filter, order, skip and take; `count` (with `$inlinecount=allpages`) is the number that passed the
 * filter, before paging. A page never holds more than `maxPage` records, with or without `$top`.
 * Records keep their input order unless `$orderby` says otherwise, and ties keep it too.
 */
export function applyQuery<T extends Record<string, unknown>>(
  records: Iterable<T>,
  options: QueryOptions,
  type: EntityTypeDef,
  maxPage: number = MAX_PAGE,
): { items: T[]; count?: number } {
  const filter = options.filter;
  const matching: T[] = [];
  const budget = new TextBudget();
  const pageSize = Math.max(0, Math.min(options.top ?? maxPage, maxPage));
  // Unordered and uncounted, the page is the first matches: the rest of a large set cannot change it.
  const enough = options.orderBy.length === 0 && !options.inlineCount ? options.skip + pageSize : Infinity;
  for (const record of records) {
    if (matching.length >= enough) break;
    if (filter === undefined || evaluateFilter(filter, record, type, budget)) matching.push(record);
  }
  const ordered = options.orderBy.length > 0 ? sortRecords(matching, options.orderBy, type) : matching;
  const items = ordered.slice(options.skip, options.skip + pageSize);
  return options.inlineCount ? { items, count: matching.length } : { items };
}

/** Property names a response carries, in the entity type's declared order. */
export function selectedProperties(options: QueryOptions, type: EntityTypeDef): string[] {
  const all = type.properties.map((p) => p.name);
  if (options.select === undefined || options.select.includes('*')) return all;
  const wanted = new Set(options.select);
  return all.filter((name) => wanted.has(name));
}

/** Nulls sort first ascending (and so last descending), as .NET's default comparer orders them. */
function sortRecords<T extends Record<string, unknown>>(records: readonly T[], orderBy: readonly OrderByItem[], type: EntityTypeDef): T[] {
  const keys: PropertyDef[] = orderBy.map((item) => {
    const property = propertyOf(type, item.property);
    if (property === undefined) throw new Error(`$orderby names ${item.property}, which ${type.name} does not have; was it parsed?`);
    return property;
  });
  // Convert each key once per record, not once per comparison.
  const decorated = records.map((record, index) => ({ record, index, values: keys.map((k) => propertyValue(record, k)) }));
  decorated.sort((a, b) => {
    for (let i = 0; i < keys.length; i++) {
      const order = compareNullable(a.values[i], b.values[i]);
      if (order !== 0) return orderBy[i].descending ? -order : order;
    }
    return a.index - b.index;
  });
  return decorated.map((d) => d.record);
}

function compareNullable(a: RuntimeValue, b: RuntimeValue): number {
  if (a === null || b === null) return a === b ? 0 : a === null ? -1 : 1;
  const order = compareValues(a, b);
  // An unordered pair (NaN) must not break the sort's consistency: treat it as a tie.
  return Number.isNaN(order) ? 0 : Math.sign(order);
}
