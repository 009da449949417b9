/**
 * Building AMS v2 URLs. Ids go inside single quotes, percent-encoded, as the service and the
 * .NET SDK write them: `Assets('nb%3Acid%3AUUID%3A9bc8...')`. String parameters of service
 * operations are OData string literals too: `RebindContentKey?id='nb%3Akid%3A...'&x509Certificate=''`.
 * (fetch's URL parser writes a quote inside a query as %27; servers decode both spellings.)
 */

/** An OData string literal for `$filter` and function parameters: quoted, `'` doubled. Not URL-encoded. */
export function odataString(value: string): string {
  return `'${value.replace(/'/g, "''")}'`;
}

/** `Set('<encoded id>')`: the address of one entity. */
export function entityPath(entitySet: string, id: string): string {
  return `${entitySet}(${encodeLiteral(id)})`;
}

/** The query string of a service-operation call; strings become quoted literals, numbers stay bare. */
export function functionQuery(params: Readonly<Record<string, string | number>>): string {
  return Object.entries(params)
    .map(([name, value]) => `${name}=${typeof value === 'number' ? String(value) : encodeLiteral(value)}`)
    .join('&');
}

/** The OData system query options this client passes through. */
export interface ODataQuery {
  /** A filter expression, e.g. `Name eq 'movie.mp4'` (build literals with `odataString`). */
  $filter?: string;
  /** At most 1000: AMS caps every response at 1000 entities. */
  $top?: number;
  $skip?: number;
  $orderby?: string;
}

export function odataQueryString(query: ODataQuery | undefined): string {
  if (!query) return '';
  const parts: string[] = [];
  if (query.$filter !== undefined) parts.push(`$filter=${encodeURIComponent(query.$filter)}`);
  if (query.$orderby !== undefined) parts.push(`$orderby=${encodeURIComponent(query.$orderby)}`);
  if (query.$top !== undefined) parts.push(`$top=${nonNegativeInteger('$top', query.$top)}`);
  if (query.$skip !== undefined) parts.push(`$skip=${nonNegativeInteger('$skip', query.$skip)}`);
  return parts.join('&');
}

/**
 * The base URI in its canonical form, ending in "/", so that relative paths resolve beneath it:
 * `http://host/api` + `Assets` must give `http://host/api/Assets`, not `http://host/Assets`.
 */
export function normalizeBaseUri(uri: string): string {
  const url = new URL(uri);
  url.search = '';
  url.hash = '';
  if (!url.pathname.endsWith('/')) url.pathname += '/';
  return url.toString();
}

function encodeLiteral(value: string): string {
  return `'${encodeURIComponent(value.replace(/'/g, "''"))}'`;
}

function nonNegativeInteger(name: string, value: number): string {
  if (!Number.isSafeInteger(value) || value < 0) throw new RangeError(`${name} must be a non-negative integer, got ${value}`);
  return String(value);
}
