import { CryptoInputError, formatNbId, parseNbId, type NbIdTag } from '../../../client/src/crypto/index.js';
import { GUID, propertyOf, type EntityTypeDef } from '../odata/edm.js';
import { invalid } from './refusal.js';

/**
 * The id formats of the stored entities, in one place: `nb:<tag>:UUID:<guid>` ids the emulator
 * mints, the canonical form records are stored under, the container of an asset and the key of an
 * Asset <-> ContentKey link.
 */

/** A new id of an entity type with an nb-id scheme (`nb:cid:UUID:<guid>` for an Asset). */
export function newId(type: EntityTypeDef, guid: string): string {
  if (!type.idTag) throw new TypeError(`${type.name} ids are not nb:<tag>:UUID:<guid>`);
  return formatNbId(type.idTag as NbIdTag, guid);
}

/**
 * Check an entity key's form: ids of sets with an `nb:<tag>:UUID:` scheme must have it, an Edm.Guid
 * key must be a GUID (invalid, 400, for a malformed id, as the service did; an unknown well-formed
 * id is the caller's 404).
 */
export function checkKey(type: EntityTypeDef, key: string): void {
  if (propertyOf(type, type.key)?.type === 'Edm.Guid') {
    if (!GUID.test(key)) throw invalid(`Invalid ${type.name} key ${JSON.stringify(truncated(key))}: expected guid'<guid>'`);
    return;
  }
  if (!type.idTag) return;
  try {
    parseNbId(key, type.idTag);
  } catch (err) {
    if (err instanceof CryptoInputError) throw invalid(`Invalid ${type.name} id ${JSON.stringify(truncated(key))}: expected nb:${type.idTag}:UUID:<guid>`);
    throw err;
  }
}

/**
 * The canonical lookup form of an id: `nb:<tag>:UUID:<lower-case guid>`. Clients may change the
 * case of the prefix or the GUID (the SDKs compare case-insensitively); records are stored under
 * this form and keep the spelling the client created them with.
 */
export function canonicalId(type: EntityTypeDef, key: string): string {
  if (!type.idTag) return key;
  const { tag, guid } = parseNbId(key, type.idTag);
  return `nb:${tag}:UUID:${guid.toLowerCase()}`;
}

/** The blob container of the asset minted with `guid`. */
export function containerName(guid: string): string {
  return `asset-${guid}`;
}

/** The GUID of an nb-id, lower case, for URLs that carry it without the prefix (a key's `?KID=`). */
export function guidOf(type: EntityTypeDef, id: string): string {
  if (!type.idTag) throw new TypeError(`${type.name} ids are not nb:<tag>:UUID:<guid>`);
  return parseNbId(id, type.idTag).guid.toLowerCase();
}

/** The GUID of a locator id, lower case: a SAS locator's stored access policy and an origin locator's path use it. */
export function locatorGuid(locatorId: string): string {
  return parseNbId(locatorId, 'lid').guid.toLowerCase();
}

/** The key of an Asset <-> ContentKey link: both canonical ids, in that order. */
export function linkId(assetId: string, keyId: string): string {
  return `${assetId}|${keyId}`;
}

function truncated(text: string, max = 120): string {
  return text.length > max ? `${text.slice(0, max)}...` : text;
}
