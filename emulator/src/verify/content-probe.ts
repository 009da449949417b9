import { isUtf8 } from 'node:buffer';
import { FAMILY_NAMES, type ContentFamily, type DeclaredType } from './content-types.js';

/** The first bytes kept for signatures: enough for any header here, small enough to copy per lane. */
export const HEAD_BYTES = 64 * 1024;

export type ProbeStatus = 'passed' | 'failed' | 'inconclusive';

export interface ProbeResult {
  status: ProbeStatus;
  detail: string;
  /** Where the bytes first stop looking like the declared type (whole-stream structure checks). */
  firstBadOffset?: number;
  /** The family whose signature the first bytes carry, if any. */
  detected?: ContentFamily;
}

/**
 * Does a stream of clear bytes look like what the file declares? Fed sequentially, in any
 * chunking; keeps the first HEAD_BYTES and a few bytes of state, so it runs over a 1 GiB file in
 * flat memory. Where the format allows it the whole stream is checked, not just its start: MPEG-TS
 * sync bytes at every packet, MP4 top-level boxes tiling the file, UTF-8 throughout, the RIFF
 * size; so a blob whose later blocks were encrypted at the wrong offset is caught too.
 */
export class ContentProbe {
  private readonly head: Buffer;
  private headLength = 0;
  private position = 0;
  private readonly structure: StructureCheck | undefined;

  constructor(
    private readonly declared: DeclaredType,
    private readonly totalSize: number,
  ) {
    this.head = Buffer.alloc(Math.min(HEAD_BYTES, totalSize));
    this.structure = structureCheck(declared, totalSize);
  }

  update(chunk: Buffer): void {
    if (this.headLength < this.head.length) this.headLength += chunk.copy(this.head, this.headLength, 0, this.head.length - this.headLength);
    this.structure?.update(chunk, this.position);
    this.position += chunk.length;
  }

  /** The first bytes seen (up to HEAD_BYTES). */
  headBytes(): Buffer {
    return this.head.subarray(0, this.headLength);
  }

  result(): ProbeResult {
    const head = this.headBytes();
    const detected = detectFamily(head, this.totalSize);
    const family = this.declared.family;
    if (family === undefined) {
      const seen = detected ? `; the bytes look like ${FAMILY_NAMES[detected]}` : '';
      return { status: 'inconclusive', detail: `${this.declared.label}: no signature to check the bytes against${seen}`, detected };
    }
    if (this.totalSize === 0) return { status: 'inconclusive', detail: 'the file is empty: no signature to check', detected };
    if (this.position < this.totalSize) return { status: 'inconclusive', detail: `only ${this.position} of ${this.totalSize} bytes were read`, detected };
    const expected = `${this.declared.label} declares ${FAMILY_NAMES[family]}`;
    const headFailure = checkHead(family, head, this.totalSize, this.declared.packetSize ?? 188);
    if (headFailure !== undefined) {
      const instead = detected && detected !== family ? `; they look like ${FAMILY_NAMES[detected]}` : '';
      return { status: 'failed', detail: `${expected}, but the first bytes (${hexPreview(head)}) ${headFailure}${instead}`, firstBadOffset: 0, detected };
    }
    const bad = this.structure?.finish(head);
    if (bad) return { status: 'failed', detail: `${expected}; the start matches, but ${bad.what} at offset ${bad.offset}`, firstBadOffset: bad.offset, detected };
    return { status: 'passed', detail: `${expected} and the bytes match${this.structure ? ' (checked through the whole file)' : ''}`, detected };
  }

  /**
   * After part of the stream (a hypothesis tried on the first bytes): failed when what was seen
   * already contradicts the declared type, passed when it does not.
   */
  partialResult(): ProbeResult {
    const head = this.headBytes();
    const family = this.declared.family;
    const detected = detectFamily(head, this.totalSize);
    if (family === undefined || this.totalSize === 0) return { status: 'inconclusive', detail: 'no signature to check', detected };
    const headFailure = checkHead(family, head, this.totalSize, this.declared.packetSize ?? 188);
    if (headFailure !== undefined) return { status: 'failed', detail: `the first bytes ${headFailure}`, firstBadOffset: 0, detected };
    const bad = this.structure?.failure();
    if (bad) return { status: 'failed', detail: `${bad.what} at offset ${bad.offset}`, firstBadOffset: bad.offset, detected };
    return { status: 'passed', detail: `the first ${this.position} bytes look like ${FAMILY_NAMES[family]}`, detected };
  }
}

/** The family whose signature `head` carries, strongest signatures first. */
export function detectFamily(head: Buffer, totalSize: number): ContentFamily | undefined {
  if (head.length === 0) return undefined;
  for (const family of ['png', 'matroska', 'wav', 'mp4', 'jpeg', 'mpeg-ts', 'mp3', 'text'] as const) {
    if (checkHead(family, head, totalSize, 188) === undefined) return family;
  }
  return undefined;
}

/** undefined when `head` starts like `family`; else what is wrong, phrased after "the first bytes". */
function checkHead(family: ContentFamily, head: Buffer, totalSize: number, packetSize: 188 | 192): string | undefined {
  switch (family) {
    case 'mp4':
      return checkMp4Head(head);
    case 'mpeg-ts':
      return checkTsHead(head, packetSize);
    case 'matroska':
      return startsWith(head, [0x1a, 0x45, 0xdf, 0xa3]) ? undefined : 'lack the EBML header 1A45DFA3';
    case 'mp3':
      return checkMp3Head(head, totalSize);
    case 'wav':
      return head.length >= 12 && head.toString('latin1', 0, 4) === 'RIFF' && head.toString('latin1', 8, 12) === 'WAVE' ? undefined : 'are not RIFF....WAVE';
    case 'png':
      return startsWith(head, [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]) && (head.length < 16 || head.toString('latin1', 12, 16) === 'IHDR')
        ? undefined
        : 'lack the PNG signature and IHDR chunk';
    case 'jpeg':
      return startsWith(head, [0xff, 0xd8, 0xff]) ? undefined : 'lack the JPEG start of image FF D8 FF';
    case 'text':
      return checkTextHead(head, totalSize);
  }
}

function startsWith(head: Buffer, bytes: number[]): boolean {
  return head.length >= bytes.length && bytes.every((b, i) => head[i] === b);
}

const QUICKTIME_FIRST_BOXES = new Set(['ftyp', 'moov', 'mdat', 'free', 'wide', 'skip', 'pnot', 'styp']);

function checkMp4Head(head: Buffer): string | undefined {
  if (head.length < 8) return 'are too short for an MP4 box header';
  const type = head.toString('latin1', 4, 8);
  if (!QUICKTIME_FIRST_BOXES.has(type)) return `lack an ftyp box at offset 4 (found ${JSON.stringify(printable(head.subarray(4, 8)))})`;
  if (type !== 'ftyp' && type !== 'styp') return undefined;
  const size = head.readUInt32BE(0);
  if (size < 16 || size % 4 !== 0) return `have an ftyp box of impossible size ${size}`;
  // Brands are four printable characters each: a wrong keystream from byte 16 on garbles them.
  for (let at = 8; at + 4 <= Math.min(size, head.length); at += 4) {
    if (at === 12) continue; // minor version: any value
    if (!isBoxType(head, at)) return `have an ftyp box whose brand at offset ${at} is not text (${hexPreview(head.subarray(at, at + 4))})`;
  }
  return undefined;
}

function checkTsHead(head: Buffer, packetSize: 188 | 192): string | undefined {
  const first = packetSize === 192 ? 4 : 0;
  if (head.length <= first) return 'are too short for an MPEG-TS packet';
  for (let at = first; at < head.length; at += packetSize) {
    if (head[at] !== 0x47) return `lack the sync byte 0x47 at offset ${at}`;
  }
  return undefined;
}

/** ID3v2, or a frame header whose computed length lands on the next frame header. */
function checkMp3Head(head: Buffer, totalSize: number): string | undefined {
  if (head.length >= 10 && head.toString('latin1', 0, 3) === 'ID3' && head[3]! <= 4 && (head[6]! | head[7]! | head[8]! | head[9]!) < 0x80) return undefined;
  const length = mp3FrameLength(head, 0);
  if (length === undefined) return 'carry neither an ID3 tag nor an MPEG audio frame header';
  if (length >= totalSize || length + 2 > head.length) return undefined;
  return mp3FrameLength(head, length) === undefined ? `carry an MPEG audio frame header not followed by another at offset ${length}` : undefined;
}

const MP3_BITRATES_V1_L3 = [0, 32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320];
const MP3_BITRATES_V2_L3 = [0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160];
const MP3_RATES = { 3: [44100, 48000, 32000], 2: [22050, 24000, 16000], 0: [11025, 12000, 8000] } as const;

/** Length of the Layer III frame whose header starts at `at`, or undefined if there is none. */
function mp3FrameLength(head: Buffer, at: number): number | undefined {
  if (at + 4 > head.length) return undefined;
  const b1 = head[at + 1]!;
  const b2 = head[at + 2]!;
  if (head[at] !== 0xff || (b1 & 0xe0) !== 0xe0) return undefined;
  const version = (b1 >> 3) & 3;
  const layer = (b1 >> 1) & 3;
  if (version === 1 || layer !== 1) return undefined;
  const bitrateIndex = b2 >> 4;
  const rateIndex = (b2 >> 2) & 3;
  if (bitrateIndex === 0 || bitrateIndex === 15 || rateIndex === 3) return undefined;
  const rate = MP3_RATES[version as 0 | 2 | 3][rateIndex]!;
  const padding = (b2 >> 1) & 1;
  const kbps = (version === 3 ? MP3_BITRATES_V1_L3 : MP3_BITRATES_V2_L3)[bitrateIndex]!;
  return Math.floor(((version === 3 ? 144 : 72) * kbps * 1000) / rate) + padding;
}

function checkTextHead(head: Buffer, totalSize: number): string | undefined {
  if (head.length === 0) return undefined;
  if (startsWith(head, [0xff, 0xfe]) || startsWith(head, [0xfe, 0xff])) return checkUtf16Head(head, head[0] === 0xff);
  const whole = head.length === totalSize;
  const valid = isUtf8(whole ? head : head.subarray(0, completeUtf8Length(head)));
  if (!valid) return 'are not valid UTF-8';
  for (let i = 0; i < head.length; i++) {
    const b = head[i]!;
    if (b < 0x20 && b !== 0x09 && b !== 0x0a && b !== 0x0d && b !== 0x0c && b !== 0x1b) return `contain the control byte 0x${b.toString(16).padStart(2, '0')} at offset ${i}, not text`;
  }
  return undefined;
}

/** UTF-16 after a BOM: no unpaired surrogate, no control character (random bytes have both). */
function checkUtf16Head(head: Buffer, littleEndian: boolean): string | undefined {
  const units = Math.floor(head.length / 2);
  for (let i = 1; i < units; i++) {
    const unit = littleEndian ? head.readUInt16LE(i * 2) : head.readUInt16BE(i * 2);
    if (unit < 0x20 && unit !== 0x09 && unit !== 0x0a && unit !== 0x0d && unit !== 0x0c) return `are UTF-16 with the control character U+${unit.toString(16).padStart(4, '0')} at offset ${i * 2}, not text`;
    if (unit >= 0xd800 && unit <= 0xdbff) {
      if (i + 1 >= units) break; // cut by the end of the head
      const next = littleEndian ? head.readUInt16LE(i * 2 + 2) : head.readUInt16BE(i * 2 + 2);
      if (next < 0xdc00 || next > 0xdfff) return `are UTF-16 with an unpaired surrogate at offset ${i * 2}`;
      i++;
    } else if (unit >= 0xdc00 && unit <= 0xdfff) {
      return `are UTF-16 with an unpaired surrogate at offset ${i * 2}`;
    }
  }
  return undefined;
}

/** Length of `bytes` without a trailing UTF-8 sequence the next chunk completes. */
function completeUtf8Length(bytes: Buffer): number {
  for (let back = 1; back <= Math.min(4, bytes.length); back++) {
    const b = bytes[bytes.length - back]!;
    if ((b & 0xc0) === 0x80) continue; // continuation byte: keep looking for its lead
    const needed = b >= 0xf0 ? 4 : b >= 0xe0 ? 3 : b >= 0xc0 ? 2 : 1;
    return needed > back ? bytes.length - back : bytes.length;
  }
  return bytes.length;
}

function isBoxType(bytes: Buffer, at: number): boolean {
  for (let i = at; i < at + 4; i++) {
    const b = bytes[i]!;
    if (!(b >= 0x20 && b <= 0x7e) && b !== 0xa9) return false;
  }
  return true;
}

function printable(bytes: Buffer): string {
  return [...bytes].map((b) => (b >= 0x20 && b <= 0x7e ? String.fromCharCode(b) : '.')).join('');
}

export function hexPreview(bytes: Buffer, max = 16): string {
  const shown = bytes.subarray(0, max).toString('hex').replace(/(..)(?!$)/g, '$1 ');
  return bytes.length > max ? `${shown} ...` : shown || 'none';
}

interface StructureCheck {
  update(chunk: Buffer, position: number): void;
  /** undefined when the structure held through the end of the stream; `head` = the first bytes. */
  finish(head: Buffer): { offset: number; what: string } | undefined;
  /** A contradiction found so far, before the end. */
  failure(): { offset: number; what: string } | undefined;
}

function structureCheck(declared: DeclaredType, totalSize: number): StructureCheck | undefined {
  switch (declared.family) {
    case 'mpeg-ts':
      return new TsSyncCheck(declared.packetSize ?? 188);
    case 'mp4':
      return new Mp4BoxWalk(totalSize);
    case 'text':
      return new Utf8Check(totalSize);
    case 'wav':
      return new RiffSizeCheck(totalSize);
    default:
      return undefined;
  }
}

/** 0x47 at every packet start, through the whole stream. */
class TsSyncCheck implements StructureCheck {
  private bad: number | undefined;
  constructor(private readonly packetSize: 188 | 192) {}
  update(chunk: Buffer, position: number): void {
    if (this.bad !== undefined) return;
    const first = this.packetSize === 192 ? 4 : 0;
    let at = position <= first ? first - position : (this.packetSize - ((position - first) % this.packetSize)) % this.packetSize;
    for (; at < chunk.length; at += this.packetSize) {
      if (chunk[at] !== 0x47) {
        this.bad = position + at;
        return;
      }
    }
  }
  finish() {
    return this.failure();
  }
  failure() {
    return this.bad === undefined ? undefined : { offset: this.bad, what: 'the MPEG-TS sync byte 0x47 is missing' };
  }
}

/** Top-level boxes must tile the file exactly, each with a printable four-character type. */
class Mp4BoxWalk implements StructureCheck {
  private next = 0;
  private readonly header = Buffer.alloc(16);
  private have = 0;
  private bad: { offset: number; what: string } | undefined;
  private done = false;
  constructor(private readonly totalSize: number) {}

  update(chunk: Buffer, position: number): void {
    const end = position + chunk.length;
    while (!this.done && this.bad === undefined && this.next < end) {
      const want = Math.min(16, this.totalSize - this.next);
      if (want < 8) {
        this.bad = { offset: this.next, what: `${want} bytes follow the last box, too few for a box header` };
        return;
      }
      const from = this.next + this.have - position;
      if (from >= chunk.length) return;
      this.have += chunk.copy(this.header, this.have, from, from + (want - this.have));
      if (this.have < want) return;
      const at = this.next;
      this.parse(want);
      // A box shorter than the 16 header bytes read ends inside them: what follows it is the start
      // of the next box's header, possibly from an earlier chunk, so keep it rather than re-read it.
      const used = this.next - at;
      if (!this.done && this.bad === undefined && used > 0 && used < this.have) {
        this.header.copy(this.header, 0, used, this.have);
        this.have -= used;
      } else {
        this.have = 0;
      }
    }
  }

  private parse(available: number): void {
    const at = this.next;
    if (!isBoxType(this.header, 4)) {
      this.bad = { offset: at, what: `the MP4 box header has the type ${hexPreview(this.header.subarray(4, 8))}, not four letters` };
      return;
    }
    const size32 = this.header.readUInt32BE(0);
    let size: number;
    if (size32 === 0) {
      this.done = true; // the box runs to the end of the file
      return;
    } else if (size32 === 1) {
      if (available < 16) {
        this.bad = { offset: at, what: 'a 64-bit MP4 box size is cut off by the end of the file' };
        return;
      }
      size = Number(this.header.readBigUInt64BE(8));
      if (size < 16) {
        this.bad = { offset: at, what: `the 64-bit MP4 box size ${size} is impossible` };
        return;
      }
    } else if (size32 < 8) {
      this.bad = { offset: at, what: `the MP4 box size ${size32} is impossible` };
      return;
    } else {
      size = size32;
    }
    if (at + size > this.totalSize) {
      this.bad = { offset: at, what: `the MP4 box '${printable(this.header.subarray(4, 8))}' of ${size} bytes runs past the end of the file (${this.totalSize} bytes)` };
      return;
    }
    this.next = at + size;
    if (this.next === this.totalSize) this.done = true;
  }

  finish() {
    if (this.bad) return this.bad;
    if (!this.done) return { offset: this.next, what: 'the MP4 boxes stop before the end of the file' };
    return undefined;
  }
  failure() {
    return this.bad;
  }
}

/** Valid UTF-8 and no NUL through the whole stream (a UTF-16 BOM skips the UTF-8 part). */
class Utf8Check implements StructureCheck {
  private carry = Buffer.alloc(0);
  private bad: number | undefined;
  private utf16 = false;
  constructor(private readonly totalSize: number) {}

  update(chunk: Buffer, position: number): void {
    if (this.bad !== undefined) return;
    if (position === 0 && chunk.length >= 2 && ((chunk[0] === 0xff && chunk[1] === 0xfe) || (chunk[0] === 0xfe && chunk[1] === 0xff))) this.utf16 = true;
    if (this.utf16) return;
    let body = chunk;
    let bodyStart = position;
    if (this.carry.length > 0) {
      // Complete the sequence the previous chunk cut, on its own: never copy the whole chunk.
      const lead = this.carry[0]!;
      const needed = (lead >= 0xf0 ? 4 : lead >= 0xe0 ? 3 : 2) - this.carry.length;
      const k = Math.min(needed, chunk.length);
      const joined = Buffer.concat([this.carry, chunk.subarray(0, k)]);
      if (k < needed && position + chunk.length < this.totalSize) {
        this.carry = joined;
        return;
      }
      if (!isUtf8(joined)) {
        this.bad = position - this.carry.length;
        return;
      }
      body = chunk.subarray(k);
      bodyStart = position + k;
      this.carry = Buffer.alloc(0);
    }
    const last = position + chunk.length >= this.totalSize;
    const complete = body.subarray(0, last ? body.length : completeUtf8Length(body));
    // The first problem in this chunk, whichever kind: any chunking then reports the same offset.
    const nul = complete.indexOf(0);
    const invalid = isUtf8(complete) ? -1 : firstInvalidUtf8(complete);
    const first = Math.min(nul < 0 ? Infinity : nul, invalid < 0 ? Infinity : invalid);
    if (first !== Infinity) {
      this.bad = bodyStart + first;
      return;
    }
    this.carry = Buffer.from(body.subarray(complete.length));
  }

  finish(_head: Buffer) {
    if (this.bad === undefined && this.carry.length > 0 && !isUtf8(this.carry)) this.bad = this.totalSize - this.carry.length;
    return this.failure();
  }
  failure() {
    return this.bad === undefined ? undefined : { offset: this.bad, what: 'the text stops being valid UTF-8 (or holds a NUL byte)' };
  }
}

/** Offset of the first byte of the first ill-formed sequence (only called on failure). */
function firstInvalidUtf8(bytes: Buffer): number {
  let i = 0;
  while (i < bytes.length) {
    const lead = bytes[i]!;
    if (lead < 0x80) {
      i++;
      continue;
    }
    const length = lead >= 0xc2 && lead <= 0xdf ? 2 : lead >= 0xe0 && lead <= 0xef ? 3 : lead >= 0xf0 && lead <= 0xf4 ? 4 : 0;
    if (length === 0 || i + length > bytes.length) return i;
    // The second byte's range excludes overlongs, surrogates and code points above U+10FFFF.
    const second = bytes[i + 1]!;
    const low = lead === 0xe0 ? 0xa0 : lead === 0xf0 ? 0x90 : 0x80;
    const high = lead === 0xed ? 0x9f : lead === 0xf4 ? 0x8f : 0xbf;
    if (second < low || second > high) return i;
    for (let j = 2; j < length; j++) if ((bytes[i + j]! & 0xc0) !== 0x80) return i;
    i += length;
  }
  return bytes.length;
}

/** A RIFF header's size field must cover the file (0 and 0xFFFFFFFF mean "streamed", unknown). */
class RiffSizeCheck implements StructureCheck {
  constructor(private readonly totalSize: number) {}
  update(): void {}
  failure() {
    return undefined;
  }
  finish(head: Buffer) {
    const size = head.length >= 8 ? head.readUInt32LE(4) : undefined;
    if (size === undefined || size === 0 || size === 0xffffffff || size + 8 === this.totalSize) return undefined;
    return { offset: 4, what: `the RIFF size says ${size + 8} bytes but the file has ${this.totalSize}` };
  }
}
