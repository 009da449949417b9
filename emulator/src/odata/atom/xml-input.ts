import { isUtf8 } from 'node:buffer';
import { badRequest, unsupportedMediaType } from '../errors.js';

/**
 * Request bodies arrive as bytes. The service and every SDK used UTF-8; anything else is refused
 * with a message that says so, before a parser could misread it.
 */

/** The body as a string, without a byte order mark; 415 for UTF-16/32, 400 for bytes that are not UTF-8. */
export function decodeXmlBody(body: Buffer | string): string {
  if (typeof body === 'string') {
    const unpaired = firstUnpairedSurrogate(body);
    // Only a string decoded wrongly upstream can hold one; it is no character XML can carry.
    if (unpaired >= 0) throw badRequest(`The request body is not valid Unicode: unpaired surrogate U+${hex4(body.charCodeAt(unpaired))} at index ${unpaired}`);
    return body.charCodeAt(0) === 0xfeff ? body.slice(1) : body;
  }
  const foreign = foreignEncoding(body);
  if (foreign) throw unsupportedMediaType(`The request body is ${foreign}; only UTF-8 XML is supported`);
  const start = body[0] === 0xef && body[1] === 0xbb && body[2] === 0xbf ? 3 : 0;
  if (!isUtf8(body)) {
    const offset = firstInvalidUtf8Offset(body);
    const where = offset >= body.length ? 'it ends inside a multi-byte sequence' : `byte 0x${hex(body[offset]!)} at offset ${offset} is not allowed there`;
    throw badRequest(`The request body is not valid UTF-8: ${where}`);
  }
  return body.toString('utf8', start);
}

/** Signatures of the encodings XML 1.0 Appendix F autodetects, other than UTF-8. */
function foreignEncoding(b: Buffer): string | undefined {
  if (b.length >= 4 && b[0] === 0xff && b[1] === 0xfe && b[2] === 0 && b[3] === 0) return 'UTF-32 (little-endian byte order mark)';
  if (b.length >= 4 && b[0] === 0 && b[1] === 0 && b[2] === 0xfe && b[3] === 0xff) return 'UTF-32 (big-endian byte order mark)';
  if (b.length >= 2 && b[0] === 0xfe && b[1] === 0xff) return 'UTF-16 (big-endian byte order mark)';
  if (b.length >= 2 && b[0] === 0xff && b[1] === 0xfe) return 'UTF-16 (little-endian byte order mark)';
  if (b.length >= 4 && b[0] === 0x3c && b[1] === 0 && b[2] === 0x3f && b[3] === 0) return 'UTF-16 (little-endian, no byte order mark)';
  if (b.length >= 4 && b[0] === 0 && b[1] === 0x3c && b[2] === 0 && b[3] === 0x3f) return 'UTF-16 (big-endian, no byte order mark)';
  return undefined;
}

/**
 * Offset of the first byte that breaks UTF-8 well-formedness (Unicode 15, table 3-7: no overlong
 * forms, no surrogates, nothing above U+10FFFF), or -1. Only used to say where a bad body goes wrong.
 */
export function firstInvalidUtf8Offset(b: Uint8Array): number {
  let i = 0;
  while (i < b.length) {
    const lead = b[i]!;
    if (lead < 0x80) {
      i += 1;
      continue;
    }
    let length: number;
    let min = 0x80;
    let max = 0xbf;
    if (lead >= 0xc2 && lead <= 0xdf) length = 2;
    else if (lead >= 0xe0 && lead <= 0xef) {
      length = 3;
      if (lead === 0xe0) min = 0xa0;
      if (lead === 0xed) max = 0x9f;
    } else if (lead >= 0xf0 && lead <= 0xf4) {
      length = 4;
      if (lead === 0xf0) min = 0x90;
      if (lead === 0xf4) max = 0x8f;
    } else return i;
    for (let k = 1; k < length; k++) {
      const c = b[i + k];
      if (c === undefined) return i + k;
      if (k === 1 ? c < min || c > max : c < 0x80 || c > 0xbf) return i + k;
    }
    i += length;
  }
  return -1;
}

function firstUnpairedSurrogate(text: string): number {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0xd800 || c > 0xdfff) continue;
    if (c <= 0xdbff) {
      const next = text.charCodeAt(i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) {
        i += 1;
        continue;
      }
    }
    return i;
  }
  return -1;
}

function hex4(code: number): string {
  return code.toString(16).toUpperCase().padStart(4, '0');
}

function hex(byte: number): string {
  return byte.toString(16).toUpperCase().padStart(2, '0');
}
