/**
 * Evaluating a checked filter tree against one stored record. Null follows OData (and .NET lifted
 * operators): `eq`/`ne` treat null as a value (null eq null is true), the ordering comparisons are false
 * when either side is null, a function of null is null, and `and`/`or`/`not` use three-valued logic.
 * A record matches only when the whole condition is true.
 */
import { propertyOf, type EntityTypeDef } from '../edm.js';
import { leftSpine, type BinaryExpression, type ComparisonOperator, type FilterExpression, type LiteralExpression } from './ast.js';
import { FUNCTIONS } from './functions.js';
import { scannedBy, TextBudget } from './text-budget.js';
import { compareValues, literalValue, propertyValue, type PresentValue, type RuntimeValue } from './values.js';

/** `budget`: what the text the functions build may add up to; share one across the records of a query. */
export function evaluateFilter(expr: FilterExpression, record: Readonly<Record<string, unknown>>, type: EntityTypeDef, budget: TextBudget = new TextBudget()): boolean {
  return evaluate(expr, record, type, budget) === true;
}

// Literal nodes are immutable once parsed; converting a datetime literal once per filter, not per record.
const literalCache = new WeakMap<LiteralExpression, RuntimeValue>();

function literal(expr: LiteralExpression): RuntimeValue {
  let value = literalCache.get(expr);
  if (value === undefined) {
    value = literalValue(expr);
    literalCache.set(expr, value);
  }
  return value;
}

function evaluate(expr: FilterExpression, record: Readonly<Record<string, unknown>>, type: EntityTypeDef, budget: TextBudget): RuntimeValue {
  switch (expr.kind) {
    case 'literal':
      return literal(expr);
    case 'property': {
      const property = propertyOf(type, expr.name);
      if (property === undefined) throw new Error(`filter names ${expr.name}, which ${type.name} does not have; was it checked?`);
      return propertyValue(record, property);
    }
    case 'not': {
      const value = asBoolean(evaluate(expr.operand, record, type, budget));
      return value === null ? null : !value;
    }
    case 'binary': {
      const { bottom, chain } = leftSpine(expr);
      let value = evaluate(bottom, record, type, budget);
      for (const node of chain) value = combine(node, value, record, type, budget);
      return value;
    }
    case 'call': {
      const args: PresentValue[] = [];
      for (const arg of expr.args) {
        const value = evaluate(arg, record, type, budget);
        if (value === null) return null;
        args.push(value);
      }
      budget.spend(scannedBy(expr.name, args));
      const result = FUNCTIONS[expr.name].apply(args);
      if (typeof result === 'string') budget.spend(result.length);
      return result;
    }
  }
}

/** One step along a left spine: `left` is the value of `node.left`, already computed. */
function combine(node: BinaryExpression, left: RuntimeValue, record: Readonly<Record<string, unknown>>, type: EntityTypeDef, budget: TextBudget): RuntimeValue {
  switch (node.operator) {
    case 'and': {
      const l = asBoolean(left);
      if (l === false) return false;
      const r = asBoolean(evaluate(node.right, record, type, budget));
      return r === false ? false : l === null || r === null ? null : true;
    }
    case 'or': {
      const l = asBoolean(left);
      if (l === true) return true;
      const r = asBoolean(evaluate(node.right, record, type, budget));
      return r === true ? true : l === null || r === null ? null : false;
    }
    default:
      return compare(node.operator, left, evaluate(node.right, record, type, budget));
  }
}

function compare(operator: ComparisonOperator, left: RuntimeValue, right: RuntimeValue): boolean {
  if (left === null || right === null) {
    if (operator === 'eq') return left === right;
    if (operator === 'ne') return left !== right;
    return false;
  }
  const order = compareValues(left, right);
  switch (operator) {
    case 'eq':
      return order === 0;
    case 'ne':
      return order !== 0;
    case 'gt':
      return order > 0;
    case 'ge':
      return order >= 0;
    case 'lt':
      return order < 0;
    case 'le':
      return order <= 0;
  }
}

function asBoolean(value: RuntimeValue): boolean | null {
  if (value === null || typeof value === 'boolean') return value;
  throw new Error(`expected a Boolean in the filter, got ${typeof value}; was it checked?`);
}
