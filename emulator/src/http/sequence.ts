/** A middleware in Node's shape: Express's, or one that needs only Node's request and response. */
export type Middleware<Req, Res> = (req: Req, res: Res, next: (err?: unknown) => void) => unknown;

/**
 * Middlewares run one after the other as one, without a router: Express's router matches a path
 * and rewrites `req.url` for every layer it passes, which for the API's hot path (a handful of
 * layers that all take every request) was CPU spent on nothing. As in the router, an error
 * (thrown, passed to `next`, or a rejected promise) skips the rest and goes to `done`, and so
 * does the end of the list.
 */
export function sequence<Req, Res>(handlers: readonly Middleware<Req, Res>[]): (req: Req, res: Res, done: (err?: unknown) => void) => void {
  return (req, res, done) => {
    let index = 0;
    const next = (err?: unknown): void => {
      if (err !== undefined && err !== null) {
        done(err);
        return;
      }
      const handler = handlers[index++];
      if (handler === undefined) {
        done();
        return;
      }
      try {
        const result = handler(req, res, next);
        if (result instanceof Promise) result.catch((error: unknown) => next(error ?? new Error('a middleware rejected without a reason')));
      } catch (error) {
        next(error ?? new Error('a middleware threw without a reason'));
      }
    };
    next();
  };
}
