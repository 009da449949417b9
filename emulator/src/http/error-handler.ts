import type { IncomingMessage, ServerResponse } from 'node:http';
import { StrictRefusal } from '../domain/deviations.js';
import { Refusal, type RefusalKind } from '../model/refusal.js';
import { ODataError } from '../odata/errors.js';
import { negotiateFormat, type WireFormat } from '../odata/format.js';
import { StorageUnavailableError, StorageRequestError } from '../storage/types.js';
import { StoreFullError, StoreWriteError } from '../store/index.js';
import { writeError } from './respond.js';
import { header, locals, requestUrl } from './request-context.js';

export interface ErrorLogger {
  (message: string, err: unknown): void;
}

/**
 * The last middleware: every failure becomes an OData error in the client's format. Client
 * mistakes keep their 4xx; storage that cannot be reached is a 503 with a clear message (the
 * client may retry); anything else is a bug, logged with its stack and answered 500 without it.
 */
export function errorHandler(log: ErrorLogger) {
  return (err: unknown, req: IncomingMessage, res: ServerResponse, _next: (err?: unknown) => void): void => {
    const format = locals(res).format ?? requestedFormat(req);
    const head = req.method === 'HEAD';
    if (res.headersSent) {
      // An answer already complete (the request timed out, then its handler failed late) stands.
      if (!res.writableEnded) res.destroy();
      return;
    }
    const mapped = toODataError(err);
    if (mapped) {
      for (const [name, value] of Object.entries(mapped.headers)) res.setHeader(name, value);
      writeError(res, format, mapped.status, mapped.code, mapped.message, head);
      return;
    }
    log(`internal error in ${req.method} ${requestUrl(req).slice(0, 200)} (request ${locals(res).requestId})`, err);
    writeError(res, format, 500, 'InternalError', `The emulator failed to process the request (x-ms-request-id ${locals(res).requestId}); this is a bug in the emulator, please report it with the debug log`, head);
  };
}

/** The status the service answered for each kind of refusal. */
const REFUSAL_STATUS: Record<RefusalKind, number> = {
  invalid: 400,
  'not-found': 404,
  conflict: 409,
  'not-allowed': 405,
  'not-implemented': 501,
};

export function toODataError(err: unknown): ODataError | undefined {
  if (err instanceof ODataError) return err;
  if (err instanceof Refusal) return new ODataError(REFUSAL_STATUS[err.kind], err.message, err.code);
  if (err instanceof StrictRefusal) return new ODataError(err.status, err.message, err.code);
  if (err instanceof StorageUnavailableError) {
    return new ODataError(503, `Storage is unavailable: ${err.message}. Retry when it is back.`, 'ServiceUnavailable', { 'Retry-After': '5' });
  }
  if (err instanceof StoreWriteError) {
    // The client did nothing wrong and nothing acknowledged is lost: the same request can succeed
    // once the data directory is writable again.
    return new ODataError(503, `The emulator cannot save changes: ${err.message}. Retry later.`, 'ServiceUnavailable', { 'Retry-After': String(err.retryAfterSeconds) });
  }
  if (err instanceof StoreFullError) {
    return new ODataError(507, `The emulator refused the change: ${err.message}.`, 'InsufficientStorage');
  }
  if (err instanceof StorageRequestError) {
    if (err.statusCode === 404) return new ODataError(404, `Storage answered: ${err.message}`);
    if (err.statusCode === 409) return new ODataError(409, `Storage answered: ${err.message}`);
    return new ODataError(err.statusCode >= 500 ? 503 : 400, `Storage refused the operation: ${err.message}`);
  }
  // body-parser and express errors carry an HTTP status and a type.
  if (typeof err === 'object' && err !== null && 'status' in err && typeof (err as { status: unknown }).status === 'number') {
    const e = err as { status: number; type?: string; message?: string; limit?: number };
    if (e.status >= 400 && e.status < 500) {
      switch (e.type) {
        case 'entity.too.large':
          return new ODataError(413, `The request body is larger than the emulator's limit of ${e.limit ?? '?'} bytes`);
        case 'encoding.unsupported':
        case 'charset.unsupported':
          return new ODataError(415, `The request body's encoding is not supported: ${e.message ?? ''}`);
        case 'request.aborted':
          return new ODataError(400, 'The request was aborted before its body was complete');
        case 'request.size.invalid':
          return new ODataError(400, 'The request body is shorter or longer than its Content-Length');
        default:
          return new ODataError(e.status, e.message ?? 'Bad request');
      }
    }
  }
  return undefined;
}

/**
 * The format a request asked for, for errors raised before the API handler negotiated it (a body
 * over the size limit is refused while it is read): an Atom client still gets an Atom error.
 */
export function requestedFormat(req: IncomingMessage): WireFormat {
  const url = requestUrl(req);
  const q = url.indexOf('?');
  const option = q < 0 ? undefined : formatOption(url.slice(q + 1));
  try {
    return negotiateFormat(header(req, 'accept'), option);
  } catch {
    // A $format that names no format leaves the choice to the Accept header.
    try {
      return negotiateFormat(header(req, 'accept'), undefined);
    } catch {
      return 'json-minimal';
    }
  }
}

/**
 * The `$format` value of a raw query string, each parameter decoded on its own: a malformed
 * neighbour (the error being answered, often) must not hide the format the client asked for.
 */
function formatOption(query: string): string | undefined {
  for (const part of query.split('&')) {
    const eq = part.indexOf('=');
    if (decodeOrUndefined(eq < 0 ? part : part.slice(0, eq)) !== '$format') continue;
    return decodeOrUndefined(eq < 0 ? '' : part.slice(eq + 1));
  }
  return undefined;
}

function decodeOrUndefined(text: string): string | undefined {
  try {
    return decodeURIComponent(text.replace(/\+/g, ' '));
  } catch {
    return undefined;
  }
}
