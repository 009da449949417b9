import { createServer, connect, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';

export interface DroppingProxy {
  origin: string;
  /** Connections cut so far. */
  dropped: number;
  /** Connections passed through so far. */
  forwarded: number;
  close(): Promise<void>;
}

/**
 * A TCP proxy in front of `target` that cuts the first `dropFirst` connections as soon as the client
 * has sent its request (the way an overloaded load balancer or a flaky NAT does), then forwards.
 */
export async function startDroppingProxy(target: string, dropFirst: number): Promise<DroppingProxy> {
  const { hostname, port } = new URL(target);
  const sockets = new Set<Socket>();
  const proxy: DroppingProxy = { origin: '', dropped: 0, forwarded: 0, close: async () => undefined };
  const server = createServer((client) => {
    sockets.add(client);
    client.on('close', () => sockets.delete(client));
    if (proxy.dropped < dropFirst) {
      proxy.dropped++;
      client.once('data', () => client.destroy());
      return;
    }
    proxy.forwarded++;
    const upstream = connect(Number(port), hostname);
    sockets.add(upstream);
    upstream.on('close', () => sockets.delete(upstream));
    client.pipe(upstream).pipe(client);
    client.on('error', () => upstream.destroy());
    upstream.on('error', () => client.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  proxy.origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  proxy.close = () =>
    new Promise<void>((resolve) => {
      for (const socket of sockets) socket.destroy();
      server.close(() => resolve());
    });
  return proxy;
}
