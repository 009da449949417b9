import type { EntityTypeDef, PropertyDef } from './edm.js';
import { badRequest } from './errors.js';
import type { CanonicalValue } from './values.js';
import { isStructured } from './property-types.js';

/**
 * How long a stored string property may be. Where the service documented a MaxLength (published
 * in `$metadata`: Asset.Name 512, AssetFile.Name 260, the ContentKey strings 4000) that is the
 * bound; every other string gets the emulator's own: 4000 characters, the size the service used
 * for its other free-text columns, or more for the few that carry documents. Without a bound, a
 * handful of 4 MiB bodies would grow the state past what can be saved and read back (issue 13).
 */
export const DEFAULT_MAX_STRING_LENGTH = 4000;

/** Properties holding a document rather than a label: a task's body and its preset. */
const DOCUMENT_MAX_LENGTH = 256 * 1024;
const DOCUMENT_PROPERTIES: ReadonlySet<string> = new Set(['Task.TaskBody', 'Task.Configuration']);

/** A complex value or a collection (JobNotificationSubscriptions, AccessControl) is bounded by its JSON text. */
export const MAX_COMPLEX_COLLECTION_LENGTH = 64 * 1024;

export function maxLengthOf(type: EntityTypeDef, property: PropertyDef): number {
  if (property.maxLength !== undefined) return property.maxLength;
  if (isStructured(property)) return MAX_COMPLEX_COLLECTION_LENGTH;
  return DOCUMENT_PROPERTIES.has(`${type.name}.${property.name}`) ? DOCUMENT_MAX_LENGTH : DEFAULT_MAX_STRING_LENGTH;
}

/** 400 for a value longer than its property's bound (strings in UTF-16 code units, as `length()` counts). */
export function checkPropertyLength(type: EntityTypeDef, property: PropertyDef, value: CanonicalValue): void {
  const length = typeof value === 'string' ? value.length : typeof value === 'object' && value !== null ? JSON.stringify(value).length : 0;
  const limit = maxLengthOf(type, property);
  if (length > limit) {
    throw badRequest(`The property '${property.name}' of ${type.name} is ${length} characters long; the limit is ${limit}`);
  }
}
