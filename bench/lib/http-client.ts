import { Agent, request, type OutgoingHttpHeaders } from 'node:http';

/**
 * The load benches' HTTP client: Node's http over one keep-alive agent. Node 20's fetch (undici)
 * spends about 1 ms of CPU on a small POST on the bench machine, three times what this client
 * does and more than the emulator spends answering it; on 2 cores that CPU is taken from the
 * servers being measured, so a throughput ratio measured with fetch against an anchor driven by
 * another client was mostly a ratio of clients. Both legs of bench:api's throughput comparison go
 * through Node's http with a keep-alive agent (this, and the emulator's own signed storage
 * requests for the Azurite leg), so the ratio is of the servers.
 */
export interface BenchResponse {
  status: number;
  body: Buffer;
}

export class BenchHttp {
  readonly #base: URL;
  readonly #agent = new Agent({ keepAlive: true, scheduling: 'lifo' });

  /** `base`: an http:// URL that request paths are relative to (e.g. the API root, ending in `/`). */
  constructor(base: string) {
    this.#base = new URL(base);
    if (this.#base.protocol !== 'http:') throw new Error(`the bench client speaks http only, not ${this.#base.protocol}`);
  }

  request(method: string, path: string, headers: OutgoingHttpHeaders, body?: string): Promise<BenchResponse> {
    const payload = body === undefined ? undefined : Buffer.from(body);
    // A kept-alive connection the server closed while idle (its keep-alive timeout passed between
    // rounds) fails the request sent on it before it was read: send it again once, as Node advises.
    return this.#send(method, path, headers, payload).catch((err: unknown) => {
      if ((err as { reusedSocket?: boolean }).reusedSocket === true) return this.#send(method, path, headers, payload);
      throw err;
    });
  }

  #send(method: string, path: string, headers: OutgoingHttpHeaders, payload: Buffer | undefined): Promise<BenchResponse> {
    return new Promise((resolve, reject) => {
      const req = request(
        {
          hostname: this.#base.hostname,
          port: this.#base.port,
          path: `${this.#base.pathname}${path}`,
          method,
          agent: this.#agent,
          headers: payload === undefined ? headers : { ...headers, 'Content-Length': payload.length },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (chunk: Buffer) => chunks.push(chunk));
          res.once('error', reject);
          res.once('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks) }));
        },
      );
      req.once('error', (err: NodeJS.ErrnoException) => reject(Object.assign(err, { reusedSocket: req.reusedSocket && err.code === 'ECONNRESET' })));
      req.end(payload);
    });
  }

  /** Closes the idle connections. */
  close(): void {
    this.#agent.destroy();
  }
}
