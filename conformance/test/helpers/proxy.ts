import { createServer, request, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';

/** An upstream answer as the proxy hands it on (after a test's tampering). */
export interface ProxiedResponse {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

export interface ProxyOptions {
  /** Forward only requests whose path passes; the rest get a plain 404 (a server without the extras). */
  forward?: (path: string) => boolean;
  /** Change an answer on its way back (a broken server). */
  tamper?: (method: string, path: string, response: ProxiedResponse) => ProxiedResponse;
}

export interface TestProxy {
  /** `http://127.0.0.1:<port>/` */
  url: string;
  close(): Promise<void>;
}

/**
 * A reverse proxy in front of an emulator: the Host header is passed on, so the URLs the emulator
 * writes (Location, locators' API links) name the proxy, as behind any real reverse proxy.
 */
export async function startProxy(upstream: string, options: ProxyOptions = {}): Promise<TestProxy> {
  const target = new URL(upstream);
  const server = createServer((req, res) => {
    const path = req.url ?? '/';
    if (options.forward && !options.forward(path)) {
      res.writeHead(404, { 'Content-Type': 'text/plain' }).end('Not Found');
      return;
    }
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const out = request({ host: target.hostname, port: target.port, method: req.method, path, headers: req.headers }, (upstreamRes) => {
        const body: Buffer[] = [];
        upstreamRes.on('data', (chunk: Buffer) => body.push(chunk));
        upstreamRes.on('end', () => {
          let response: ProxiedResponse = { status: upstreamRes.statusCode ?? 502, headers: { ...upstreamRes.headers }, body: Buffer.concat(body) };
          if (options.tamper) response = options.tamper(req.method ?? 'GET', path, response);
          const headers = { ...response.headers };
          delete headers['transfer-encoding'];
          headers['content-length'] = String(response.body.length);
          res.writeHead(response.status, headers).end(response.body);
        });
      });
      out.on('error', (err) => res.writeHead(502, { 'Content-Type': 'text/plain' }).end(err.message));
      out.end(Buffer.concat(chunks));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}/`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** Flip the first byte of the key a minimal-JSON RebindContentKey answer carries. */
export function corruptRebind(_method: string, path: string, response: ProxiedResponse): ProxiedResponse {
  if (!path.startsWith('/api/RebindContentKey') || response.status !== 200) return response;
  const body = JSON.parse(response.body.toString('utf8')) as { value?: unknown };
  if (typeof body.value !== 'string') return response;
  const key = Buffer.from(body.value, 'base64');
  key[0] = key[0]! ^ 0x01;
  return { ...response, body: Buffer.from(JSON.stringify({ ...body, value: key.toString('base64') })) };
}

/** Answer 400 where the server said 404: a server that cannot tell unknown ids from malformed ones. */
export function notFoundAsBadRequest(_method: string, path: string, response: ProxiedResponse): ProxiedResponse {
  return path.startsWith('/api/') && response.status === 404 ? { ...response, status: 400 } : response;
}

/** Count one too many in `$count` answers: a server whose count ignores part of the query. */
export function countOffByOne(_method: string, path: string, response: ProxiedResponse): ProxiedResponse {
  if (!/^\/api\/[^?]*\/\$count(\?|$)/.test(path) || response.status !== 200) return response;
  return { ...response, body: Buffer.from(String(Number(response.body.toString('utf8')) + 1)) };
}

/** Drop the Content-IDs from `$batch` answers: a server that does not echo them, so clients cannot match parts to requests. */
export function batchWithoutContentIds(method: string, path: string, response: ProxiedResponse): ProxiedResponse {
  if (method !== 'POST' || !path.startsWith('/api/$batch') || response.status !== 202) return response;
  return { ...response, body: Buffer.from(response.body.toString('utf8').replace(/Content-ID: [^\r\n]*\r\n/gi, ''), 'utf8') };
}

/** A server that answers Start of a running endpoint as if it were allowed: every operation succeeds. */
export function operationsAlwaysSucceed(method: string, path: string, response: ProxiedResponse): ProxiedResponse {
  if (method !== 'GET' || !decodeURIComponent(path).startsWith("/api/Operations('") || response.status !== 200) return response;
  const body = response.body.toString('utf8').replace(/"State":"Failed"/g, '"State":"Succeeded"').replace(/"ErrorCode":"[^"]*"/g, '"ErrorCode":null');
  return { ...response, headers: { ...response.headers, 'content-length': String(Buffer.byteLength(body)) }, body: Buffer.from(body, 'utf8') };
}
