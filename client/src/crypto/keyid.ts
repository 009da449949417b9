import { randomUUID } from 'node:crypto';
import { CryptoInputError } from './errors.js';

const GUID = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;

/** The AMS id tags: `nb:<tag>:UUID:<guid>` (cid asset/file, kid content key, lid locator, ...). */
export type NbIdTag = 'cid' | 'kid' | 'pid' | 'lid' | 'jid' | 'tid' | 'mpid' | string;

export interface NbId {
  tag: string;
  /** The GUID as written in the id (case kept). */
  guid: string;
}

/**
 * Parse `nb:<tag>:UUID:<guid>`. The prefix is compared case-insensitively, as the .NET SDK's
 * `GetKeyIdAsGuid` does (`OrdinalIgnoreCase`); the GUID must be the hyphenated 36-character form.
 */
export function parseNbId(text: string, tag?: NbIdTag): NbId {
  if (typeof text !== 'string') throw new CryptoInputError('id-not-string', 'an id must be a string');
  const m = /^nb:([a-z]+):uuid:(.*)$/i.exec(text);
  if (!m) {
    throw new CryptoInputError('id-format', `${JSON.stringify(text)} is not an id of the form nb:${tag ?? '<tag>'}:UUID:<guid>`);
  }
  const foundTag = m[1]!.toLowerCase();
  if (tag !== undefined && foundTag !== tag) {
    throw new CryptoInputError('id-tag', `${JSON.stringify(text)} is an nb:${foundTag} id, expected nb:${tag}:UUID:<guid>`);
  }
  const guid = m[2]!;
  if (!GUID.test(guid)) {
    throw new CryptoInputError('id-guid', `${JSON.stringify(text)} does not end in a GUID (xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx)`);
  }
  return { tag: foundTag, guid };
}

export function formatNbId(tag: NbIdTag, guid: string): string {
  if (!GUID.test(guid)) throw new CryptoInputError('id-guid', `${JSON.stringify(guid)} is not a GUID`);
  return `nb:${tag}:UUID:${guid.toLowerCase()}`;
}

/** The GUID of a content key id `nb:kid:UUID:<guid>`. */
export function parseKeyId(text: string): string {
  return parseNbId(text, 'kid').guid;
}

/** `"nb:kid:UUID:" + guid.ToString()`: the .NET SDK's form (lower-case "D" format). */
export function formatKeyId(guid: string): string {
  return formatNbId('kid', guid);
}

export function newGuid(): string {
  return randomUUID();
}

/** RFC 4122 byte order: the hex digits as written. */
export function guidToRfc4122Bytes(guid: string): Buffer {
  if (!GUID.test(guid)) throw new CryptoInputError('id-guid', `${JSON.stringify(guid)} is not a GUID`);
  return Buffer.from(guid.replace(/-/g, ''), 'hex');
}

/** .NET `Guid.ToByteArray()`: Data1 (4), Data2 (2), Data3 (2) little-endian, Data4 as written. */
export function guidToDotNetBytes(guid: string): Buffer {
  const b = guidToRfc4122Bytes(guid);
  return Buffer.concat([
    Buffer.from(b.subarray(0, 4)).reverse(),
    Buffer.from(b.subarray(4, 6)).reverse(),
    Buffer.from(b.subarray(6, 8)).reverse(),
    b.subarray(8),
  ]);
}

/** The inverse of `guidToDotNetBytes` (`new Guid(byte[])`), lower-case. */
export function guidFromDotNetBytes(bytes: Uint8Array): string {
  if (bytes.length !== 16) throw new CryptoInputError('guid-length', `a GUID is 16 bytes, got ${bytes.length}`);
  const b = Buffer.from(bytes);
  const rfc = Buffer.concat([
    Buffer.from(b.subarray(0, 4)).reverse(),
    Buffer.from(b.subarray(4, 6)).reverse(),
    Buffer.from(b.subarray(6, 8)).reverse(),
    b.subarray(8),
  ]).toString('hex');
  return `${rfc.slice(0, 8)}-${rfc.slice(8, 12)}-${rfc.slice(12, 16)}-${rfc.slice(16, 20)}-${rfc.slice(20)}`;
}
