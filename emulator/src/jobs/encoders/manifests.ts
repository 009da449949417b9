import type { Layer, PresetPlan } from './presets.js';

/**
 * The XML files a simulated encode writes beside its media files. They describe what the emulator
 * wrote, in the shapes the encoders used (MES's output and input metadata, a SMIL server manifest,
 * a Smooth Streaming client manifest), and each says in a comment that the media files are copies
 * of the input (or, with --ffmpeg-transcode, ffmpeg's transcodes of it), not the encoder's output:
 * a client reading them finds the file list it expects, and a person reading them is not misled.
 */

export interface MediaFile {
  name: string;
  size: number;
  /** undefined for an audio-only rendition. */
  layer?: Layer;
}

/** How the media files listed were made: copies of the input, or ffmpeg's transcodes of it (--ffmpeg-transcode). */
export type MediaOrigin = 'copied' | 'transcoded';

const NOTE = (input: string, origin: MediaOrigin) =>
  origin === 'copied'
    ? `<!-- Written by ams-v2-emulator: a simulated encode. Every media file listed is a byte copy of the input file ${escapeComment(input)}, not a transcode. -->`
    : `<!-- Written by ams-v2-emulator: a simulated encode. Every media file listed is ffmpeg's transcode of the input file ${escapeComment(input)} (the emulator runs with ffmpeg transcoding on), not Media Encoder output. -->`;

/** `<Basename>_manifest.xml`: the output metadata, one AssetFile per media file. */
export function outputManifest(plan: PresetPlan, input: string, files: MediaFile[], origin: MediaOrigin): string {
  const entries = files.map((f) => {
    const video = f.layer ? `<VideoTracks><VideoTrack Id="1" Codec="h264" Width="${f.layer.width}" Height="${f.layer.height}" TargetBitrate="${f.layer.kbps}" /></VideoTracks>` : '';
    const audio = `<AudioTracks><AudioTrack Id="${f.layer ? 2 : 1}" Codec="aac" Channels="2" Bitrate="${plan.audioKbps}" /></AudioTracks>`;
    return `  <AssetFile Name="${attr(f.name)}" Size="${f.size}" NumberOfStreams="${f.layer ? 2 : 1}">${video}${audio}</AssetFile>`;
  });
  return xml(
    `<AssetFiles xmlns="http://schemas.microsoft.com/windowsazure/mediaservices/2014/07/mediaencoder/manifest" Preset="${attr(plan.name)}">`,
    NOTE(input, origin),
    ...entries,
    '</AssetFiles>',
  );
}

/** `<input asset guid>_metadata.xml`: what MES read. */
export function inputMetadata(input: string, size: number): string {
  return xml(
    '<AssetFiles xmlns="http://schemas.microsoft.com/windowsazure/mediaservices/2014/07/mediaencoder/inputmetadata">',
    `  <AssetFile Name="${attr(input)}" Size="${size}" />`,
    '</AssetFiles>',
  );
}

/** `<Basename>.ism`: the SMIL server manifest a streaming endpoint serves the set from. */
export function serverManifest(plan: PresetPlan, input: string, files: MediaFile[], origin: MediaOrigin): string {
  const tracks = files.flatMap((f) =>
    f.layer
      ? [
          `      <video src="${attr(f.name)}" systemBitrate="${f.layer.kbps * 1000}"><param name="trackID" value="1" valuetype="data" /></video>`,
          `      <audio src="${attr(f.name)}" systemBitrate="${plan.audioKbps * 1000}"><param name="trackID" value="2" valuetype="data" /></audio>`,
        ]
      : [`      <audio src="${attr(f.name)}" systemBitrate="${plan.audioKbps * 1000}"><param name="trackID" value="1" valuetype="data" /></audio>`],
  );
  return xml('<smil xmlns="http://www.w3.org/2001/SMIL20/Language">', NOTE(input, origin), '  <head><meta name="formats" content="mp4" /></head>', '  <body>', '    <switch>', ...tracks, '    </switch>', '  </body>', '</smil>');
}

/** `<Basename>.ismc`: the Smooth Streaming client manifest (no fragments: nothing was encoded). */
export function clientManifest(files: MediaFile[]): string {
  const layers = files.flatMap((f) => (f.layer ? [f.layer] : []));
  const levels = layers.map((l, i) => `    <QualityLevel Index="${i}" Bitrate="${l.kbps * 1000}" FourCC="H264" MaxWidth="${l.width}" MaxHeight="${l.height}" />`);
  return xml(
    '<SmoothStreamingMedia MajorVersion="2" MinorVersion="2" Duration="0" TimeScale="10000000">',
    `  <StreamIndex Type="video" QualityLevels="${layers.length}" Chunks="0" Url="QualityLevels({bitrate})/Fragments(video={start time})">`,
    ...levels,
    '  </StreamIndex>',
    '</SmoothStreamingMedia>',
  );
}

function xml(...lines: string[]): string {
  return ['<?xml version="1.0" encoding="utf-8"?>', ...lines, ''].join('\n');
}

function attr(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

function escapeComment(text: string): string {
  return `'${text.replace(/--/g, '- -')}'`;
}
