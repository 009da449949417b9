import { createHash } from 'node:crypto';
import { ClearContentError, resolveClearSource, type ClearSource } from '../../content/clear-stream.js';
import { getAsset } from '../../model/asset.js';
import { filesOfAsset, type AssetFileRecord } from '../../model/asset-file.js';
import { JobState } from '../../model/enums.js';
import type { MediaProcessor } from '../../model/media-processor.js';
import { withEvent, type TaskOutcome } from '../../model/task.js';
import { StorageRequestError } from '../../storage/types.js';
import { copyClear, failed, outputContainerOf, OutputGone, outputGone, recordOutputFile, untilStorageAnswers, type DecryptionRun, type ErrorDetail } from '../decrypt-task.js';
import { clientManifest, inputMetadata, outputManifest, serverManifest, type MediaFile } from './manifests.js';
import { planPreset, PresetError, type PresetPlan } from './presets.js';

/**
 * A simulated encode: the work of a Media Encoder Standard or Windows Azure Media Encoder task.
 * It writes into the output asset the files the encoder wrote for the preset, under the encoder's
 * names, each a byte copy of the input's media file (decrypted first when the input is storage
 * encrypted, as the service decrypted every processor's input), plus the manifests that list them
 * (manifests.ts). Nothing is transcoded.
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
  const mediaFiles: MediaFile[] = [
    ...plan.layers.map((layer) => ({ name: plan.fileName(basename, layer), size: source.blob.size, layer })),
    ...plan.audioOnly.map((suffix) => ({ name: `${basename}_${suffix}`, size: source.blob.size })),
  ];
  const manifests = manifestFiles(plan, input, media, basename, source.blob.size, mediaFiles);
  const total = mediaFiles.length + manifests.length;
  const primary = manifests.find((m) => m.name.endsWith('.ism'))?.name ?? mediaFiles[0]!.name;
  try {
    for (const [i, file] of mediaFiles.entries()) {
      const md5 = await copyClear(run, source, container, file.name);
      await recordOutputFile(run, input.outputAssetId, { name: file.name, size: file.size, md5, isPrimary: file.name === primary, mimeType: 'video/mp4' });
      await run.progress(i + 1, total);
    }
    for (const [i, file] of manifests.entries()) {
      const bytes = Buffer.from(file.text, 'utf8');
      await untilStorageAnswers(run, () => services.storage.uploadBlob(container, file.name, bytes, file.mimeType).catch(outputGoneOn404));
      const md5 = createHash('md5').update(bytes).digest('hex');
      await recordOutputFile(run, input.outputAssetId, { name: file.name, size: bytes.length, md5, isPrimary: file.name === primary, mimeType: file.mimeType });
      await run.progress(mediaFiles.length + i + 1, total);
    }
  } catch (err) {
    if (run.signal.aborted) throw err;
    if (err instanceof OutputGone) return failed(outputGone(input.outputAssetId));
    if (err instanceof StorageRequestError) return failed({ Code: 'UploadNotAccessible', Message: `Storage refused writing the output: ${err.message}` });
    throw err;
  }
  const perf = `Simulated by ams-v2-emulator: ${mediaFiles.length} media file(s) copied from '${media.Name}' (${source.blob.size} bytes each, not transcoded) and ${manifests.length} manifest(s), preset "${plan.name}"`;
  await run.updateTask((task) => ({ ...task, PerfMessage: perf }));
  return { state: JobState.Finished, errors: [] };
}

interface ManifestFile {
  name: string;
  text: string;
  mimeType: string;
}

function manifestFiles(plan: PresetPlan, input: EncodeInput, media: AssetFileRecord, basename: string, size: number, files: MediaFile[]): ManifestFile[] {
  const out: ManifestFile[] = [{ name: `${basename}_manifest.xml`, text: outputManifest(plan, media.Name, files), mimeType: 'application/xml' }];
  if (input.processor.kind === 'media-encoder-standard') {
    out.push({ name: `${assetGuid(input.inputAssetId)}_metadata.xml`, text: inputMetadata(media.Name, size), mimeType: 'application/xml' });
  }
  if (plan.streamingManifests) {
    out.push({ name: `${basename}.ism`, text: serverManifest(plan, media.Name, files), mimeType: 'application/octet-stream' });
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
