import type { Locator, Page } from 'playwright-core';

/**
 * A real video for the dashboard's Play test, made at test time: VP8 frames encoded by the very
 * Chromium that plays them back (WebCodecs' VideoEncoder, the software libvpx every Chromium build
 * ships), muxed here into a WebM with a Duration and Cues.
 *
 * Why this way, on a clean CI machine: there is no ffmpeg to rely on, a VP8 encoder in TypeScript
 * would need libvpx's probability tables copied in, and a checked-in file big enough to need a
 * range request to seek (below) would be megabytes of binary. Chromium is already required by the
 * test, WebCodecs encodes faster than real time (unlike MediaRecorder, whose output also lacks
 * the Cues a seek needs), and VP8 in WebM is the codec pair every Chromium build decodes (H.264 is
 * missing from builds without proprietary codecs).
 *
 * What it shows, so a test can check the decoded pixels: second `s` has the background colour
 * `colourOfSecond(s)` (flat, where `probePoint()` is), a white square moving along the middle and,
 * in the lower half, a mosaic of random colours redrawn every frame. The mosaic is what makes the
 * file big: ~20 KB a frame, ~6 MB in all, more than Chromium reads ahead of the playing position
 * (at least 2 MB, or 10 s), so seeking far ahead needs a new range request to the origin; and
 * 30 s is longer than that 10 s window.
 */
export interface TestVideoSpec {
  width: number;
  height: number;
  fps: number;
  seconds: number;
  /** Target bitrate of the encoder, bits per second. */
  bitrate: number;
}

export const TEST_VIDEO: TestVideoSpec = { width: 640, height: 360, fps: 10, seconds: 30, bitrate: 1_600_000 };

/** Background colours (RGB), one a second, far apart so a lossy codec cannot blur one into another. */
export const VIDEO_PALETTE: ReadonlyArray<readonly [number, number, number]> = [
  [200, 40, 40],
  [40, 160, 60],
  [40, 60, 200],
  [220, 200, 40],
  [160, 40, 200],
  [40, 200, 200],
];

export function colourOfSecond(second: number): readonly [number, number, number] {
  return VIDEO_PALETTE[Math.floor(second) % VIDEO_PALETTE.length]!;
}

/** A pixel of the flat background: the upper quarter, clear of the square and the mosaic. */
export function probePoint(spec: TestVideoSpec = TEST_VIDEO): { x: number; y: number } {
  return { x: Math.floor(spec.width / 2), y: Math.floor(spec.height / 4) };
}

/**
 * The RGB of the frame a `<video>` element shows, at `point`: the element drawn on a canvas, as a
 * page script would (same-origin media, so the canvas is readable).
 */
export function framePixel(video: Locator, point: { x: number; y: number }): Promise<[number, number, number]> {
  return video.evaluate((el, at) => {
    const web = globalThis as unknown as { document: { createElement(tag: 'canvas'): PixelCanvas } };
    const media = el as unknown as { videoWidth: number; videoHeight: number };
    const canvas = web.document.createElement('canvas');
    canvas.width = media.videoWidth;
    canvas.height = media.videoHeight;
    const ctx = canvas.getContext('2d');
    if (!ctx) throw new Error('no 2d context');
    ctx.drawImage(el, 0, 0);
    const { data } = ctx.getImageData(at.x, at.y, 1, 1);
    return [data[0], data[1], data[2]] as [number, number, number];
  }, point);
}

interface PixelCanvas {
  width: number;
  height: number;
  getContext(kind: '2d'): { drawImage(source: unknown, x: number, y: number): void; getImageData(x: number, y: number, w: number, h: number): { data: ArrayLike<number> } } | null;
}

/** One compressed frame; a key frame starts a cluster and gets a cue. */
export interface EncodedFrame {
  timestampUs: number;
  key: boolean;
  data: Buffer;
}

/** The colour space the encoder says its frames are in (WebCodecs' VideoColorSpaceInit). */
export interface VideoColour {
  primaries: string | null;
  transfer: string | null;
  matrix: string | null;
  fullRange: boolean | null;
}

export interface EncodedVideo {
  frames: EncodedFrame[];
  colour: VideoColour | undefined;
}

/**
 * Encodes the test video in `page`, which must be a secure context (http://127.0.0.1 is one;
 * about:blank is not) for WebCodecs to exist. A key frame starts every second.
 */
export async function encodeTestVideo(page: Page, spec: TestVideoSpec = TEST_VIDEO): Promise<EncodedVideo> {
  const encoded = await page.evaluate(drawAndEncode, { spec, palette: VIDEO_PALETTE.map((c) => [...c]) });
  return { colour: encoded.colour, frames: encoded.frames.map((f) => ({ timestampUs: f.timestampUs, key: f.key, data: Buffer.from(f.base64, 'base64') })) };
}

/** The video as a WebM file, made in `page` (see encodeTestVideo). */
export async function makeTestVideo(page: Page, spec: TestVideoSpec = TEST_VIDEO): Promise<WebmFile> {
  const { frames, colour } = await encodeTestVideo(page, spec);
  return muxWebm({ codecId: 'V_VP8', width: spec.width, height: spec.height, frameDurationUs: 1e6 / spec.fps, frames, colour });
}

// ---- in the browser ------------------------------------------------------------------------------
// The tests compile without the DOM library; these are the few browser APIs the encoder uses.

interface Context2D {
  fillStyle: string;
  fillRect(x: number, y: number, w: number, h: number): void;
}
interface ChunkMetadata {
  decoderConfig?: { colorSpace?: VideoColour };
}
interface EncodedChunk {
  type: 'key' | 'delta';
  timestamp: number;
  byteLength: number;
  copyTo(destination: Uint8Array): void;
}
interface Encoder {
  readonly encodeQueueSize: number;
  configure(config: { codec: string; width: number; height: number; bitrate: number; framerate: number; latencyMode: 'quality' | 'realtime' }): void;
  encode(frame: Closable, options: { keyFrame: boolean }): void;
  flush(): Promise<void>;
  close(): void;
  addEventListener(type: 'dequeue', listener: () => void, options: { once: boolean }): void;
}
interface Closable {
  close(): void;
}
interface BrowserVideoApi {
  isSecureContext: boolean;
  OffscreenCanvas?: new (width: number, height: number) => { getContext(kind: '2d', options: { alpha: boolean }): Context2D | null };
  VideoFrame: new (source: unknown, init: { timestamp: number; duration: number }) => Closable;
  VideoEncoder?: new (init: { output(chunk: EncodedChunk, metadata?: ChunkMetadata): void; error(error: unknown): void }) => Encoder;
  btoa(binary: string): string;
}

interface BrowserFrame {
  timestampUs: number;
  key: boolean;
  base64: string;
}

/** Runs in the page (serialised by playwright): nothing from this module's scope is reachable. */
async function drawAndEncode({ spec, palette }: { spec: TestVideoSpec; palette: number[][] }): Promise<{ frames: BrowserFrame[]; colour: VideoColour | undefined }> {
  const web = globalThis as unknown as BrowserVideoApi;
  if (!web.VideoEncoder || !web.OffscreenCanvas) {
    throw new Error(`WebCodecs is not available here (secure context: ${web.isSecureContext}): open an http://127.0.0.1 page first`);
  }
  const { width, height, fps } = spec;
  const canvas = new web.OffscreenCanvas(width, height);
  const ctx = canvas.getContext('2d', { alpha: false });
  if (!ctx) throw new Error('no 2d context on an OffscreenCanvas');
  const frames: BrowserFrame[] = [];
  let failure: unknown;
  let colour: VideoColour | undefined;
  const encoder = new web.VideoEncoder({
    output(chunk, metadata) {
      colour ??= metadata?.decoderConfig?.colorSpace;
      const bytes = new Uint8Array(chunk.byteLength);
      chunk.copyTo(bytes);
      let binary = '';
      for (let i = 0; i < bytes.length; i += 0x8000) binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
      frames.push({ timestampUs: chunk.timestamp, key: chunk.type === 'key', base64: web.btoa(binary) });
    },
    error(error) {
      failure = error;
    },
  });
  encoder.configure({ codec: 'vp8', width, height, bitrate: spec.bitrate, framerate: fps, latencyMode: 'quality' });
  // A fixed seed: the same frames every run, so a failure can be reproduced.
  let seed = 0x2545f491;
  const random = () => (seed = (Math.imul(seed, 1_103_515_245) + 12_345) >>> 0) / 2 ** 32;
  const square = 32;
  for (let i = 0; i < spec.seconds * fps; i++) {
    const [r, g, b] = palette[Math.floor(i / fps) % palette.length]!;
    ctx.fillStyle = `rgb(${r}, ${g}, ${b})`;
    ctx.fillRect(0, 0, width, height);
    ctx.fillStyle = '#fff';
    ctx.fillRect((i * 16) % (width - square), height / 2 - square, square, square);
    for (let y = height / 2; y < height; y += 8) {
      for (let x = 0; x < width; x += 8) {
        ctx.fillStyle = `hsl(${Math.floor(random() * 360)}, 70%, ${30 + Math.floor(random() * 40)}%)`;
        ctx.fillRect(x, y, 8, 8);
      }
    }
    const frame = new web.VideoFrame(canvas, { timestamp: Math.round((i * 1e6) / fps), duration: Math.round(1e6 / fps) });
    encoder.encode(frame, { keyFrame: i % fps === 0 });
    frame.close();
    // Bounded memory: wait for the encoder rather than queueing every frame at once.
    while (encoder.encodeQueueSize > 8) await new Promise<void>((resolve) => encoder.addEventListener('dequeue', resolve, { once: true }));
  }
  await encoder.flush();
  encoder.close();
  if (failure !== undefined) throw new Error(`the VP8 encoder failed: ${String(failure)}`);
  return { frames, colour };
}

// ---- WebM ----------------------------------------------------------------------------------------

/** Matroska element ids (with their length marker bits, as written). */
const ID = {
  EBML: 0x1a45dfa3,
  EBMLVersion: 0x4286,
  EBMLReadVersion: 0x42f7,
  EBMLMaxIDLength: 0x42f2,
  EBMLMaxSizeLength: 0x42f3,
  DocType: 0x4282,
  DocTypeVersion: 0x4287,
  DocTypeReadVersion: 0x4285,
  Segment: 0x18538067,
  SeekHead: 0x114d9b74,
  Seek: 0x4dbb,
  SeekID: 0x53ab,
  SeekPosition: 0x53ac,
  Info: 0x1549a966,
  TimestampScale: 0x2ad7b1,
  Duration: 0x4489,
  MuxingApp: 0x4d80,
  WritingApp: 0x5741,
  Tracks: 0x1654ae6b,
  TrackEntry: 0xae,
  TrackNumber: 0xd7,
  TrackUID: 0x73c5,
  TrackType: 0x83,
  FlagLacing: 0x9c,
  CodecID: 0x86,
  DefaultDuration: 0x23e383,
  Video: 0xe0,
  PixelWidth: 0xb0,
  PixelHeight: 0xba,
  Colour: 0x55b0,
  MatrixCoefficients: 0x55b1,
  Range: 0x55b9,
  TransferCharacteristics: 0x55ba,
  Primaries: 0x55bb,
  Cues: 0x1c53bb6b,
  CuePoint: 0xbb,
  CueTime: 0xb3,
  CueTrackPositions: 0xb7,
  CueTrack: 0xf7,
  CueClusterPosition: 0xf1,
  Cluster: 0x1f43b675,
  Timestamp: 0xe7,
  SimpleBlock: 0xa3,
} as const;

/** The ids, for a test that reads a file back. */
export const WEBM_IDS = ID;

function idBytes(id: number): Buffer {
  const bytes: number[] = [];
  for (let v = id; v > 0; v = Math.floor(v / 256)) bytes.unshift(v % 256);
  return Buffer.from(bytes);
}

/** An EBML data size in the fewest bytes (all-ones is reserved for "unknown", so avoided). */
function sizeBytes(size: number): Buffer {
  for (let length = 1; length <= 8; length++) {
    if (size < 2 ** (7 * length) - 1) {
      const out = Buffer.alloc(length);
      let v = size;
      for (let i = length - 1; i >= 0; i--) {
        out[i] = v % 256;
        v = Math.floor(v / 256);
      }
      out[0] |= 0x80 >> (length - 1);
      return out;
    }
  }
  throw new RangeError(`EBML size ${size} too large`);
}

function element(id: number, ...payload: Buffer[]): Buffer {
  const body = Buffer.concat(payload);
  return Buffer.concat([idBytes(id), sizeBytes(body.length), body]);
}

/** An unsigned integer element, in `width` bytes when given (a position written before it is known). */
function uint(id: number, value: number, width?: number): Buffer {
  let length = width ?? 1;
  if (width === undefined) while (value >= 2 ** (8 * length)) length++;
  const out = Buffer.alloc(length);
  let v = value;
  for (let i = length - 1; i >= 0; i--) {
    out[i] = v % 256;
    v = Math.floor(v / 256);
  }
  if (v !== 0) throw new RangeError(`${value} does not fit ${length} bytes`);
  return element(id, out);
}

function text(id: number, value: string): Buffer {
  return element(id, Buffer.from(value, 'utf8'));
}

function float64(id: number, value: number): Buffer {
  const out = Buffer.alloc(8);
  out.writeDoubleBE(value);
  return element(id, out);
}

export interface WebmTrack {
  codecId: string;
  width: number;
  height: number;
  frameDurationUs: number;
  frames: readonly EncodedFrame[];
  /** Written as the track's Colour, so the player converts back to RGB the way the encoder converted from it. */
  colour?: VideoColour | undefined;
}

export interface WebmFile {
  bytes: Buffer;
  /** Where each cluster starts in the file, and its time: what a seek to that time should read. */
  clusters: Array<{ timeMs: number; offset: number }>;
}

/**
 * WebCodecs' colour names as Matroska's codes (the ISO/IEC 23091-4 numbers). The canvas frames are
 * sRGB; the encoder converts them with a BT.709 matrix and says so, while a player that is told
 * nothing guesses (Chromium guesses BT.601, which turns (40,160,60) into (40,189,55)).
 */
const MATROSKA_COLOUR: Record<'primaries' | 'transfer' | 'matrix', Record<string, number>> = {
  primaries: { bt709: 1, bt470bg: 5, smpte170m: 6, bt2020: 9 },
  transfer: { bt709: 1, smpte170m: 6, linear: 8, 'iec61966-2-1': 13, pq: 16, hlg: 18 },
  matrix: { rgb: 0, bt709: 1, bt470bg: 5, smpte170m: 6, 'bt2020-ncl': 9 },
};

function colourElement(colour: VideoColour): Buffer {
  const code = (kind: keyof typeof MATROSKA_COLOUR, name: string | null) => {
    const value = name === null ? undefined : MATROSKA_COLOUR[kind][name];
    if (value === undefined) throw new Error(`no Matroska code for the ${kind} ${JSON.stringify(name)} the encoder reported`);
    return value;
  };
  const parts = [uint(ID.MatrixCoefficients, code('matrix', colour.matrix))];
  if (colour.fullRange !== null) parts.push(uint(ID.Range, colour.fullRange ? 2 : 1));
  parts.push(uint(ID.TransferCharacteristics, code('transfer', colour.transfer)), uint(ID.Primaries, code('primaries', colour.primaries)));
  return element(ID.Colour, ...parts);
}

/**
 * A single-track WebM a player can seek in without reading it all: Duration in Info, and Cues
 * (one per cluster, each cluster starting at a key frame) placed *before* the clusters and named in
 * the SeekHead, so the index comes with the first bytes instead of a read at the end of the file.
 * Timestamps are in milliseconds (TimestampScale 1,000,000 ns).
 */
export function muxWebm(track: WebmTrack, app = 'ams-v2-emulator test helper'): WebmFile {
  if (track.frames.length === 0 || !track.frames[0]!.key) throw new Error('a WebM track must start with a key frame');
  const ms = (us: number) => Math.round(us / 1000);

  const clusters: Array<{ timeMs: number; bytes: Buffer }> = [];
  let blocks: Buffer[] = [];
  let clusterMs = 0;
  const close = () => {
    if (blocks.length > 0) clusters.push({ timeMs: clusterMs, bytes: element(ID.Cluster, uint(ID.Timestamp, clusterMs), ...blocks) });
    blocks = [];
  };
  for (const frame of track.frames) {
    const timeMs = ms(frame.timestampUs);
    if (frame.key) {
      close();
      clusterMs = timeMs;
    }
    const relative = timeMs - clusterMs;
    if (relative > 0x7fff) throw new Error(`a key frame at least every 32 s is needed (frame at ${timeMs} ms)`);
    const header = Buffer.alloc(4);
    header[0] = 0x81; // track number 1 as an EBML varint
    header.writeInt16BE(relative, 1);
    header[3] = frame.key ? 0x80 : 0x00;
    blocks.push(element(ID.SimpleBlock, header, frame.data));
  }
  close();

  const last = track.frames[track.frames.length - 1]!;
  const info = element(ID.Info, uint(ID.TimestampScale, 1_000_000), float64(ID.Duration, (last.timestampUs + track.frameDurationUs) / 1000), text(ID.MuxingApp, app), text(ID.WritingApp, app));
  const tracks = element(
    ID.Tracks,
    element(
      ID.TrackEntry,
      uint(ID.TrackNumber, 1),
      uint(ID.TrackUID, 1),
      uint(ID.TrackType, 1), // video
      uint(ID.FlagLacing, 0),
      text(ID.CodecID, track.codecId),
      uint(ID.DefaultDuration, Math.round(track.frameDurationUs * 1000)),
      element(
        ID.Video,
        uint(ID.PixelWidth, track.width),
        uint(ID.PixelHeight, track.height),
        ...(track.colour ? [colourElement(track.colour)] : []),
      ),
    ),
  );
  // Positions are written 8 bytes wide, so the sizes (and so the positions) do not depend on them.
  const cues = (clusterPositions: number[]) =>
    element(ID.Cues, ...clusters.map((c, i) => element(ID.CuePoint, uint(ID.CueTime, c.timeMs), element(ID.CueTrackPositions, uint(ID.CueTrack, 1), uint(ID.CueClusterPosition, clusterPositions[i]!, 8)))));
  const seekHead = (positions: number[]) => element(ID.SeekHead, ...[ID.Info, ID.Tracks, ID.Cues].map((id, i) => element(ID.Seek, element(ID.SeekID, idBytes(id)), uint(ID.SeekPosition, positions[i]!, 8))));

  const seekHeadSize = seekHead([0, 0, 0]).length;
  const cuesSize = cues(clusters.map(() => 0)).length;
  const infoAt = seekHeadSize;
  const tracksAt = infoAt + info.length;
  const cuesAt = tracksAt + tracks.length;
  // Positions count from the first byte of the Segment's data.
  const positions: number[] = [];
  let end = cuesAt + cuesSize;
  for (const c of clusters) {
    positions.push(end);
    end += c.bytes.length;
  }
  const segment = element(ID.Segment, seekHead([infoAt, tracksAt, cuesAt]), info, tracks, cues(positions), ...clusters.map((c) => c.bytes));
  const header = element(
    ID.EBML,
    uint(ID.EBMLVersion, 1),
    uint(ID.EBMLReadVersion, 1),
    uint(ID.EBMLMaxIDLength, 4),
    uint(ID.EBMLMaxSizeLength, 8),
    text(ID.DocType, 'webm'),
    uint(ID.DocTypeVersion, 2),
    uint(ID.DocTypeReadVersion, 2),
  );
  const segmentData = header.length + segment.length - end; // after the Segment's id and size
  return { bytes: Buffer.concat([header, segment]), clusters: clusters.map((c, i) => ({ timeMs: c.timeMs, offset: segmentData + positions[i]! })) };
}
