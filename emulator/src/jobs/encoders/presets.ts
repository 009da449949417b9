import { badRequest } from '../../odata/errors.js';
import type { ProcessorKind } from '../../model/media-processor.js';

/**
 * The presets the simulated encoders know, and the files each writes into the output asset, named
 * as the encoder named them (ams-v2-surface.md §6.5):
 *
 * - Media Encoder Standard: MP4s named `{Basename}_{Width}x{Height}_{VideoBitrate}.mp4` (the
 *   preset's FileName pattern; `{Basename}` is the first 32 characters of the input file's name),
 *   `<Basename>_manifest.xml` (output metadata) and `<input asset guid>_metadata.xml` (input
 *   metadata); a multi-layer preset also writes the server and client manifests `<Basename>.ism`
 *   and `<Basename>.ismc`. Layers of "H264 Multiple Bitrate 720p" are sourced; those of the other
 *   presets are the published preset definitions; "Adaptive Streaming" depends on the source on the
 *   service, and here is the 5 layers it gave a 720p source (names unconfirmed).
 * - Windows Azure Media Encoder: MP4s named `{Basename}_H264_{n}kbps_AAC_und_ch2_{a}kbps.mp4` (the
 *   naming the REST get-started article shows for its adaptive MP4 set), `<Basename>_manifest.xml`,
 *   and an `.ism` for a set. The per-preset bitrates are the emulator's reading of the preset names.
 *
 * A custom preset (JSON or XML) for Media Encoder Standard gives one MP4 per H264Layer it defines.
 */

/** A video layer: one MP4 (or ISMV) of the output. */
export interface Layer {
  width: number;
  height: number;
  /** Video bitrate, kbps. */
  kbps: number;
}

export interface PresetPlan {
  /** The preset as named in messages and the manifest. */
  name: string;
  layers: Layer[];
  /** The encoder's name for one layer's file. */
  fileName(basename: string, layer: Layer): string;
  /** Audio-only renditions the preset adds (WAME MP4 sets). */
  audioOnly: string[];
  /** Writes `.ism` (and `.ismc` for MES) beside the media files. */
  streamingManifests: boolean;
  /** Kbps of the audio track in every media file. */
  audioKbps: number;
}

const L = (width: number, height: number, kbps: number): Layer => ({ width, height, kbps });
const LADDER_720P = [L(1280, 720, 3400), L(960, 540, 2250), L(960, 540, 1500), L(640, 360, 1000), L(640, 360, 650), L(320, 180, 400)];

const mesFileName = (basename: string, layer: Layer): string => `${basename}_${layer.width}x${layer.height}_${layer.kbps}.mp4`;

const MES_PRESETS: Readonly<Record<string, Layer[]>> = {
  'H264 Multiple Bitrate 1080p': [L(1920, 1080, 6750), L(1920, 1080, 4700), ...LADDER_720P],
  'H264 Multiple Bitrate 720p': LADDER_720P,
  'H264 Multiple Bitrate 16x9 SD': [L(848, 480, 2200), L(848, 480, 1500), L(640, 360, 1000), L(640, 360, 650), L(320, 180, 400)],
  'H264 Single Bitrate 1080p': [L(1920, 1080, 6750)],
  'H264 Single Bitrate 720p': [L(1280, 720, 4500)],
  'H264 Single Bitrate SD 16x9': [L(848, 480, 2200)],
  'Adaptive Streaming': LADDER_720P.slice(0, 5),
  'Content Adaptive Multiple Bitrate MP4': LADDER_720P.slice(0, 5),
};

interface WamePreset {
  kbps: number[];
  audioKbps: number;
  set: boolean;
  extension: 'mp4' | 'ismv';
}

const WAME_PRESETS: Readonly<Record<string, WamePreset>> = {
  'H.264 256k DSL CBR': { kbps: [256], audioKbps: 64, set: false, extension: 'mp4' },
  'H264 Broadband 720p': { kbps: [4500], audioKbps: 128, set: false, extension: 'mp4' },
  'H.264 HD 720p VBR': { kbps: [4500], audioKbps: 128, set: false, extension: 'mp4' },
  'H.264 iPad': { kbps: [2500], audioKbps: 128, set: false, extension: 'mp4' },
  'H264 Adaptive Bitrate MP4 Set 720p': { kbps: [3400, 2250, 1500, 1000, 650, 400], audioKbps: 96, set: true, extension: 'mp4' },
  'H264 Smooth Streaming 720p': { kbps: [3400, 2250, 1500, 1000, 650, 400], audioKbps: 128, set: true, extension: 'ismv' },
};

/** Every preset name an encoder knows (for messages and the README). */
export function presetNames(kind: ProcessorKind): string[] {
  if (kind === 'media-encoder-standard') return Object.keys(MES_PRESETS);
  if (kind === 'azure-media-encoder') return Object.keys(WAME_PRESETS);
  return [];
}

/** A task's Configuration must name a preset (or hold one): refused at POST time when it is empty. */
export function checkEncoderConfiguration(configuration: unknown, where: string, processorName: string): void {
  if (typeof configuration !== 'string' || configuration.trim() === '') {
    throw badRequest(`${where}: ${processorName} needs a preset in the task's Configuration, e.g. "${processorName === 'Media Encoder Standard' ? 'Adaptive Streaming' : 'H.264 256k DSL CBR'}"`);
  }
}

/** Why a Configuration gives no plan: an ErrorDetail's message (the task ends in Error). */
export class PresetError extends Error {}

/** What the encoder writes for this Configuration; a PresetError when it knows no such preset. */
export function planPreset(kind: ProcessorKind, configuration: string): PresetPlan {
  const text = configuration.trim();
  if (kind === 'media-encoder-standard') {
    const named = Object.entries(MES_PRESETS).find(([name]) => name.toLowerCase() === text.toLowerCase());
    const [name, layers] = named ?? ['custom preset', customLayers(text)];
    return { name, layers, fileName: mesFileName, audioOnly: [], streamingManifests: layers.length > 1, audioKbps: 128 };
  }
  if (kind === 'azure-media-encoder') {
    const named = Object.entries(WAME_PRESETS).find(([name]) => name.toLowerCase() === text.toLowerCase());
    if (!named) throw new PresetError(`Windows Azure Media Encoder has no preset named ${JSON.stringify(clip(text))}; known presets: ${presetNames(kind).join(', ')}`);
    const [name, preset] = named;
    const audio = (kbps: number) => `AAC_und_ch2_${kbps}kbps`;
    return {
      name,
      layers: preset.kbps.map((kbps) => L(0, 0, kbps)),
      fileName: (basename, layer) => `${basename}_H264_${layer.kbps}kbps_${audio(preset.audioKbps)}.${preset.extension}`,
      audioOnly: preset.set && preset.extension === 'mp4' ? [`${audio(96)}.mp4`, `${audio(56)}.mp4`] : [],
      streamingManifests: preset.set,
      audioKbps: preset.audioKbps,
    };
  }
  throw new PresetError(`${kind} runs no presets`);
}

/**
 * The H264Layers of a custom MES preset, JSON (`{"Codecs":[{"Type":"H264Video","H264Layers":[{"Bitrate":…,"Width":…,"Height":…}]}]}`)
 * or XML (`<Preset><Encoding><H264Video><H264Layers><H264Layer><Bitrate>…`). Anything else is not a preset MES knows.
 */
function customLayers(text: string): Layer[] {
  const layers = text.startsWith('{') ? jsonLayers(text) : text.startsWith('<') ? xmlLayers(text) : undefined;
  if (layers === undefined) {
    throw new PresetError(`Media Encoder Standard has no preset named ${JSON.stringify(clip(text))}; known presets: ${presetNames('media-encoder-standard').join(', ')}; or send a custom preset in JSON or XML`);
  }
  if (layers.length === 0) throw new PresetError('The custom preset defines no H264Layer with a Bitrate, Width and Height; the emulator simulates H.264 layers only');
  return layers;
}

function jsonLayers(text: string): Layer[] {
  let preset: unknown;
  try {
    preset = JSON.parse(text);
  } catch (err) {
    throw new PresetError(`The custom preset is not valid JSON: ${(err as Error).message}`);
  }
  const codecs = isObject(preset) && Array.isArray(preset['Codecs']) ? preset['Codecs'] : [];
  return codecs.flatMap((codec) => (isObject(codec) && Array.isArray(codec['H264Layers']) ? codec['H264Layers'] : [])).flatMap((layer) => layerOf(isObject(layer) ? layer : {}));
}

function xmlLayers(text: string): Layer[] {
  const layers = [...text.matchAll(/<H264Layer\b[^>]*>([\s\S]*?)<\/H264Layer>/g)].map((m) => m[1]!);
  const field = (xml: string, name: string) => new RegExp(`<${name}>\\s*([^<]*?)\\s*</${name}>`).exec(xml)?.[1];
  return layers.flatMap((xml) => layerOf({ Bitrate: field(xml, 'Bitrate'), Width: field(xml, 'Width'), Height: field(xml, 'Height') }));
}

function layerOf(layer: Record<string, unknown>): Layer[] {
  const n = (v: unknown) => (typeof v === 'number' ? v : typeof v === 'string' && /^\d+$/.test(v.trim()) ? Number(v) : NaN);
  const [kbps, width, height] = [n(layer['Bitrate']), n(layer['Width']), n(layer['Height'])];
  return [kbps, width, height].every((v) => Number.isInteger(v) && v > 0) ? [L(width, height, kbps)] : [];
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function clip(text: string): string {
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}
