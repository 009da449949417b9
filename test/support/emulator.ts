/**
 * An in-process emulator for tests, and a small AMS caller over real HTTP (fetch):
 *
 *   let emu: TestEmulator;
 *   beforeAll(async () => { emu = await startTestEmulator(); });
 *   afterAll(() => emu.close());
 *   beforeEach(() => emu.reset());
 *
 *   const asset = await emu.ams('POST', 'Assets', { body: { Name: 'a', Options: 1 } });
 *   expect(asset.status).toBe(201);
 *   await emu.ams('GET', entityPath('Assets', asset.body.Id));
 *
 * Each emulator gets its own embedded in-memory Azurite on a free port (or the storage you name
 * with `storageConnectionString`), listens on a free loopback port and logs nothing.
 */
import { request as httpRequest } from 'node:http';
import type { EmulatorConfig } from '../../emulator/src/config.js';
import { EMULATOR_CALL_HEADER } from '../../emulator/src/http/emulator-exposure.js';
import { startEmulator, type RunningEmulator } from '../../emulator/src/server.js';

/** Headers a well-behaved AMS v2 client sends on every call. */
export const AMS_HEADERS: Readonly<Record<string, string>> = {
  Authorization: 'Bearer test-token',
  'x-ms-version': '2.19',
  Accept: 'application/json',
  DataServiceVersion: '3.0',
  MaxDataServiceVersion: '3.0',
};

/** A parsed JSON body; tests index into it freely. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type JsonBody = { [key: string]: any };

export interface AmsResponse<T = JsonBody> {
  status: number;
  headers: Headers;
  text: string;
  /** The body parsed as JSON; undefined when empty or not JSON. */
  body: T;
}

export interface AmsCallOptions {
  /** An object is sent as JSON; a string or Buffer as is. */
  body?: unknown;
  /** Added to (or, with `undefined`, removed from) the default AMS headers. */
  headers?: Record<string, string | undefined>;
}

export type AmsCaller = <T = JsonBody>(method: string, path: string, options?: AmsCallOptions) => Promise<AmsResponse<T>>;

export interface TestEmulator {
  emulator: RunningEmulator;
  /** API root, ending in `/api/`. */
  url: string;
  /** Emulator root, ending in `/`. */
  baseUrl: string;
  /** `http://host:port` without a trailing slash, for supertest's `request(origin).get('/path')`. */
  origin: string;
  /** Call the AMS API: `path` is relative to the API root. */
  ams: AmsCaller;
  /** Call `/_emulator/<path>` (no AMS headers; the X-AMS-Emulator header its mutating routes need). */
  admin<T = JsonBody>(method: string, path: string): Promise<AmsResponse<T>>;
  reset(): Promise<void>;
  close(): Promise<void>;
}

export async function startTestEmulator(config: Partial<EmulatorConfig> = {}): Promise<TestEmulator> {
  const emulator = await startEmulator({ port: 0, azuritePort: 0, silent: true, ...config });
  return {
    emulator,
    url: emulator.url,
    baseUrl: emulator.baseUrl,
    origin: emulator.baseUrl.replace(/\/$/, ''),
    ams: amsCaller(emulator.url),
    admin: (method, path) => call(method, `${emulator.baseUrl}_emulator/${path}`, { headers: { [EMULATOR_CALL_HEADER]: '1' } }),
    reset: () => emulator.reset(),
    close: () => emulator.close(),
  };
}

/** An AMS caller for any API root (an emulator in another process, for instance). */
export function amsCaller(apiUrl: string, defaults: Readonly<Record<string, string>> = AMS_HEADERS): AmsCaller {
  return (method, path, options = {}) => {
    const headers: Record<string, string> = { ...defaults };
    for (const [name, value] of Object.entries(options.headers ?? {})) {
      const existing = Object.keys(headers).find((h) => h.toLowerCase() === name.toLowerCase());
      if (existing) delete headers[existing];
      if (value !== undefined) headers[name] = value;
    }
    return call(method, apiUrl + path, { body: options.body, headers });
  };
}

async function call<T>(method: string, url: string, options: { body?: unknown; headers?: Record<string, string> }): Promise<AmsResponse<T>> {
  const headers = { ...options.headers };
  let body: string | Buffer | undefined;
  if (typeof options.body === 'string' || Buffer.isBuffer(options.body)) body = options.body;
  else if (options.body !== undefined) {
    body = JSON.stringify(options.body);
    if (!Object.keys(headers).some((h) => h.toLowerCase() === 'content-type')) headers['Content-Type'] = 'application/json';
  }
  const response = await fetch(url, { method, headers, body });
  const text = await response.text();
  return { status: response.status, headers: response.headers, text, body: parseJson(text) as T };
}

function parseJson(text: string): unknown {
  if (text === '') return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** `Set('<percent-encoded id>')`, as the SDKs address an entity. */
export function entityPath(set: string, id: string): string {
  return `${set}(${quoted(id)})`;
}

/** `'<percent-encoded value>'`: a string function parameter or key literal. */
export function quoted(value: string): string {
  return `'${encodeURIComponent(value.replace(/'/g, "''"))}'`;
}

export interface RawResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
}

/**
 * One request with the path sent byte for byte as given (fetch and supertest normalise URLs:
 * quotes get encoded, `//` may be collapsed), for the odd shapes real clients put on the wire.
 */
export function rawRequest(baseUrl: string, method: string, rawPath: string, headers: Record<string, string | undefined> = { ...AMS_HEADERS }, body?: string | Buffer): Promise<RawResponse> {
  const base = new URL(baseUrl);
  const sent = Object.fromEntries(Object.entries(headers).filter((e): e is [string, string] => e[1] !== undefined));
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: base.hostname, port: base.port, method, path: rawPath, headers: sent }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, text: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}
