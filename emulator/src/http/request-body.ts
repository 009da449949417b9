import type { IncomingMessage, ServerResponse } from 'node:http';
import express from 'express';
import type { Middleware } from './sequence.js';

type BodyRequest = IncomingMessage & { body?: unknown };

/**
 * The API's body reader: the whole body as a Buffer on `req.body` (none when the request has no
 * body), as `express.raw({ type: () => true, limit })` reads it, with its refusals (413 past the
 * limit, 400 for an aborted request, 415 for an unknown Content-Encoding).
 *
 * What API clients send, a plain body with its Content-Length within the limit, is read here with
 * two listeners; body-parser and raw-body spend several times that on what such a body never
 * needs (decompression, charset, async-context wrapping, a dozen listeners). Anything else
 * (compressed, chunked, declared past the limit, a request already finished) goes to
 * `express.raw`, so its answers stay exactly body-parser's.
 */
export function readApiBody(limit: number): Middleware<IncomingMessage, ServerResponse> {
  const general = express.raw({ type: () => true, limit }) as Middleware<IncomingMessage, ServerResponse>;
  return (req: BodyRequest, res, next) => {
    const length = plainBodyLength(req, limit);
    if (length === undefined) return general(req, res, next);
    if (!('body' in req)) req.body = undefined;
    const chunks: Buffer[] = [];
    let received = 0;
    const finish = (err: unknown, body?: Buffer) => {
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('aborted', onAborted);
      req.off('error', onError);
      if (err === undefined) {
        req.body = body;
        next();
        return;
      }
      // As body-parser: the rest of the request is read and dropped before the refusal goes out.
      req.unpipe();
      if (finished(req)) {
        next(err);
        return;
      }
      let refused = false;
      const refuse = () => {
        if (refused) return;
        refused = true;
        next(err);
      };
      req.once('end', refuse).once('close', refuse);
      req.resume();
    };
    const onData = (chunk: Buffer) => {
      received += chunk.length;
      chunks.push(chunk);
    };
    const onEnd = () => {
      // llhttp ends a message at its Content-Length; kept for a stream that is not Node's parser.
      if (received !== length) finish(refusal(400, 'request size did not match content length', 'request.size.invalid'));
      else finish(undefined, chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, received));
    };
    const onAborted = () => finish(refusal(400, 'request aborted', 'request.aborted'));
    const onError = (err: Error) => finish(Object.assign(err, { status: (err as { status?: unknown }).status ?? 400 }));
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('aborted', onAborted);
    req.on('error', onError);
  };
}

/**
 * The Content-Length of a body this reader takes, or undefined for one it leaves to body-parser:
 * no body at all (body-parser leaves `req.body` unset), a Content-Encoding, Transfer-Encoding,
 * a length past the limit, or a request body-parser would not read (finished, not readable).
 */
function plainBodyLength(req: IncomingMessage, limit: number): number | undefined {
  const declared = req.headers['content-length'];
  if (declared === undefined || req.headers['transfer-encoding'] !== undefined || !/^\d{1,15}$/.test(declared)) return undefined;
  const encoding = req.headers['content-encoding'];
  if (encoding !== undefined && encoding.toLowerCase() !== 'identity') return undefined;
  const length = Number(declared);
  if (length > limit || finished(req) || !req.readable || req.readableEncoding !== null) return undefined;
  return length;
}

/** on-finished's `isFinished` for a request, which body-parser checks before and after reading. */
function finished(req: IncomingMessage): boolean {
  const socket = req.socket as IncomingMessage['socket'] | null;
  const upgrade = (req as IncomingMessage & { upgrade?: boolean }).upgrade;
  return Boolean(upgrade || !socket || !socket.readable || (req.complete && !req.readable));
}

/** An error as raw-body makes them: what the error handler maps (status, type) and the message. */
function refusal(status: number, message: string, type: string): Error {
  return Object.assign(new Error(message), { status, statusCode: status, expose: true, type });
}
