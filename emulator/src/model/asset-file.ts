import { recordDeviations, refuseIfStrict, type Deviation } from '../domain/deviations.js';
import type { RequestInfo } from '../domain/findings.js';
import { checkIvFormat, checkIvUnique, ivIdentity, type EncryptedFileView } from '../domain/ivs.js';
import { AssetFile, ContentKey } from '../odata/edm.js';
import { blobNameEscape } from '../storage/blob-names.js';
import { defineIndex } from '../store/indexes.js';
import type { JsonRecord, StoreReader } from '../store/types.js';
import type { Services } from '../app/services.js';
import { assetStorageKeyId, containerOf, findAsset } from './asset.js';
import { COLLECTIONS, INDEXES } from './collections.js';
import { entityLookups, mergeValues, newRecord, requireValues, stringValue, type EntityValues } from './entity.js';
import { canonicalId, newId } from './ids.js';
import { findIngestManifestAsset } from './ingest-manifest-assets.js';
import type { AssetFileRecord } from './records.js';
import { conflicting, invalid, unknown } from './refusal.js';

export type { AssetFileRecord } from './records.js';

/**
 * An AssetFile: one blob of its asset's container, by name, with the encryption fields the client
 * declares (stored as sent: the IV verbatim, since PHP sent base64). What must hold: its asset
 * exists; its name can be a blob name in the container and is unique in the asset; an asset has at
 * most one primary file and at most `--max-files-per-asset` files; no two encrypted files share an
 * IV under one content key (a finding; strict: refused).
 */

const F = COLLECTIONS.Files;

const FILE_DEFAULTS = { ContentFileSize: '0', IsEncrypted: false, IsPrimary: false, Options: 0 } as const;

/** findFile: by a client's key (400/404); getFile: by a stored canonical id, if it is still there. */
export const { find: findFile, get: getFile } = entityLookups<AssetFileRecord>(AssetFile, F);

export function filesOfAsset(reader: StoreReader, assetId: string): AssetFileRecord[] {
  return reader.lookup<AssetFileRecord>(INDEXES.filesByAsset, assetId);
}

/** Every file, in creation order. */
export function allFiles(reader: StoreReader): IterableIterator<AssetFileRecord> {
  return reader.values<AssetFileRecord>(F);
}

/** Encrypted files by the value of their IV ("07" and "7" together): the candidates for IV reuse. */
const FILES_BY_IV = defineIndex(F, 'iv', (record) => {
  const file = record as AssetFileRecord;
  const iv = file.InitializationVector;
  return file.IsEncrypted === true && typeof iv === 'string' && iv !== '' ? ivIdentity(iv) : undefined;
});

/**
 * An IngestManifestFile as the IV checks read it (ingest-manifest-files.ts owns the record, and
 * imports this file): encrypted, its IV and key, where it goes, whether it still waits.
 */
export interface IngestFileIvView extends EncryptedFileView {
  State: number;
  EncryptionKeyId: string | null;
  ParentIngestManifestAssetId: string;
}

/** IngestManifestFileState.Pending: the file's blob has not arrived yet. */
const INGEST_PENDING = 0;

/**
 * Bulk-ingest files still waiting for their upload, by the value of their IV: each becomes a file
 * of its asset with that IV and key when its blob arrives, so its IV counts as used already.
 */
const PENDING_INGEST_FILES_BY_IV = defineIndex(COLLECTIONS.IngestManifestFiles, 'pendingIv', (record) => {
  const file = record as unknown as IngestFileIvView;
  const iv = file.InitializationVector;
  return file.State === INGEST_PENDING && file.IsEncrypted === true && typeof iv === 'string' && iv !== '' ? ivIdentity(iv) : undefined;
});

/** The content key a file is encrypted with: its EncryptionKeyId, else its asset's storage key. */
export function fileKeyId(reader: StoreReader, file: AssetFileRecord): string | undefined {
  return namedKeyId(file.EncryptionKeyId) ?? assetStorageKeyId(reader, String(file.ParentAssetId));
}

/** The content key a bulk-ingest file will be encrypted with: its EncryptionKeyId, else its asset's storage key. */
export function ingestFileKeyId(reader: StoreReader, file: IngestFileIvView): string | undefined {
  const named = namedKeyId(file.EncryptionKeyId);
  if (named !== undefined) return named;
  const assetId = findIngestManifestAsset(reader, file.ParentIngestManifestAssetId)?._internal.assetId;
  return assetId === undefined ? undefined : assetStorageKeyId(reader, assetId);
}

function namedKeyId(explicit: string | null | undefined): string | undefined {
  if (typeof explicit !== 'string' || explicit === '') return undefined;
  try {
    return canonicalId(ContentKey, explicit);
  } catch {
    return explicit;
  }
}

/**
 * The IV reuse `file` (encrypted under `keyId`) makes: another encrypted file with the same IV
 * under that key, stored or still to arrive through bulk ingest. A direct upload and a bulk
 * ingest are judged alike, whichever came first.
 */
export function ivReuseOf(reader: StoreReader, file: EncryptedFileView, keyId: string | undefined): Deviation[] {
  const iv = file.InitializationVector;
  if (typeof iv !== 'string' || iv === '') return [];
  const identity = ivIdentity(iv);
  const stored = checkIvUnique(file, keyId, reader.lookup<AssetFileRecord>(FILES_BY_IV, identity), (other) => fileKeyId(reader, other));
  if (stored.length > 0) return stored;
  return checkIvUnique(file, keyId, reader.lookup<JsonRecord>(PENDING_INGEST_FILES_BY_IV, identity) as unknown as IngestFileIvView[], (other) => ingestFileKeyId(reader, other));
}

/**
 * IV reuse that linking a key to an asset creates: the asset's encrypted files that name no
 * EncryptionKeyId take its storage key, each checked against every file with its IV under that
 * key (a pair is reported once). Call inside the link's transaction, after the link is stored.
 */
export function ivReuseOfUnkeyedFiles(reader: StoreReader, assetId: string): Deviation[] {
  const deviations: Deviation[] = [];
  const reported = new Set<string>();
  for (const file of filesOfAsset(reader, assetId)) {
    const explicit = file.EncryptionKeyId;
    if (typeof explicit === 'string' && explicit !== '') continue;
    const iv = file.InitializationVector;
    if (typeof iv !== 'string' || iv === '') continue;
    for (const deviation of ivReuseOf(reader, file, fileKeyId(reader, file))) {
      const pair = [file.Id, String(deviation.details?.['otherFileId'])].sort().join('|');
      if (reported.has(pair)) continue;
      reported.add(pair);
      deviations.push(deviation);
    }
  }
  return deviations;
}

/** POST Files: the encryption fields are stored as sent. */
export async function createFile(services: Services, values: EntityValues, request: RequestInfo): Promise<AssetFileRecord> {
  requireValues(AssetFile, values, ['Name', 'ParentAssetId']);
  const asset = findAsset(services.store, stringValue(values, 'ParentAssetId')!);
  checkFileName(stringValue(values, 'Name')!);
  const now = services.now().toISOString();
  const record = newRecord(AssetFile, { ...FILE_DEFAULTS, Created: now, LastModified: now }, values) as AssetFileRecord;
  record.Id = newId(AssetFile, services.ids.guid());
  record.ParentAssetId = asset.Id;
  await commitFile(services, request, record, undefined);
  return record;
}

/** How many times a MERGE is redone when the file changed while it was being verified (--strict). */
const MAX_UPDATE_ATTEMPTS = 20;

/** A MERGE gave up: the file changed under it every time it was redone (the client may retry). */
export class FileKeptChanging extends Error {
  constructor(readonly fileId: string) {
    super(`The file '${fileId}' kept changing under concurrent requests; retry the MERGE`);
    this.name = 'FileKeptChanging';
  }
}

export async function updateFile(services: Services, key: string, values: EntityValues, request: RequestInfo): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    const current = findFile(services.store, key);
    const next = mergeValues(AssetFile, current, values);
    if (typeof next.Name !== 'string' || next.Name === '') throw invalid("An AssetFile's Name cannot be empty");
    if (next.Name !== current.Name) checkFileName(next.Name);
    next.LastModified = services.now().toISOString();
    try {
      await commitFile(services, request, next, current);
      return;
    } catch (err) {
      // Another request changed the file while this one awaited the strict verification: merging
      // into what this one read would undo that change, so merge into the new state and verify again.
      if (!(err instanceof FileChangedMeanwhile)) throw err;
      if (attempt >= MAX_UPDATE_ATTEMPTS) throw new FileKeptChanging(String(current.Id));
    }
  }
}

/** The file is no longer the record an update was computed from. */
class FileChangedMeanwhile extends Error {}

export async function deleteFile(services: Services, key: string, request: RequestInfo): Promise<void> {
  const file = await services.store.transaction((tx) => {
    const found = findFile(tx, key);
    tx.delete(F, found.Id);
    return found;
  });
  services.events.fileDeleted(file, request);
}

/**
 * CreateFileInfos?assetid='..': a file entity for every blob of the asset's container that has
 * none yet, as the service did for clients that upload first (Java, PHP); they MERGE the
 * encryption fields afterwards.
 */
export async function createFileInfos(services: Services, assetKey: string, request: RequestInfo): Promise<void> {
  const asset = findAsset(services.store, assetKey);
  const assetId = asset.Id;
  const blobs = await services.storage.listBlobs(containerOf(asset));
  // A blob stored under a name like '../asset-<other>/x' (raw HTTP can do that) must not become a
  // file: its name would address another asset's blob from then on.
  for (const blob of blobs) {
    const escape = blobNameEscape(blob.name);
    if (escape !== undefined) {
      throw invalid(`CreateFileInfos cannot make a file of the blob ${JSON.stringify(blob.name.slice(0, 260))} in the asset's container: ${escape}; delete that blob and upload it under another name`);
    }
  }
  const created: string[] = [];
  await services.store.transaction((tx) => {
    // The asset may have been deleted while its container was listed.
    if (!tx.has(COLLECTIONS.Assets, assetId)) throw unknown(`No Asset with Id '${assetKey}' was found`);
    const existing = new Set(filesOfAsset(tx, assetId).map((f) => f.Name));
    const missing = blobs.filter((blob) => !existing.has(blob.name)).length;
    const limit = services.config.limits.maxFilesPerAsset;
    if (missing > 0 && existing.size + missing > limit) {
      throw invalid(`CreateFileInfos would give the asset '${assetId}' ${existing.size + missing} files (${missing} blobs have none yet); the emulator's limit is ${limit} per asset (--max-files-per-asset)`);
    }
    const now = services.now().toISOString();
    for (const blob of blobs) {
      if (existing.has(blob.name)) continue;
      const id = newId(AssetFile, services.ids.guid());
      const record = newRecord(AssetFile, { ...FILE_DEFAULTS, Created: now, LastModified: now }, new Map()) as AssetFileRecord;
      Object.assign(record, { Id: id, Name: blob.name, ParentAssetId: assetId, ContentFileSize: String(blob.size), MimeType: blob.contentType ?? null });
      tx.put(F, id, record);
      created.push(id);
    }
  });
  for (const id of created) services.events.fileChanged(id, request);
}

/**
 * Store a new or updated file after the checks that span files (duplicate name, second primary,
 * IV reuse), inside one transaction so two concurrent requests can never both pass them.
 */
async function commitFile(services: Services, request: RequestInfo, record: AssetFileRecord, previous: AssetFileRecord | undefined): Promise<void> {
  const ivChanged = !previous || previous.InitializationVector !== record.InitializationVector || previous.IsEncrypted !== record.IsEncrypted || previous.EncryptionKeyId !== record.EncryptionKeyId;
  const formatDeviations: Deviation[] = ivChanged ? checkIvFormat(record) : [];
  refuseIfStrict(services.config.strict, formatDeviations);
  if (services.config.strict) await services.events.beforeFileCommit(record, request);
  const assetId = String(record.ParentAssetId);
  await services.store.transaction((tx) => {
    // A MERGE that lost the race to a DELETE of the file (or its asset) finds nothing: 404, as it
    // would have a moment later. A POST whose parent went away meanwhile named a missing asset: 400.
    if (previous && !tx.has(F, String(record.Id))) throw unknown(`The file '${record.Id}' no longer exists: it was deleted while this request ran`);
    if (!tx.has(COLLECTIONS.Assets, assetId)) {
      const message = `The asset '${assetId}' no longer exists: it was deleted while this request ran`;
      throw previous ? unknown(message) : invalid(message);
    }
    // Stored records are replaced, never mutated: another object means another write landed.
    if (previous && tx.get(F, String(record.Id)) !== previous) throw new FileChangedMeanwhile();
    const siblings = filesOfAsset(tx, assetId).filter((f) => f.Id !== record.Id);
    if (!previous && siblings.length >= services.config.limits.maxFilesPerAsset) {
      throw invalid(`The asset '${assetId}' already has ${siblings.length} files, the emulator's limit per asset (--max-files-per-asset)`);
    }
    if (siblings.some((f) => f.Name === record.Name)) throw conflicting(`The asset '${assetId}' already has a file named '${record.Name}'`);
    if (record.IsPrimary === true && siblings.some((f) => f.IsPrimary === true)) throw conflicting(`The asset '${assetId}' already has a primary file`);
    const deviations = [...formatDeviations];
    if (ivChanged) deviations.push(...ivReuseOf(tx, record, fileKeyId(tx, record)));
    refuseIfStrict(services.config.strict, deviations);
    tx.put(F, String(record.Id), record);
    recordDeviations(tx, request, deviations, () => services.ids.guid(), services.now());
  });
  services.events.fileChanged(String(record.Id), request);
}

/**
 * Why a file put back (a `$batch` undo) would not fit the state around it, or undefined when it
 * fits: its asset must exist and no other file of the asset may have its name (in any case).
 */
export function fileMisfit(reader: StoreReader, file: AssetFileRecord): string | undefined {
  if (!reader.has(COLLECTIONS.Assets, file.ParentAssetId)) return `its asset '${file.ParentAssetId}' no longer exists`;
  const name = String(file.Name).toLowerCase();
  const clash = filesOfAsset(reader, file.ParentAssetId).some((f) => f.Id !== file.Id && String(f.Name).toLowerCase() === name);
  return clash ? `another file named '${String(file.Name)}' was made in its asset since` : undefined;
}

/** Names become blob names and URL segments: refuse what cannot be either. */
/** A file name the asset's container can hold as a blob name, plainly inside it (400 otherwise). */
export function checkFileName(name: string): void {
  if (name.length > 260) throw invalid(`The file name is ${name.length} characters; the limit is 260`);
  if (/[\u0000-\u001f\u007f]/.test(name)) throw invalid('The file name contains control characters');
  // A lone surrogate (JSON "\ud800") has no UTF-8 form: no blob can have that name, no URL can name it.
  if (/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/.test(name)) throw invalid('The file name is not valid Unicode: it holds an unpaired surrogate');
  if (name.endsWith('/') || name.endsWith('.') || name.startsWith('/')) throw invalid(`The file name ${JSON.stringify(name)} cannot be a blob name`);
  const escape = blobNameEscape(name);
  if (escape !== undefined) throw invalid(`The file name ${JSON.stringify(name)} cannot be a blob name in the asset's container: ${escape}`);
}
