/**
 * `$filter` text to tokens, in one iterative pass. Words (property names, operators, function names)
 * stay words: what a word means depends on where it stands, which is the parser's business.
 */
import type { Literal } from './ast.js';
import { filterError } from './limits.js';
import { numericLiteral, typedLiteral } from './literals.js';
import { quote } from './text.js';

/** Words that, glued to a quote, start a typed literal; any other word before a quote stays a word (`eq'x'`). */
const LITERAL_PREFIXES = new Set(['datetime', 'datetimeoffset', 'guid', 'time', 'binary', 'X', 'x']);

export type Token =
  | { kind: 'word'; text: string; pos: number }
  | { kind: 'literal'; literal: Literal; text: string; pos: number }
  | { kind: 'symbol'; text: '(' | ')' | ',' | '/'; pos: number }
  | { kind: 'end'; pos: number };

const isDigit = (c: string | undefined): boolean => c !== undefined && c >= '0' && c <= '9';
const isWordStart = (c: string | undefined): boolean => c !== undefined && /[A-Za-z_]/.test(c);
const isWordPart = (c: string | undefined): boolean => c !== undefined && /[A-Za-z0-9_]/.test(c);

/** Characters a client might reach for, and what OData spells instead. */
const CHARACTER_HINTS: Readonly<Record<string, string>> = {
  '=': 'comparisons are written eq, ne, gt, ge, lt, le',
  '<': 'comparisons are written eq, ne, gt, ge, lt, le',
  '>': 'comparisons are written eq, ne, gt, ge, lt, le',
  '!': 'negation is written not, inequality ne',
  '&': 'conjunction is written and (and a literal & must be %26 in the URL)',
  '|': 'disjunction is written or',
  '"': "strings are quoted with single quotes: 'text'",
  '+': "arithmetic is not supported; a space in the URL is '+' or %20, a literal '+' inside a string is %2B",
  '-': 'arithmetic is not supported',
  '*': 'arithmetic is not supported',
};

export function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < text.length) {
    const c = text[i];
    if (/\s/.test(c)) {
      i++;
    } else if (c === '(' || c === ')' || c === ',' || c === '/') {
      tokens.push({ kind: 'symbol', text: c, pos: i });
      i++;
    } else if (c === "'") {
      const { value, end } = readQuoted(text, i);
      tokens.push({ kind: 'literal', literal: { type: 'Edm.String', value }, text: text.slice(i, end), pos: i });
      i = end;
    } else if (isDigit(c) || (c === '-' && isDigit(text[i + 1]))) {
      const end = readNumber(text, i, tokens);
      i = end;
    } else if (isWordStart(c)) {
      let end = i + 1;
      while (isWordPart(text[end])) end++;
      const word = text.slice(i, end);
      if (text[end] === "'" && LITERAL_PREFIXES.has(word)) {
        // A prefix glued to a quote is a typed literal: datetime'...', guid'...'.
        const { value, end: after } = readQuoted(text, end);
        const result = typedLiteral(word, value);
        if ('error' in result) throw filterError(`${result.error} at position ${i}`);
        tokens.push({ kind: 'literal', literal: result.literal, text: text.slice(i, after), pos: i });
        i = after;
      } else {
        tokens.push(keywordLiteral(word, i) ?? { kind: 'word', text: word, pos: i });
        i = end;
      }
    } else {
      const ch = String.fromCodePoint(text.codePointAt(i) ?? 0);
      const hint = CHARACTER_HINTS[ch];
      throw filterError(`unexpected character ${quote(ch)} at position ${i}${hint ? ` (${hint})` : ''}`);
    }
  }
  tokens.push({ kind: 'end', pos: text.length });
  return tokens;
}

function keywordLiteral(word: string, pos: number): Token | undefined {
  if (word === 'true' || word === 'false') return { kind: 'literal', literal: { type: 'Edm.Boolean', value: word === 'true' }, text: word, pos };
  if (word === 'null') return { kind: 'literal', literal: { type: 'null', value: null }, text: word, pos };
  return undefined;
}

/** A quoted body starting at the quote `start`, with '' standing for one quote. */
function readQuoted(text: string, start: number): { value: string; end: number } {
  let value = '';
  let i = start + 1;
  for (;;) {
    const close = text.indexOf("'", i);
    if (close < 0) throw filterError(`unterminated string literal starting at position ${start} (strings end with ' and a quote inside is written '')`);
    value += text.slice(i, close);
    if (text[close + 1] === "'") {
      value += "'";
      i = close + 2;
    } else {
      return { value, end: close + 1 };
    }
  }
}

/** `-?digits[.digits][e[+-]digits][suffix]`; pushes the literal and returns where it ends. */
function readNumber(text: string, start: number, tokens: Token[]): number {
  let i = start;
  if (text[i] === '-') i++;
  while (isDigit(text[i])) i++;
  if (text[i] === '.') {
    i++;
    if (!isDigit(text[i])) throw malformedNumber(text, start, i);
    while (isDigit(text[i])) i++;
  }
  if (text[i] === 'e' || text[i] === 'E') {
    i++;
    if (text[i] === '+' || text[i] === '-') i++;
    if (!isDigit(text[i])) throw malformedNumber(text, start, i);
    while (isDigit(text[i])) i++;
  }
  const digits = text.slice(start, i);
  let suffix = '';
  if (text[i] !== undefined && 'LlMmDdFf'.includes(text[i])) {
    suffix = text[i];
    i++;
  }
  if (isWordPart(text[i]) || text[i] === '.') throw malformedNumber(text, start, i);
  const result = numericLiteral(digits, suffix);
  if ('error' in result) throw filterError(`${result.error} at position ${start}`);
  tokens.push({ kind: 'literal', literal: result.literal, text: text.slice(start, i), pos: start });
  return i;
}

function malformedNumber(text: string, start: number, at: number): Error {
  let end = at;
  while (end < text.length && /[A-Za-z0-9_.+-]/.test(text[end])) end++;
  return filterError(
    `malformed number ${quote(text.slice(start, Math.max(end, at + 1)))} at position ${start} (numbers look like 12, 12L, 1.5, 1.5d, 1.5m, 1.5f, 1e3)`,
  );
}
