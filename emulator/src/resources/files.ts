import { formatNbId } from '../../../client/src/crypto/index.js';
import { STORAGE_ENCRYPTION } from '../domain/content-keys.js';
import { recordDeviations, refuseIfStrict, type Deviation } from '../domain/deviations.js';
import { checkIvFormat, checkIvUnique, ivIdentity, type EncryptedFileView } from '../domain/ivs.js';
import { Asset, AssetFile, ContentKey } from '../odata/edm.js';
import { badRequest, conflict, notFound, serviceUnavailable } from '../odata/errors.js';
import { functionParameters } from '../odata/params.js';
import { canonicalId } from '../odata/uri.js';
import { blobNameEscape } from '../storage/blob-names.js';
import { defineIndex } from '../store/indexes.js';
import type { JsonRecord, StoreReader } from '../store/types.js';
import { containerOf } from './assets.js';
import { COLLECTIONS, INDEXES } from '../model/collections.js';
import { findEntity, linkedKeys, mergeValues, newRecord, readBody, requireValues, stringValue } from './common.js';
import type { Services } from '../app/services.js';
import type { ApiRequest, ApiResult } from './context.js';

const F = COLLECTIONS.Files;

const FILE_DEFAULTS: JsonRecord = { ContentFileSize: '0', IsEncrypted: false, IsPrimary: false, Options: 0 };

/** POST Files: the encryption fields are stored as sent (the IV verbatim: PHP sent base64). */
export async function createFile(req: ApiRequest, services: Services): Promise<ApiResult> {
  const body = readBody(req, services, AssetFile);
  requireValues(AssetFile, body.values, ['Name', 'ParentAssetId']);
  const parentKey = stringValue(body.values, 'ParentAssetId')!;
  const asset = findEntity(services.store, Asset, COLLECTIONS.Assets, parentKey);
  const name = stringValue(body.values, 'Name')!;
  checkFileName(name);
  const now = services.now().toISOString();
  const record = newRecord(AssetFile, { ...FILE_DEFAULTS, Created: now, LastModified: now }, body.values);
  record['Id'] = formatNbId('cid', services.ids.guid());
  record['ParentAssetId'] = asset['Id'] as string;
  await commitFile(req, services, record, undefined);
  return { kind: 'entity', type: AssetFile, record, status: 201 };
}

/** How many times a MERGE is redone when the file changed while it was being verified (--strict). */
const MAX_UPDATE_ATTEMPTS = 20;

export async function updateFile(req: ApiRequest, services: Services, key: string): Promise<ApiResult> {
  const body = readBody(req, services, AssetFile);
  for (let attempt = 1; ; attempt++) {
    const current = findEntity(services.store, AssetFile, F, key);
    const next = mergeValues(AssetFile, current, body.values);
    if (typeof next['Name'] !== 'string' || next['Name'] === '') throw badRequest("An AssetFile's Name cannot be empty");
    if (next['Name'] !== current['Name']) checkFileName(next['Name']);
    next['LastModified'] = services.now().toISOString();
    try {
      await commitFile(req, services, next, current);
      return { kind: 'noContent' };
    } catch (err) {
      // Another request changed the file while this one awaited the strict verification: merging
      // into what this one read would undo that change, so merge into the new state and verify again.
      if (!(err instanceof FileChangedMeanwhile)) throw err;
      if (attempt >= MAX_UPDATE_ATTEMPTS) throw serviceUnavailable(`The file '${String(current['Id'])}' kept changing under concurrent requests; retry the MERGE`, 1);
    }
  }
}

/** The file is no longer the record an update was computed from. */
class FileChangedMeanwhile extends Error {}

export async function deleteFile(req: ApiRequest, services: Services, key: string): Promise<ApiResult> {
  const file = await services.store.transaction((tx) => {
    const found = findEntity(tx, AssetFile, F, key);
    tx.delete(F, found['Id'] as string);
    return found;
  });
  services.events.fileDeleted(file, req.info);
  return { kind: 'noContent' };
}

/**
 * CreateFileInfos?assetid='..': a file entity for every blob of the asset's container that has
 * none yet, as the service did for clients that upload first (Java, PHP); they MERGE the
 * encryption fields afterwards.
 */
export async function createFileInfos(req: ApiRequest, services: Services): Promise<ApiResult> {
  const assetKey = functionParameters(req.rawQuery).get('assetid');
  if (assetKey === undefined || assetKey === '') throw badRequest("CreateFileInfos requires the parameter assetid, e.g. CreateFileInfos?assetid='nb:cid:UUID:...'");
  const asset = findEntity(services.store, Asset, COLLECTIONS.Assets, assetKey);
  const assetId = asset['Id'] as string;
  const blobs = await services.storage.listBlobs(containerOf(asset));
  // A blob stored under a name like '../asset-<other>/x' (raw HTTP can do that) must not become a
  // file: its name would address another asset's blob from then on.
  for (const blob of blobs) {
    const escape = blobNameEscape(blob.name);
    if (escape !== undefined) {
      throw badRequest(`CreateFileInfos cannot make a file of the blob ${JSON.stringify(blob.name.slice(0, 260))} in the asset's container: ${escape}; delete that blob and upload it under another name`);
    }
  }
  const created: string[] = [];
  await services.store.transaction((tx) => {
    // The asset may have been deleted while its container was listed.
    if (!tx.has(COLLECTIONS.Assets, assetId)) throw notFound(`No Asset with Id '${assetKey}' was found`);
    const existing = new Set(filesOfAsset(tx, assetId).map((f) => f['Name']));
    const missing = blobs.filter((blob) => !existing.has(blob.name)).length;
    const limit = services.config.limits.maxFilesPerAsset;
    if (missing > 0 && existing.size + missing > limit) {
      throw badRequest(`CreateFileInfos would give the asset '${assetId}' ${existing.size + missing} files (${missing} blobs have none yet); the emulator's limit is ${limit} per asset (--max-files-per-asset)`);
    }
    const now = services.now().toISOString();
    for (const blob of blobs) {
      if (existing.has(blob.name)) continue;
      const id = formatNbId('cid', services.ids.guid());
      const record = newRecord(AssetFile, { ...FILE_DEFAULTS, Created: now, LastModified: now }, new Map());
      Object.assign(record, { Id: id, Name: blob.name, ParentAssetId: assetId, ContentFileSize: String(blob.size), MimeType: blob.contentType ?? null });
      tx.put(F, id, record);
      created.push(id);
    }
  });
  for (const id of created) services.events.fileChanged(id, req.info);
  return { kind: 'noContent' };
}

export function filesOfAsset(reader: StoreReader, assetId: string): JsonRecord[] {
  return reader.lookup(INDEXES.filesByAsset, assetId);
}

/** Encrypted files by the value of their IV ("07" and "7" together): the candidates for IV reuse. */
const FILES_BY_IV = defineIndex(F, 'iv', (file) => {
  const iv = file['InitializationVector'];
  return file['IsEncrypted'] === true && typeof iv === 'string' && iv !== '' ? ivIdentity(iv) : undefined;
});

/** The content key a file is encrypted with: its EncryptionKeyId, else its asset's storage key. */
export function fileKeyId(reader: StoreReader, file: JsonRecord): string | undefined {
  const explicit = file['EncryptionKeyId'];
  if (typeof explicit === 'string' && explicit !== '') {
    try {
      return canonicalId(ContentKey, explicit);
    } catch {
      return explicit;
    }
  }
  return assetStorageKeyId(reader, String(file['ParentAssetId']));
}

export function assetStorageKeyId(reader: StoreReader, assetId: string): string | undefined {
  return linkedKeys(reader, assetId).find((k) => reader.get(COLLECTIONS.ContentKeys, k)?.['ContentKeyType'] === STORAGE_ENCRYPTION);
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
    const explicit = file['EncryptionKeyId'];
    if (typeof explicit === 'string' && explicit !== '') continue;
    const view = file as unknown as EncryptedFileView;
    const iv = view.InitializationVector;
    if (typeof iv !== 'string' || iv === '') continue;
    for (const deviation of checkIvUnique(view, fileKeyId(reader, file), reader.lookup(FILES_BY_IV, ivIdentity(iv)), (other) => fileKeyId(reader, other))) {
      const pair = [view.Id, String(deviation.details?.['otherFileId'])].sort().join('|');
      if (reported.has(pair)) continue;
      reported.add(pair);
      deviations.push(deviation);
    }
  }
  return deviations;
}

/**
 * Store a new or updated file after the checks that span files (duplicate name, second primary,
 * IV reuse), inside one transaction so two concurrent requests can never both pass them.
 */
async function commitFile(req: ApiRequest, services: Services, record: JsonRecord, previous: JsonRecord | undefined): Promise<void> {
  const view = record as unknown as EncryptedFileView;
  const ivChanged = !previous || previous['InitializationVector'] !== record['InitializationVector'] || previous['IsEncrypted'] !== record['IsEncrypted'] || previous['EncryptionKeyId'] !== record['EncryptionKeyId'];
  const formatDeviations: Deviation[] = ivChanged ? checkIvFormat(view) : [];
  refuseIfStrict(services.config.strict, formatDeviations);
  if (services.config.strict) await services.events.beforeFileCommit(record, req.info);
  const assetId = String(record['ParentAssetId']);
  await services.store.transaction((tx) => {
    // A MERGE that lost the race to a DELETE of the file (or its asset) finds nothing: 404, as it
    // would have a moment later. A POST whose parent went away meanwhile named a missing asset: 400.
    if (previous && !tx.has(F, String(record['Id']))) throw notFound(`The file '${record['Id']}' no longer exists: it was deleted while this request ran`);
    if (!tx.has(COLLECTIONS.Assets, assetId)) {
      const message = `The asset '${assetId}' no longer exists: it was deleted while this request ran`;
      throw previous ? notFound(message) : badRequest(message);
    }
    // Stored records are replaced, never mutated: another object means another write landed.
    if (previous && tx.get(F, String(record['Id'])) !== previous) throw new FileChangedMeanwhile();
    const siblings = filesOfAsset(tx, assetId).filter((f) => f['Id'] !== record['Id']);
    if (!previous && siblings.length >= services.config.limits.maxFilesPerAsset) {
      throw badRequest(`The asset '${assetId}' already has ${siblings.length} files, the emulator's limit per asset (--max-files-per-asset)`);
    }
    if (siblings.some((f) => f['Name'] === record['Name'])) throw conflict(`The asset '${assetId}' already has a file named '${record['Name']}'`);
    if (record['IsPrimary'] === true && siblings.some((f) => f['IsPrimary'] === true)) throw conflict(`The asset '${assetId}' already has a primary file`);
    const deviations = [...formatDeviations];
    if (ivChanged) {
      const keyId = fileKeyId(tx, record);
      const iv = view.InitializationVector;
      const sameIv = typeof iv === 'string' && iv !== '' ? tx.lookup(FILES_BY_IV, ivIdentity(iv)) : [];
      deviations.push(...checkIvUnique(view, keyId, sameIv, (other) => fileKeyId(tx, other)));
    }
    refuseIfStrict(services.config.strict, deviations);
    tx.put(F, String(record['Id']), record);
    recordDeviations(tx, req.info, deviations, () => services.ids.guid(), services.now());
  });
  services.events.fileChanged(String(record['Id']), req.info);
}

/** Names become blob names and URL segments: refuse what cannot be either. */
function checkFileName(name: string): void {
  if (name.length > 260) throw badRequest(`The file name is ${name.length} characters; the limit is 260`);
  if (/[\u0000-\u001f\u007f]/.test(name)) throw badRequest('The file name contains control characters');
  // A lone surrogate (JSON "\ud800") has no UTF-8 form: no blob can have that name, no URL can name it.
  if (/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/.test(name)) throw badRequest('The file name is not valid Unicode: it holds an unpaired surrogate');
  if (name.endsWith('/') || name.endsWith('.') || name.startsWith('/')) throw badRequest(`The file name ${JSON.stringify(name)} cannot be a blob name`);
  const escape = blobNameEscape(name);
  if (escape !== undefined) throw badRequest(`The file name ${JSON.stringify(name)} cannot be a blob name in the asset's container: ${escape}`);
}
