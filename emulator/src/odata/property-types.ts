import { qualifiedName, type PropertyDef } from './edm.js';

/** A property holding structure (a complex value or a collection) rather than one primitive. */
export function isStructured(property: PropertyDef): boolean {
  return property.complex !== undefined || property.complexCollection !== undefined || property.primitiveCollection === true;
}

/** The EDM type of a property as `$metadata`, Atom `m:type` and `odata.metadata` spell it. */
export function edmTypeName(property: PropertyDef): string {
  if (property.complexCollection) return `Collection(${qualifiedName(property.complexCollection)})`;
  if (property.complex) return qualifiedName(property.complex);
  if (property.primitiveCollection) return `Collection(${property.type})`;
  return property.type;
}

/** A short description for messages: "a collection of ErrorDetail", "a CacheControl". */
export function structureName(property: PropertyDef): string {
  if (property.complexCollection) return `a collection of ${property.complexCollection.name}`;
  if (property.complex) return `a ${property.complex.name}`;
  return `a collection of ${property.type}`;
}
