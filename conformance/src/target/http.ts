import { DEFAULT_API_VERSION, normalizeBaseUri, sendOnce, type HttpMethod, type TokenSource } from '../../../client/src/index.js';

/** A response as the protocol checks look at it: nothing parsed, nothing followed. */
export interface RawResponse {
  status: number;
  headers: Headers;
  text: string;
  url: string;
}

export interface RawRequest {
  /** Relative to the API root, e.g. `Assets('nb%3Acid%3A...')`; an absolute URL is sent as is. */
  path: string;
  accept?: string;
  contentType?: string;
  body?: string;
  /** Extra headers, or a header to leave out (`undefined`). */
  headers?: Record<string, string | undefined>;
}

const REQUEST_TIMEOUT_MS = 60_000;

/**
 * Plain HTTP to the endpoint with the headers every AMS v2 client sends and a bearer token. The
 * protocol suite needs the raw status, headers and body of each answer, which the typed client
 * (rightly) hides behind entities and errors.
 */
export class RawApi {
  readonly root: string;

  constructor(endpoint: string, private readonly tokens: TokenSource) {
    this.root = normalizeBaseUri(endpoint);
  }

  url(path: string): string {
    return /^https?:\/\//i.test(path) ? path : this.root + path;
  }

  async send(method: HttpMethod, request: RawRequest): Promise<RawResponse> {
    const token = await this.tokens.getToken();
    const headers: Record<string, string> = {
      Authorization: `Bearer ${token}`,
      'x-ms-version': DEFAULT_API_VERSION,
      DataServiceVersion: '3.0',
      MaxDataServiceVersion: '3.0',
      Accept: request.accept ?? 'application/json',
      'User-Agent': 'ams-conformance',
    };
    if (request.contentType !== undefined) headers['Content-Type'] = request.contentType;
    for (const [name, value] of Object.entries(request.headers ?? {})) {
      const existing = Object.keys(headers).find((h) => h.toLowerCase() === name.toLowerCase());
      if (existing) delete headers[existing];
      if (value !== undefined) headers[name] = value;
    }
    const url = this.url(request.path);
    const response = await sendOnce((input, init) => fetch(input, init), { method, url, headers, body: request.body }, { timeoutMs: REQUEST_TIMEOUT_MS });
    return { ...response, url };
  }
}

/**
 * GET or POST JSON outside the API root (the emulator's `/_emulator/` routes): no AMS headers, and
 * the `X-AMS-Emulator` header its mutating routes need (a cross-site page cannot send it).
 */
export async function sendJson(method: HttpMethod, url: string, body?: unknown): Promise<RawResponse> {
  const headers: Record<string, string> = { Accept: 'application/json', 'X-AMS-Emulator': '1' };
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  const response = await sendOnce(
    (input, init) => fetch(input, init),
    { method, url, headers, body: body === undefined ? undefined : JSON.stringify(body) },
    { timeoutMs: REQUEST_TIMEOUT_MS + 10_000 },
  );
  return { ...response, url };
}
