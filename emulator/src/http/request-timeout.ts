import type { IncomingMessage, ServerResponse } from 'node:http';
import { requestedFormat } from './error-handler.js';
import { locals } from './request-context.js';
import { writeError } from './respond.js';

/**
 * A request still unanswered after `ms` is answered 503 (Retry-After: 1), in the client's format,
 * whatever it is waiting for: its body, an injected fault's latency, storage, a job it reads. The
 * work it started may still finish (as on the service, the client learns nothing of its outcome);
 * whatever it writes later is dropped, and the connection is closed after the 503 so nothing
 * late can be mistaken for the answer to a next request.
 */
export function requestTimeout(ms: number) {
  return (req: IncomingMessage, res: ServerResponse, next: () => void): void => {
    const timer = setTimeout(() => {
      if (res.headersSent || res.writableEnded) return;
      res.setHeader('Retry-After', '1');
      res.setHeader('Connection', 'close');
      const format = locals(res).format ?? requestedFormat(req);
      writeError(res, format, 503, 'ServiceUnavailable', `The request did not complete within ${ms} ms (the emulator's request timeout); try again`, req.method === 'HEAD');
    }, ms);
    const stop = () => clearTimeout(timer);
    res.once('finish', stop);
    res.once('close', stop);
    next();
  };
}
