import { randomBytes } from 'node:crypto';

/**
 * The bytes of an MP4-shaped file of `size` bytes (ftyp, free, mdat of a repeating random pattern,
 * moov), generated on demand at any offset: large blobs for benches and memory tests without
 * holding them. Its top-level boxes tile the file, so verification's content probe passes it.
 */
export function mp4LikeSource(size: number): (offset: number, length: number) => Buffer {
  const pattern = randomBytes(1024 * 1024 + 13);
  const header = Buffer.alloc(40);
  header.writeUInt32BE(24, 0);
  header.write('ftypisom', 4, 'latin1');
  header.writeUInt32BE(0x200, 12);
  header.write('isomiso2', 16, 'latin1');
  header.writeUInt32BE(8, 24);
  header.write('free', 28, 'latin1');
  header.writeUInt32BE(size - 32 - 64, 32);
  header.write('mdat', 36, 'latin1');
  const moov = Buffer.alloc(8);
  moov.writeUInt32BE(64, 0);
  moov.write('moov', 4, 'latin1');
  const overlays: Array<[number, Buffer]> = [
    [0, header],
    [size - 64, moov],
  ];
  return (offset, length) => {
    const out = Buffer.allocUnsafe(length);
    for (let i = 0; i < length; ) {
      const at = (offset + i) % pattern.length;
      i += pattern.copy(out, i, at, Math.min(pattern.length, at + length - i));
    }
    for (const [at, bytes] of overlays) {
      const from = Math.max(at, offset);
      const to = Math.min(at + bytes.length, offset + length);
      if (from < to) bytes.copy(out, from - offset, from - at, to - at);
    }
    return out;
  };
}
