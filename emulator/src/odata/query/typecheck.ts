/**
 * Static types of a filter tree against the entity model. Strict on purpose: a string literal against
 * an Int64 property, or a number against a string, is a 400 that names both sides, not a silent
 * "matches nothing". Numbers of different widths compare with each other, as OData promotes them.
 */
import type { EntityTypeDef } from '../edm.js';
import { propertyOf } from '../edm.js';
import { isComparison, type ComparisonOperator, type FilterExpression, type LiteralType } from './ast.js';
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
      requireBoolean(expr.operand, type, 'not');
      return 'Edm.Boolean';
    case 'binary':
      if (isComparison(expr.operator)) {
        checkComparison(expr.operator, expr.left, expr.right, type);
      } else {
        requireBoolean(expr.left, type, expr.operator);
        requireBoolean(expr.right, type, expr.operator);
      }
      return 'Edm.Boolean';
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

function requireBoolean(operand: FilterExpression, type: EntityTypeDef, operator: string): void {
  const operandType = typeOf(operand, type);
  if (operandType !== 'Edm.Boolean' && operandType !== 'null') {
    throw filterError(`'${operator}' needs Boolean operands, but ${describe(operand)} is ${operandType}`);
  }
}

function checkComparison(operator: ComparisonOperator, left: FilterExpression, right: FilterExpression, type: EntityTypeDef): void {
  const leftType = typeOf(left, type);
  const rightType = typeOf(right, type);
  const leftFamily = FAMILY[leftType];
  const rightFamily = FAMILY[rightType];
  if (leftFamily !== 'null' && rightFamily !== 'null' && leftFamily !== rightFamily) {
    throw filterError(`cannot compare ${describe(left)} (${leftType}) with ${describe(right)} (${rightType})`);
  }
  const family = leftFamily === 'null' ? rightFamily : leftFamily;
  if ((family === 'boolean' || family === 'guid') && operator !== 'eq' && operator !== 'ne') {
    const shown = leftFamily === 'null' ? rightType : leftType;
    throw filterError(`${shown} values can only be compared with eq and ne, not '${operator}' (in ${describe(left)} ${operator} ${describe(right)})`);
  }
}

function describe(expr: FilterExpression): string {
  const text = formatFilter(expr);
  return text.length > 60 ? `${text.slice(0, 60)}…` : text;
}

function article(kind: ParameterKind): string {
  return { string: 'an Edm.String', integer: 'an integer', number: 'a number', datetime: 'an Edm.DateTime' }[kind];
}
