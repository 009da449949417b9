import { propertyOf, type EntityTypeDef } from '../odata/edm.js';
import { isStructured } from '../odata/property-types.js';
import type { FilterExpression } from '../odata/query/ast.js';
import { propertyIndex } from '../store/indexes.js';
import type { JsonRecord, StoreReader } from '../store/types.js';

/**
 * The records a `$filter` can match, so that `Assets?$filter=Name eq 'x'` or
 * `Files?$filter=ParentAssetId eq '..'` does not evaluate the filter on every record of a large
 * state. When the filter requires `<string property> eq '<text>'` (alone or as one term of an
 * `and` chain), the candidates come from an index of that property, in collection order; otherwise
 * every record. The caller still evaluates the whole filter on each candidate, so the result is the
 * same either way: string `eq` is exact, so every match is among the candidates.
 */
export function filterCandidates(store: StoreReader, type: EntityTypeDef, collection: string, filter: FilterExpression | undefined): Iterable<JsonRecord> {
  const required = filter === undefined ? undefined : requiredStringEquality(filter, type);
  return required === undefined ? store.values(collection) : store.lookup(propertyIndex(collection, required.property), required.value);
}

/** A `<string property> eq '<text>'` that every match must satisfy, if the filter has one. */
export function requiredStringEquality(filter: FilterExpression, type: EntityTypeDef): { property: string; value: string } | undefined {
  // The terms of a top-level `and` chain; the chain nests to the left, so walk it without recursion.
  let node = filter;
  const terms: FilterExpression[] = [];
  while (node.kind === 'binary' && node.operator === 'and') {
    terms.push(node.right);
    node = node.left;
  }
  terms.push(node);
  for (const term of terms) {
    if (term.kind !== 'binary' || term.operator !== 'eq') continue;
    const [property, literal] = term.left.kind === 'property' ? [term.left, term.right] : [term.right, term.left];
    if (property.kind !== 'property' || literal.kind !== 'literal' || literal.type !== 'Edm.String') continue;
    const def = propertyOf(type, property.name);
    if (def === undefined || def.type !== 'Edm.String' || isStructured(def)) continue;
    return { property: def.name, value: literal.value };
  }
  return undefined;
}
