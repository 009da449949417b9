import type { Request } from 'express';

/** A route parameter as one string (Express types allow an array, for wildcards these routes do not have). */
export function routeParam(req: Request, name: string): string {
  const value = req.params[name];
  return Array.isArray(value) ? value.join('/') : (value ?? '');
}

/** An id as a route segment, bare or quoted as in OData keys (`'nb:kid:UUID:…'`, quotes doubled inside). */
export function unquote(raw: string | undefined): string {
  const text = (raw ?? '').trim();
  return text.length >= 2 && text.startsWith("'") && text.endsWith("'") ? text.slice(1, -1).replace(/''/g, "'") : text;
}
