import express, { type NextFunction, type Request, type Response } from 'express';

/**
 * Reading a request body a route does not use. A route that answers without reading it would, on
 * a `Connection: close` request, close the socket with the body still arriving, and the kernel's
 * reset can destroy the end of the answer before the client reads it. So every route reads the
 * body it is sent, up to a limit (413 past it), and drops it.
 */
export function readAndDropBody(req: Request, res: Response, limit: string): Promise<void> {
  const raw = express.raw({ type: () => true, limit });
  return new Promise((resolve, reject) => {
    raw(req, res, (err?: unknown) => {
      if (err) reject(err);
      else resolve();
    });
  });
}

/** Middleware: a body no parser before it took is read and dropped; handlers see no body. */
export function readOtherBody(limit: string) {
  return (req: Request, res: Response, next: NextFunction): void => {
    if (req.body !== undefined) return next();
    readAndDropBody(req, res, limit).then(() => {
      req.body = undefined;
      next();
    }, next);
  };
}
