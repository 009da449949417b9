/**
 * Static types of a filter tree against the entity model. Strict on purpose: a string literal against
 * an Int64 property, or a number against a string, is a 400 that names both sides, not a silent
 * "matches nothing". Numbers of different widths compare with each other, as OData promotes them.
 */
import type { EntityTypeDef } from '../edm.js';
import { propertyOf } from '../edm.js';
import { isComparison, leftSpine, type ComparisonOperator, type FilterExpression, type LiteralType } from './ast.js';
import { formatFilter } from './format.js';
import { describeSignature, FUNCTIONS, type ParameterKind } from './functions.js';
import { filterError } from './limits.js';
import { quote } from './text.js';

type Family = 'string' | 'number' | 'boolean' | 'datetime' | 'guid' | 'null';

const FAMILY: Readonly<Record<LiteralType, Family>> = {
  'Edm.String': 'string',
  'Edm.Int32': 'number',
  'Edm.Int64': 'number',
  'Edm.Double': 'number',
  'Edm.Single': 'number',
  'Edm.Decimal': 'number',
  'Edm.Boolean': 'boolean',
  'Edm.DateTime': 'datetime',
  'Edm.DateTimeOffset': 'datetime',
  'Edm.Guid': 'guid',
  null: 'null',
};

const ACCEPTS: Readonly<Record<ParameterKind, (type: LiteralType) => boolean>> = {
  string: (t) => t === 'Edm.String',
  integer: (t) => t === 'Edm.Int32' || t === 'Edm.Int64',
  number: (t) => FAMILY[t] === 'number',
  datetime: (t) => FAMILY[t] === 'datetime',
};

/** Throws a 400 unless the filter is a well-typed Boolean expression over `type`. */
export function checkFilter(expr: FilterExpression, type: EntityTypeDef): void {
  const result = typeOf(expr, type);
  if (result !== 'Edm.Boolean') {
    throw filterError(`the expression must be a Boolean condition, but ${describe(expr)} is ${result === 'null' ? 'null' : result}`);
  }
}

export function typeOf(expr: FilterExpression, type: EntityTypeDef): LiteralType {
  switch (expr.kind) {
    case 'literal':
      return expr.type;
    case 'property': {
      const property = propertyOf(type, expr.name);
      if (property === undefined) throw filterError(`${quote(expr.name)} is not a property of ${type.name}`);
      return property.type;
    }
    case 'not':
      requireBoolean({ expr: expr.operand, type: typeOf(expr.operand, type) }, 'not');
      return 'Edm.Boolean';
    case 'binary': {
      const { bottom, chain } = leftSpine(expr);
      let leftType = typeOf(bottom, type);
      for (const node of chain) {
        const rightType = typeOf(node.right, type);
        if (isComparison(node.operator)) {
          checkComparison(node.operator, { expr: node.left, type: leftType }, { expr: node.right, type: rightType });
        } else {
          requireBoolean({ expr: node.left, type: leftType }, node.operator);
          requireBoolean({ expr: node.right, type: rightType }, node.operator);
        }
        leftType = 'Edm.Boolean';
      }
      return leftType;
    }
    case 'call': {
      const def = FUNCTIONS[expr.name];
      const argTypes = expr.args.map((arg, i) => {
        const argType = typeOf(arg, type);
        const kind = def.params[i];
        if (argType !== 'null' && !ACCEPTS[kind](argType)) {
          throw filterError(
            `argument ${i + 1} of ${expr.name} must be ${article(kind)}, but ${describe(arg)} is ${argType} (${describeSignature(expr.name)})`,
          );
        }
        return argType;
      });
      return def.returns(argTypes);
    }
  }
}

/** An operand with its already computed type, so that long chains are typed once, along the spine. */
interface Typed {
  expr: FilterExpression;
  type: LiteralType;
}

function requireBoolean(operand: Typed, operator: string): void {
  if (operand.type !== 'Edm.Boolean' && operand.type !== 'null') {
    throw filterError(`'${operator}' needs Boolean operands, but ${describe(operand.expr)} is ${operand.type}`);
  }
}

function checkComparison(operator: ComparisonOperator, left: Typed, right: Typed): void {
  const leftFamily = FAMILY[left.type];
  const rightFamily = FAMILY[right.type];
  if (leftFamily !== 'null' && rightFamily !== 'null' && leftFamily !== rightFamily) {
    throw filterError(`cannot compare ${describe(left.expr)} (${left.type}) with ${describe(right.expr)} (${right.type})`);
  }
  const family = leftFamily === 'null' ? rightFamily : leftFamily;
  if ((family === 'boolean' || family === 'guid') && operator !== 'eq' && operator !== 'ne') {
    const shown = leftFamily === 'null' ? right.type : left.type;
    throw filterError(
      `${shown} values can only be compared with eq and ne, not '${operator}' (in ${describe(left.expr)} ${operator} ${describe(right.expr)})`,
    );
  }
}

function describe(expr: FilterExpression): string {
  const text = formatFilter(expr);
  return text.length > 60 ? `${text.slice(0, 60)}…` : text;
}

function article(kind: ParameterKind): string {
  return { string: 'an Edm.String', integer: 'an integer', number: 'a number', datetime: 'an Edm.DateTime' }[kind];
}
