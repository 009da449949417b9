import type { JsonObject, JsonValue } from './wire-format.js';

/**
 * Reading EDM values off the wire leniently, as AMS and its clients wrote them: numbers and
 * booleans may arrive as strings ("ContentFileSize":"3186542", "IsEncrypted":"true"), dates as
 * ISO 8601 (with or without a zone) or as verbose `\/Date(ms)\/`. A value that cannot mean what
 * the property says is an `EdmValueError` naming the property.
 */
export class EdmValueError extends Error {
  constructor(property: string, expected: string, value: JsonValue | undefined) {
    super(`property ${property} should be ${expected}, got ${value === undefined ? 'nothing' : JSON.stringify(value)}`);
    this.name = 'EdmValueError';
  }
}

const VERBOSE_DATE = /^\/Date\((-?\d+)(?:[+-]\d{4})?\)\/$/;
const ISO_WITHOUT_ZONE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?$/;

export function optionalString(raw: JsonObject, name: string): string | null {
  const value = raw[name];
  if (value === undefined || value === null) return null;
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  throw new EdmValueError(name, 'a string', value);
}

export function requiredString(raw: JsonObject, name: string): string {
  const value = optionalString(raw, name);
  if (value === null) throw new EdmValueError(name, 'a string', raw[name]);
  return value;
}

/** Edm.Int32 (and Edm.Double via `number`): a JSON number or a numeric string. */
export function optionalNumber(raw: JsonObject, name: string): number | null {
  const value = raw[name];
  if (value === undefined || value === null) return null;
  if (typeof value === 'number' && Number.isFinite(value)) return value;
  if (typeof value === 'string' && value.trim() !== '' && Number.isFinite(Number(value))) return Number(value);
  throw new EdmValueError(name, 'a number', value);
}

export function requiredNumber(raw: JsonObject, name: string): number {
  const value = optionalNumber(raw, name);
  if (value === null) throw new EdmValueError(name, 'a number', raw[name]);
  return value;
}

/** Edm.Int64 as `bigint`: file sizes exceed 2^53 only in theory, but never through a float. */
export function requiredInt64(raw: JsonObject, name: string): bigint {
  const value = raw[name];
  if (typeof value === 'string' && /^-?\d+$/.test(value.trim())) return BigInt(value.trim());
  if (typeof value === 'number' && Number.isSafeInteger(value)) return BigInt(value);
  throw new EdmValueError(name, 'an Int64 (a decimal string or an integer)', value);
}

export function optionalBoolean(raw: JsonObject, name: string): boolean | null {
  const value = raw[name];
  if (value === undefined || value === null) return null;
  if (typeof value === 'boolean') return value;
  if (typeof value === 'string' && /^(true|false)$/i.test(value)) return value.toLowerCase() === 'true';
  throw new EdmValueError(name, 'a boolean', value);
}

export function requiredBoolean(raw: JsonObject, name: string): boolean {
  const value = optionalBoolean(raw, name);
  if (value === null) throw new EdmValueError(name, 'a boolean', raw[name]);
  return value;
}

/** Edm.DateTime: ISO 8601 (a missing zone means UTC, as WCF Data Services meant it) or `\/Date(ms)\/`. */
export function optionalDate(raw: JsonObject, name: string): Date | null {
  const value = raw[name];
  if (value === undefined || value === null) return null;
  if (typeof value !== 'string') throw new EdmValueError(name, 'a date', value);
  const verbose = VERBOSE_DATE.exec(value);
  const date = verbose ? new Date(Number(verbose[1])) : new Date(ISO_WITHOUT_ZONE.test(value) ? `${value}Z` : value);
  if (Number.isNaN(date.getTime())) throw new EdmValueError(name, 'a date', value);
  return date;
}

export function requiredDate(raw: JsonObject, name: string): Date {
  const value = optionalDate(raw, name);
  if (value === null) throw new EdmValueError(name, 'a date', raw[name]);
  return value;
}

/** A collection-valued property: a JSON array (minimal) or `{"results":[..]}` (verbose). */
export function optionalCollection(raw: JsonObject, name: string): JsonValue[] {
  const value = raw[name];
  if (value === undefined || value === null) return [];
  if (Array.isArray(value)) return value;
  if (typeof value === 'object' && Array.isArray(value.results)) return value.results;
  throw new EdmValueError(name, 'a collection', value);
}
