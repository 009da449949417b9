import type { Request } from 'express';

/** A route parameter as one string (Express types allow an array, for wildcards these routes do not have). */
export function routeParam(req: Request, name: string): string {
  const value = req.params[name];
  return Array.isArray(value) ? value.join('/') : (value ?? '');
}
