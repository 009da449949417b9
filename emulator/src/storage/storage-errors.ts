import { StorageRequestError, StorageUnavailableError } from './types.js';

/**
 * Sorts whatever `@azure/storage-blob` (or a stream under it) threw into the two errors of the
 * contract: storage cannot be reached or is failing (the emulator answers 503), or storage refused
 * this request (the caller's problem, with status and code). Anything else (a programming error, a
 * caller's source stream failing) is returned unchanged.
 */

/** Error codes Node and the Azure pipeline use for a connection that never happened or broke. */
const CONNECTIVITY_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'ETIMEDOUT',
  'ESOCKETTIMEDOUT',
  'EPIPE',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EAI_FAIL',
  'EHOSTUNREACH',
  'EHOSTDOWN',
  'ENETUNREACH',
  'ENETDOWN',
  'EADDRNOTAVAIL',
  'ERR_STREAM_PREMATURE_CLOSE',
  'REQUEST_SEND_ERROR',
  'UND_ERR_SOCKET',
]);

interface ErrorLike {
  name?: unknown;
  message?: unknown;
  code?: unknown;
  statusCode?: unknown;
}

export interface StorageErrorContext {
  /** Named in every unavailability message: which storage the emulator could not reach. */
  endpoint: string;
  /** The per-try timeout, to say how long storage stayed silent. */
  requestTimeoutMs: number;
}

export function toStorageError(err: unknown, context: StorageErrorContext): unknown {
  if (err instanceof StorageUnavailableError || err instanceof StorageRequestError) return err;
  if (typeof err !== 'object' || err === null) return err;
  const e = err as ErrorLike;
  const name = typeof e.name === 'string' ? e.name : '';
  const message = typeof e.message === 'string' ? e.message : '';
  const statusCode = typeof e.statusCode === 'number' ? e.statusCode : undefined;
  // A HEAD answer has no body, so the SDK leaves `code` empty; storage still sent the header.
  const code = typeof e.code === 'string' ? e.code : statusCode !== undefined ? errorCodeHeader(err) : undefined;

  if (statusCode !== undefined && statusCode >= 500) {
    return new StorageUnavailableError(`storage at ${context.endpoint} is failing (${describeStatus(statusCode, code, message)})`, err);
  }
  if (statusCode !== undefined && statusCode >= 400) {
    return new StorageRequestError(`storage at ${context.endpoint} refused the request: ${describeStatus(statusCode, code, message)}`, statusCode, code);
  }
  if (name === 'AbortError') {
    // The pipeline aborts a try that outlives the timeout, and the SDK turns a response cut off
    // mid-body ('aborted') into one too; the emulator never aborts a storage call itself.
    const what = /while making request/i.test(message) ? `no answer within ${context.requestTimeoutMs} ms` : 'connection aborted';
    return new StorageUnavailableError(`storage at ${context.endpoint} is unreachable (${what})`, err);
  }
  if (code !== undefined && CONNECTIVITY_CODES.has(code)) {
    // Name resolution failures say which host; the others are clear from the code alone.
    const detail = code === 'REQUEST_SEND_ERROR' ? firstLine(message) : code.startsWith('EAI_') || code === 'ENOTFOUND' ? `${code}: ${firstLine(message)}` : code;
    return new StorageUnavailableError(`storage at ${context.endpoint} is unreachable (${detail})`, err);
  }
  if (/socket hang up|other side closed|premature close|received less data than required/i.test(message)) {
    return new StorageUnavailableError(`storage at ${context.endpoint} is unreachable (${firstLine(message)})`, err);
  }
  return err;
}

/** `StorageRequestError` with this status (and optionally this storage error code)? */
export function isStorageRequestError(err: unknown, statusCode: number, code?: string): err is StorageRequestError {
  return err instanceof StorageRequestError && err.statusCode === statusCode && (code === undefined || err.code === code);
}

function errorCodeHeader(err: object): string | undefined {
  const headers = (err as { response?: { headers?: { get?: unknown } } }).response?.headers;
  if (typeof headers?.get !== 'function') return undefined;
  const value: unknown = (headers.get as (name: string) => unknown).call(headers, 'x-ms-error-code');
  return typeof value === 'string' && value !== '' ? value : undefined;
}

function describeStatus(statusCode: number, code: string | undefined, message: string): string {
  const detail = firstLine(message);
  return `${statusCode}${code ? ` ${code}` : ''}${detail ? `: ${detail}` : ''}`;
}

function firstLine(message: string): string {
  const line = message.split('\n', 1)[0]?.trim() ?? '';
  return line.length > 300 ? `${line.slice(0, 300)}...` : line;
}
