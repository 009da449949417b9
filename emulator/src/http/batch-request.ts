import { badRequest } from '../odata/errors.js';
import { header, multipartBoundary, parseHttpRequest, parseMultipart, type HeaderList, type HttpRequestMessage } from './batch-multipart.js';

/**
 * An OData v3 `$batch` request body, parsed: top-level query operations and changesets, each
 * changeset a list of change operations. No operation runs here.
 */

export interface BatchLimits {
  /** Top-level parts (queries and changesets), as WCF Data Services' MaxBatchCount (100). */
  maxParts: number;
  /** Operations in the whole batch, changesets included. */
  maxOperations: number;
}

export const DEFAULT_BATCH_LIMITS: BatchLimits = { maxParts: 100, maxOperations: 1000 };

export interface BatchOperation extends HttpRequestMessage {
  /**
   * The Content-ID later operations refer to as `$<id>`: a MIME part header by the spec, an
   * inner request header as the .NET and Java SDKs write it; either is read.
   */
  contentId?: string;
  /** 1-based position in the batch, for messages. */
  index: number;
}

export type BatchItem =
  | { kind: 'operation'; operation: BatchOperation }
  | { kind: 'changeset'; operations: BatchOperation[] };

const CHANGE_METHODS: ReadonlySet<string> = new Set(['POST', 'PUT', 'MERGE', 'PATCH', 'DELETE']);

export function parseBatchRequest(body: Buffer, contentType: string | undefined, limits: BatchLimits = DEFAULT_BATCH_LIMITS): BatchItem[] {
  const boundary = multipartBoundary(contentType);
  if (!boundary) {
    throw badRequest(`A $batch request needs Content-Type: multipart/mixed; boundary=<boundary>, not ${JSON.stringify((contentType ?? '(none)').slice(0, 80))}`);
  }
  const items: BatchItem[] = [];
  let count = 0;
  const next = (part: { headers: HeaderList; body: Buffer }, where: string): BatchOperation => {
    count++;
    if (count > limits.maxOperations) throw badRequest(`The $batch holds more than ${limits.maxOperations} operations, the emulator's limit`);
    return operationOf(part.headers, part.body, count, where);
  };
  for (const part of parseMultipart(body, boundary, limits.maxParts, 'The $batch body')) {
    const partType = header(part.headers, 'content-type');
    const changesetBoundary = multipartBoundary(partType);
    if (changesetBoundary) {
      const operations = parseMultipart(part.body, changesetBoundary, limits.maxOperations, `The changeset ${changesetBoundary}`).map((p) => {
        const operation = next(p, `Changeset ${changesetBoundary}`);
        if (!CHANGE_METHODS.has(effectiveVerb(operation))) {
          throw badRequest(`Operation ${operation.index} (${operation.method} ${clip(operation.url)}) is inside a changeset, which may only hold POST, PUT, MERGE, PATCH or DELETE: send queries as their own batch parts`);
        }
        return operation;
      });
      items.push({ kind: 'changeset', operations });
    } else {
      items.push({ kind: 'operation', operation: next(part, 'The $batch') });
    }
  }
  return items;
}

function operationOf(partHeaders: HeaderList, body: Buffer, index: number, where: string): BatchOperation {
  const partType = header(partHeaders, 'content-type');
  if (partType !== undefined && !/^\s*application\/http\s*(;|$)/i.test(partType)) {
    const nested = multipartBoundary(partType) ? ': changesets cannot be nested' : '';
    throw badRequest(`${where}: part ${index} has Content-Type ${JSON.stringify(partType.slice(0, 80))}; each operation is an application/http part${nested}`);
  }
  const encoding = header(partHeaders, 'content-transfer-encoding');
  if (encoding !== undefined && !/^\s*(binary|8bit|7bit)\s*$/i.test(encoding)) {
    throw badRequest(`${where}: part ${index} has Content-Transfer-Encoding ${JSON.stringify(encoding.slice(0, 40))}; use binary`);
  }
  const request = parseHttpRequest(body, `${where}: operation ${index}`);
  const contentId = (header(partHeaders, 'content-id') ?? header(request.headers, 'content-id'))?.trim();
  return { ...request, index, contentId: contentId === '' ? undefined : contentId };
}

/** The verb an operation means: `X-HTTP-Method` tunnels MERGE/PUT/DELETE through POST. */
export function effectiveVerb(operation: HttpRequestMessage): string {
  const tunnel = header(operation.headers, 'x-http-method');
  return operation.method === 'POST' && tunnel ? tunnel.trim().toUpperCase() : operation.method;
}

function clip(text: string): string {
  return text.length > 100 ? `${text.slice(0, 100)}...` : text;
}
