import { expectThat } from '../../runner/recorder.js';
import type { RawResponse } from '../../target/http.js';
import type { ReadEntity, WireFormatSpec } from './formats.js';

/** What a request was, for failure messages: `GET Assets('...') (Atom/XML)`. */
export function describe(method: string, path: string, format: WireFormatSpec): string {
  return `${method} ${decodeURIComponent(path)} (${format.title})`;
}

function excerpt(response: RawResponse): string {
  const text = response.text.replace(/\s+/g, ' ').trim();
  return text === '' ? 'an empty body' : JSON.stringify(text.length > 300 ? `${text.slice(0, 300)}...` : text);
}

export function expectStatus(response: RawResponse, status: number, what: string): void {
  expectThat(response.status === status, () => `${what} answered HTTP ${response.status}, not ${status}, with ${excerpt(response)}`);
}

/** 204 with nothing in the body (MERGE, DELETE, `$links`, CreateFileInfos). */
export function expectNoContent(response: RawResponse, what: string): void {
  expectStatus(response, 204, what);
  expectThat(response.text === '', () => `${what} answered 204 with a body: ${excerpt(response)}`);
}

/** An error status with an error document in the requested format whose message says something. */
export function expectError(response: RawResponse, status: number, format: WireFormatSpec, what: string): void {
  expectStatus(response, status, what);
  const type = response.headers.get('content-type') ?? '';
  expectThat(format.documentType.test(type), `${what}: the error came as ${JSON.stringify(type)}, not in ${format.title}`);
  let message: string;
  try {
    message = format.readError(response.text);
  } catch (err) {
    throw new Error(`${what}: the ${status} body is not a ${format.title} error document: ${(err as Error).message}; got ${excerpt(response)}`);
  }
  expectThat(message.trim() !== '', `${what}: the error document has an empty message`);
}

/** The response body read as one entity of the format (and its Content-Type checked). */
export function readEntity(response: RawResponse, format: WireFormatSpec, what: string): ReadEntity {
  const type = response.headers.get('content-type') ?? '';
  expectThat(format.responseType.test(type), `${what}: the entity came as ${JSON.stringify(type)}, not in ${format.title}`);
  try {
    return format.readEntity(response.text);
  } catch (err) {
    throw new Error(`${what}: the body is not a ${format.title} entity: ${(err as Error).message}; got ${excerpt(response)}`);
  }
}

export function readFeed(response: RawResponse, format: WireFormatSpec, what: string): ReadEntity[] {
  const type = response.headers.get('content-type') ?? '';
  expectThat(format.responseType.test(type), `${what}: the feed came as ${JSON.stringify(type)}, not in ${format.title}`);
  try {
    return format.readFeed(response.text);
  } catch (err) {
    throw new Error(`${what}: the body is not a ${format.title} feed: ${(err as Error).message}; got ${excerpt(response)}`);
  }
}

export function readFunction(response: RawResponse, format: WireFormatSpec, name: string, what: string): string | null {
  expectStatus(response, 200, what);
  try {
    return format.readFunctionValue(response.text, name);
  } catch (err) {
    throw new Error(`${what}: the body is not a ${format.title} function result: ${(err as Error).message}; got ${excerpt(response)}`);
  }
}

/** The id inside `Set('<percent-encoded id>')` at the end of a URL, or undefined. */
export function keyInUrl(url: string, set: string): string | undefined {
  const m = new RegExp(`/${set}\\('((?:[^']|'')*)'\\)$`).exec(safeDecode(url));
  return m ? m[1]!.replace(/''/g, "'") : undefined;
}

function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

/** The asset id in a `Location` (`.../Assets('nb%3Acid%3A...')`), quotes undoubled; undefined when it names none. */
export function assetIdOfLocation(location: string | null | undefined): string | undefined {
  const id = location ? /Assets\('([^']+)'\)/.exec(decodeURIComponent(location))?.[1] : undefined;
  return id?.replace(/''/g, "'");
}
