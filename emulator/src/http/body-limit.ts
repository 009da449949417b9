import type { IncomingMessage, ServerResponse } from 'node:http';
import { payloadTooLarge } from '../odata/errors.js';

/**
 * A body whose Content-Length is over the limit is refused before a byte of it is read. The body
 * parser would refuse it too, but only after reading (and dropping) all of it: a client sending a
 * video to the API URL by mistake would upload gigabytes before its 413, and one that declares a
 * length and then waits would wait until the server's request timeout. The connection is closed
 * after the answer, since the rest of the body is not read. Compressed bodies are left to the
 * parser: their size on the wire says little about their size inflated.
 */
export function refuseDeclaredOversizedBody(limit: number) {
  return (req: IncomingMessage, res: ServerResponse, next: (err?: unknown) => void): void => {
    const declared = req.headers['content-length'];
    const encoding = (req.headers['content-encoding'] ?? 'identity').trim().toLowerCase();
    if (declared === undefined || encoding !== 'identity' || Number(declared) <= limit) return next();
    res.setHeader('Connection', 'close');
    next(payloadTooLarge(`The request body is larger than the emulator's limit of ${limit} bytes (Content-Length: ${declared})`));
  };
}
