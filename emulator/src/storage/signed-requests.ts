import { createHmac } from 'node:crypto';
import { Agent as HttpAgent, request as httpRequest, type ClientRequest, type IncomingMessage, type OutgoingHttpHeaders } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { toStorageError, type StorageErrorContext } from './storage-errors.js';
import { StorageUnavailableError } from './types.js';

/**
 * Storage requests without a body, sent straight through Node's http with Shared Key signing, for
 * the hot paths where the SDK's pipeline costs more than the request itself: POST Assets creates
 * a container per asset, and building a ContainerClient and running the SDK's dozen policies took
 * about a third of the emulator's CPU per request, which on a 2-core machine shared with Azurite
 * is throughput lost.
 *
 * It keeps the contract of the pipeline the emulator gives the SDK (storage-pipeline.ts): up to
 * `maxTries` tries while storage is unreachable or answers 500/503, ~0.2 s apart; a try without
 * response headers within `requestTimeoutMs` is aborted; failures become the errors of
 * `toStorageError` with the same messages.
 */

/** The `x-ms-version` of these requests: one both Azurite and Azure serve, as the emulator's SAS. */
export const SIGNED_REQUEST_VERSION = '2021-08-06';

/** Node's codes for a connection that failed or broke: worth another try, as the SDK's retry policy does. */
const RETRIED_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'ESOCKETTIMEDOUT', 'ENOTFOUND', 'EAI_AGAIN']);
const RETRY_DELAY_MS = 200;
const MAX_RETRY_DELAY_MS = 1_000;
/** Bytes of an error body kept for its message: storage's XML errors are a few hundred. */
const MAX_ERROR_BODY_BYTES = 64 * 1024;

export interface SignedRequestsOptions {
  accountName: string;
  /** base64 */
  accountKey: string;
  /** Without a trailing slash. */
  blobEndpoint: string;
  requestTimeoutMs: number;
  maxTries: number;
}

/** What storage answered: a 2xx, or an error status this caller expects (e.g. 409 ContainerAlreadyExists). */
export interface SignedAnswer {
  status: number;
  /** `x-ms-error-code`, when storage sent one. */
  errorCode?: string;
}

export class SignedRequests {
  readonly #key: Buffer;
  readonly #accountName: string;
  readonly #endpoint: URL;
  /** The endpoint's path without its trailing slash: `/devstoreaccount1` on Azurite, empty on Azure. */
  readonly #basePath: string;
  readonly #agent: HttpAgent;
  readonly #request: typeof httpRequest;
  readonly #maxTries: number;
  readonly #context: StorageErrorContext;

  constructor(options: SignedRequestsOptions) {
    this.#key = Buffer.from(options.accountKey, 'base64');
    this.#accountName = options.accountName;
    this.#endpoint = new URL(options.blobEndpoint);
    this.#basePath = this.#endpoint.pathname.replace(/\/$/, '');
    const https = this.#endpoint.protocol === 'https:';
    // Keep-alive, as the SDK's client: a connection per request would cost Azurite an accept each.
    this.#agent = https ? new HttpsAgent({ keepAlive: true, scheduling: 'lifo' }) : new HttpAgent({ keepAlive: true, scheduling: 'lifo' });
    this.#request = https ? (httpsRequest as typeof httpRequest) : httpRequest;
    this.#maxTries = options.maxTries;
    this.#context = { endpoint: options.blobEndpoint, requestTimeoutMs: options.requestTimeoutMs };
  }

  /**
   * `method` on `resource` (a path below the endpoint, already URL-encoded, e.g. a container name)
   * with `query` (names in lower case). Resolves with 2xx answers and those `accepted` lets
   * through; rejects with StorageUnavailableError or StorageRequestError otherwise.
   */
  async send(method: 'PUT' | 'DELETE' | 'HEAD' | 'GET', resource: string, query: Readonly<Record<string, string>>, accepted: (answer: SignedAnswer) => boolean = () => false): Promise<SignedAnswer> {
    for (let attempt = 1; ; attempt++) {
      let answer: RawAnswer;
      try {
        answer = await this.#try(method, resource, query);
      } catch (err) {
        if (attempt < this.#maxTries && retriable(err)) {
          await retryDelay(attempt);
          continue;
        }
        throw err instanceof StorageUnavailableError ? err : toStorageError(err, this.#context);
      }
      if (answer.status >= 200 && answer.status < 300) return answer;
      if (accepted(answer)) return answer;
      if ((answer.status === 500 || answer.status === 503) && attempt < this.#maxTries) {
        await retryDelay(attempt);
        continue;
      }
      // An Error as the SDK's RestError carries them: toStorageError sorts 4xx and 5xx, and anything
      // else (a redirect storage should never send) stays an Error naming the status.
      const refusal = Object.assign(new Error(answer.message || `storage answered ${answer.status}`), { name: 'RestError', statusCode: answer.status, code: answer.errorCode });
      throw toStorageError(refusal, this.#context);
    }
  }

  #try(method: string, resource: string, query: Readonly<Record<string, string>>): Promise<RawAnswer> {
    const path = `${this.#basePath}/${resource}`;
    const names = Object.keys(query).sort();
    const search = names.map((name) => `${name}=${encodeURIComponent(query[name]!)}`).join('&');
    const date = new Date().toUTCString();
    const headers: OutgoingHttpHeaders = { 'x-ms-date': date, 'x-ms-version': SIGNED_REQUEST_VERSION };
    if (method === 'PUT') headers['content-length'] = '0';
    // Shared Key for the blob service (version 2015-02-21 and later): a zero Content-Length signs
    // as empty; the canonical resource is the account then the URL path (path-style Azurite URLs
    // name the account twice), then each query parameter on its own line.
    const canonicalQuery = names.map((name) => `\n${name}:${query[name]}`).join('');
    const stringToSign = `${method}\n\n\n\n\n\n\n\n\n\n\n\nx-ms-date:${date}\nx-ms-version:${SIGNED_REQUEST_VERSION}\n/${this.#accountName}${path}${canonicalQuery}`;
    headers['authorization'] = `SharedKey ${this.#accountName}:${createHmac('sha256', this.#key).update(stringToSign, 'utf8').digest('base64')}`;
    const timeoutMs = this.#context.requestTimeoutMs;
    return new Promise<RawAnswer>((resolve, reject) => {
      let request: ClientRequest;
      const timer = setTimeout(() => {
        request.destroy(new StorageUnavailableError(`storage at ${this.#context.endpoint} is unreachable (no answer within ${timeoutMs} ms)`));
      }, timeoutMs);
      request = this.#request(
        { protocol: this.#endpoint.protocol, hostname: this.#endpoint.hostname, port: this.#endpoint.port, path: search === '' ? path : `${path}?${search}`, method, headers, agent: this.#agent },
        (response) => {
          clearTimeout(timer);
          readAnswer(response).then(resolve, reject);
        },
      );
      request.once('error', (err) => {
        clearTimeout(timer);
        reject(err);
      });
      request.end();
    });
  }
}

interface RawAnswer extends SignedAnswer {
  /** Storage's `<Message>`, or the status text. */
  message: string;
}

/** The status, and for an error the code and message storage gave; the body of a success is dropped. */
function readAnswer(response: IncomingMessage): Promise<RawAnswer> {
  const status = response.statusCode ?? 0;
  const header = response.headers['x-ms-error-code'];
  const errorCode = typeof header === 'string' && header !== '' ? header : undefined;
  if (status < 400) {
    response.resume();
    return new Promise((resolve, reject) => {
      response.once('end', () => resolve({ status, errorCode, message: '' }));
      response.once('error', reject);
    });
  }
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let bytes = 0;
    response.on('data', (chunk: Buffer) => {
      if (bytes < MAX_ERROR_BODY_BYTES) chunks.push(chunk);
      bytes += chunk.length;
    });
    response.once('error', reject);
    response.once('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const message = /<Message>([^<]*)<\/Message>/.exec(body)?.[1] ?? response.statusMessage ?? '';
      resolve({ status, errorCode: errorCode ?? /<Code>([^<]*)<\/Code>/.exec(body)?.[1], message: decodeXmlText(message) });
    });
  });
}

function retriable(err: unknown): boolean {
  if (err instanceof StorageUnavailableError) return true;
  const code = (err as { code?: unknown } | null)?.code;
  return (typeof code === 'string' && RETRIED_CODES.has(code)) || /socket hang up/i.test((err as Error | null)?.message ?? '');
}

/** The SDK's exponential policy: no wait after the first failure, then ~0.2 s doubling, at most 1 s (half of it jitter). */
function retryDelay(failedAttempt: number): Promise<void> {
  const ceiling = Math.min((2 ** (failedAttempt - 1) - 1) * RETRY_DELAY_MS, MAX_RETRY_DELAY_MS);
  const ms = ceiling / 2 + Math.random() * (ceiling / 2);
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function decodeXmlText(text: string): string {
  return text.replace(/&(lt|gt|amp|quot|apos);/g, (_, entity: string) => ({ lt: '<', gt: '>', amp: '&', quot: '"', apos: "'" })[entity]!);
}
