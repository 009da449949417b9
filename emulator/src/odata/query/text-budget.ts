import { filterError } from './limits.js';

/**
 * Bounds on the text a `$filter` builds while it is evaluated. `replace` multiplies a string's
 * length by the ratio of its arguments, so a filter of a few hundred characters, nested a few
 * levels, asks for gigabytes: V8 then throws (a 500) or the event loop stalls for every client.
 * Evaluation is synchronous, so the request timeout cannot stop it; these bounds do.
 */

/** Characters of one string value a function may return (the longest stored text, an XML body, is 1 Mi). */
export const MAX_FILTER_STRING = 1_048_576;

/** Characters all string functions may return together while one query is evaluated over its records. */
export const MAX_FILTER_TEXT = 64 * 1_048_576;

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
    if (this.#remaining < 0) throw filterError(`evaluating the expression over the records builds more than ${this.limit} characters of text; simplify it`);
  }
}
