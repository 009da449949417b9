import type { ODataQuery } from './urls.js';

/** AMS returns at most this many entities per response, whatever `$top` asks for. */
export const MAX_PAGE_SIZE = 1000;

export interface PagingOptions {
  /** Entities per request, 1..1000. Default 1000. */
  pageSize?: number;
  signal?: AbortSignal;
}

/** Any list operation of `AmsClient` that takes a query, e.g. `(q) => client.listAssets(q)`. */
export type ListPage<T> = (query: ODataQuery, options: { signal?: AbortSignal }) => Promise<T[]>;

/**
 * Every entity a listing matches, fetched page by page with `$skip`/`$top` past the 1000-entity
 * cap. A page shorter than the page size is the last one, which is why the size may not exceed
 * the service's cap. Entities created or deleted while paging can shift pages, as in any
 * offset-based paging; pass `$orderby` where the server supports it.
 */
export async function* pageThrough<T>(
  listPage: ListPage<T>,
  query: Omit<ODataQuery, '$skip' | '$top'> = {},
  options: PagingOptions = {},
): AsyncGenerator<T, void, undefined> {
  const pageSize = options.pageSize ?? MAX_PAGE_SIZE;
  if (!Number.isInteger(pageSize) || pageSize < 1 || pageSize > MAX_PAGE_SIZE) {
    throw new RangeError(`pageSize must be an integer from 1 to ${MAX_PAGE_SIZE}, got ${pageSize}`);
  }
  for (let skip = 0; ; skip += pageSize) {
    const page = await listPage({ ...query, $skip: skip, $top: pageSize }, options.signal ? { signal: options.signal } : {});
    yield* page;
    if (page.length < pageSize) return;
  }
}

/** `pageThrough` collected into one array. */
export async function listAll<T>(listPage: ListPage<T>, query: Omit<ODataQuery, '$skip' | '$top'> = {}, options: PagingOptions = {}): Promise<T[]> {
  const all: T[] = [];
  for await (const item of pageThrough(listPage, query, options)) all.push(item);
  return all;
}
