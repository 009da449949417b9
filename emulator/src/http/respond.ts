import type { Response } from 'express';
import {
  writeAtomEntry,
  writeAtomError,
  writeAtomFeed,
  writeFunctionResult,
  writeLinksDocument,
  writeServiceDocument,
  writeSingleLink,
} from '../odata/atom/index.js';
import { CONTENT_TYPES, type WireFormat } from '../odata/format.js';
import { jsonEntity, jsonError, jsonFeed, jsonFunctionResult, jsonLinks, jsonProperty, jsonServiceDocument } from '../odata/json.js';
import { entityUrl } from '../odata/urls.js';
import { formatDateTime, formatDouble } from '../odata/values.js';
import type { ApiResult } from '../resources/context.js';

export interface ResponseContext {
  format: WireFormat;
  serviceRoot: string;
  /** The client's MaxDataServiceVersion major version (3 when absent), so an old client is not sent a newer DSV. */
  maxDataServiceVersion: number;
  /** `Prefer: return-no-content` on a create. */
  preferNoContent: boolean;
  head: boolean;
}

/** Write a handler's result in the client's format. */
export function writeResult(res: Response, ctx: ResponseContext, result: ApiResult): void {
  const json = ctx.format !== 'atom';
  const jsonFormat = ctx.format === 'atom' ? 'json-minimal' : ctx.format;
  const dsv = (wanted: number) => `${Math.min(wanted, ctx.maxDataServiceVersion)}.0;`;
  switch (result.kind) {
    case 'entity': {
      const key = String(result.record[result.type.key] ?? '');
      if (result.status === 201) res.setHeader('Location', entityUrl(ctx.serviceRoot, result.type, key));
      if (result.status === 201 && ctx.preferNoContent) {
        res.setHeader('Preference-Applied', 'return-no-content');
        res.setHeader('DataServiceVersion', dsv(3));
        res.status(204).end();
        return;
      }
      const body = json
        ? jsonEntity(ctx, result.type, result.record, jsonFormat, result.select)
        : writeAtomEntry(ctx, result.type, result.record, { select: result.select });
      send(res, ctx, result.status, json ? CONTENT_TYPES[jsonFormat] : CONTENT_TYPES.atomEntry, dsv(ctx.format === 'json-verbose' ? 1 : 3), body);
      return;
    }
    case 'feed': {
      const body = json
        ? jsonFeed(ctx, result.type, result.records, jsonFormat, { select: result.select, count: result.count })
        : writeAtomFeed(ctx, result.type, result.records, { select: result.select, count: result.count, selfHref: result.selfHref });
      send(res, ctx, 200, json ? CONTENT_TYPES[jsonFormat] : CONTENT_TYPES.atomFeed, dsv(result.count !== undefined ? 2 : ctx.format === 'json-verbose' ? 2 : 3), body);
      return;
    }
    case 'count':
      send(res, ctx, 200, 'text/plain;charset=utf-8', dsv(2), String(result.count));
      return;
    case 'property': {
      if (result.raw) {
        send(res, ctx, 200, 'text/plain;charset=utf-8', dsv(3), rawValue(result.property.type, result.value));
        return;
      }
      if (json) {
        send(res, ctx, 200, CONTENT_TYPES[jsonFormat], dsv(3), jsonProperty(ctx, result.type, result.property, result.value, jsonFormat));
      } else {
        const value = result.value === null || result.value === undefined ? null : rawValue(result.property.type, result.value);
        send(res, ctx, 200, CONTENT_TYPES.xml, dsv(3), writeFunctionResult(result.property.name, value, result.property.type));
      }
      return;
    }
    case 'function':
      if (json) send(res, ctx, 200, CONTENT_TYPES[jsonFormat], dsv(3), jsonFunctionResult(ctx, result.name, result.value, jsonFormat));
      else send(res, ctx, 200, CONTENT_TYPES.xml, dsv(3), writeFunctionResult(result.name, result.value, 'Edm.String'));
      return;
    case 'links':
      if (json) send(res, ctx, 200, CONTENT_TYPES[jsonFormat], dsv(3), jsonLinks(ctx, result.type, result.nav, result.uris, jsonFormat, result.single));
      else send(res, ctx, 200, CONTENT_TYPES.xml, dsv(3), result.single ? writeSingleLink(result.uris[0] ?? '') : writeLinksDocument(ctx, result.uris));
      return;
    case 'noContent':
      res.setHeader('DataServiceVersion', dsv(1));
      res.status(204).end();
      return;
    case 'serviceDocument':
      if (json) send(res, ctx, 200, CONTENT_TYPES[jsonFormat], dsv(3), jsonServiceDocument(ctx, result.sets, jsonFormat));
      else send(res, ctx, 200, CONTENT_TYPES.atomService, dsv(1), writeServiceDocument(ctx, result.sets));
      return;
    case 'document':
      send(res, ctx, 200, result.contentType, dsv(3), result.body);
      return;
  }
}

/** An OData error body in the client's format. */
export function writeError(res: Response, format: WireFormat, status: number, code: string, message: string, head = false): void {
  if (format === 'atom') {
    res.status(status).setHeader('Content-Type', CONTENT_TYPES.xml);
    res.end(head ? undefined : writeAtomError(code, message));
  } else {
    res.status(status).setHeader('Content-Type', CONTENT_TYPES[format]);
    res.end(head ? undefined : jsonError(code, message, format));
  }
}

function send(res: Response, ctx: ResponseContext, status: number, contentType: string, dataServiceVersion: string, body: string): void {
  res.status(status);
  res.setHeader('Content-Type', contentType);
  res.setHeader('DataServiceVersion', dataServiceVersion);
  const bytes = Buffer.from(body, 'utf8');
  res.setHeader('Content-Length', String(bytes.length));
  res.end(ctx.head ? undefined : bytes);
}

function rawValue(type: string, value: unknown): string {
  if (value === null || value === undefined) return '';
  if (type === 'Edm.DateTime') return formatDateTime(String(value));
  if (type === 'Edm.Double') return formatDouble(Number(value));
  return String(value);
}
