/** Resolving a property name a client wrote in `$filter`, `$orderby` or `$select`, with refusals that help. */
import { navigationOf, propertyOf, type EntityTypeDef, type PropertyDef } from '../edm.js';
import { badRequest, type ODataError } from '../errors.js';
import { isStructured, structureName } from '../property-types.js';
import { quote, suggest } from './text.js';

export type PropertyOption = '$filter' | '$orderby' | '$select';

/** Above this many properties the list is left out of the message (no entity type here has that many). */
const LISTED_PROPERTIES = 25;

export function resolveProperty(name: string, type: EntityTypeDef, option: PropertyOption): PropertyDef {
  const property = propertyOf(type, name);
  if (property === undefined) throw unknownProperty(name, type, option);
  if (isStructured(property) && option !== '$select') {
    throw badRequest(`Invalid ${option}: ${quote(name)} is ${structureName(property)} and cannot be used in ${option}`);
  }
  return property;
}

/** `Asset/Name`: paths lead through navigation properties, which this service does not follow in queries. */
export function pathNotSupported(path: string, option: PropertyOption): ODataError {
  return badRequest(
    `Invalid ${option}: property paths such as ${quote(path)} are not supported; navigation properties cannot be used in queries ($expand is not supported by Media Services)`,
  );
}

function unknownProperty(name: string, type: EntityTypeDef, option: PropertyOption): ODataError {
  if (navigationOf(type, name) !== undefined) {
    const why =
      option === '$select'
        ? 'selecting it would need $expand, which is not supported by Media Services'
        : `navigation properties cannot be used in ${option}`;
    return badRequest(`Invalid ${option}: ${quote(name)} is a navigation property of ${type.name}; ${why}`);
  }
  const names = type.properties.map((p) => p.name);
  const guess = suggest(name, names);
  const hint = guess !== undefined ? ` (did you mean '${guess}'? names are case-sensitive)` : '';
  const list = names.length <= LISTED_PROPERTIES ? `; ${type.name} has ${names.join(', ')}` : '';
  return badRequest(`Invalid ${option}: ${quote(name)} is not a property of ${type.name}${hint}${list}`);
}
