import { describe, expect, it } from 'vitest';
import { muxWebm, WEBM_IDS as ID, type EncodedFrame, type WebmTrack } from '../helpers/video.js';

/**
 * The browser test's video is only seekable by range requests if its WebM is right: Duration in
 * Info, Cues that name each cluster's real position, a SeekHead that names Info, Tracks and Cues.
 * A player can fall back on reading the whole file, which would hide a wrong index there, so the
 * structure is read back here with an EBML reader written for the test, not the writer's code.
 */

interface Node {
  id: number;
  /** Offset of the element's id in the file, and of its data. */
  at: number;
  dataAt: number;
  data: Buffer;
}

function readVint(buf: Buffer, at: number, keepMarker: boolean): { value: number; length: number } {
  const first = buf[at]!;
  let length = 1;
  while (length <= 8 && !(first & (0x80 >> (length - 1)))) length++;
  if (length > 8) throw new Error(`no EBML varint at ${at}`);
  let value = keepMarker ? first : first & (0xff >> length);
  for (let i = 1; i < length; i++) value = value * 256 + buf[at + i]!;
  return { value, length };
}

/** The elements directly in `buf` from `from` to `to`; `base` is buf's offset in the file. */
function children(buf: Buffer, base = 0, from = 0, to = buf.length): Node[] {
  const out: Node[] = [];
  let at = from;
  while (at < to) {
    const id = readVint(buf, at, true);
    const size = readVint(buf, at + id.length, false);
    const dataAt = at + id.length + size.length;
    if (dataAt + size.value > to) throw new Error(`element ${id.value.toString(16)} at ${base + at} overruns its parent`);
    out.push({ id: id.value, at: base + at, dataAt: base + dataAt, data: buf.subarray(dataAt, dataAt + size.value) });
    at = dataAt + size.value;
  }
  return out;
}

function inside(node: Node): Node[] {
  return children(node.data, node.dataAt);
}

function one(nodes: Node[], id: number): Node {
  const found = nodes.filter((n) => n.id === id);
  expect(found, `one element ${id.toString(16)}`).toHaveLength(1);
  return found[0]!;
}

function uintOf(node: Node): number {
  return node.data.reduce((v, byte) => v * 256 + byte, 0);
}

/** Frames of recognisable bytes: a key frame every `keyEvery`, 100 ms apart. */
function frames(count: number, keyEvery: number): EncodedFrame[] {
  return Array.from({ length: count }, (_, i) => ({ timestampUs: i * 100_000, key: i % keyEvery === 0, data: Buffer.alloc(50 + i, i) }));
}

function track(list: EncodedFrame[]): WebmTrack {
  return { codecId: 'V_VP8', width: 64, height: 48, frameDurationUs: 100_000, frames: list, colour: { primaries: 'bt709', transfer: 'iec61966-2-1', matrix: 'bt709', fullRange: true } };
}

describe('the test helper\'s WebM muxer', () => {
  const input = frames(35, 10);
  const file = muxWebm(track(input));
  const top = children(file.bytes);
  const segment = one(top, ID.Segment);
  const level1 = inside(segment);

  it('is a webm EBML document whose Segment runs to the end of the file', () => {
    expect(top.map((n) => n.id)).toEqual([ID.EBML, ID.Segment]);
    expect(one(inside(top[0]!), ID.DocType).data.toString()).toBe('webm');
    expect(segment.dataAt + segment.data.length).toBe(file.bytes.length);
  });

  it('gives the Duration (last frame\'s end) and the encoder\'s colour space', () => {
    const info = inside(one(level1, ID.Info));
    expect(uintOf(one(info, ID.TimestampScale))).toBe(1_000_000);
    expect(one(info, ID.Duration).data.readDoubleBE()).toBe(3500);
    const videoSettings = inside(one(inside(one(inside(one(level1, ID.Tracks)), ID.TrackEntry)), ID.Video));
    const colour = inside(one(videoSettings, ID.Colour));
    expect([ID.MatrixCoefficients, ID.Range, ID.TransferCharacteristics, ID.Primaries].map((id) => uintOf(one(colour, id)))).toEqual([1, 2, 13, 1]);
  });

  it('names Info, Tracks and Cues in its SeekHead at their positions, the Cues before the clusters', () => {
    const seeks = inside(one(level1, ID.SeekHead)).map((seek) => {
      const fields = inside(seek);
      return { id: readVint(one(fields, ID.SeekID).data, 0, true).value, position: uintOf(one(fields, ID.SeekPosition)) };
    });
    expect(seeks.map((s) => s.id)).toEqual([ID.Info, ID.Tracks, ID.Cues]);
    for (const s of seeks) expect(level1.find((n) => n.at === segment.dataAt + s.position)?.id).toBe(s.id);
    const firstCluster = level1.findIndex((n) => n.id === ID.Cluster);
    expect(level1.findIndex((n) => n.id === ID.Cues)).toBeLessThan(firstCluster);
  });

  it('has one cue a cluster, pointing at a cluster of that time that starts with a key frame', () => {
    const clusters = level1.filter((n) => n.id === ID.Cluster);
    expect(clusters).toHaveLength(4); // 35 frames, a key frame every 10
    const cues = inside(one(level1, ID.Cues)).map((point) => {
      const fields = inside(point);
      return { time: uintOf(one(fields, ID.CueTime)), position: uintOf(one(inside(one(fields, ID.CueTrackPositions)), ID.CueClusterPosition)) };
    });
    expect(cues.map((c) => c.time)).toEqual([0, 1000, 2000, 3000]);
    for (const cue of cues) {
      const cluster = clusters.find((c) => c.at === segment.dataAt + cue.position);
      expect(cluster, `a cluster at segment position ${cue.position}`).toBeDefined();
      const content = inside(cluster!);
      expect(uintOf(one(content, ID.Timestamp))).toBe(cue.time);
      expect(content.find((n) => n.id === ID.SimpleBlock)!.data[3]! & 0x80).toBe(0x80);
    }
    expect(file.clusters).toEqual(clusters.map((c, i) => ({ timeMs: cues[i]!.time, offset: c.at })));
  });

  it('keeps every frame, in order, with its time relative to its cluster and its key flag', () => {
    const blocks = level1
      .filter((n) => n.id === ID.Cluster)
      .flatMap((cluster) => {
        const content = inside(cluster);
        const base = uintOf(one(content, ID.Timestamp));
        return content.filter((n) => n.id === ID.SimpleBlock).map((b) => ({ track: b.data[0], timeMs: base + b.data.readInt16BE(1), key: (b.data[3]! & 0x80) !== 0, data: b.data.subarray(4) }));
      });
    expect(blocks.map((b) => b.track)).toEqual(input.map(() => 0x81));
    expect(blocks.map((b) => b.timeMs)).toEqual(input.map((f) => f.timestampUs / 1000));
    expect(blocks.map((b) => b.key)).toEqual(input.map((f) => f.key));
    expect(blocks.every((b, i) => b.data.equals(input[i]!.data))).toBe(true);
  });

  it('refuses a track that does not start with a key frame, or a colour it has no code for', () => {
    expect(() => muxWebm(track(frames(5, 10).map((f) => ({ ...f, key: false }))))).toThrow(/start with a key frame/);
    expect(() => muxWebm({ ...track(frames(5, 10)), colour: { primaries: 'bt709', transfer: 'bt709', matrix: 'ycgco', fullRange: false } })).toThrow(/matrix "ycgco"/);
  });
});
