import type { AssetFileRecord } from '../model/asset-file.js';

/**
 * The Content-Type an asset file is served with: its MimeType when that is a usable media type,
 * else one from the name's extension, else application/octet-stream. MimeType is whatever a
 * client stored, so it is checked before it can reach a response header.
 */
const BY_EXTENSION = new Map<string, string>([
  ['mp4', 'video/mp4'],
  ['m4v', 'video/mp4'],
  ['ismv', 'video/mp4'],
  ['m4a', 'audio/mp4'],
  ['isma', 'audio/mp4'],
  ['mov', 'video/quicktime'],
  ['3gp', 'video/3gpp'],
  ['ts', 'video/mp2t'],
  ['m2ts', 'video/mp2t'],
  ['mts', 'video/mp2t'],
  ['mkv', 'video/x-matroska'],
  ['webm', 'video/webm'],
  ['avi', 'video/x-msvideo'],
  ['wmv', 'video/x-ms-wmv'],
  ['wma', 'audio/x-ms-wma'],
  ['mp3', 'audio/mpeg'],
  ['aac', 'audio/aac'],
  ['wav', 'audio/wav'],
  ['flac', 'audio/flac'],
  ['ogg', 'audio/ogg'],
  ['m3u8', 'application/vnd.apple.mpegurl'],
  ['mpd', 'application/dash+xml'],
  ['ism', 'application/vnd.ms-sstr+xml'],
  ['ismc', 'application/vnd.ms-sstr+xml'],
  ['vtt', 'text/vtt'],
  ['srt', 'application/x-subrip'],
  ['ttml', 'application/ttml+xml'],
  ['png', 'image/png'],
  ['jpg', 'image/jpeg'],
  ['jpeg', 'image/jpeg'],
  ['gif', 'image/gif'],
  ['txt', 'text/plain; charset=utf-8'],
  ['json', 'application/json'],
  ['xml', 'application/xml'],
  ['html', 'text/html; charset=utf-8'],
]);

const FALLBACK = 'application/octet-stream';

/** type/subtype with optional parameters, nothing a header could not carry. */
const MEDIA_TYPE = /^[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]{0,126}\/[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]{0,126}(?:\s*;\s*[A-Za-z0-9!#$&^_.+-]+=(?:[A-Za-z0-9!#$&^_.+-]+|"[^"\\\x00-\x1f\x7f]*"))*$/;

export function isUsableMediaType(value: unknown): value is string {
  return typeof value === 'string' && value.length <= 255 && MEDIA_TYPE.test(value.trim());
}

export function contentTypeOfName(name: string): string {
  const dot = name.lastIndexOf('.');
  if (dot < 0 || dot === name.length - 1) return FALLBACK;
  return BY_EXTENSION.get(name.slice(dot + 1).toLowerCase()) ?? FALLBACK;
}

export function contentTypeOfFile(file: Pick<AssetFileRecord, 'MimeType' | 'Name'>): string {
  const declared = file.MimeType;
  if (isUsableMediaType(declared)) return declared.trim();
  return contentTypeOfName(String(file.Name ?? ''));
}
