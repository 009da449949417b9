import type { ServerResponse } from 'node:http';
import {
  writeAtomEntry,
  writeAtomError,
  writeAtomFeed,
  writeFunctionResult,
  writeLinksDocument,
  writePropertyDocument,
  writeServiceDocument,
  writeSingleLink,
} from '../odata/atom/index.js';
import { CONTENT_TYPES, type WireFormat } from '../odata/format.js';
import { jsonEntity, jsonError, jsonFeed, jsonFunctionResult, jsonLinks, jsonProperty, jsonServiceDocument } from '../odata/json.js';
import { entityUrl } from '../odata/urls.js';
import { formatDateTime, formatDouble } from '../odata/values.js';
import { badRequest } from '../odata/errors.js';
import type { ApiResult } from '../resources/context.js';

export interface ResponseContext {
  format: WireFormat;
  serviceRoot: string;
  /** The client's MaxDataServiceVersion major version (3 when absent), so an old client is not sent a newer DSV. */
  maxDataServiceVersion: number;
  /** `Prefer: return-no-content` on a create. */
  preferNoContent: boolean;
  head: boolean;
  /** The largest body this response may have (limits.maxResponseBytes, or what a `$batch` has left of it). */
  maxResponseBytes: number;
  /** In a `$batch`: the limit its queries share, of which maxResponseBytes is what is left. */
  sharedResponseBytes?: number;
}

/** A response before it is written: the HTTP layer sends it, a `$batch` embeds it in its multipart body. */
export interface Rendered {
  status: number;
  headers: Record<string, string>;
  /** undefined: no body (204, or HEAD). */
  body?: Buffer;
}

/** Write a handler's result in the client's format. */
export function writeResult(res: ServerResponse, ctx: ResponseContext, result: ApiResult): void {
  writeRendered(res, renderResult(ctx, result));
}

/** An OData error body in the client's format. */
export function writeError(res: ServerResponse, format: WireFormat, status: number, code: string, message: string, head = false): void {
  writeRendered(res, renderError(format, status, code, message, head));
}

export function writeRendered(res: ServerResponse, rendered: Rendered): void {
  res.statusCode = rendered.status;
  for (const [name, value] of Object.entries(rendered.headers)) res.setHeader(name, value);
  res.end(rendered.body);
}

/** A handler's result as status, headers and body in the client's format. */
export function renderResult(ctx: ResponseContext, result: ApiResult): Rendered {
  const json = ctx.format !== 'atom';
  const jsonFormat = ctx.format === 'atom' ? 'json-minimal' : ctx.format;
  const dsv = (wanted: number) => `${Math.min(wanted, ctx.maxDataServiceVersion)}.0;`;
  switch (result.kind) {
    case 'entity': {
      const key = String(result.record[result.type.key] ?? '');
      // 202: a create the service answers before it completes (StreamingEndpoints), Location included.
      const location: Record<string, string> = {};
      if (result.status !== 200) location['Location'] = entityUrl(ctx.serviceRoot, result.type, key);
      if (result.headers) Object.assign(location, result.headers);
      if (result.status === 201 && ctx.preferNoContent) {
        return { status: 204, headers: { ...location, 'Preference-Applied': 'return-no-content', DataServiceVersion: dsv(3) } };
      }
      const body = json
        ? jsonEntity(ctx, result.type, result.record, jsonFormat, result.select)
        : writeAtomEntry(ctx, result.type, result.record, { select: result.select });
      return withHeaders(rendered(ctx, result.status, json ? CONTENT_TYPES[jsonFormat] : CONTENT_TYPES.atomEntry, dsv(ctx.format === 'json-verbose' ? 1 : 3), body), location);
    }
    case 'feed': {
      const published = result.select ?? result.type.properties.map((p) => p.name);
      assertFeedMayFit(ctx, result.records.map((record) => publishedText(record, published)));
      const body = json
        ? jsonFeed(ctx, result.type, result.records, jsonFormat, { select: result.select, count: result.count })
        : writeAtomFeed(ctx, result.type, result.records, { select: result.select, count: result.count, selfHref: result.selfHref });
      return rendered(ctx, 200, json ? CONTENT_TYPES[jsonFormat] : CONTENT_TYPES.atomFeed, dsv(result.count !== undefined ? 2 : ctx.format === 'json-verbose' ? 2 : 3), body);
    }
    case 'count':
      return rendered(ctx, 200, 'text/plain;charset=utf-8', dsv(2), String(result.count));
    case 'property': {
      if (result.raw) return rendered(ctx, 200, 'text/plain;charset=utf-8', dsv(3), rawValue(result.property.type, result.value));
      if (json) return rendered(ctx, 200, CONTENT_TYPES[jsonFormat], dsv(3), jsonProperty(ctx, result.type, result.property, result.value, jsonFormat));
      return rendered(ctx, 200, CONTENT_TYPES.xml, dsv(3), writePropertyDocument(result.property, result.value));
    }
    case 'function':
      if (json) return rendered(ctx, 200, CONTENT_TYPES[jsonFormat], dsv(3), jsonFunctionResult(ctx, result.name, result.value, jsonFormat));
      return rendered(ctx, 200, CONTENT_TYPES.xml, dsv(3), writeFunctionResult(result.name, result.value, 'Edm.String'));
    case 'links':
      if (json) return rendered(ctx, 200, CONTENT_TYPES[jsonFormat], dsv(3), jsonLinks(ctx, result.type, result.nav, result.uris, jsonFormat, result.single));
      return rendered(ctx, 200, CONTENT_TYPES.xml, dsv(3), result.single ? writeSingleLink(result.uris[0] ?? '') : writeLinksDocument(ctx, result.uris));
    case 'noContent':
      return { status: 204, headers: { DataServiceVersion: dsv(1) } };
    case 'accepted':
      return { status: 202, headers: { ...result.headers, DataServiceVersion: dsv(1), 'Content-Length': '0' } };
    case 'serviceDocument':
      if (json) return rendered(ctx, 200, CONTENT_TYPES[jsonFormat], dsv(3), jsonServiceDocument(ctx, result.sets, jsonFormat));
      return rendered(ctx, 200, CONTENT_TYPES.atomService, dsv(1), writeServiceDocument(ctx, result.sets));
    case 'document':
      return rendered(ctx, 200, result.contentType, dsv(3), result.body);
  }
}

/** An OData error body in the client's format: Atom clients get `<error xmlns=".../metadata">`. */
export function renderError(format: WireFormat, status: number, code: string, message: string, head = false): Rendered {
  const atom = format === 'atom';
  const body = Buffer.from(atom ? writeAtomError(code, message) : jsonError(code, message, format), 'utf8');
  return { status, headers: { 'Content-Type': atom ? CONTENT_TYPES.xml : CONTENT_TYPES[format], 'Content-Length': String(body.length) }, body: head ? undefined : body };
}

function rendered(ctx: ResponseContext, status: number, contentType: string, dataServiceVersion: string, body: string): Rendered {
  const bytes = Buffer.from(body, 'utf8');
  if (bytes.length > ctx.maxResponseBytes) throw responseTooLarge(ctx, bytes.length, undefined);
  return {
    status,
    headers: { 'Content-Type': contentType, DataServiceVersion: dataServiceVersion, 'Content-Length': String(bytes.length) },
    body: ctx.head ? undefined : bytes,
  };
}

/**
 * Refuses a page whose text alone is past the limit before any of it is written: 130 entities with
 * 4 MiB names would otherwise build a string larger than V8 allows (a 500) after holding gigabytes.
 * `texts` are the characters each entity publishes (its properties, or those $select names): a
 * lower bound of what any format writes, so a page refused here could never have been sent.
 */
function assertFeedMayFit(ctx: ResponseContext, texts: readonly number[]): void {
  const chars = texts.reduce((sum, n) => sum + n, 0);
  if (chars > ctx.maxResponseBytes) throw responseTooLarge(ctx, undefined, texts);
}

function publishedText(record: Record<string, unknown>, properties: readonly string[]): number {
  return properties.reduce((sum, name) => sum + textLength(record[name]), 0);
}

function textLength(value: unknown): number {
  if (typeof value === 'string') return value.length;
  if (Array.isArray(value)) return value.reduce((sum: number, item) => sum + textLength(item), 0);
  if (value !== null && typeof value === 'object') return Object.values(value).reduce((sum: number, item) => sum + textLength(item), 0);
  return 0;
}

/** `texts`: the page's entities' published characters, when the page was refused before it was built. */
function responseTooLarge(ctx: ResponseContext, bytes: number | undefined, texts: readonly number[] | undefined): Error {
  const limit =
    ctx.sharedResponseBytes === undefined
      ? `the ${size(ctx.maxResponseBytes)} the emulator sends in one response`
      : `the ${size(ctx.maxResponseBytes)} left of the ${size(ctx.sharedResponseBytes)} the queries of one $batch share`;
  if (texts === undefined) return badRequest(`The response would be ${size(bytes!)}, more than ${limit}: ask for less (fewer entities with $top, fewer properties with $select)`);
  const perEntity = texts.reduce((sum, n) => sum + n, 0) / Math.max(texts.length, 1);
  // Half the limit's worth of text: markup and escapes take room too.
  const fit = Math.max(1, Math.floor(ctx.maxResponseBytes / 2 / Math.max(perEntity, 1)));
  return badRequest(`The ${texts.length} entities of this page hold more than ${limit}: page with $top and $skip (about ${fit} at a time fit), or ask for fewer properties with $select`);
}

function size(bytes: number): string {
  return bytes < 1024 * 1024 ? `${(bytes / 1024).toFixed(1)} KiB` : `${(bytes / 1048576).toFixed(1)} MiB`;
}

/**
 * `headers` first, then the rendered ones (which win), in that order on the wire. Copied by
 * assignment: object spreads here were over 1% of the emulator's CPU per POST Assets (V8's
 * generic property copy), for two objects of a few headers.
 */
function withHeaders(r: Rendered, headers: Record<string, string>): Rendered {
  const merged: Record<string, string> = {};
  for (const name of Object.keys(headers)) merged[name] = headers[name]!;
  for (const name of Object.keys(r.headers)) merged[name] = r.headers[name]!;
  return r.body === undefined ? { status: r.status, headers: merged } : { status: r.status, headers: merged, body: r.body };
}

function rawValue(type: string, value: unknown): string {
  if (value === null || value === undefined) return '';
  if (type === 'Edm.DateTime') return formatDateTime(String(value));
  if (type === 'Edm.Double') return formatDouble(Number(value));
  return String(value);
}
