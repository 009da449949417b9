/**
 * What a file declares it is (MimeType, else the name's extension), reduced to the content
 * families whose bytes carry a signature the verification can check.
 */
export type ContentFamily = 'mp4' | 'mpeg-ts' | 'matroska' | 'mp3' | 'wav' | 'png' | 'jpeg' | 'text';

export interface DeclaredType {
  /** undefined: nothing to check the bytes against (application/octet-stream, an unknown extension). */
  family: ContentFamily | undefined;
  /** For people: `MimeType video/mp4`, `name extension .ts`, `no MimeType and no known extension`. */
  label: string;
  /** MPEG-TS packet size the name implies (.m2ts/.mts carry a 4-byte timestamp: 192). */
  packetSize?: 188 | 192;
}

export const FAMILY_NAMES: Readonly<Record<ContentFamily, string>> = {
  mp4: 'MP4/QuickTime (an ftyp box at offset 4)',
  'mpeg-ts': 'MPEG-TS (sync byte 0x47 every 188 bytes)',
  matroska: 'Matroska/WebM (EBML header 1A45DFA3)',
  mp3: 'MP3 (an ID3 tag or MPEG audio frame sync)',
  wav: 'WAV (RIFF....WAVE)',
  png: 'PNG (89 50 4E 47 0D 0A 1A 0A)',
  jpeg: 'JPEG (FF D8 FF)',
  text: 'UTF-8 text',
};

const BY_MIME = new Map<string, ContentFamily>([
  ['video/mp4', 'mp4'],
  ['audio/mp4', 'mp4'],
  ['application/mp4', 'mp4'],
  ['video/quicktime', 'mp4'],
  ['video/x-m4v', 'mp4'],
  ['audio/x-m4a', 'mp4'],
  ['audio/m4a', 'mp4'],
  ['video/3gpp', 'mp4'],
  ['video/3gpp2', 'mp4'],
  ['audio/3gpp', 'mp4'],
  ['video/iso.segment', 'mp4'],
  ['video/mp2t', 'mpeg-ts'],
  ['video/mpeg2-ts', 'mpeg-ts'],
  ['video/x-matroska', 'matroska'],
  ['audio/x-matroska', 'matroska'],
  ['video/webm', 'matroska'],
  ['audio/webm', 'matroska'],
  ['audio/mpeg', 'mp3'],
  ['audio/mp3', 'mp3'],
  ['audio/mpeg3', 'mp3'],
  ['audio/x-mpeg-3', 'mp3'],
  ['audio/wav', 'wav'],
  ['audio/x-wav', 'wav'],
  ['audio/wave', 'wav'],
  ['audio/vnd.wave', 'wav'],
  ['image/png', 'png'],
  ['image/jpeg', 'jpeg'],
  ['image/jpg', 'jpeg'],
  ['image/pjpeg', 'jpeg'],
  ['application/json', 'text'],
  ['application/xml', 'text'],
  ['application/javascript', 'text'],
  ['application/x-subrip', 'text'],
  ['application/vnd.apple.mpegurl', 'text'],
  ['application/x-mpegurl', 'text'],
  ['application/dash+xml', 'text'],
  ['application/ttml+xml', 'text'],
  ['application/vnd.ms-sstr+xml', 'text'],
]);

const BY_EXTENSION = new Map<string, ContentFamily>([
  ['mp4', 'mp4'],
  ['m4v', 'mp4'],
  ['m4a', 'mp4'],
  ['mov', 'mp4'],
  ['3gp', 'mp4'],
  ['3g2', 'mp4'],
  ['ismv', 'mp4'],
  ['isma', 'mp4'],
  ['cmfv', 'mp4'],
  ['cmfa', 'mp4'],
  ['m4s', 'mp4'],
  ['ts', 'mpeg-ts'],
  ['m2ts', 'mpeg-ts'],
  ['mts', 'mpeg-ts'],
  ['mkv', 'matroska'],
  ['mka', 'matroska'],
  ['webm', 'matroska'],
  ['mp3', 'mp3'],
  ['wav', 'wav'],
  ['png', 'png'],
  ['jpg', 'jpeg'],
  ['jpeg', 'jpeg'],
  ['txt', 'text'],
  ['json', 'text'],
  ['xml', 'text'],
  ['vtt', 'text'],
  ['srt', 'text'],
  ['ttml', 'text'],
  ['dfxp', 'text'],
  ['csv', 'text'],
  ['html', 'text'],
  ['htm', 'text'],
  ['ism', 'text'],
  ['ismc', 'text'],
  ['mpd', 'text'],
  ['m3u8', 'text'],
  ['smil', 'text'],
  ['md', 'text'],
]);

/**
 * MimeType wins when it names a checkable family; otherwise the extension decides (a client that
 * leaves MimeType null, or sends application/octet-stream, still named the file).
 */
export function declaredType(mimeType: unknown, name: string): DeclaredType {
  const extension = /\.([A-Za-z0-9]{1,8})$/.exec(name)?.[1]?.toLowerCase();
  const packetSize = extension === 'm2ts' || extension === 'mts' ? 192 : 188;
  if (typeof mimeType === 'string' && mimeType.trim() !== '') {
    const mime = mimeType.split(';', 1)[0]!.trim().toLowerCase();
    const family = familyOfMime(mime);
    if (family) return { family, label: `MimeType ${mime}`, packetSize: family === 'mpeg-ts' ? packetSize : undefined };
  }
  const byName = extension ? BY_EXTENSION.get(extension) : undefined;
  if (byName) return { family: byName, label: `file name extension .${extension}`, packetSize: byName === 'mpeg-ts' ? packetSize : undefined };
  const mimeLabel = typeof mimeType === 'string' && mimeType.trim() !== '' ? `MimeType ${mimeType.trim()}` : 'no MimeType';
  return { family: undefined, label: `${mimeLabel} and ${extension ? `extension .${extension}` : 'no extension'}` };
}

function familyOfMime(mime: string): ContentFamily | undefined {
  const known = BY_MIME.get(mime);
  if (known) return known;
  if (mime.startsWith('text/')) return 'text';
  if (mime.endsWith('+xml') || mime.endsWith('+json')) return 'text';
  return undefined;
}
