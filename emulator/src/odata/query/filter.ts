import type { EntityTypeDef } from '../edm.js';
import type { FilterExpression } from './ast.js';
import { tokenize } from './lexer.js';
import { filterError, resolveLimits, type QueryLimits } from './limits.js';
import { parseTokens } from './parser.js';
import { checkFilter } from './typecheck.js';

/**
 * Parse and type-check decoded `$filter` text (spaces already spaces) against an entity type.
 * Throws ODataError(400) with a message that starts "Invalid $filter:".
 */
export function parseFilter(text: string, type: EntityTypeDef, limits?: QueryLimits): FilterExpression {
  const { maxFilterLength, maxFilterDepth, maxFilterNodes } = resolveLimits(limits);
  if (text.length > maxFilterLength) {
    throw filterError(`the expression is ${text.length} characters long; the limit is ${maxFilterLength}`);
  }
  const expr = parseTokens(tokenize(text), type, { maxDepth: maxFilterDepth, maxNodes: maxFilterNodes });
  checkFilter(expr, type);
  return expr;
}
