import { AmsNetworkError, AmsTimeoutError } from './errors.js';

/** The `fetch` this library needs; injectable so tests and proxies can stand in for the network. */
export type FetchLike = (input: string, init: RequestInit) => Promise<Response>;

/** OData v3 uses MERGE for partial updates; fetch passes any method token through unchanged. */
export type HttpMethod = 'GET' | 'HEAD' | 'POST' | 'PUT' | 'MERGE' | 'PATCH' | 'DELETE';

export interface HttpRequest {
  method: HttpMethod;
  url: string;
  headers: Record<string, string>;
  body?: string;
}

/** A response read to the end: the status, the headers and the body text. */
export interface HttpResponse {
  status: number;
  headers: Headers;
  text: string;
}

/**
 * One attempt, nothing more: no retry, no redirect following. `redirect: 'manual'` matters: AMS
 * answers the first call with 301 and an automatic follow would turn a POST into a GET without its
 * body. The timeout covers the whole attempt including the body, so a server that stalls half way
 * through a response is caught too.
 */
export async function sendOnce(
  fetchImpl: FetchLike,
  request: HttpRequest,
  options: { timeoutMs: number; signal?: AbortSignal | undefined },
): Promise<HttpResponse> {
  const { signal, timeoutMs } = options;
  signal?.throwIfAborted();
  const timeout = new AbortController();
  const timer = setTimeout(() => timeout.abort(), timeoutMs);
  const combined = signal ? AbortSignal.any([signal, timeout.signal]) : timeout.signal;
  try {
    const response = await fetchImpl(request.url, {
      method: request.method,
      headers: request.headers,
      body: request.body,
      redirect: 'manual',
      signal: combined,
    });
    const text = await response.text();
    return { status: response.status, headers: response.headers, text };
  } catch (err) {
    // The caller's abort wins over everything: it must surface as the caller's own reason.
    signal?.throwIfAborted();
    if (timeout.signal.aborted) throw new AmsTimeoutError(request.method, request.url, timeoutMs);
    throw new AmsNetworkError(request.method, request.url, err);
  } finally {
    clearTimeout(timer);
  }
}
