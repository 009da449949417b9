/**
 * The canonical text of a filter tree: single spaces, parentheses only where precedence needs them,
 * canonical literals. `parseFilter(formatFilter(e))` gives back `e`.
 */
import { leftSpine, precedenceOf, PRECEDENCE, type FilterExpression } from './ast.js';
import { formatLiteral } from './literals.js';

export function formatFilter(expr: FilterExpression): string {
  switch (expr.kind) {
    case 'literal':
      return formatLiteral(expr);
    case 'property':
      return expr.name;
    case 'not':
      return `not ${wrap(expr.operand, precedenceOf(expr.operand) < PRECEDENCE.not)}`;
    case 'binary': {
      const { bottom, chain } = leftSpine(expr);
      let text = formatFilter(bottom);
      let leftPrecedence = precedenceOf(bottom);
      for (const node of chain) {
        const own = PRECEDENCE[node.operator];
        // Left-associative: a right operand of the same level needs parentheses, a left one does not.
        const left = leftPrecedence < own ? `(${text})` : text;
        text = `${left} ${node.operator} ${wrap(node.right, precedenceOf(node.right) <= own)}`;
        leftPrecedence = own;
      }
      return text;
    }
    case 'call':
      return `${expr.name}(${expr.args.map(formatFilter).join(', ')})`;
  }
}

function wrap(expr: FilterExpression, parenthesize: boolean): string {
  const text = formatFilter(expr);
  return parenthesize ? `(${text})` : text;
}
