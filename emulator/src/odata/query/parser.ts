/**
 * Tokens to a `$filter` tree, by recursive descent with an explicit nesting budget: every construct that
 * recurses (parentheses, `not`, a function call) takes one level before recursing, so a hostile
 * `((((...` is refused after `maxFilterDepth` levels instead of overflowing the stack. Binary chains are
 * loops and build left-deep trees; their size is bounded by the node budget.
 */
import type { EntityTypeDef } from '../edm.js';
import { isBinaryOperator, type BinaryOperator, type FilterExpression } from './ast.js';
import { describeSignature, FUNCTION_NAMES, FUNCTIONS, isFunctionName } from './functions.js';
import type { Token } from './lexer.js';
import { filterError } from './limits.js';
import { pathNotSupported, resolveProperty } from './properties.js';
import { quote, suggest } from './text.js';

/** Binary operator levels, loosest first. */
const LEVELS: readonly (readonly BinaryOperator[])[] = [['or'], ['and'], ['eq', 'ne'], ['gt', 'ge', 'lt', 'le']];

const ARITHMETIC = new Set(['add', 'sub', 'mul', 'div', 'mod']);

export interface ParseBudget {
  maxDepth: number;
  maxNodes: number;
}

export function parseTokens(tokens: readonly Token[], type: EntityTypeDef, budget: ParseBudget): FilterExpression {
  return new Parser(tokens, type, budget).parseAll();
}

class Parser {
  private index = 0;
  private depth = 0;
  private nodes = 0;

  constructor(
    private readonly tokens: readonly Token[],
    private readonly type: EntityTypeDef,
    private readonly budget: ParseBudget,
  ) {}

  parseAll(): FilterExpression {
    if (this.peek().kind === 'end') throw filterError('the expression is empty');
    const expr = this.parseLevel(0);
    const next = this.peek();
    if (next.kind !== 'end') throw this.unexpected(next, 'an operator (eq, ne, gt, ge, lt, le, and, or) or the end of the expression');
    return expr;
  }

  private peek(offset = 0): Token {
    return this.tokens[Math.min(this.index + offset, this.tokens.length - 1)];
  }

  private advance(): Token {
    const token = this.peek();
    if (this.index < this.tokens.length - 1) this.index++;
    return token;
  }

  private count<T extends FilterExpression>(node: T): T {
    if (++this.nodes > this.budget.maxNodes) throw filterError(`the expression has more than ${this.budget.maxNodes} terms`);
    return node;
  }

  private nest<T>(parse: () => T): T {
    if (++this.depth > this.budget.maxDepth) {
      throw filterError(`the expression nests deeper than ${this.budget.maxDepth} levels (parentheses, not and function calls)`);
    }
    const result = parse();
    this.depth--;
    return result;
  }

  private parseLevel(level: number): FilterExpression {
    const operators = LEVELS[level];
    const operand = (): FilterExpression => (level + 1 < LEVELS.length ? this.parseLevel(level + 1) : this.parseUnary());
    let left = operand();
    for (;;) {
      const token = this.peek();
      if (token.kind !== 'word' || !(operators as readonly string[]).includes(token.text)) return left;
      this.advance();
      const right = operand();
      left = this.count({ kind: 'binary', operator: token.text as BinaryOperator, left, right });
    }
  }

  private parseUnary(): FilterExpression {
    const token = this.peek();
    if (token.kind === 'word' && token.text === 'not') {
      this.advance();
      const operand = this.nest(() => this.parseUnary());
      return this.count({ kind: 'not', operand });
    }
    return this.parsePrimary();
  }

  private parsePrimary(): FilterExpression {
    const token = this.advance();
    switch (token.kind) {
      case 'literal':
        return this.count({ kind: 'literal', ...token.literal });
      case 'symbol':
        if (token.text === '(') {
          return this.nest(() => {
            const inner = this.parseLevel(0);
            this.expect(')', "')' or an operator");
            return inner;
          });
        }
        throw this.unexpected(token, 'a property, a literal or a function call');
      case 'end':
        throw this.unexpected(token, 'a property, a literal or a function call');
      case 'word':
        return this.parseWord(token);
    }
  }

  private parseWord(token: Extract<Token, { kind: 'word' }>): FilterExpression {
    const word = token.text;
    if (isBinaryOperator(word) || word === 'not' || ARITHMETIC.has(word)) {
      throw this.unexpected(token, 'a property, a literal or a function call');
    }
    const next = this.peek();
    if (isSymbol(next, '(')) return this.parseCall(token);
    if (isSymbol(next, '/')) {
      const following = this.peek(1);
      throw pathNotSupported(`${word}/${following.kind === 'word' ? following.text : ''}`, '$filter');
    }
    const literalHint = ['true', 'false', 'null'].find((k) => k === word.toLowerCase());
    if (literalHint !== undefined) throw filterError(`${quote(word)} at position ${token.pos} is not a literal; literals are lower-case: ${literalHint}`);
    resolveProperty(word, this.type, '$filter');
    return this.count({ kind: 'property', name: word });
  }

  private parseCall(token: Extract<Token, { kind: 'word' }>): FilterExpression {
    const name = token.text;
    if (!isFunctionName(name)) {
      const guess = suggest(name, FUNCTION_NAMES);
      const hint = guess !== undefined ? `did you mean '${guess}'? function names are lower-case; ` : '';
      throw filterError(`unknown function ${quote(name)} at position ${token.pos} (${hint}supported: ${FUNCTION_NAMES.join(', ')})`);
    }
    this.advance(); // '('
    const args = this.nest(() => {
      const list: FilterExpression[] = [];
      if (isSymbol(this.peek(), ')')) {
        this.advance();
        return list;
      }
      for (;;) {
        list.push(this.parseLevel(0));
        const separator = this.advance();
        if (isSymbol(separator, ')')) return list;
        if (!isSymbol(separator, ',')) throw this.unexpected(separator, `',' or ')' in the arguments of ${name}`);
      }
    });
    const def = FUNCTIONS[name];
    const min = def.params.length - (def.optional ?? 0);
    if (args.length < min || args.length > def.params.length) {
      throw filterError(`${name} takes ${min === def.params.length ? min : `${min} or ${def.params.length}`} arguments, got ${args.length}: ${describeSignature(name)}`);
    }
    return this.count({ kind: 'call', name, args });
  }

  private expect(symbol: ')' | ',', expected: string): void {
    const token = this.advance();
    if (!isSymbol(token, symbol)) throw this.unexpected(token, expected);
  }

  private unexpected(token: Token, expected: string): Error {
    const found = token.kind === 'end' ? 'the end of the expression' : quote(token.text);
    const at = token.kind === 'end' ? '' : ` at position ${token.pos}`;
    return filterError(`expected ${expected}${at}, found ${found}${token.kind === 'word' ? wordHint(token.text) : ''}`);
  }
}

function isSymbol(token: Token, symbol: '(' | ')' | ',' | '/'): boolean {
  return token.kind === 'symbol' && token.text === symbol;
}

/** Why a word is not accepted where an operator or operand was expected. */
function wordHint(word: string): string {
  const lower = word.toLowerCase();
  if (ARITHMETIC.has(lower)) return ' (arithmetic operators are not supported)';
  if (lower !== word && (isBinaryOperator(lower) || lower === 'not')) return ` (operators are lower-case: ${lower})`;
  if (lower === 'has' || lower === 'in') return ` ('${lower}' is not an OData v3 operator)`;
  return '';
}
