/** OData v3 system query options: `$filter`, `$orderby`, `$top`, `$skip`, `$select`, `$inlinecount`. */
export type {
  BinaryExpression,
  BinaryOperator,
  CallExpression,
  ComparisonOperator,
  FilterExpression,
  FunctionName,
  Literal,
  LiteralExpression,
  LiteralType,
  NotExpression,
  PropertyExpression,
} from './ast.js';
export { applyQuery, selectedProperties } from './apply.js';
export { evaluateFilter } from './evaluate.js';
export { parseFilter } from './filter.js';
export { formatFilter } from './format.js';
export { DEFAULT_LIMITS, MAX_PAGE, type QueryLimits } from './limits.js';
export { parseQueryOptions, type OrderByItem, type QueryOptions } from './options.js';
