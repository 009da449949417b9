/**
 * A `$batch` answer read as strictly as the PHP SDK's multipart parser reads it (RFC 2046 taken
 * literally, no code shared with the emulator): a multipart body is `--B` CRLF part, then CRLF `--B`
 * CRLF part for each further part, then CRLF `--B--`. Anything between a changeset's close delimiter
 * and the enclosing batch delimiter (an empty line, say) is read as one more part, which is not an
 * HTTP response, so the answer is refused, as that SDK refused it. The outermost body may end with
 * one CRLF after its close delimiter (WCF Data Services wrote one).
 */
export interface StrictResponse {
  status: number;
  headers: [string, string][];
  body: string;
}

export type StrictItem = { mime: [string, string][]; response: StrictResponse } | { mime: [string, string][]; changeset: { mime: [string, string][]; response: StrictResponse }[] };

export function readBatchStrictly(contentType: string | null | undefined, body: string): StrictItem[] {
  return strictParts(body, boundaryOf(contentType), true).map((part) => {
    const { headers, rest } = splitHead(part);
    const inner = /^multipart\/mixed; boundary=(\S+)$/.exec(value(headers, 'content-type') ?? '');
    if (inner) return { mime: headers, changeset: strictParts(rest, inner[1]!, false).map((p) => httpPart(p)) };
    return httpPart(part);
  });
}

function httpPart(part: string): { mime: [string, string][]; response: StrictResponse } {
  const { headers, rest } = splitHead(part);
  if (value(headers, 'content-type') !== 'application/http' || value(headers, 'content-transfer-encoding') !== 'binary') {
    throw new Error(`a part that is not application/http (binary): ${JSON.stringify(part.slice(0, 120))}`);
  }
  const lineEnd = rest.indexOf('\r\n');
  const status = /^HTTP\/1\.1 (\d{3}) [A-Za-z ]+$/.exec(rest.slice(0, lineEnd));
  if (!status) throw new Error(`not an HTTP response: ${JSON.stringify(rest.slice(0, 80))}`);
  const response = splitHead(rest.slice(lineEnd + 2));
  return { mime: headers, response: { status: Number(status[1]), headers: response.headers, body: response.rest } };
}

function strictParts(body: string, boundary: string, outermost: boolean): string[] {
  const open = `--${boundary}\r\n`;
  if (!body.startsWith(open)) throw new Error(`does not start with ${JSON.stringify(open)}: ${JSON.stringify(body.slice(0, 80))}`);
  const pieces = body.slice(open.length).split(`\r\n--${boundary}`);
  const parts = [pieces[0]!];
  for (let i = 1; i < pieces.length; i++) {
    const piece = pieces[i]!;
    if (piece.startsWith('--')) {
      if (i !== pieces.length - 1) throw new Error(`a part after the close delimiter of ${boundary}`);
      const after = piece.slice(2);
      // What follows the close delimiter is read as one more part, unless it is the outermost epilogue.
      if (after !== '' && !(outermost && after === '\r\n')) parts.push(after);
      return parts;
    }
    if (!piece.startsWith('\r\n')) throw new Error(`a delimiter of ${boundary} followed by ${JSON.stringify(piece.slice(0, 20))}`);
    parts.push(piece.slice(2));
  }
  throw new Error(`no close delimiter --${boundary}--`);
}

function splitHead(text: string): { headers: [string, string][]; rest: string } {
  const end = text.indexOf('\r\n\r\n');
  if (end < 0 && text !== '' && !text.endsWith('\r\n')) throw new Error(`no empty line after the headers: ${JSON.stringify(text.slice(0, 80))}`);
  const block = end < 0 ? text.replace(/\r\n$/, '') : text.slice(0, end);
  const headers = block === '' ? [] : block.split('\r\n').map((line): [string, string] => {
    const colon = line.indexOf(':');
    if (colon <= 0) throw new Error(`a malformed header line ${JSON.stringify(line)}`);
    return [line.slice(0, colon), line.slice(colon + 1).trim()];
  });
  return { headers, rest: end < 0 ? '' : text.slice(end + 4) };
}

function value(headers: [string, string][], name: string): string | undefined {
  return headers.find(([n]) => n.toLowerCase() === name)?.[1];
}

function boundaryOf(contentType: string | null | undefined): string {
  const m = /^multipart\/mixed; boundary=(batchresponse_[0-9a-f-]{36})$/.exec(contentType ?? '');
  if (!m) throw new Error(`not a WCF batch answer Content-Type: ${contentType}`);
  return m[1]!;
}
