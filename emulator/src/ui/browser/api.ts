/**
 * How the dashboard talks to the emulator: only the documented endpoints, as any tool would.
 *   /_emulator/*  no auth; GETs carry X-AMS-Emulator-Watch so the polling stays out of the request
 *                 log; mutations send Content-Type: application/json (what the cross-site guard asks).
 *   /api/*        a Bearer token from the ACS token endpoint with the documented dev credentials,
 *                 which every --auth mode accepts.
 */

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
export type Obj = { [key: string]: Json };

/** The development credentials the README documents (not secrets: like Azurite's devstoreaccount1). */
const DEV_CLIENT_ID = 'devmediaaccount1';
const DEV_CLIENT_SECRET = 'Zm9yLWxvY2FsLXRlc3Rpbmctb25seS1hbXMtdjItZW11bGF0b3I=';

export class HttpError extends Error {
  constructor(readonly status: number, message: string) {
    super(message);
  }
}

async function parse(response: Response, what: string): Promise<Obj> {
  const text = await response.text();
  let body: Obj = {};
  try {
    body = text === '' ? {} : (JSON.parse(text) as Obj);
  } catch {
    body = { text };
  }
  if (!response.ok) throw new HttpError(response.status, `${what}: ${response.status} ${errorMessage(body) ?? text.slice(0, 300)}`);
  return body;
}

/** The message of an OData error in any JSON shape the emulator writes. */
function errorMessage(body: Obj): string | undefined {
  const error = (body['odata.error'] ?? body['error']) as Obj | undefined;
  const message = error?.['message'];
  if (typeof message === 'string') return message;
  if (message && typeof message === 'object' && typeof (message as Obj)['value'] === 'string') return (message as Obj)['value'] as string;
  return undefined;
}

export async function watch(path: string): Promise<Obj> {
  return parse(await fetch(`/_emulator/${path}`, { headers: { Accept: 'application/json', 'X-AMS-Emulator-Watch': 'dashboard' } }), `GET /_emulator/${path}`);
}

export async function emulatorSend(method: 'POST' | 'DELETE', path: string, body?: Json): Promise<Obj> {
  const response = await fetch(`/_emulator/${path}`, {
    method,
    headers: { 'Content-Type': 'application/json', Accept: 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return parse(response, `${method} /_emulator/${path}`);
}

let token: { value: string; until: number } | undefined;

async function bearer(): Promise<string> {
  if (token && Date.now() < token.until) return token.value;
  const form = new URLSearchParams({ grant_type: 'client_credentials', client_id: DEV_CLIENT_ID, client_secret: DEV_CLIENT_SECRET });
  const body = await parse(await fetch('/v2/OAuth2-13', { method: 'POST', body: form }), 'token');
  const lifetime = Number(body['expires_in']) || 3600;
  token = { value: String(body['access_token']), until: Date.now() + Math.max(30, lifetime - 60) * 1000 };
  return token.value;
}

/** One /api call in JSON minimal metadata; `path` is relative to /api/. */
export async function api(method: 'GET' | 'POST' | 'DELETE', path: string, body?: Obj): Promise<Obj> {
  const headers: Record<string, string> = {
    Authorization: `Bearer ${await bearer()}`,
    'x-ms-version': '2.19',
    Accept: 'application/json',
    DataServiceVersion: '3.0',
    MaxDataServiceVersion: '3.0',
  };
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  const response = await fetch(`/api/${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  return parse(response, `${method} /api/${path}`);
}

/** `Set('id')` with the id quoted and percent-encoded, as the SDKs address an entity. */
export function entity(set: string, id: string): string {
  return `${set}('${encodeURIComponent(id.replace(/'/g, "''"))}')`;
}

export function str(value: Json | undefined): string {
  return value === null || value === undefined ? '' : typeof value === 'object' ? JSON.stringify(value) : String(value);
}

export function list(value: Json | undefined): Obj[] {
  return Array.isArray(value) ? (value.filter((v) => v !== null && typeof v === 'object' && !Array.isArray(v)) as Obj[]) : [];
}
