/**
 * `$batch` bodies as the SDKs write them, and a reader of multipart answers (string splitting, no
 * code shared with the emulator's parser): the conformance kit's `$batch` check, and the
 * emulator's own batch tests. It lives with the client because both may import the client and
 * nothing may import the kit.
 */

export interface BatchRequestPart {
  method: string;
  /** Absolute (`http://host/api/Jobs`, what the Java and .NET SDKs write), absolute-path or relative. */
  url: string;
  headers?: Record<string, string>;
  body?: string;
  contentId?: string;
  /** Where the Content-ID goes: the MIME part's headers (the spec) or the inner request's (.NET, Java). */
  contentIdIn?: 'mime' | 'inner';
}

export type BatchItem = BatchRequestPart | { changeset: BatchRequestPart[]; boundary?: string };

export function batchBody(boundary: string, items: readonly BatchItem[], eol = '\r\n'): string {
  let out = '';
  let n = 0;
  for (const item of items) {
    out += `--${boundary}${eol}`;
    if ('changeset' in item) {
      const cs = item.boundary ?? `changeset_${boundary}_${n++}`;
      out += `Content-Type: multipart/mixed; boundary=${cs}${eol}${eol}`;
      for (const part of item.changeset) out += `--${cs}${eol}${operation(part, eol)}${eol}`;
      out += `--${cs}--${eol}`;
    } else {
      out += `${operation(item, eol)}${eol}`;
    }
  }
  return `${out}--${boundary}--${eol}`;
}

function operation(part: BatchRequestPart, eol: string): string {
  const mimeId = part.contentId !== undefined && part.contentIdIn === 'mime' ? `Content-ID: ${part.contentId}${eol}` : '';
  const innerId = part.contentId !== undefined && part.contentIdIn !== 'mime' ? `Content-ID: ${part.contentId}${eol}` : '';
  const headers = Object.entries(part.headers ?? {}).map(([k, v]) => `${k}: ${v}${eol}`).join('');
  const length = part.body !== undefined ? `Content-Length: ${Buffer.byteLength(part.body)}${eol}` : '';
  return (
    `Content-Type: application/http${eol}Content-Transfer-Encoding: binary${eol}${mimeId}${eol}` +
    `${part.method} ${part.url} HTTP/1.1${eol}${innerId}${headers}${length}${eol}${part.body ?? ''}`
  );
}

export interface PartResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
}

export type ResponseItem = PartResponse | { changeset: PartResponse[] };

/** The top-level parts of a batch answer: single responses, or changesets of responses. */
export function readBatchResponse(contentType: string | null, body: string): ResponseItem[] {
  const boundary = boundaryOf(contentType);
  return parts(body, boundary).map((part) => {
    const { headers, rest } = headersOf(part);
    const inner = boundaryOf(headers['content-type'] ?? null, true);
    if (inner) return { changeset: parts(rest, inner).map((p) => httpResponse(headersOf(p).rest)) };
    if (!/^application\/http/i.test(headers['content-type'] ?? '')) throw new Error(`part Content-Type ${headers['content-type']}`);
    return httpResponse(rest);
  });
}

function boundaryOf(contentType: string | null, optional = false): string {
  const m = /^multipart\/mixed;\s*boundary=("?)([^";]+)\1/i.exec(contentType ?? '');
  if (!m) {
    if (optional) return '';
    throw new Error(`not multipart/mixed: ${contentType}`);
  }
  return m[2]!;
}

function parts(body: string, boundary: string): string[] {
  const close = body.indexOf(`\r\n--${boundary}--`);
  if (!body.startsWith(`--${boundary}\r\n`) || close < 0) throw new Error(`malformed multipart for ${boundary}: ${body.slice(0, 200)}`);
  return body.slice(`--${boundary}\r\n`.length, close).split(`\r\n--${boundary}\r\n`);
}

function headersOf(text: string): { headers: Record<string, string>; rest: string } {
  const end = text.indexOf('\r\n\r\n');
  const block = end < 0 ? text : text.slice(0, end);
  const headers: Record<string, string> = {};
  for (const line of block.split('\r\n')) {
    const colon = line.indexOf(':');
    if (colon > 0) headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  return { headers, rest: end < 0 ? '' : text.slice(end + 4) };
}

function httpResponse(text: string): PartResponse {
  const lineEnd = text.indexOf('\r\n');
  const m = /^HTTP\/1\.1 (\d{3}) /.exec(text.slice(0, lineEnd));
  if (!m) throw new Error(`not an HTTP response: ${text.slice(0, 80)}`);
  const { headers, rest } = headersOf(text.slice(lineEnd + 2));
  return { status: Number(m[1]), headers, body: rest };
}
