import { createServer, request as httpRequest, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface StorageRequest {
  method: string;
  /** Path and query, e.g. `/devstoreaccount1/asset-../a.mp4?comp=block&blockid=..&sv=..`. */
  url: string;
  /** The `comp` query parameter (`block`, `blocklist`, ...) or '' for a plain blob request. */
  comp: string;
}

export interface StorageProxy {
  origin: string;
  /** Every request that reached the proxy. */
  requests: StorageRequest[];
  /** The most requests that were open at the same time. */
  maxConcurrent: number;
  /** Answer a request with this status (and an Azure-style error) instead of forwarding it. */
  fault: ((request: StorageRequest, index: number) => number | undefined) | undefined;
  /** Hold each forwarded request this long first, so concurrency can be observed. */
  delayMs: number;
  close(): Promise<void>;
}

/** An HTTP proxy in front of Azurite that counts, delays or fails chosen blob requests. */
export async function startStorageProxy(target: string): Promise<StorageProxy> {
  const upstream = new URL(target);
  let open = 0;
  const proxy: StorageProxy = { origin: '', requests: [], maxConcurrent: 0, fault: undefined, delayMs: 0, close: async () => undefined };
  const server = createServer((req: IncomingMessage, res) => {
    const url = req.url ?? '/';
    const entry = { method: req.method ?? 'GET', url, comp: new URL(url, 'http://x').searchParams.get('comp') ?? '' };
    const index = proxy.requests.push(entry) - 1;
    open++;
    proxy.maxConcurrent = Math.max(proxy.maxConcurrent, open);
    res.on('close', () => open--);
    const status = proxy.fault?.(entry, index);
    if (status !== undefined) {
      req.resume();
      res.writeHead(status, { 'content-type': 'application/xml', 'x-ms-error-code': 'InjectedFault' });
      res.end(`<?xml version="1.0" encoding="utf-8"?><Error><Code>InjectedFault</Code><Message>injected by the test proxy</Message></Error>`);
      return;
    }
    setTimeout(() => {
      const forward = httpRequest(
        { host: upstream.hostname, port: upstream.port, method: req.method, path: url, headers: { ...req.headers, host: upstream.host } },
        (answer) => {
          res.writeHead(answer.statusCode ?? 502, answer.headers);
          answer.pipe(res);
        },
      );
      forward.on('error', () => res.destroy());
      req.pipe(forward);
    }, proxy.delayMs);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  proxy.origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  proxy.close = () =>
    new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    });
  return proxy;
}
