/**
 * The `$filter` syntax tree. It is untyped on purpose (types come from the entity model in
 * `typecheck.ts`), and every literal carries one canonical value so that `parseFilter(formatFilter(e))`
 * gives back `e`.
 */

export type EqualityOperator = 'eq' | 'ne';
export type RelationalOperator = 'gt' | 'ge' | 'lt' | 'le';
export type ComparisonOperator = EqualityOperator | RelationalOperator;
export type LogicalOperator = 'and' | 'or';
export type BinaryOperator = ComparisonOperator | LogicalOperator;

export const COMPARISON_OPERATORS: readonly ComparisonOperator[] = ['eq', 'ne', 'gt', 'ge', 'lt', 'le'];
export const BINARY_OPERATORS: readonly BinaryOperator[] = [...COMPARISON_OPERATORS, 'and', 'or'];

export function isBinaryOperator(word: string): word is BinaryOperator {
  return (BINARY_OPERATORS as readonly string[]).includes(word);
}

export function isComparison(op: BinaryOperator): op is ComparisonOperator {
  return op !== 'and' && op !== 'or';
}

/**
 * Binding strength, OData v3 order: not > relational > equality > and > or. Relational and equality are
 * separate levels (as in the spec), so `startswith(Name,'a') eq true` and `Options gt 1 eq true` both
 * mean what they look like.
 */
export const PRECEDENCE = {
  or: 1,
  and: 2,
  eq: 3,
  ne: 3,
  gt: 4,
  ge: 4,
  lt: 4,
  le: 4,
  not: 5,
  primary: 6,
} as const;

/** Literal types a filter can spell; wider than the stored model (Single, Decimal, Guid, DateTimeOffset). */
export type LiteralType =
  | 'Edm.String'
  | 'Edm.Int32'
  | 'Edm.Int64'
  | 'Edm.Double'
  | 'Edm.Single'
  | 'Edm.Decimal'
  | 'Edm.Boolean'
  | 'Edm.DateTime'
  | 'Edm.DateTimeOffset'
  | 'Edm.Guid'
  | 'null';

export type Literal =
  | { type: 'Edm.String'; value: string }
  | { type: 'Edm.Int32'; value: number }
  | { type: 'Edm.Int64'; value: bigint }
  | { type: 'Edm.Double'; value: number }
  | { type: 'Edm.Single'; value: number }
  /** The digits as written (sign, integer part, optional fraction): exact, unlike a double. */
  | { type: 'Edm.Decimal'; value: string }
  | { type: 'Edm.Boolean'; value: boolean }
  /** Canonical UTC text `YYYY-MM-DDTHH:mm:ss[.fffffff]Z` (fraction without trailing zeros). */
  | { type: 'Edm.DateTime'; value: string }
  | { type: 'Edm.DateTimeOffset'; value: string }
  /** Lower-case `8-4-4-4-12` hex. */
  | { type: 'Edm.Guid'; value: string }
  | { type: 'null'; value: null };

export type LiteralExpression = { kind: 'literal' } & Literal;

export interface PropertyExpression {
  kind: 'property';
  name: string;
}

export interface NotExpression {
  kind: 'not';
  operand: FilterExpression;
}

export interface BinaryExpression {
  kind: 'binary';
  operator: BinaryOperator;
  left: FilterExpression;
  right: FilterExpression;
}

export type FunctionName =
  | 'startswith'
  | 'endswith'
  | 'substringof'
  | 'tolower'
  | 'toupper'
  | 'trim'
  | 'length'
  | 'indexof'
  | 'concat'
  | 'substring'
  | 'replace'
  | 'year'
  | 'month'
  | 'day'
  | 'hour'
  | 'minute'
  | 'second'
  | 'round'
  | 'floor'
  | 'ceiling';

export interface CallExpression {
  kind: 'call';
  name: FunctionName;
  args: FilterExpression[];
}

export type FilterExpression = LiteralExpression | PropertyExpression | NotExpression | BinaryExpression | CallExpression;

/** Binding strength of a node, for deciding where `formatFilter` needs parentheses. */
export function precedenceOf(expr: FilterExpression): number {
  switch (expr.kind) {
    case 'binary':
      return PRECEDENCE[expr.operator];
    case 'not':
      return PRECEDENCE.not;
    default:
      return PRECEDENCE.primary;
  }
}

/**
 * A binary node's left spine, innermost first: `a or b or c` is `bottom` a with chain [(a or b), (… or c)].
 * Chains of any length come from loops in the parser, so everything that walks a tree goes along the
 * spine iteratively and recurses only into right operands and nested constructs, whose depth the
 * parser limits. A 100k-term `or` chain then cannot overflow the stack, whatever the node limit.
 */
export function leftSpine(expr: BinaryExpression): { bottom: FilterExpression; chain: BinaryExpression[] } {
  const chain: BinaryExpression[] = [];
  let node: FilterExpression = expr;
  while (node.kind === 'binary') {
    chain.push(node);
    node = node.left;
  }
  chain.reverse();
  return { bottom: node, chain };
}
