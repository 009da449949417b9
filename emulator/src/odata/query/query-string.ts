/** Splitting a raw query string into parameters and decoding them the way OData clients encode them. */
import { badRequest } from '../errors.js';
import { quote } from './text.js';

export interface RawParameter {
  /** As sent, still percent-encoded. */
  name: string;
  value: string;
}

export function splitQuery(query: string): RawParameter[] {
  // Callers should pass the text after '?', but a leading '?' would otherwise glue itself to the first
  // name and hide a `$filter` as an ignored `?$filter`.
  const text = query.startsWith('?') ? query.slice(1) : query;
  if (text === '') return [];
  return text
    .split('&')
    .filter((part) => part !== '')
    .map((part) => {
      const eq = part.indexOf('=');
      return eq < 0 ? { name: part, value: '' } : { name: part.slice(0, eq), value: part.slice(eq + 1) };
    });
}

/**
 * Decode one component, form-style: '+' is a space (clients send `$filter=Name+eq+'x'`), `%2B` a plus.
 * Returns undefined for malformed percent-encoding or bytes that are not UTF-8.
 */
export function tryDecode(raw: string): string | undefined {
  try {
    return decodeURIComponent(raw.replace(/\+/g, ' '));
  } catch {
    return undefined;
  }
}

export function decodeValue(raw: string, option: string): string {
  const value = tryDecode(raw);
  if (value === undefined) {
    throw badRequest(`Invalid ${option}: malformed percent-encoding in ${quote(raw)} (use %XX with two hex digits encoding UTF-8)`);
  }
  return value;
}
