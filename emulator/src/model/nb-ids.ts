import { CryptoInputError, parseNbId } from '../../../client/src/crypto/index.js';
import { invalid } from './refusal.js';

/**
 * The lookup form of an `nb:<tag>:UUID:<guid>` id (tag and GUID lower-cased), for the model's own
 * entities; a malformed id is refused (400) before anything is looked up, as the service did.
 * `what` names the entity in the message.
 */
export function canonicalNbId(tag: string, text: string, what: string): string {
  try {
    const { guid } = parseNbId(text, tag);
    return `nb:${tag}:UUID:${guid.toLowerCase()}`;
  } catch (err) {
    if (err instanceof CryptoInputError) throw invalid(`Invalid ${what} id ${JSON.stringify(text.slice(0, 120))}: expected nb:${tag}:UUID:<guid>`);
    throw err;
  }
}

/** The bare GUID of an id (lower case), for URLs that carry it without the prefix (`?KID=`). */
export function guidOfNbId(tag: string, text: string): string {
  return parseNbId(text, tag).guid.toLowerCase();
}
