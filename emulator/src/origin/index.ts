export { originRouter, type OriginOptions } from './origin-route.js';
export { decideRange, contentRange, unsatisfiedRange, type RangeDecision } from './range.js';
export { contentTypeOfFile, contentTypeOfName } from './content-type.js';
