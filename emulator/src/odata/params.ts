import { badRequest } from './errors.js';
import { truncate } from './uri.js';

/**
 * Query-string parameters as `application/x-www-form-urlencoded` ('+' is a space), decoded once.
 * Kept as a list so a repeated parameter can be refused rather than silently picked.
 */
export function parseQueryString(raw: string): [string, string][] {
  if (raw === '') return [];
  const out: [string, string][] = [];
  for (const part of raw.split('&')) {
    if (part === '') continue;
    const eq = part.indexOf('=');
    const name = decodeComponent(eq < 0 ? part : part.slice(0, eq));
    const value = eq < 0 ? '' : decodeComponent(part.slice(eq + 1));
    out.push([name, value]);
  }
  return out;
}

function decodeComponent(text: string): string {
  try {
    return decodeURIComponent(text.replace(/\+/g, ' '));
  } catch {
    throw badRequest(`The query string is not valid percent-encoding near ${JSON.stringify(truncate(text, 60))}`);
  }
}

/**
 * Function parameters by name, matched case-insensitively (the .NET SDK sends `protectionKeyId`,
 * Java and the docs `ProtectionKeyId`). String values are OData literals in single quotes; an
 * unquoted value is accepted as is.
 */
export function functionParameters(raw: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const [name, value] of parseQueryString(raw)) {
    if (name.startsWith('$')) continue;
    const key = name.toLowerCase();
    if (out.has(key)) throw badRequest(`The parameter '${name}' is given more than once`);
    out.set(key, unquoteLiteral(value));
  }
  return out;
}

export function unquoteLiteral(value: string): string {
  const v = value.trim();
  if (v.length >= 2 && v.startsWith("'") && v.endsWith("'")) return v.slice(1, -1).replace(/''/g, "'");
  return v;
}
