import type { Services } from '../app/services.js';
import type { Deviation } from '../domain/deviations.js';
import type { RequestInfo } from '../domain/findings.js';
import { checkIvFormat } from '../domain/ivs.js';
import { checkFileName, ingestFileKeyId, ivReuseOf } from './asset-file.js';
import { IngestManifestFile } from '../odata/edm.js';
import type { StoreReader, Transaction } from '../store/types.js';
import { newId } from './ids.js';
import { entityLookups } from './entity.js';
import { COLLECTIONS, INDEXES } from './collections.js';
import { STORAGE_ENCRYPTION_SCHEME } from './enums.js';
import { findIngestManifestAsset, manifestAssetKey, type IngestManifestAssetRecord } from './ingest-manifest-assets.js';
import { findIngestManifest, IngestManifestState, putIngestManifest, type IngestStatistics } from './ingest-manifests.js';
import { conflicting, invalid, unknown } from './refusal.js';

/**
 * An IngestManifestFile (ams-v2-surface.md §7.3): a blob name the manifest's upload container is
 * watched for, and the encryption fields its asset file gets when the blob arrives. Pending (0)
 * until then; Finished (1) once the blob moved into the asset and became an AssetFile; Error (2)
 * when that failed or the file's verification failed (ErrorDetail says why).
 */
export type IngestManifestFileRecord = {
  Id: string;
  Created: string;
  LastModified: string;
  Name: string;
  State: number;
  ParentIngestManifestId: string;
  ParentIngestManifestAssetId: string;
  ErrorDetail: string | null;
  MimeType: string | null;
  IsPrimary: boolean;
  IsEncrypted: boolean;
  EncryptionScheme: string | null;
  EncryptionVersion: string | null;
  EncryptionKeyId: string | null;
  InitializationVector: string | null;
  _internal: {
    assetFileId: string | null;
    /**
     * The POST that registered the file, with its IV and key: the client a verification finding
     * about the arrived bytes is about (the emulator only moved them). Missing in records stored
     * before it was kept.
     */
    registeredBy?: Registration;
  };
};

/** The request that registered an IngestManifestFile, as stored (plain JSON). */
export type Registration = { requestId: string; client: string; method: string; path: string };

export const IngestManifestFileState = { Pending: 0, Finished: 1, Error: 2 } as const;

/** What a client sends to create one (the handler has read the body). */
export type NewIngestManifestFile = Omit<IngestManifestFileRecord, 'Id' | 'Created' | 'LastModified' | 'State' | 'ErrorDetail' | '_internal'>;

const FILES = COLLECTIONS.IngestManifestFiles;

/** A new file of a manifest asset, checked against its parents and its siblings. */
export function newIngestManifestFile(tx: StoreReader, services: Pick<Services, 'ids' | 'now'>, input: NewIngestManifestFile, registeredBy: RequestInfo): IngestManifestFileRecord {
  if (input.Name.trim() === '') throw invalid('An IngestManifestFile needs a Name: the blob name it is uploaded under');
  // It becomes the file's blob name in the asset's container: the same rule as a direct upload's.
  checkFileName(input.Name);
  const manifest = findIngestManifest(tx, input.ParentIngestManifestId);
  if (!manifest) throw unknown(`No IngestManifest with Id '${input.ParentIngestManifestId}' was found`);
  const asset = findIngestManifestAsset(tx, input.ParentIngestManifestAssetId);
  if (!asset) throw unknown(`No IngestManifestAsset with Id '${input.ParentIngestManifestAssetId}' was found`);
  if (asset.ParentIngestManifestId !== manifest.Id) throw invalid(`The IngestManifestAsset '${asset.Id}' belongs to the manifest '${asset.ParentIngestManifestId}', not '${manifest.Id}'`);
  if (tx.lookup<IngestManifestFileRecord>(INDEXES.ingestFilesByManifest, manifest.Id).some((f) => f.Name === input.Name)) {
    throw conflicting(`The manifest '${manifest.Id}' already has a file named '${input.Name}': every IngestManifestFile name must be unique within its manifest`);
  }
  if (input.IsEncrypted && input.EncryptionScheme === STORAGE_ENCRYPTION_SCHEME) {
    if (!input.EncryptionKeyId) throw invalid(`A storage-encrypted IngestManifestFile needs EncryptionKeyId: the asset's StorageEncryption content key (nb:kid:UUID:...)`);
  }
  const now = services.now().toISOString();
  return {
    Id: newId(IngestManifestFile, services.ids.guid()),
    Created: now,
    LastModified: now,
    State: IngestManifestFileState.Pending,
    ErrorDetail: null,
    ...input,
    ParentIngestManifestId: manifest.Id,
    ParentIngestManifestAssetId: asset.Id,
    _internal: { assetFileId: null, registeredBy: { requestId: registeredBy.requestId, client: registeredBy.client, method: registeredBy.method, path: registeredBy.path } },
  };
}

/**
 * What a new file's encryption fields deviate in, checked where the client sends them, as a direct
 * upload's are at POST Files: an IV that is no decimal UInt64, and an IV another file uses under
 * the same key (a stored file, or one still to arrive through bulk ingest).
 */
export function ingestFileDeviations(reader: StoreReader, file: IngestManifestFileRecord): Deviation[] {
  return [...checkIvFormat(file), ...ivReuseOf(reader, file, ingestFileKeyId(reader, file))];
}

const LOOKUPS = entityLookups<IngestManifestFileRecord>(IngestManifestFile, FILES);
export const { key: manifestFileKey, lookup: findIngestManifestFile } = LOOKUPS;

export function filesOfIngestManifest(reader: StoreReader, manifestId: string): IngestManifestFileRecord[] {
  return reader.lookup<IngestManifestFileRecord>(INDEXES.ingestFilesByManifest, manifestId);
}

export function filesOfIngestManifestAsset(reader: StoreReader, manifestAssetId: string): IngestManifestFileRecord[] {
  return reader.lookup<IngestManifestFileRecord>(INDEXES.ingestFilesByManifestAsset, manifestAssetId);
}

/** Store a file (new or changed) and bring its manifest's Statistics up to date. */
export function putIngestManifestFile(tx: Transaction, record: IngestManifestFileRecord, now: string): void {
  tx.put(FILES, manifestFileKey(record.Id), record);
  refreshIngestManifest(tx, record.ParentIngestManifestId, now);
}

export function deleteIngestManifestFile(tx: Transaction, record: IngestManifestFileRecord, now: string): void {
  tx.delete(FILES, manifestFileKey(record.Id));
  refreshIngestManifest(tx, record.ParentIngestManifestId, now);
}

/** Statistics and State from the manifest's files (and the unexpected blobs seen); call after any change. */
export function refreshIngestManifest(tx: Transaction, manifestId: string, now: string, unexpectedBlobs?: string[]): void {
  const manifest = findIngestManifest(tx, manifestId);
  if (!manifest) return;
  const files = filesOfIngestManifest(tx, manifest.Id);
  const count = (state: number) => files.filter((f) => f.State === state).length;
  const unexpected = unexpectedBlobs ?? manifest._internal.unexpectedBlobs;
  const details = [
    ...files.filter((f) => f.State === IngestManifestFileState.Error).map((f) => `${f.Name}: ${f.ErrorDetail ?? 'error'}`),
    ...unexpected.map((name) => `${name}: a blob in the upload container that names no IngestManifestFile of this manifest (left where it is)`),
  ];
  const statistics: IngestStatistics = {
    PendingFilesCount: count(IngestManifestFileState.Pending),
    FinishedFilesCount: count(IngestManifestFileState.Finished),
    ErrorFilesCount: count(IngestManifestFileState.Error),
    ErrorFilesDetails: details.length > 0 ? details.join('\n') : null,
  };
  const state = statistics.PendingFilesCount > 0 ? IngestManifestState.Active : IngestManifestState.Inactive;
  const same = JSON.stringify(statistics) === JSON.stringify(manifest.Statistics) && state === manifest.State && JSON.stringify(unexpected) === JSON.stringify(manifest._internal.unexpectedBlobs);
  if (same) return;
  putIngestManifest(tx, { ...manifest, Statistics: statistics, State: state, LastModified: now, _internal: { ...manifest._internal, unexpectedBlobs: unexpected } });
}

/** Delete a manifest asset and its files. */
export function deleteIngestManifestAsset(tx: Transaction, record: IngestManifestAssetRecord, now: string): void {
  for (const file of filesOfIngestManifestAsset(tx, record.Id)) tx.delete(FILES, file.Id);
  tx.delete(COLLECTIONS.IngestManifestAssets, manifestAssetKey(record.Id));
  refreshIngestManifest(tx, record.ParentIngestManifestId, now);
}

/**
 * Why a file put back (a `$batch` undo) would not fit: its manifest and manifest asset must exist,
 * and no other file of the manifest may have taken its name since. Undefined when it fits.
 */
export function manifestFileMisfit(reader: StoreReader, file: IngestManifestFileRecord): string | undefined {
  if (!findIngestManifest(reader, file.ParentIngestManifestId)) return `its manifest '${file.ParentIngestManifestId}' no longer exists`;
  if (!findIngestManifestAsset(reader, file.ParentIngestManifestAssetId)) return `its manifest asset '${file.ParentIngestManifestAssetId}' no longer exists`;
  const clash = filesOfIngestManifest(reader, file.ParentIngestManifestId).some((f) => f.Id !== file.Id && f.Name === file.Name);
  return clash ? `another file named '${file.Name}' was made in its manifest since` : undefined;
}
