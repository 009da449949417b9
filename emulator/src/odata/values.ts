import { GUID, type ComplexTypeDef, type EdmPrimitive, type PropertyDef } from './edm.js';
import { badRequest } from './errors.js';
import { truncate } from './uri.js';

/**
 * Conversion of property values between the wire and the canonical stored form (see edm.ts).
 * Parsing is liberal in what real clients sent (quoted numbers, "true" strings, `10.0` for a
 * double, dates in several spellings); writing is exact.
 */

export type CanonicalPrimitive = string | number | boolean | null;
export type CanonicalValue = CanonicalPrimitive | CanonicalComplex | CanonicalComplex[] | CanonicalPrimitive[];
/** A complex value: its fields in canonical form, nested complex values and collections included. */
export type CanonicalComplex = { [name: string]: CanonicalValue };

const INT32_MIN = -(2 ** 31);
const INT32_MAX = 2 ** 31 - 1;
const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

/** A wire value (JSON value, or Atom text) to the canonical form of `property`; 400 when it cannot be. */
export function toCanonical(property: PropertyDef, value: unknown): CanonicalValue {
  if (value === null || value === undefined) {
    if (!property.nullable) throw badRequest(`The property '${property.name}' cannot be null`);
    return null;
  }
  if (property.complexCollection) {
    const complex = property.complexCollection;
    return itemsOf(property.name, `a collection of ${complex.name}`, value).map((item) => toComplex(property.name, complex, item));
  }
  if (property.complex) return toComplex(property.name, property.complex, value);
  if (property.primitiveCollection) {
    return itemsOf(property.name, `a collection of ${property.type}`, value).map((item) => toPrimitive(`${property.name} item`, property.type, item));
  }
  return toPrimitive(property.name, property.type, value);
}

export function toPrimitive(name: string, type: EdmPrimitive, value: unknown): string | number | boolean {
  switch (type) {
    case 'Edm.String':
      if (typeof value === 'string') return value;
      if (typeof value === 'number' || typeof value === 'boolean') return String(value);
      throw wrongType(name, type, value);
    case 'Edm.Int32': {
      const n = toNumber(value);
      if (n === undefined || !Number.isInteger(n) || n < INT32_MIN || n > INT32_MAX) throw wrongType(name, type, value);
      return n;
    }
    case 'Edm.Int64': {
      const n = toBigInt(value);
      if (n === undefined || n < INT64_MIN || n > INT64_MAX) throw wrongType(name, type, value);
      return n.toString();
    }
    case 'Edm.Double': {
      const n = toNumber(value);
      if (n === undefined || !Number.isFinite(n)) throw wrongType(name, type, value);
      return n;
    }
    case 'Edm.Boolean':
      if (typeof value === 'boolean') return value;
      if (typeof value === 'string') {
        const t = value.trim().toLowerCase();
        if (t === 'true' || t === '1') return true;
        if (t === 'false' || t === '0') return false;
      }
      if (value === 1) return true;
      if (value === 0) return false;
      throw wrongType(name, type, value);
    case 'Edm.Guid': {
      // Stored lower case, as filters compare Guids (query/values.ts).
      if (typeof value === 'string' && GUID.test(value.trim())) return value.trim().toLowerCase();
      throw wrongType(name, type, value);
    }
    case 'Edm.DateTime': {
      const d = typeof value === 'string' ? parseDateTime(value) : typeof value === 'number' ? new Date(value) : undefined;
      if (!d || Number.isNaN(d.getTime())) throw wrongType(name, type, value);
      if (!dateTimeInRange(d.getTime())) throw badRequest(`The property '${name}' is ${d.toISOString()}, outside ${DATE_TIME_RANGE}`);
      return d.toISOString();
    }
  }
}

/** A collection as JSON arrays carry it, or verbose JSON's `{"results": [...]}`. */
function itemsOf(name: string, what: string, value: unknown): unknown[] {
  if (Array.isArray(value)) return value;
  if (typeof value === 'object' && value !== null && Array.isArray((value as { results?: unknown }).results)) return (value as { results: unknown[] }).results;
  throw badRequest(`The property '${name}' is ${what}`);
}

/**
 * A complex value, its fields converted by their own definitions (nested complex values and
 * collections too). Fields the type does not declare (verbose JSON's `__metadata`) are left out.
 */
function toComplex(name: string, complex: ComplexTypeDef, value: unknown): CanonicalComplex {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw badRequest(`The property '${name}' is a ${complex.name} object`);
  const out: CanonicalComplex = {};
  for (const p of complex.properties) {
    const v = (value as Record<string, unknown>)[p.name];
    out[p.name] = v === undefined || v === null ? null : toCanonical({ ...p, name: `${name}.${p.name}` }, v);
  }
  return out;
}

function toNumber(value: unknown): number | undefined {
  if (typeof value === 'number') return value;
  if (typeof value === 'string') {
    const t = value.trim();
    // OData literal suffixes (10.0d, 1.5m, 5L) are tolerated; JS Number() alone would refuse them.
    const m = /^([+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)[dDmMfFlL]?$/.exec(t);
    if (m) return Number(m[1]);
  }
  return undefined;
}

function toBigInt(value: unknown): bigint | undefined {
  if (typeof value === 'number') return Number.isSafeInteger(value) ? BigInt(value) : undefined;
  if (typeof value === 'string') {
    const m = /^\s*([+-]?\d+)(?:\.0*)?[lL]?\s*$/.exec(value);
    if (m) return BigInt(m[1]!);
  }
  return undefined;
}

/**
 * The dates an Edm.DateTime can hold: .NET's DateTime range, which the service and every SDK
 * parse. Beyond it nothing can write the value back (`+010000-...` is no DateTime), so it is
 * refused before it is stored, whether sent or computed (a Locator's StartTime + duration).
 */
export const MIN_DATE_TIME_MS = Date.parse('0001-01-01T00:00:00.000Z');
export const MAX_DATE_TIME_MS = Date.parse('9999-12-31T23:59:59.999Z');
export const DATE_TIME_RANGE = 'the Edm.DateTime range 0001-01-01T00:00:00Z to 9999-12-31T23:59:59Z';

export function dateTimeInRange(time: number): boolean {
  return time >= MIN_DATE_TIME_MS && time <= MAX_DATE_TIME_MS;
}

function wrongType(name: string, type: string, value: unknown): Error {
  const shown = typeof value === 'string' ? JSON.stringify(truncate(value, 60)) : truncate(JSON.stringify(value) ?? String(value), 60);
  return badRequest(`The property '${name}' expects ${type}; ${shown} is not a valid ${type} value`);
}

const MONTHS_DMY = /^(\d{1,2})\/(\d{1,2})\/(\d{4})(?:\s+(\d{1,2}):(\d{2})(?::(\d{2}))?\s*([AaPp][Mm])?)?$/;
/** `28.11.2026 20:03:48` (de-DE, ru-RU...), `28.11.2026 20.03.48` (fi-FI), `28-11-2026 20:03:48` (nl-NL). */
const DAY_FIRST = /^(\d{1,2})([.-])(\d{1,2})\2(\d{4})\.?(?:\s+(\d{1,2})[:.](\d{2})(?:[:.](\d{2}))?)?$/;
/** `2026/11/28 20:03:48` (ja-JP, zh-CN), `2026. 11. 28. 20:03:48` (hu-HU). */
const YEAR_FIRST = /^(\d{4})([./])\s?(\d{1,2})\2\s?(\d{1,2})\.?(?:\s+(\d{1,2}):(\d{2})(?::(\d{2}))?)?$/;

/**
 * Dates as clients sent them: ISO 8601 with or without zone (no zone = UTC, as the service read
 * them), `/Date(ms)/` (verbose JSON, after JSON parsing removed the backslashes), `M/D/YYYY
 * hh:mm:ss AM` (fritzy's `toLocaleString`), `datetime'...'`, and .NET's `DateTime.ToString()`,
 * which the .NET REST sample sends as a Locator's StartTime, in the culture of the machine it ran
 * on: en-US and invariant (month first), day first with dots or dashes, year first, and day first
 * with slashes (en-GB, fr-FR) when the first number cannot be a month. `05/11/2026 20:03:48` is
 * read month first, as the invariant culture writes it: nothing in the text says otherwise.
 */
export function parseDateTime(text: string): Date | undefined {
  let t = text.trim();
  const literal = /^datetime(?:offset)?'(.*)'$/i.exec(t);
  if (literal) t = literal[1]!;
  const ms = /^\/Date\((-?\d+)(?:[+-]\d{4})?\)\/$/.exec(t);
  if (ms) return new Date(Number(ms[1]));
  const iso = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,7}))?)?)?\s*(Z|[+-]\d{2}:?\d{2})?$/i.exec(t);
  if (iso) {
    const [, y, mo, d, h = '0', mi = '0', s = '0', frac = '0', zone] = iso;
    const millis = Number(frac.padEnd(3, '0').slice(0, 3));
    let time = utcTime(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(s), millis);
    // 2026-02-31 or 25:00 is no date: Date would roll it into March 3 or the next day.
    const wall = new Date(time);
    if (Number(h) > 23 || Number(mi) > 59 || Number(s) > 59 || wall.getUTCMonth() !== Number(mo) - 1 || wall.getUTCDate() !== Number(d)) return undefined;
    if (zone && zone.toUpperCase() !== 'Z') {
      const zm = /^([+-])(\d{2}):?(\d{2})$/.exec(zone)!;
      const offset = (Number(zm[2]) * 60 + Number(zm[3])) * 60_000;
      time -= zm[1] === '+' ? offset : -offset;
    }
    return validDate(time, Number(mo), Number(d));
  }
  const us = MONTHS_DMY.exec(t);
  if (us) {
    const [, first, second, y, h = '0', mi = '0', s = '0', ampm] = us;
    let hour = Number(h);
    if (ampm) {
      const pm = ampm.toLowerCase() === 'pm';
      if (hour < 1 || hour > 12) return undefined;
      hour = (hour % 12) + (pm ? 12 : 0);
    }
    // A 12-hour clock is en-US: month first, always. Without one, a first number above 12 is a day.
    const dayFirst = !ampm && Number(first) > 12;
    const [mo, d] = dayFirst ? [second!, first!] : [first!, second!];
    return clockDate(y!, mo, d, String(hour), mi, s);
  }
  const dayFirst = DAY_FIRST.exec(t);
  if (dayFirst) {
    const [, d, , mo, y, h = '0', mi = '0', s = '0'] = dayFirst;
    return clockDate(y!, mo!, d!, h, mi, s);
  }
  const yearFirst = YEAR_FIRST.exec(t);
  if (yearFirst) {
    const [, y, , mo, d, h = '0', mi = '0', s = '0'] = yearFirst;
    return clockDate(y!, mo!, d!, h, mi, s);
  }
  return undefined;
}

/** A wall-clock date and time read as UTC, as the service read zone-less dates. */
function clockDate(y: string, mo: string, d: string, h: string, mi: string, s: string): Date | undefined {
  if (Number(h) > 23 || Number(mi) > 59 || Number(s) > 59) return undefined;
  const date = validDate(utcTime(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(s), 0), Number(mo), Number(d));
  // 31/11 is not 1 December.
  return date && date.getUTCMonth() === Number(mo) - 1 && date.getUTCDate() === Number(d) ? date : undefined;
}

/** Date.UTC without its quirk of reading years 0 to 99 as 1900 to 1999 ('0050-01-01' is year 50). */
function utcTime(year: number, month: number, day: number, hours: number, minutes: number, seconds: number, millis: number): number {
  const date = new Date(0);
  date.setUTCFullYear(year, month, day);
  date.setUTCHours(hours, minutes, seconds, millis);
  return date.getTime();
}

function validDate(time: number, month: number, day: number): Date | undefined {
  const d = new Date(time);
  if (Number.isNaN(d.getTime()) || month < 1 || month > 12 || day < 1 || day > 31) return undefined;
  return d;
}

/** `2015-02-04T02:37:46.9680000Z`: the 7 fractional digits .NET wrote, from a canonical ISO string. */
export function formatDateTime(iso: string): string {
  const m = /^(.*T\d{2}:\d{2}:\d{2})(?:\.(\d+))?Z$/.exec(iso);
  if (!m) return iso;
  return `${m[1]}.${(m[2] ?? '').padEnd(7, '0').slice(0, 7)}Z`;
}

/** `\/Date(ms)\/` as it appears in verbose JSON text (the backslashes are part of the JSON). */
export function verboseJsonDate(iso: string): string {
  return `"\\/Date(${Date.parse(iso)})\\/"`;
}

/** A double as the service wrote it: always with a decimal point or exponent (`440.0`). */
export function formatDouble(n: number): string {
  if (!Number.isFinite(n)) return n > 0 ? 'INF' : n < 0 ? '-INF' : 'NaN';
  const s = String(n);
  return /[.eE]/.test(s) ? s : `${s}.0`;
}
