/**
 * obs-fold (RFC 7230 §3.2.4): a header field continued on the next line, which starts with SP or
 * HTAB. Old HTTP libraries fold long headers this way (the PHP SDK's folds the `$batch` request's
 * `Content-Type: multipart/mixed;` CRLF ` boundary="batch_…"`); the service accepted it. A server
 * may unfold it by replacing each fold with a space before interpreting the value; nothing else
 * about the head changes.
 */

/** Where a request head starts: a request line, so the bytes are a message's beginning. */
const REQUEST_LINE = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+ [^\s]+ HTTP\/1\.[01]\r\n/;

/** A head that begins `request line CRLF` and continues a header field with an obs-fold. */
export function startsFoldedHead(raw: Buffer): boolean {
  const text = raw.subarray(0, Math.min(raw.length, MAX_SCAN)).toString('latin1');
  const requestLine = REQUEST_LINE.exec(text);
  if (!requestLine) return false;
  const end = text.indexOf('\r\n\r\n');
  const head = text.slice(requestLine[0].length, end < 0 ? text.length : end + 2);
  // A line starting with whitespace right after the request line continues nothing: RFC 7230 §3
  // says to reject it, so it is not an obs-fold.
  if (head.startsWith(' ') || head.startsWith('\t')) return false;
  return /\r\n[ \t]/.test(head);
}

/**
 * A packet that begins with the continuation of a header folded in an earlier packet: Node's parser
 * has consumed the start of that head, so it cannot be unfolded any more.
 */
export function startsWithFoldContinuation(raw: Buffer): boolean {
  return /^(?:\r?\n)?[ \t]/.test(raw.subarray(0, 4).toString('latin1'));
}

/** The head ends at its empty line; Node refuses heads over 16 KiB, so longer ones are not waited for. */
const MAX_SCAN = 64 * 1024;

export interface UnfoldedHead {
  /** The head with each obs-fold replaced by one SP, ending with its empty line. */
  head: Buffer;
  /** Whatever followed the head (the start of the body, or of the next request). */
  rest: Buffer;
}

/**
 * Unfold a request head that starts at `raw[0]`, once its empty line has arrived (undefined until
 * then). Only CRLF + SP/HTAB runs between header lines are touched: the folded line's own trailing
 * blanks and the continuation's leading blanks become one SP, as RFC 7230 lets a recipient do.
 */
export function unfoldHead(raw: Buffer): UnfoldedHead | undefined {
  const end = raw.indexOf('\r\n\r\n');
  if (end < 0) return undefined;
  const text = raw.subarray(0, end + 2).toString('latin1');
  const lineEnd = text.indexOf('\r\n');
  const unfolded = text.slice(0, lineEnd + 2) + text.slice(lineEnd + 2).replace(/[ \t]*\r\n[ \t]+/g, ' ');
  return { head: Buffer.from(`${unfolded}\r\n`, 'latin1'), rest: raw.subarray(end + 4) };
}

/** `METHOD target` and a few headers of a head Node refused, for the log (best effort). */
export function describeRawHead(raw: Buffer): { method: string; target: string; headers: Record<string, string> } {
  const text = raw.subarray(0, Math.min(raw.length, 16 * 1024)).toString('latin1');
  const end = text.indexOf('\r\n\r\n');
  const lines = (end < 0 ? text : text.slice(0, end)).split('\r\n');
  const requestLine = /^(\S{1,32}) (\S{1,2048})/.exec(lines[0] ?? '');
  const headers: Record<string, string> = {};
  for (const line of lines.slice(1)) {
    const colon = line.indexOf(':');
    if (colon > 0) headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim().slice(0, 300);
  }
  return { method: requestLine?.[1] ?? '-', target: requestLine?.[2] ?? '-', headers };
}
