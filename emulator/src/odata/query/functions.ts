/**
 * The OData v3 canonical functions this service evaluates: their signatures (for the type checker)
 * and what they compute (for the evaluator). Arguments reach `apply` non-null: a null argument makes
 * the call null before it gets here, as with .NET's lifted operators.
 */
import type { FunctionName, LiteralType } from './ast.js';
import { civilFromTicks } from './datetime.js';
import { checkStringLength } from './text-budget.js';
import type { PresentValue, RuntimeValue } from './values.js';

/** What an argument must be: one Edm family each. */
export type ParameterKind = 'string' | 'integer' | 'number' | 'datetime';

export interface FunctionDef {
  params: readonly ParameterKind[];
  /** How many trailing params may be left out. */
  optional?: number;
  returns: (argTypes: readonly LiteralType[]) => LiteralType;
  apply: (args: readonly PresentValue[]) => RuntimeValue;
}

const str = (v: PresentValue): string => {
  if (typeof v !== 'string') throw new Error(`expected a string, got ${typeof v}`);
  return v;
};
const int = (v: PresentValue): number => {
  if (typeof v === 'number') return v;
  if (typeof v === 'bigint') return Number(v);
  throw new Error(`expected an integer, got ${typeof v}`);
};
const ticks = (v: PresentValue): bigint => {
  if (typeof v !== 'bigint') throw new Error(`expected a DateTime, got ${typeof v}`);
  return v;
};

const always =
  (type: LiteralType) =>
  (): LiteralType =>
    type;

/** round/floor/ceiling keep a Decimal a Decimal and make anything else a Double, as in OData v3. */
const sameNumericType = (argTypes: readonly LiteralType[]): LiteralType => (argTypes[0] === 'Edm.Decimal' ? 'Edm.Decimal' : 'Edm.Double');

function rounding(op: (n: number) => number) {
  return ([v]: readonly PresentValue[]): RuntimeValue => (typeof v === 'bigint' ? v : op(v as number));
}

const datePart = (part: 'year' | 'month' | 'day' | 'hour' | 'minute' | 'second'): FunctionDef => ({
  params: ['datetime'],
  returns: always('Edm.Int32'),
  apply: ([v]) => civilFromTicks(ticks(v))[part],
});

export const FUNCTIONS: Readonly<Record<FunctionName, FunctionDef>> = {
  startswith: { params: ['string', 'string'], returns: always('Edm.Boolean'), apply: ([s, p]) => str(s).startsWith(str(p)) },
  endswith: { params: ['string', 'string'], returns: always('Edm.Boolean'), apply: ([s, p]) => str(s).endsWith(str(p)) },
  // OData v3 order: substringof(needle, haystack).
  substringof: { params: ['string', 'string'], returns: always('Edm.Boolean'), apply: ([n, h]) => str(h).includes(str(n)) },
  tolower: { params: ['string'], returns: always('Edm.String'), apply: ([s]) => str(s).toLowerCase() },
  toupper: { params: ['string'], returns: always('Edm.String'), apply: ([s]) => str(s).toUpperCase() },
  trim: { params: ['string'], returns: always('Edm.String'), apply: ([s]) => str(s).trim() },
  // UTF-16 code units, as .NET String.Length.
  length: { params: ['string'], returns: always('Edm.Int32'), apply: ([s]) => str(s).length },
  indexof: { params: ['string', 'string'], returns: always('Edm.Int32'), apply: ([s, t]) => str(s).indexOf(str(t)) },
  concat: {
    params: ['string', 'string'],
    returns: always('Edm.String'),
    apply: ([a, b]) => {
      checkStringLength(str(a).length + str(b).length, 'concat');
      return str(a) + str(b);
    },
  },
  // .NET throws on an out-of-range start or length; clamping answers instead of failing the request.
  substring: {
    params: ['string', 'integer', 'integer'],
    optional: 1,
    returns: always('Edm.String'),
    apply: ([s, start, length]) => {
      const text = str(s);
      const from = Math.min(Math.max(int(start), 0), text.length);
      return length === undefined ? text.slice(from) : text.slice(from, from + Math.max(int(length), 0));
    },
  },
  replace: {
    params: ['string', 'string', 'string'],
    returns: always('Edm.String'),
    apply: ([s, f, r]) => {
      if (str(f) === '') return str(s);
      checkStringLength(str(s).length + occurrences(str(s), str(f)) * (str(r).length - str(f).length), 'replace');
      return str(s).split(str(f)).join(str(r));
    },
  },
  year: datePart('year'),
  month: datePart('month'),
  day: datePart('day'),
  hour: datePart('hour'),
  minute: datePart('minute'),
  second: datePart('second'),
  // Midpoints away from zero, as SQL Server (the service's store) rounds.
  round: { params: ['number'], returns: sameNumericType, apply: rounding((n) => Math.sign(n) * Math.round(Math.abs(n))) },
  floor: { params: ['number'], returns: sameNumericType, apply: rounding(Math.floor) },
  ceiling: { params: ['number'], returns: sameNumericType, apply: rounding(Math.ceil) },
};

/** Non-overlapping occurrences of `part` in `text`, as split counts them. */
function occurrences(text: string, part: string): number {
  let count = 0;
  for (let at = text.indexOf(part); at >= 0; at = text.indexOf(part, at + part.length)) count++;
  return count;
}

export const FUNCTION_NAMES = Object.keys(FUNCTIONS) as FunctionName[];

export function isFunctionName(name: string): name is FunctionName {
  return Object.prototype.hasOwnProperty.call(FUNCTIONS, name);
}

/** `substring(s, start[, length])`, for messages. */
export function describeSignature(name: FunctionName): string {
  const def = FUNCTIONS[name];
  const required = def.params.length - (def.optional ?? 0);
  const params = def.params.map((p, i) => (i < required ? p : `[${p}]`));
  return `${name}(${params.join(', ')})`;
}
