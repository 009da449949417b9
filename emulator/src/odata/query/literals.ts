/**
 * The text of OData v3 literals, both ways: reading what a client wrote and writing the one canonical
 * spelling `formatFilter` uses. Reading returns a message instead of throwing so the lexer can say where.
 */
import type { Literal } from './ast.js';
import { formatTicks, parseDateTimeTicks } from './datetime.js';

const INT32_MIN = -(2n ** 31n);
const INT32_MAX = 2n ** 31n - 1n;
const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

export type LiteralResult = { literal: Literal } | { error: string };

/**
 * A numeric literal: `digits` is the text without its suffix (`-12`, `1.5`, `1e3`), `suffix` one of
 * `L l M m D d F f` or ''. Unsuffixed integers are Int32, or Int64 when too big for Int32 (as WCF Data
 * Services did); unsuffixed numbers with a point or exponent are Double.
 */
export function numericLiteral(digits: string, suffix: string): LiteralResult {
  const integral = /^-?\d+$/.test(digits);
  const text = digits + suffix;
  switch (suffix) {
    case 'L':
    case 'l': {
      if (!integral) return { error: `${text} is not an Int64 literal (the L suffix takes a whole number)` };
      const value = BigInt(digits);
      if (value < INT64_MIN || value > INT64_MAX) return { error: `${text} is out of the Int64 range` };
      return { literal: { type: 'Edm.Int64', value } };
    }
    case 'M':
    case 'm':
      if (/[eE]/.test(digits)) return { error: `${text} is not a Decimal literal (decimals take no exponent)` };
      return { literal: { type: 'Edm.Decimal', value: digits } };
    case 'F':
    case 'f': {
      const value = Math.fround(Number(digits));
      if (!Number.isFinite(value)) return { error: `${text} is out of the Single range` };
      return { literal: { type: 'Edm.Single', value } };
    }
    case 'D':
    case 'd':
      return doubleLiteral(digits, text);
    default: {
      if (!integral) return doubleLiteral(digits, text);
      const value = BigInt(digits);
      // `+ 0` turns -0 into 0: an Int32 has no negative zero.
      if (value >= INT32_MIN && value <= INT32_MAX) return { literal: { type: 'Edm.Int32', value: Number(value) + 0 } };
      if (value >= INT64_MIN && value <= INT64_MAX) return { literal: { type: 'Edm.Int64', value } };
      return { error: `${text} is out of the Int64 range` };
    }
  }
}

function doubleLiteral(digits: string, text: string): LiteralResult {
  const value = Number(digits);
  if (!Number.isFinite(value)) return { error: `${text} is out of the Double range` };
  return { literal: { type: 'Edm.Double', value } };
}

/** A `prefix'body'` literal such as `datetime'2015-01-01T00:00:00'` or `guid'...'`. */
export function typedLiteral(prefix: string, body: string): LiteralResult {
  const shown = `${prefix}'${body.length > 60 ? `${body.slice(0, 60)}…` : body}'`;
  switch (prefix) {
    case 'datetime':
    case 'datetimeoffset': {
      const ticks = parseDateTimeTicks(body);
      if (ticks === undefined) {
        return { error: `${shown} is not a valid ${prefix} literal (expected yyyy-mm-ddThh:mm[:ss[.fffffff]][Z], a real date between years 0001 and 9999)` };
      }
      return { literal: { type: prefix === 'datetime' ? 'Edm.DateTime' : 'Edm.DateTimeOffset', value: formatTicks(ticks) } };
    }
    case 'guid':
      if (!/^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/.test(body)) {
        return { error: `${shown} is not a valid guid literal (expected xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx)` };
      }
      return { literal: { type: 'Edm.Guid', value: body.toLowerCase() } };
    case 'time':
    case 'binary':
    case 'X':
    case 'x':
      return { error: `${prefix}'...' literals are not supported (no property of this service has that type)` };
    default:
      return { error: `unknown literal prefix '${prefix.length > 40 ? `${prefix.slice(0, 40)}…` : prefix}' (known: datetime'...', datetimeoffset'...', guid'...')` };
  }
}

/** The canonical spelling, which `numericLiteral`/`typedLiteral`/the string rule read back to the same literal. */
export function formatLiteral(literal: Literal): string {
  switch (literal.type) {
    case 'Edm.String':
      return `'${literal.value.replace(/'/g, "''")}'`;
    case 'Edm.Int32':
      return String(literal.value);
    case 'Edm.Int64':
      return `${literal.value}L`;
    case 'Edm.Double':
      return `${formatFloat(literal.value)}d`;
    case 'Edm.Single':
      return `${formatFloat(literal.value)}f`;
    case 'Edm.Decimal':
      return `${literal.value}m`;
    case 'Edm.Boolean':
      return literal.value ? 'true' : 'false';
    case 'Edm.DateTime':
      return `datetime'${literal.value}'`;
    case 'Edm.DateTimeOffset':
      return `datetimeoffset'${literal.value}'`;
    case 'Edm.Guid':
      return `guid'${literal.value}'`;
    case 'null':
      return 'null';
  }
}

/** Shortest text that reads back to the same double; keeps the sign of zero. */
function formatFloat(value: number): string {
  return Object.is(value, -0) ? '-0' : String(value);
}
