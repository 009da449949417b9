import { GUID, type EdmPrimitive } from '../edm.js';

/**
 * Stored (canonical, see edm.ts) values to the text of Atom `<d:Prop>` elements, in the forms the
 * service wrote and the SDKs parse: .NET `XmlConvert`, Java `DatatypeConverter` behind JAXB, PHP
 * string casts. A value that is not in canonical form is a bug upstream and throws a TypeError
 * (a 500), never a 400: the client did nothing wrong.
 */

const INT32_MIN = -(2 ** 31);
const INT32_MAX = 2 ** 31 - 1;
const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

/** The text of a value, or null for null/undefined (written as `m:null="true"`). */
export function formatEdmValue(type: EdmPrimitive, value: unknown, what = 'value'): string | null {
  if (value === null || value === undefined) return null;
  switch (type) {
    case 'Edm.String':
      if (typeof value === 'string') return value;
      if (typeof value === 'number' || typeof value === 'boolean') return String(value);
      break;
    case 'Edm.Int32':
      if (typeof value === 'number' && Number.isInteger(value) && value >= INT32_MIN && value <= INT32_MAX) return String(value);
      break;
    case 'Edm.Int64': {
      const n = toBigInt(value);
      if (n !== undefined && n >= INT64_MIN && n <= INT64_MAX) return n.toString();
      break;
    }
    case 'Edm.Double':
      if (typeof value === 'number') return formatDouble(value);
      break;
    case 'Edm.Boolean':
      if (typeof value === 'boolean') return value ? 'true' : 'false';
      break;
    case 'Edm.Guid':
      if (typeof value === 'string' && GUID.test(value)) return value;
      break;
    case 'Edm.DateTime': {
      const iso = canonicalDateTime(value);
      if (iso !== undefined) return formatDateTime(iso);
      break;
    }
  }
  throw new TypeError(`Cannot write ${what} as ${type}: ${describe(value)} is not in the canonical stored form`);
}

/**
 * Always with a decimal point or an exponent, as .NET wrote doubles (`440.0`, `0.5`, `1E+21`);
 * non-finite values in the XML Schema spelling both XmlConvert and JAXB read.
 */
export function formatDouble(value: number): string {
  if (Number.isNaN(value)) return 'NaN';
  if (value === Infinity) return 'INF';
  if (value === -Infinity) return '-INF';
  if (Object.is(value, -0)) return '-0.0';
  const text = String(value);
  if (text.includes('e')) return text.toUpperCase();
  return text.includes('.') ? text : `${text}.0`;
}

/** `2013-04-11T16:29:41.0510000Z`: seven fractional digits (the service's DateTime precision), UTC. */
export function formatDateTime(canonicalIso: string): string {
  return `${canonicalIso.slice(0, 23)}0000Z`;
}

/** `2013-04-11T16:29:41Z`, as in Atom `<updated>`. */
export function formatAtomUpdated(date: Date): string {
  return `${date.toISOString().slice(0, 19)}Z`;
}

/** The canonical `YYYY-MM-DDTHH:mm:ss.sssZ` of a stored DateTime (or a Date), else undefined. */
export function canonicalDateTime(value: unknown): string | undefined {
  if (value instanceof Date) {
    return Number.isNaN(value.getTime()) ? undefined : value.toISOString();
  }
  if (typeof value !== 'string' || value.length !== 24 || !value.endsWith('Z')) return undefined;
  const time = Date.parse(value);
  if (Number.isNaN(time)) return undefined;
  return new Date(time).toISOString() === value ? value : undefined;
}

function toBigInt(value: unknown): bigint | undefined {
  if (typeof value === 'bigint') return value;
  if (typeof value === 'number') return Number.isSafeInteger(value) ? BigInt(value) : undefined;
  if (typeof value === 'string' && isDecimalInteger(value)) return BigInt(value);
  return undefined;
}

function isDecimalInteger(text: string): boolean {
  const start = text.startsWith('-') ? 1 : 0;
  if (text.length === start) return false;
  for (let i = start; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x30 || c > 0x39) return false;
  }
  return true;
}

function describe(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value.length > 60 ? `${value.slice(0, 60)}…` : value);
  if (typeof value === 'object') return Array.isArray(value) ? 'an array' : 'an object';
  return `${typeof value} ${String(value)}`;
}
