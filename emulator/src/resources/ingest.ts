import { recordDeviations, refuseIfStrict } from '../domain/deviations.js';
import { Asset } from '../odata/edm.js';
import { IngestManifest, IngestManifestAsset, IngestManifestFile } from '../odata/edm-ingest.js';
import { boundKeys, readEntityBody } from '../odata/body.js';
import { badRequest } from '../odata/errors.js';
import { resolveEntityReference } from '../odata/uri.js';
import { findAsset } from '../model/asset.js';
import { COLLECTIONS, INDEXES } from '../model/collections.js';
import { newIngestManifestAsset, putIngestManifestAsset, type IngestManifestAssetRecord } from '../model/ingest-manifest-assets.js';
import {
  deleteIngestManifestAsset, deleteIngestManifestFile, filesOfIngestManifestAsset, ingestFileDeviations, IngestManifestFileState, newIngestManifestFile, putIngestManifestFile,
  type IngestManifestFileRecord,
} from '../model/ingest-manifest-files.js';
import { deleteIngestManifest, newIngestManifest, putIngestManifest, type IngestManifestRecord } from '../model/ingest-manifests.js';
import type { Services } from '../app/services.js';
import type { JsonRecord, StoreReader } from '../store/types.js';
import { findEntity, mergeValues, requireValues, stringValue } from '../model/entity.js';
import type { EntityOperations } from './entity-set.js';
import type { ApiRequest, ApiResult } from './context.js';

/**
 * The handlers of bulk ingest: IngestManifests, IngestManifestAssets, IngestManifestFiles. What
 * they mean is the model's (model/ingest-*.ts); the upload watcher is `ingest/`, which a read of
 * any of these sets asks to look at the upload container first (`beforeIngestRead`).
 */

/** What the handlers need of the watcher (`ingest/`); `app/compose.ts` hands each emulator's to `ingestRoutes`. */
export interface IngestPoller {
  scan(manifestId: string): Promise<void>;
  scanAll(): Promise<void>;
}

/** Before a read of an ingest set: the uploads that arrived are moved first, so Statistics are current. */
export async function beforeIngestRead(poller: IngestPoller, req: ApiRequest, key: string | undefined): Promise<void> {
  const path = req.path;
  if (key !== undefined && 'type' in path && path.type.set === IngestManifest.set) {
    await poller.scan(key);
    return;
  }
  await poller.scanAll();
}

const M = COLLECTIONS.IngestManifests;
const A = COLLECTIONS.IngestManifestAssets;
const F = COLLECTIONS.IngestManifestFiles;

/**
 * IngestManifests. POST makes the upload container first (and deletes it again when the manifest
 * cannot be stored). MERGE: the Name (StorageAccountName is fixed; the rest is the server's).
 * DELETE: with its manifest assets and files, and its upload container.
 */
export const ingestManifestOperations: EntityOperations = {
  create: async ({ services, values }) => {
    const record = newIngestManifest(services, { Name: stringValue(values, 'Name'), StorageAccountName: stringValue(values, 'StorageAccountName') });
    await services.storage.createContainer(record._internal.container);
    try {
      await services.store.transaction((tx) => putIngestManifest(tx, record));
    } catch (err) {
      await services.storage.deleteContainer(record._internal.container).catch(() => undefined);
      throw err;
    }
    return record;
  },
  update: ({ services, values }, key) =>
    services.store.transaction((tx) => {
      const current = findEntity<IngestManifestRecord>(tx, IngestManifest, M, key);
      putIngestManifest(tx, { ...(mergeValues(IngestManifest, current, values) as IngestManifestRecord), LastModified: services.now().toISOString() });
    }),
  remove: async ({ services }, key) => {
    const container = await services.store.transaction((tx) => deleteIngestManifest(tx, findEntity<IngestManifestRecord>(tx, IngestManifest, M, key)));
    await services.storage.deleteContainer(container);
  },
};

/**
 * POST IngestManifestAssets: the Asset bound by URL (`Asset@odata.bind`, `"Asset":{"__metadata":{"uri":..}}`,
 * an Atom link) or named inline as the REST reference's sample does (`"Asset":{"Id":"nb:cid:UUID:.."}`).
 */
export async function createIngestManifestAsset(req: ApiRequest, services: Services): Promise<ApiResult> {
  // The REST reference's `"Asset":{"Id":..}` reads as an inline entry; its Id is taken from the JSON below.
  const body = readEntityBody(req.body, req.contentType, IngestManifestAsset, { maxDepth: services.config.limits.maxBodyDepth }, { inline: ['Asset'] });
  requireValues(IngestManifestAsset, body.values, ['ParentIngestManifestId']);
  const keys = [...boundKeys(body, 'Asset', Asset, resolveEntityReference), ...inlineAssetId(req)];
  if (keys.length !== 1) throw badRequest(`An IngestManifestAsset names exactly one Asset, e.g. "Asset":{"Id":"nb:cid:UUID:..."}; this one names ${keys.length}`);
  const record = await services.store.transaction((tx) => {
    const asset = findAsset(tx, keys[0]!);
    const made = newIngestManifestAsset(tx, services, stringValue(body.values, 'ParentIngestManifestId')!, asset.Id);
    putIngestManifestAsset(tx, made);
    return made;
  });
  return { kind: 'entity', type: IngestManifestAsset, record, status: 201 };
}

/** `"Asset":{"Id":".."}` in a JSON body: the form the REST reference shows. */
function inlineAssetId(req: ApiRequest): string[] {
  if (!/json/i.test(req.contentType ?? '')) return [];
  try {
    const parsed = JSON.parse(req.body.toString('utf8')) as { d?: unknown; Asset?: unknown };
    const body = (typeof parsed.d === 'object' && parsed.d !== null ? parsed.d : parsed) as { Asset?: { Id?: unknown; __metadata?: unknown } };
    const id = body.Asset?.Id;
    return body.Asset?.__metadata === undefined && typeof id === 'string' ? [id] : [];
  } catch {
    return [];
  }
}

/** DELETE IngestManifestAssets('..'): with its files. (POST and MERGE are the handlers above.) */
export const ingestManifestAssetOperations: EntityOperations = {
  remove: ({ services }, key) =>
    services.store.transaction((tx) => deleteIngestManifestAsset(tx, findEntity<IngestManifestAssetRecord>(tx, IngestManifestAsset, A, key), services.now().toISOString())),
};

/** MERGE is refused: what a manifest asset names is fixed (delete it and create another). */
export function updateIngestManifestAsset(_req: ApiRequest, services: Services, key: string): ApiResult {
  findEntity(services.store, IngestManifestAsset, A, key);
  throw badRequest('IngestManifestAssets cannot be updated: delete it and create another');
}

/** IngestManifestFiles. MERGE: MimeType and IsPrimary; the name and encryption fields are fixed. */
export const ingestManifestFileOperations: EntityOperations = {
  create: ({ services, values, req }) => {
    requireValues(IngestManifestFile, values, ['Name', 'ParentIngestManifestId', 'ParentIngestManifestAssetId']);
    const bool = (name: string) => values.get(name) === true;
    const text = (name: string) => stringValue(values, name) ?? null;
    return services.store.transaction((tx) => {
      const made = newIngestManifestFile(tx, services, {
        Name: stringValue(values, 'Name')!,
        ParentIngestManifestId: stringValue(values, 'ParentIngestManifestId')!,
        ParentIngestManifestAssetId: stringValue(values, 'ParentIngestManifestAssetId')!,
        MimeType: text('MimeType'),
        IsPrimary: bool('IsPrimary'),
        IsEncrypted: bool('IsEncrypted'),
        EncryptionScheme: text('EncryptionScheme'),
        EncryptionVersion: text('EncryptionVersion'),
        EncryptionKeyId: text('EncryptionKeyId'),
        InitializationVector: text('InitializationVector'),
      }, req.info);
      // The IV is checked here, where the client sends it, as a direct upload's is at POST Files.
      const deviations = ingestFileDeviations(tx, made);
      refuseIfStrict(services.config.strict, deviations);
      putIngestManifestFile(tx, made, made.Created);
      recordDeviations(tx, req.info, deviations, () => services.ids.guid(), services.now());
      return made;
    });
  },
  update: ({ services, values }, key) =>
    services.store.transaction((tx) => {
      const current = findEntity<IngestManifestFileRecord>(tx, IngestManifestFile, F, key);
      const now = services.now().toISOString();
      putIngestManifestFile(tx, { ...(mergeValues(IngestManifestFile, current, values) as IngestManifestFileRecord), LastModified: now }, now);
    }),
  remove: ({ services }, key) =>
    services.store.transaction((tx) => deleteIngestManifestFile(tx, findEntity<IngestManifestFileRecord>(tx, IngestManifestFile, F, key), services.now().toISOString())),
};

/** IngestManifests('..')/IngestManifestAssets, or only those with a file still pending (PendingIngestManifestAssets). */
export function manifestAssetsOf(reader: StoreReader, manifest: JsonRecord, pendingOnly: boolean): JsonRecord[] {
  const assets = reader.lookup<IngestManifestAssetRecord>(INDEXES.ingestAssetsByManifest, (manifest as IngestManifestRecord).Id);
  return pendingOnly ? assets.filter((a) => filesOfIngestManifestAsset(reader, a.Id).some((f) => f.State === IngestManifestFileState.Pending)) : assets;
}

/** IngestManifestAssets('..')/Asset. */
export function assetOfManifestAsset(reader: StoreReader, manifestAsset: JsonRecord): JsonRecord[] {
  const asset = reader.get(COLLECTIONS.Assets, (manifestAsset as IngestManifestAssetRecord)._internal.assetId);
  return asset ? [asset] : [];
}

/** IngestManifestAssets('..')/IngestManifestFiles. */
export function filesOfManifestAsset(reader: StoreReader, manifestAsset: JsonRecord): JsonRecord[] {
  return filesOfIngestManifestAsset(reader, (manifestAsset as IngestManifestAssetRecord).Id);
}
