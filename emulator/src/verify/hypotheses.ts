import { AmsCtr, MAX_IV, ivToBytes } from '../../../client/src/crypto/index.js';
import type { BlockInfo } from '../storage/types.js';
import type { Json } from '../store/types.js';
import {
  BlockRestartCtr,
  IDENTITY,
  LayoutCtr,
  counterLittleEndian,
  shiftedCtr,
  wholeCounterLittleEndian,
  type Decryptor,
} from './counter-layouts.js';

/** The client mistakes the diagnosis can name: the `diagnosis` of a finding. */
export type MistakeId =
  | 'plaintext-uploaded'
  | 'iv-text-hex'
  | 'iv-text-base64'
  | 'iv-text-signed'
  | 'iv-text-whitespace'
  | 'iv-little-endian'
  | 'counter-starts-at-1'
  | 'counter-little-endian'
  | 'iv-and-counter-little-endian'
  | 'blocks-encrypted-from-offset-0'
  | 'blocks-committed-out-of-order'
  | 'iv-of-another-file'
  | 'other-content-key'
  | 'encrypted-but-marked-clear';

/** A run of the stored blob that decrypts right (`ok`) or wrong with the file's own key and IV. */
export type ByteRange = { offset: number; count: number; ok: boolean };

export interface Hypothesis {
  mistake: MistakeId;
  /** What the client did and what to do instead, for the client's author. */
  message: string;
  details: Record<string, Json>;
  /**
   * A fresh decryptor of the blob's bytes as if the client made this mistake: of the stored bytes
   * from offset 0, or of `ranges` one after another when the hypothesis gives them.
   */
  open(): Decryptor;
  /** The stored bytes in the order the client meant them (the file as it was encrypted). */
  ranges?: ReadonlyArray<{ offset: number; count: number }>;
  /** Which stored bytes the file's own key and IV decrypt right, if the client made this mistake (known exactly only for block mistakes). */
  layout?: ByteRange[];
}

export interface HypothesisInputs {
  /** The file says it is storage-encrypted. */
  encrypted: boolean;
  /** The content key the file should be encrypted with, when it can be opened. */
  key?: { id: string; key: Buffer };
  /** The IV as stored, when it is a decimal UInt64. */
  iv?: bigint;
  /** The InitializationVector text as stored. */
  ivText: string;
  /** Committed blocks of the blob (empty or one block: nothing to get wrong between blocks). */
  blocks: readonly BlockInfo[];
  /** Other 32-byte content keys of the account. */
  otherKeys: ReadonlyArray<{ id: string; key: Buffer }>;
  /** Decimal IVs of the asset's other files. */
  otherFileIvs: ReadonlyArray<{ fileId: string; name: string; iv: bigint }>;
}

/**
 * Every mistake that could explain the bytes of this file, most telling first (the order decides
 * which is named when sniffing alone cannot tell two apart). Each is a way to decrypt the blob;
 * the diagnosis keeps the one whose output matches the file's digest or declared type.
 */
export function buildHypotheses(inputs: HypothesisInputs): Hypothesis[] {
  const out: Hypothesis[] = [];
  const { key, iv } = inputs;
  if (!inputs.encrypted) {
    if (key && iv !== undefined) {
      out.push({
        mistake: 'encrypted-but-marked-clear',
        message: `the blob is encrypted with the asset's content key ${key.id} and IV ${iv}, but the file says IsEncrypted false: MERGE IsEncrypted true, EncryptionScheme "StorageEncryption", EncryptionVersion "1.0", EncryptionKeyId and InitializationVector, or upload the clear bytes`,
        details: { keyId: key.id, iv: iv.toString() },
        open: () => new AmsCtr(key.key, iv),
      });
    }
    return out;
  }

  out.push({
    mistake: 'plaintext-uploaded',
    message: 'the blob holds the clear bytes: the file is marked IsEncrypted true but was uploaded unencrypted; encrypt it with AES-256-CTR (counter BE64(IV) || BE64(offset/16)) before the upload, or MERGE IsEncrypted false and no encryption fields',
    details: {},
    open: () => IDENTITY,
  });
  if (!key) {
    for (const other of inputs.otherKeys) out.push(...otherKeyHypothesis(other, iv, undefined));
    return out;
  }

  for (const alternative of ivTextAlternatives(inputs.ivText, iv)) {
    out.push({
      mistake: alternative.mistake,
      message: alternative.message,
      details: { ivText: inputs.ivText, ivUsed: alternative.value.toString() },
      open: () => new AmsCtr(key.key, alternative.value),
    });
  }
  if (iv === undefined) return out;

  const be = ivToBytes(iv).toString('hex');
  const swapped = byteSwap64(iv);
  if (swapped !== iv) {
    out.push({
      mistake: 'iv-little-endian',
      message: `the IV was laid little-endian: write BE64(IV) into counter bytes 0-7 (for IV ${iv} they are ${be}; the client wrote ${ivToBytes(swapped).toString('hex')})`,
      details: { iv: iv.toString(), expectedCounterBytes: be, clientCounterBytes: ivToBytes(swapped).toString('hex') },
      open: () => new AmsCtr(key.key, swapped),
    });
  }
  out.push({
    mistake: 'counter-starts-at-1',
    message: 'the block counter started at 1: the first 16 bytes of the file use counter BE64(IV) || BE64(0); counter bytes 8-15 are fileOffset / 16, starting at 0',
    details: { iv: iv.toString() },
    open: () => shiftedCtr(key.key, iv, 16),
  });
  out.push({
    mistake: 'counter-little-endian',
    message: 'the block counter was written little-endian: counter bytes 8-15 are BE64(fileOffset / 16), most significant byte first (block 1 is 00 00 00 00 00 00 00 01)',
    details: { iv: iv.toString() },
    open: () => new LayoutCtr(key.key, counterLittleEndian(iv)),
  });
  out.push({
    mistake: 'iv-and-counter-little-endian',
    message: `the whole counter block was written little-endian: it is BE64(IV) || BE64(fileOffset / 16), both halves most significant byte first (for IV ${iv} it starts ${be})`,
    details: { iv: iv.toString() },
    open: () => new LayoutCtr(key.key, wholeCounterLittleEndian(iv)),
  });
  if (inputs.blocks.length > 1) {
    const blocks = inputs.blocks;
    out.push({
      mistake: 'blocks-encrypted-from-offset-0',
      message: `each of the ${blocks.length} committed blocks was encrypted as if it started at file offset 0: a block that starts at file offset O must be encrypted from counter O/16 (e.g. the block at ${blocks[0]!.size} starts at counter ${Math.floor(blocks[0]!.size / 16)}); keep one keystream position across the file`,
      details: { blocks: blocks.length, firstBlockSize: blocks[0]!.size },
      // Only the first block starts at offset 0, so only it was encrypted from the right counter.
      layout: storedBlocks(blocks).map((b, i) => ({ ...b, ok: i === 0 })),
      open: () => new BlockRestartCtr(key.key, iv, blocks),
    });
  }
  const reordered = blockOrderHypothesis(key, iv, inputs.blocks);
  if (reordered) out.push(reordered);
  for (const other of inputs.otherFileIvs) {
    if (other.iv === iv) continue;
    out.push({
      mistake: 'iv-of-another-file',
      message: `the blob was encrypted with the IV of the asset's file '${other.name}' (${other.iv}), not with this file's InitializationVector ${iv}: encrypt each file with the IV sent for it`,
      details: { otherFileId: other.fileId, otherFileName: other.name, ivUsed: other.iv.toString() },
      open: () => new AmsCtr(key.key, other.iv),
    });
  }
  for (const other of inputs.otherKeys) out.push(...otherKeyHypothesis(other, iv, key.id));
  return out;
}

/** Blocks re-read one by one to test a commit order: each is a storage request. */
const MAX_REORDERED_BLOCKS = 1000;

/**
 * Put Block List names the blocks in file order; a client that commits them in another order
 * (the order its parallel uploads finished, a set's iteration order) stores every block, each
 * encrypted right, in the wrong place. When the block ids carry a sequence number and the
 * committed order is not its order, re-read the blocks in number order.
 */
function blockOrderHypothesis(key: { id: string; key: Buffer }, iv: bigint, blocks: readonly BlockInfo[]): Hypothesis | undefined {
  if (blocks.length < 2 || blocks.length > MAX_REORDERED_BLOCKS) return undefined;
  const numbers = blockSequenceNumbers(blocks.map((b) => b.id));
  if (!numbers || new Set(numbers).size !== numbers.length) return undefined;
  const intended = numbers.map((n, committed) => ({ n, committed })).sort((a, b) => (a.n < b.n ? -1 : a.n > b.n ? 1 : 0));
  if (intended.every((entry, position) => entry.committed === position)) return undefined;
  const offsets: number[] = [];
  let at = 0;
  for (const block of blocks) {
    offsets.push(at);
    at += block.size;
  }
  const ranges = intended.map(({ committed }) => ({ offset: offsets[committed]!, count: blocks[committed]!.size }));
  const first = intended.findIndex((entry, position) => entry.committed !== position);
  const misplaced = intended[first]!;
  const name = JSON.stringify(Buffer.from(blocks[misplaced.committed]!.id, 'base64').toString('latin1'));
  return {
    mistake: 'blocks-committed-out-of-order',
    message:
      `the ${blocks.length} blocks were committed out of order: each was encrypted for its place in the file, but Put Block List put them elsewhere ` +
      `(block ${name}, number ${misplaced.n} of the ids' sequence, belongs at position ${first + 1} and was committed at ${misplaced.committed + 1}); ` +
      'list the block ids in file order, not in the order their uploads finished',
    details: { blocks: blocks.length, firstMisplacedBlock: blocks[misplaced.committed]!.id, belongsAt: first + 1, committedAt: misplaced.committed + 1 },
    ranges,
    layout: misplacedLayout(blocks, intended.map((entry) => entry.committed)),
    open: () => new AmsCtr(key.key, iv),
  };
}

/** Each committed block's place in the stored blob. */
function storedBlocks(blocks: readonly BlockInfo[]): Array<{ offset: number; count: number }> {
  let at = 0;
  return blocks.map((block) => {
    const range = { offset: at, count: block.size };
    at += block.size;
    return range;
  });
}

/** A block decrypts right where it was stored only if it was stored at the offset it was encrypted for. */
function misplacedLayout(blocks: readonly BlockInfo[], fileOrder: readonly number[]): ByteRange[] {
  const stored = storedBlocks(blocks);
  const meant = new Array<number>(blocks.length);
  let at = 0;
  for (const committed of fileOrder) {
    meant[committed] = at;
    at += blocks[committed]!.size;
  }
  return stored.map((range, committed) => ({ ...range, ok: meant[committed] === range.offset }));
}

/**
 * The sequence number in each block id, when every id has one in the same place: text whose last
 * run of digits is the only part that differs (`BlockId0000007`, `v1-part-0007.bin`), or the 4 or 8
 * bytes of a little-endian integer (.NET's `BitConverter.GetBytes(i)`). undefined otherwise.
 */
export function blockSequenceNumbers(ids: readonly string[]): bigint[] | undefined {
  const decoded = ids.map((id) => Buffer.from(id, 'base64'));
  const texts = decoded.map((bytes) => bytes.toString('latin1'));
  // The last run of digits; the text around it must be the same in every id.
  const parts = texts.map((text) => /^(.*?)(\d+)(\D*)$/s.exec(text));
  if (parts.every((m) => m !== null) && parts.every((m) => m![1] === parts[0]![1] && m![3] === parts[0]![3])) {
    return parts.map((m) => BigInt(m![2]!));
  }
  const width = decoded[0]!.length;
  if ((width === 4 || width === 8) && decoded.every((bytes) => bytes.length === width)) {
    return decoded.map((bytes) => (width === 4 ? BigInt(bytes.readUInt32LE(0)) : bytes.readBigUInt64LE(0)));
  }
  return undefined;
}

function otherKeyHypothesis(other: { id: string; key: Buffer }, iv: bigint | undefined, fileKeyId: string | undefined): Hypothesis[] {
  if (iv === undefined) return [];
  const expected = fileKeyId ? `not with ${fileKeyId}, the key the file names (or its asset links)` : 'while the file\'s own key cannot be opened';
  return [{
    mistake: 'other-content-key',
    message: `the blob was encrypted with another content key of the account, ${other.id}, ${expected}: encrypt with the asset's StorageEncryption key and send its id as EncryptionKeyId`,
    details: { keyUsed: other.id },
    open: () => new AmsCtr(other.key, iv),
  }];
}

interface IvAlternative {
  mistake: MistakeId;
  value: bigint;
  message: string;
}

/**
 * Readings of the stored IV text other than decimal that a client may have meant: it encrypted
 * with one value and sent another text for it (hex, base64 of the counter bytes, a signed Int64,
 * digits with white space). A decimal-looking text can still be hex without letters.
 */
export function ivTextAlternatives(text: string, decimal: bigint | undefined): IvAlternative[] {
  const out: IvAlternative[] = [];
  const add = (mistake: MistakeId, value: bigint | undefined, message: (v: bigint) => string) => {
    if (value === undefined || value < 0n || value > MAX_IV || value === decimal) return;
    if (out.some((a) => a.value === value)) return;
    out.push({ mistake, value, message: message(value) });
  };
  const trimmed = text.trim();
  if (trimmed !== text && /^[0-9]{1,20}$/.test(trimmed)) {
    add('iv-text-whitespace', BigInt(trimmed), (v) => `InitializationVector ${JSON.stringify(text)} has white space around the digits: send "${v}" exactly`);
  }
  const hex = /^(?:0[xX])?([0-9a-fA-F]{1,16})$/.exec(trimmed)?.[1];
  if (hex !== undefined) {
    add('iv-text-hex', BigInt(`0x${hex}`), (v) => `InitializationVector was sent as hexadecimal text ${JSON.stringify(text)}, but the service reads decimal: the client encrypted with IV ${v}; send "${v}" (ulong.ToString())`);
  }
  if (/^[A-Za-z0-9+/]{11}=$/.test(trimmed) || /^[A-Za-z0-9+/]{12}$/.test(trimmed)) {
    const bytes = Buffer.from(trimmed, 'base64');
    if (bytes.length === 8) {
      add('iv-text-base64', bytes.readBigUInt64BE(0), (v) => `InitializationVector was sent as base64 of the counter bytes ${JSON.stringify(text)}, but the service reads a decimal UInt64: those bytes are IV ${v}; send "${v}"`);
    }
  }
  if (/^[+-][0-9]{1,20}$/.test(trimmed)) {
    const signed = BigInt(trimmed);
    if (signed >= -(1n << 63n) && signed < 1n << 64n) {
      add('iv-text-signed', signed < 0n ? signed + (1n << 64n) : signed, (v) => `InitializationVector was sent as a signed Int64 (${JSON.stringify(text)}); the IV is the unsigned value of the same 8 bytes: send "${v}"`);
    }
  }
  return out;
}

export function byteSwap64(value: bigint): bigint {
  const bytes = Buffer.alloc(8);
  bytes.writeBigUInt64BE(value);
  return bytes.readBigUInt64LE(0);
}
