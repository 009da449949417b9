/**
 * The AssetFile MimeType and blob Content-Type for a file name. AMS does not look inside blobs, so
 * the client names the type; these are the types of the media AMS v2 ingested, by extension.
 */
const TYPES: Readonly<Record<string, string>> = {
  mp4: 'video/mp4',
  m4v: 'video/mp4',
  m4a: 'audio/mp4',
  mov: 'video/quicktime',
  wmv: 'video/x-ms-wmv',
  wma: 'audio/x-ms-wma',
  asf: 'video/x-ms-asf',
  avi: 'video/x-msvideo',
  mkv: 'video/x-matroska',
  webm: 'video/webm',
  ts: 'video/mp2t',
  mts: 'video/mp2t',
  m2ts: 'video/mp2t',
  mpg: 'video/mpeg',
  mpeg: 'video/mpeg',
  mxf: 'application/mxf',
  '3gp': 'video/3gpp',
  flv: 'video/x-flv',
  mp3: 'audio/mpeg',
  wav: 'audio/wav',
  aac: 'audio/aac',
  flac: 'audio/flac',
  ism: 'application/octet-stream',
  ismc: 'application/vnd.ms-sstr+xml',
  ismv: 'video/mp4',
  isma: 'audio/mp4',
  m3u8: 'application/vnd.apple.mpegurl',
  mpd: 'application/dash+xml',
  vtt: 'text/vtt',
  srt: 'application/x-subrip',
  ttml: 'application/ttml+xml',
  xml: 'application/xml',
  json: 'application/json',
  txt: 'text/plain',
  jpg: 'image/jpeg',
  jpeg: 'image/jpeg',
  png: 'image/png',
  gif: 'image/gif',
  bmp: 'image/bmp',
};

export const DEFAULT_MIME_TYPE = 'application/octet-stream';

export function guessMimeType(fileName: string): string {
  const dot = fileName.lastIndexOf('.');
  if (dot < 0) return DEFAULT_MIME_TYPE;
  return TYPES[fileName.slice(dot + 1).toLowerCase()] ?? DEFAULT_MIME_TYPE;
}
