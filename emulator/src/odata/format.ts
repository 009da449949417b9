import { ODataError } from './errors.js';

/**
 * The wire formats the emulator speaks. `atom` covers Atom entries/feeds and the plain XML the
 * service used for function results, `$links` and errors.
 */
export type WireFormat = 'json-minimal' | 'json-verbose' | 'json-nometadata' | 'atom';

interface MediaRange {
  type: string;
  subtype: string;
  params: Record<string, string>;
  q: number;
}

/**
 * Pick the response format from `$format` and `Accept`. JSON minimal metadata when the client
 * states no preference (`*\/*`, none) — the documented REST examples' format; the SDKs that need
 * Atom all ask for it explicitly. An Accept that lists nothing we can write is a 406.
 */
export function negotiateFormat(accept: string | undefined, formatOption: string | undefined): WireFormat {
  if (formatOption !== undefined) return fromFormatOption(formatOption);
  if (!accept || accept.trim() === '') return 'json-minimal';
  const ranges = parseAccept(accept).filter((r) => r.q > 0);
  if (ranges.length === 0) return 'json-minimal';
  // Stable sort by q: on ties the client's order wins.
  ranges.sort((a, b) => b.q - a.q);
  for (const range of ranges) {
    const format = formatOfRange(range);
    if (format) return format;
  }
  throw new ODataError(406, `None of the media types in Accept (${accept}) can be produced: use application/json, application/json;odata=verbose or application/atom+xml`);
}

/**
 * The format of a request whose answer is plain text (`$count`, a property's `$value`): that is
 * what it produces, so `Accept: text/plain` is not a 406 there. Errors then come as JSON minimal,
 * unless Accept also names a format.
 */
export function negotiateTextFormat(accept: string | undefined, formatOption: string | undefined): WireFormat {
  try {
    return negotiateFormat(accept, formatOption);
  } catch (err) {
    const plain = parseAccept(accept ?? '').some((r) => r.q > 0 && r.type.toLowerCase() === 'text' && r.subtype.toLowerCase() === 'plain');
    if (formatOption === undefined && plain) return 'json-minimal';
    throw err;
  }
}

/**
 * The format for errors about a `$batch` request itself. Its answer is multipart/mixed whatever
 * the client asked for, and the .NET SDK sends `Accept: multipart/mixed`, so that media type is
 * not a preference for errors, and nothing here is a 406. A `$format` that names a format wins, as
 * everywhere; one that names none is not worth refusing the batch for.
 */
export function negotiateBatchFormat(accept: string | undefined, formatOption?: string): WireFormat {
  if (formatOption !== undefined) {
    try {
      return fromFormatOption(formatOption);
    } catch {
      // Fall back to Accept.
    }
  }
  const others = splitOutsideQuotes(accept ?? '', ',').filter((part) => parseMediaRange(part)?.type !== 'multipart');
  try {
    return negotiateFormat(others.join(','), undefined);
  } catch {
    return 'json-minimal';
  }
}

/** The format of a request body, from its Content-Type; undefined when absent (sniffed later). */
export function bodyFormat(contentType: string | undefined): 'json' | 'xml' | 'form' | undefined | 'other' {
  if (!contentType || contentType.trim() === '') return undefined;
  const range = parseMediaRange(contentType);
  if (!range) return 'other';
  const full = `${range.type}/${range.subtype}`;
  if (full === 'application/json' || range.subtype.endsWith('+json') || full === 'text/json') return 'json';
  if (full === 'application/atom+xml' || full === 'application/xml' || full === 'text/xml' || range.subtype.endsWith('+xml')) return 'xml';
  if (full === 'application/x-www-form-urlencoded') return 'form';
  return 'other';
}

/** The charset parameter of a Content-Type, lower-cased; utf-8 when none is given. */
export function bodyCharset(contentType: string | undefined): string {
  const range = contentType ? parseMediaRange(contentType) : undefined;
  return (range?.params['charset'] ?? 'utf-8').toLowerCase().replace(/^"|"$/g, '');
}

function fromFormatOption(option: string): WireFormat {
  const value = option.trim().toLowerCase();
  if (value === 'json') return 'json-minimal';
  if (value === 'atom' || value === 'xml') return 'atom';
  if (value === 'verbosejson' || value === 'verbose') return 'json-verbose';
  const range = parseMediaRange(option);
  const format = range ? formatOfRange(range) : undefined;
  if (!format) throw new ODataError(400, `$format=${option} is not supported: use json, atom, xml or a media type such as application/json;odata=verbose`);
  return format;
}

function formatOfRange(range: MediaRange): WireFormat | undefined {
  const { type, subtype } = range;
  if (type === '*' && subtype === '*') return 'json-minimal';
  if (type === 'application' && (subtype === 'json' || subtype === '*')) {
    const odata = (range.params['odata'] ?? range.params['odata.metadata'] ?? '').toLowerCase();
    if (odata === 'verbose') return 'json-verbose';
    if (odata === 'nometadata' || odata === 'none') return 'json-nometadata';
    return 'json-minimal';
  }
  if (type === 'application' && (subtype === 'atom+xml' || subtype === 'xml' || subtype === 'atomsvc+xml')) return 'atom';
  if (type === 'text' && (subtype === 'xml' || subtype === '*')) return 'atom';
  if (type === 'text' && subtype === 'json') return 'json-minimal';
  return undefined;
}

function parseAccept(header: string): MediaRange[] {
  return splitOutsideQuotes(header, ',')
    .map((part) => parseMediaRange(part))
    .filter((r): r is MediaRange => r !== undefined);
}

function parseMediaRange(text: string): MediaRange | undefined {
  const [mediaType, ...paramParts] = splitOutsideQuotes(text, ';');
  const m = /^\s*([a-z0-9!#$&^_.+-]+|\*)\/([a-z0-9!#$&^_.+-]+|\*)\s*$/i.exec(mediaType ?? '');
  if (!m) return undefined;
  const params: Record<string, string> = {};
  let q = 1;
  for (const part of paramParts) {
    const eq = part.indexOf('=');
    if (eq < 0) continue;
    const name = part.slice(0, eq).trim().toLowerCase();
    const value = part.slice(eq + 1).trim();
    if (name === 'q') {
      const n = Number(value);
      q = Number.isFinite(n) ? Math.min(Math.max(n, 0), 1) : 0;
    } else {
      params[name] = value;
    }
  }
  return { type: m[1]!.toLowerCase(), subtype: m[2]!.toLowerCase(), params, q };
}

function splitOutsideQuotes(text: string, separator: string): string[] {
  const out: string[] = [];
  let current = '';
  let inQuote = false;
  for (const c of text) {
    if (c === '"') inQuote = !inQuote;
    if (c === separator && !inQuote) {
      out.push(current);
      current = '';
    } else {
      current += c;
    }
  }
  out.push(current);
  return out;
}

/** Content-Type and DataServiceVersion for each response kind. */
export const CONTENT_TYPES = {
  'json-minimal': 'application/json;odata=minimalmetadata;streaming=true;charset=utf-8',
  'json-verbose': 'application/json;odata=verbose;charset=utf-8',
  'json-nometadata': 'application/json;odata=nometadata;streaming=true;charset=utf-8',
  atomEntry: 'application/atom+xml;type=entry;charset=utf-8',
  atomFeed: 'application/atom+xml;type=feed;charset=utf-8',
  xml: 'application/xml;charset=utf-8',
  atomService: 'application/atomsvc+xml;charset=utf-8',
} as const;
