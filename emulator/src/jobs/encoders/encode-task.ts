import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, extname, join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { ClearContentError, openClearStream, resolveClearSource, type ClearSource } from '../../content/clear-stream.js';
import { getAsset } from '../../model/asset.js';
import { filesOfAsset, type AssetFileRecord } from '../../model/asset-file.js';
import { JobState } from '../../model/enums.js';
import type { MediaProcessor } from '../../model/media-processor.js';
import { withEvent, type TaskOutcome } from '../../model/task.js';
import { StorageRequestError } from '../../storage/types.js';
import { copyClear, failed, outputContainerOf, OutputGone, outputGone, recordOutputFile, untilStorageAnswers, type DecryptionRun, type ErrorDetail } from '../decrypt-task.js';
import { TranscodeError, transcode, type TranscodeTarget } from './ffmpeg.js';
import { clientManifest, inputMetadata, outputManifest, serverManifest, type MediaFile, type MediaOrigin } from './manifests.js';
import { planPreset, PresetError, type PresetPlan } from './presets.js';

/**
 * A simulated encode: the work of a Media Encoder Standard or Windows Azure Media Encoder task.
 * It writes into the output asset the files the encoder wrote for the preset, under the encoder's
 * names, each a byte copy of the input's media file (decrypted first when the input is storage
 * encrypted, as the service decrypted every processor's input), plus the manifests that list them
 * (manifests.ts). Nothing is transcoded, unless the emulator runs with `--ffmpeg-transcode`: then
 * each media file is what ffmpeg makes of the clear input for its layer (ffmpeg.ts), and an input
 * ffmpeg cannot read fails the task (ContentUnsupported, with what ffmpeg said).
 *
 * It fails as the service's encoders failed, with one ErrorDetail: a preset the encoder does not
 * know (ConfigurationUnsupported), an input asset with no media file (ContentUnsupported), an input
 * it cannot read, e.g. storage encrypted with a key that does not open (DownloadNotAccessible).
 * The v2 service's codes were not recorded; these are the successor API's names for those cases.
 */

/** Extensions of files an encoder takes as media (anything else, e.g. `.bin`, is not a media file). */
const MEDIA_EXTENSIONS = new Set([
  '3gp', '3g2', 'aac', 'ac3', 'aif', 'aiff', 'asf', 'avi', 'dv', 'dvr-ms', 'f4v', 'flac', 'flv', 'gxf', 'ism', 'isma', 'ismv', 'm2p', 'm2ts', 'm2v', 'm4a',
  'm4v', 'mkv', 'mod', 'mov', 'mp3', 'mp4', 'mpeg', 'mpg', 'mts', 'mxf', 'ogg', 'ts', 'vob', 'wav', 'webm', 'wma', 'wmv', 'wtv', 'y4m', 'yuv',
]);

export interface EncodeInput {
  processor: MediaProcessor;
  configuration: string;
  inputAssetId: string;
  outputAssetId: string;
}

export async function encodeAsset(run: DecryptionRun, input: EncodeInput): Promise<TaskOutcome> {
  const { services } = run;
  const encoder = input.processor.record.Name;
  let plan: PresetPlan;
  try {
    plan = planPreset(input.processor.kind, input.configuration);
  } catch (err) {
    if (err instanceof PresetError) return failed({ Code: 'ConfigurationUnsupported', Message: err.message });
    throw err;
  }
  const container = outputContainerOf(services, input.outputAssetId);
  if (!container) return failed(outputGone(input.outputAssetId));
  if (!getAsset(services.store, input.inputAssetId)) return failed({ Code: 'DownloadNotAccessible', Message: `The input asset ${input.inputAssetId} no longer exists` });
  await run.updateTask((task, now) => withEvent(task, 'Downloading', `${encoder} reads the input asset (preset "${plan.name}")`, now));
  const files = filesOfAsset(services.store, input.inputAssetId);
  const media = mediaFileOf(files);
  if (!media) return failed(noMedia(input.inputAssetId, files));

  let source: ClearSource;
  try {
    source = await untilStorageAnswers(run, () => resolveClearSource(services, media));
  } catch (err) {
    const detail = unreadable(media.Name, err);
    if (detail) return failed(detail);
    throw err;
  }

  const basename = baseNameOf(media.Name);
  const outputs: Output[] = [
    ...plan.layers.map((layer): Output => ({ name: plan.fileName(basename, layer), target: { kind: 'video', layer, audioKbps: plan.audioKbps } })),
    ...plan.audioOnly.map((suffix): Output => ({ name: `${basename}_${suffix}`, target: { kind: 'audio', audioKbps: audioKbpsOf(suffix) ?? plan.audioKbps } })),
  ];
  // The manifests list the media files with their sizes, known once they are written; how many there are is known now.
  const estimated = outputs.map((o): MediaFile => ({ name: o.name, size: source.blob.size, ...(o.target.kind === 'video' ? { layer: o.target.layer } : {}) }));
  const ffmpeg = services.config.ffmpegPath;
  const origin: MediaOrigin = ffmpeg ? 'transcoded' : 'copied';
  const total = outputs.length + manifestFiles(plan, input, media, basename, source.blob.size, estimated, origin).length;
  const primary = plan.streamingManifests ? `${basename}.ism` : outputs[0]!.name;
  const mediaFiles: MediaFile[] = [];
  let scratch: Scratch | undefined;
  try {
    if (ffmpeg) scratch = await Scratch.withInput(run, source);
    for (const [i, output] of outputs.entries()) {
      const { md5, size } = scratch && ffmpeg ? await transcodeInto(run, scratch, ffmpeg, container, output) : { md5: await copyClear(run, source, container, output.name), size: source.blob.size };
      await recordOutputFile(run, input.outputAssetId, { name: output.name, size, md5, isPrimary: output.name === primary, mimeType: 'video/mp4' });
      mediaFiles.push({ name: output.name, size, ...(output.target.kind === 'video' ? { layer: output.target.layer } : {}) });
      await run.progress(i + 1, total);
    }
    const manifests = manifestFiles(plan, input, media, basename, source.blob.size, mediaFiles, origin);
    for (const [i, file] of manifests.entries()) {
      const bytes = Buffer.from(file.text, 'utf8');
      await untilStorageAnswers(run, () => services.storage.uploadBlob(container, file.name, bytes, file.mimeType).catch(outputGoneOn404));
      const md5 = createHash('md5').update(bytes).digest('hex');
      await recordOutputFile(run, input.outputAssetId, { name: file.name, size: bytes.length, md5, isPrimary: file.name === primary, mimeType: file.mimeType });
      await run.progress(mediaFiles.length + i + 1, total);
    }
    const how = ffmpeg
      ? `${mediaFiles.length} media file(s) transcoded by ffmpeg (--ffmpeg-transcode) from '${media.Name}'`
      : `${mediaFiles.length} media file(s) copied from '${media.Name}' (${source.blob.size} bytes each, not transcoded)`;
    const perf = `Simulated by ams-v2-emulator: ${how} and ${manifests.length} manifest(s), preset "${plan.name}"`;
    await run.updateTask((task) => ({ ...task, PerfMessage: perf }));
    return { state: JobState.Finished, errors: [] };
  } catch (err) {
    if (run.signal.aborted) throw err;
    if (err instanceof OutputGone) return failed(outputGone(input.outputAssetId));
    if (err instanceof StorageRequestError) return failed({ Code: 'UploadNotAccessible', Message: `Storage refused writing the output: ${err.message}` });
    if (err instanceof TranscodeError) return failed({ Code: 'ContentUnsupported', Message: `ffmpeg could not transcode '${media.Name}' (--ffmpeg-transcode): ${err.message}` });
    throw err;
  } finally {
    await scratch?.remove();
  }
}

/** One media file the encoder writes: its name and what ffmpeg makes of it when transcoding. */
interface Output {
  name: string;
  target: TranscodeTarget;
}

/** The bitrate a WAME audio-only name carries (`..._96kbps.mp4`). */
function audioKbpsOf(suffix: string): number | undefined {
  const m = /_(\d+)kbps\.mp4$/.exec(suffix);
  return m ? Number(m[1]) : undefined;
}

/** One output transcoded from the local clear input, then uploaded; what its file entity says of it. */
async function transcodeInto(run: DecryptionRun, scratch: Scratch, ffmpeg: string, container: string, output: Output): Promise<{ md5: string; size: number }> {
  const local = scratch.path(output.name);
  await transcode(ffmpeg, scratch.input, local, output.target, run.signal);
  const size = (await stat(local)).size;
  const md5 = createHash('md5');
  for await (const chunk of createReadStream(local)) md5.update(chunk as Buffer);
  // A fresh read of the file per try: a failed upload may have consumed the last one.
  await untilStorageAnswers(run, () => run.services.storage.uploadBlob(container, output.name, createReadStream(local), 'video/mp4').catch(outputGoneOn404));
  return { md5: md5.digest('hex'), size };
}

/** A temporary directory holding the clear input (ffmpeg reads a file) and the outputs as they are made. */
class Scratch {
  private constructor(
    readonly dir: string,
    readonly input: string,
  ) {}

  /** The clear input, written to a new temporary directory (again from the start after a storage outage). */
  static async withInput(run: DecryptionRun, source: ClearSource): Promise<Scratch> {
    const dir = await mkdtemp(join(tmpdir(), 'ams-emulator-ffmpeg-'));
    const scratch = new Scratch(dir, join(dir, `input${extname(source.file.Name).toLowerCase()}`));
    try {
      await untilStorageAnswers(run, async () => pipeline(await openClearStream(run.services, source), createWriteStream(scratch.input), { signal: run.signal }));
      return scratch;
    } catch (err) {
      await scratch.remove();
      throw err;
    }
  }

  /** Where an output named `name` is made (a name of the encoder's, kept apart from the input). */
  path(name: string): string {
    return join(this.dir, `out-${basename(name)}`);
  }

  async remove(): Promise<void> {
    await rm(this.dir, { recursive: true, force: true }).catch(() => undefined);
  }
}

interface ManifestFile {
  name: string;
  text: string;
  mimeType: string;
}

function manifestFiles(plan: PresetPlan, input: EncodeInput, media: AssetFileRecord, basename: string, size: number, files: MediaFile[], origin: MediaOrigin): ManifestFile[] {
  const out: ManifestFile[] = [{ name: `${basename}_manifest.xml`, text: outputManifest(plan, media.Name, files, origin), mimeType: 'application/xml' }];
  if (input.processor.kind === 'media-encoder-standard') {
    out.push({ name: `${assetGuid(input.inputAssetId)}_metadata.xml`, text: inputMetadata(media.Name, size), mimeType: 'application/xml' });
  }
  if (plan.streamingManifests) {
    out.push({ name: `${basename}.ism`, text: serverManifest(plan, media.Name, files, origin), mimeType: 'application/octet-stream' });
    if (input.processor.kind === 'media-encoder-standard') out.push({ name: `${basename}.ismc`, text: clientManifest(files), mimeType: 'application/octet-stream' });
  }
  return out;
}

/** The file an encoder reads: the primary file if it is media, else the first media file by name. */
function mediaFileOf(files: AssetFileRecord[]): AssetFileRecord | undefined {
  const media = files.filter((f) => MEDIA_EXTENSIONS.has(extensionOf(f.Name)));
  return media.find((f) => f.IsPrimary) ?? [...media].sort((a, b) => (a.Name < b.Name ? -1 : a.Name > b.Name ? 1 : 0))[0];
}

function noMedia(assetId: string, files: AssetFileRecord[]): ErrorDetail {
  if (files.length === 0) return { Code: 'ContentUnsupported', Message: `The input asset ${assetId} has no files: upload the media file and create its file entity before running the job` };
  const names = files.slice(0, 5).map((f) => `'${f.Name}'`).join(', ');
  return {
    Code: 'ContentUnsupported',
    Message: `The input asset ${assetId} has no media file the encoder can read (${names}${files.length > 5 ? ', ...' : ''}); the emulator takes a file with a media extension (.mp4, .mov, .wmv, .mp3, ...) as media`,
  };
}

/** ClearContentError codes say why the input could not be read (no key, a key that does not open, a bad IV, no blob). */
function unreadable(name: string, err: unknown): ErrorDetail | undefined {
  if (err instanceof ClearContentError) return { Code: 'DownloadNotAccessible', Message: `The input file '${name}' cannot be read (${err.code}): ${err.message}` };
  if (err instanceof StorageRequestError) return { Code: 'DownloadNotAccessible', Message: `The input file '${name}': storage refused the read: ${err.message}` };
  return undefined;
}

function outputGoneOn404(err: unknown): never {
  if (err instanceof StorageRequestError && err.statusCode === 404) throw new OutputGone();
  throw err;
}

function extensionOf(name: string): string {
  const dot = name.lastIndexOf('.');
  return dot < 0 ? '' : name.slice(dot + 1).toLowerCase();
}

/** `{Basename}`: the input file's name without its extension, at most 32 characters (MES). */
function baseNameOf(name: string): string {
  const dot = name.lastIndexOf('.');
  return (dot > 0 ? name.slice(0, dot) : name).slice(0, 32);
}

function assetGuid(assetId: string): string {
  return assetId.replace(/^nb:cid:UUID:/i, '');
}
