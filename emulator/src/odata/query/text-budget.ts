import { filterError } from './limits.js';

/**
 * Bounds on the text a `$filter` builds while it is evaluated. `replace` multiplies a string's
 * length by the ratio of its arguments, so a filter of a few hundred characters, nested a few
 * levels, asks for gigabytes: V8 then throws (a 500) or the event loop stalls for every client.
 * Evaluation is synchronous, so the request timeout cannot stop it; these bounds do.
 */

/** Characters of one string value a function may return (the longest stored text, an XML body, is 1 Mi). */
export const MAX_FILTER_STRING = 1_048_576;

/**
 * Characters all string functions may read and return together while one query is evaluated over
 * its records. Reading counts too: 63 `substringof` terms over 3.9 MB names build nothing but
 * scanned gigabytes and blocked the event loop for seconds (issue 13).
 */
export const MAX_FILTER_TEXT = 64 * 1_048_576;

/**
 * Characters a string function reads from its arguments: all of them, except where it provably
 * looks at less (`length` is O(1), `startswith`/`endswith` compare only the affix).
 */
export function scannedBy(fn: string, args: readonly unknown[]): number {
  const lengthOf = (value: unknown) => (typeof value === 'string' ? value.length : 0);
  switch (fn) {
    case 'length':
      return 0;
    case 'startswith':
    case 'endswith':
      return Math.min(lengthOf(args[0]), lengthOf(args[1]));
    default:
      return args.reduce<number>((sum, value) => sum + lengthOf(value), 0);
  }
}

export function checkStringLength(length: number, fn: string): void {
  if (length > MAX_FILTER_STRING) throw filterError(`${fn}(...) would build a string of ${length} characters; the limit is ${MAX_FILTER_STRING}`);
}

/** What one query may still build; shared by the evaluation of every record. */
export class TextBudget {
  #remaining: number;

  constructor(readonly limit: number = MAX_FILTER_TEXT) {
    this.#remaining = limit;
  }

  spend(characters: number): void {
    this.#remaining -= characters;
    if (this.#remaining < 0) throw filterError(`evaluating the expression over the records reads or builds more than ${this.limit} characters of text; simplify it or narrow the query`);
  }
}
