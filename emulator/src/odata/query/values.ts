/**
 * Values as the evaluator and `$orderby` see them, one JS type per Edm family so that comparing is
 * exact: strings as strings, Int32/Double as numbers, Int64 and whole decimals as bigints, DateTime as
 * bigint ticks, booleans as booleans, Guid as lower-case strings. The type checker guarantees that only
 * values of one family meet in a comparison.
 */
import type { PropertyDef } from '../edm.js';
import { isStructured } from '../property-types.js';
import type { Literal } from './ast.js';
import { parseDateTimeTicks, storedDateTimeTicks } from './datetime.js';

export type RuntimeValue = string | number | bigint | boolean | null;
export type PresentValue = Exclude<RuntimeValue, null>;

export function literalValue(literal: Literal): RuntimeValue {
  switch (literal.type) {
    case 'Edm.DateTime':
    case 'Edm.DateTimeOffset': {
      const ticks = parseDateTimeTicks(literal.value);
      if (ticks === undefined) throw new Error(`datetime literal ${literal.value} is not canonical`);
      return ticks;
    }
    case 'Edm.Decimal':
      return /^-?\d+(\.0*)?$/.test(literal.value) ? BigInt(literal.value.split('.')[0]) : Number(literal.value);
    default:
      return literal.value;
  }
}

/**
 * A stored property (canonical form, see edm.ts) as a runtime value. A value that is not in canonical
 * form is the store's bug, not the client's, so it throws a plain Error (a 500) instead of guessing.
 */
export function propertyValue(record: Readonly<Record<string, unknown>>, property: PropertyDef): RuntimeValue {
  const raw = record[property.name];
  if (raw === null || raw === undefined) return null;
  if (isStructured(property)) throw new Error(`${property.name} is structured, not comparable`);
  switch (property.type) {
    case 'Edm.String':
      if (typeof raw === 'string') return raw;
      break;
    case 'Edm.Int32':
    case 'Edm.Double':
      if (typeof raw === 'number') return raw;
      break;
    case 'Edm.Int64':
      if (typeof raw === 'string' && /^-?\d+$/.test(raw)) return BigInt(raw);
      if (typeof raw === 'bigint') return raw;
      if (typeof raw === 'number' && Number.isSafeInteger(raw)) return BigInt(raw);
      break;
    case 'Edm.Boolean':
      if (typeof raw === 'boolean') return raw;
      break;
    case 'Edm.Guid':
      if (typeof raw === 'string') return raw.toLowerCase();
      break;
    case 'Edm.DateTime': {
      const ticks = typeof raw === 'string' ? storedDateTimeTicks(raw) : raw instanceof Date ? BigInt(raw.getTime()) * 10_000n : undefined;
      if (ticks !== undefined) return ticks;
      break;
    }
  }
  throw new Error(`stored ${property.name} (${property.type}) is not in canonical form: ${String(raw).slice(0, 80)}`);
}

/** Negative, zero or positive; NaN when unordered (a NaN double). Both values from one Edm family. */
export function compareValues(a: PresentValue, b: PresentValue): number {
  if (typeof a === 'string' && typeof b === 'string') return a < b ? -1 : a > b ? 1 : 0;
  if (typeof a === 'boolean' && typeof b === 'boolean') return Number(a) - Number(b);
  if ((typeof a === 'number' || typeof a === 'bigint') && (typeof b === 'number' || typeof b === 'bigint')) return compareNumbers(a, b);
  throw new Error(`cannot compare ${typeof a} with ${typeof b}`);
}

/** Exact comparison across number and bigint: an Int64 above 2^53 must not equal its rounded double. */
function compareNumbers(a: number | bigint, b: number | bigint): number {
  if (typeof a === 'bigint' && typeof b === 'bigint') return a < b ? -1 : a > b ? 1 : 0;
  if (typeof a === 'number' && typeof b === 'number') return a < b ? -1 : a > b ? 1 : a === b ? 0 : NaN;
  if (typeof a === 'bigint') return -compareNumbers(b, a);
  const n = a as number;
  const big = b as bigint;
  if (Number.isNaN(n)) return NaN;
  if (n === Infinity) return 1;
  if (n === -Infinity) return -1;
  const floor = Math.floor(n);
  const floorBig = BigInt(floor);
  if (floorBig < big) return -1; // n < floor + 1 <= big
  if (floorBig > big) return 1;
  return n === floor ? 0 : 1;
}
