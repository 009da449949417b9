import type { Services } from '../app/services.js';
import type { RequestInfo } from '../domain/findings.js';
import { destinationOf, findIngestManifestAsset } from '../model/ingest-manifest-assets.js';
import { filesOfIngestManifest, findIngestManifestFile, IngestManifestFileState, putIngestManifestFile, refreshIngestManifest, type IngestManifestFileRecord } from '../model/ingest-manifest-files.js';
import { findIngestManifest, IngestManifestState, listIngestManifests, type IngestManifestRecord } from '../model/ingest-manifests.js';
import { COLLECTIONS, INDEXES } from '../model/collections.js';
import type { AssetFileRecord } from '../model/records.js';
import { formatNbId } from '../../../client/src/crypto/index.js';
import { StorageRequestError, type BlobInfo } from '../storage/types.js';
import { getVerification } from '../verify/verification-store.js';

/** How often the manifests with pending files are looked at without a client asking. */
export const INGEST_SCAN_INTERVAL_MS = 2_000;

/**
 * Bulk ingest's watcher. A manifest's upload container is looked at when a client reads the
 * manifest, its assets or files (the poll of Statistics the .NET sample does), and every
 * INGEST_SCAN_INTERVAL_MS for every manifest with pending files. For each pending file whose blob
 * is there (committed), the blob is copied into its asset's container under the same name, an
 * AssetFile is created with the manifest file's encryption fields, the blob leaves the upload
 * container, and the file is Finished; then the upload is verified like any other (the same
 * `fileChanged` event a MERGE of the file raises), and a failed verification turns the manifest
 * file to Error with the diagnosis as its ErrorDetail. Blobs that name no file of the manifest stay
 * where they are and are listed in Statistics.ErrorFilesDetails.
 */
export class IngestWatcher {
  readonly #services: Services;
  readonly #log: (message: string, err: unknown) => void;
  readonly #running = new Map<string, Promise<void>>();
  #timer: NodeJS.Timeout | undefined;
  #stopped = false;

  constructor(services: Services, options: { log(message: string, err: unknown): void }) {
    this.#services = services;
    this.#log = options.log;
  }

  start(): void {
    this.#timer = setInterval(() => void this.scanAll(true), INGEST_SCAN_INTERVAL_MS);
    this.#timer.unref();
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    clearInterval(this.#timer);
    await Promise.allSettled(this.#running.values());
  }

  /** Every manifest (or only those with pending files or unchecked verifications). */
  async scanAll(onlyActive = false): Promise<void> {
    const manifests = listIngestManifests(this.#services.store).filter((m) => !onlyActive || m.State === IngestManifestState.Active || hasUnsettled(this.#services, m));
    await Promise.all(manifests.map((m) => this.scan(m.Id)));
  }

  /** One manifest; concurrent scans of the same manifest share one run. */
  scan(manifestId: string): Promise<void> {
    const manifest = findIngestManifest(this.#services.store, manifestId);
    if (!manifest || this.#stopped) return Promise.resolve();
    const running = this.#running.get(manifest.Id);
    if (running) return running;
    const run = this.#scan(manifest)
      .catch((err: unknown) => this.#log(`the ingest manifest ${manifest.Id} could not be scanned`, err))
      .finally(() => this.#running.delete(manifest.Id));
    this.#running.set(manifest.Id, run);
    return run;
  }

  async #scan(manifest: IngestManifestRecord): Promise<void> {
    const now = () => this.#services.now().toISOString();
    await this.#settleVerifications(manifest);
    let blobs: BlobInfo[];
    try {
      blobs = await this.#services.storage.listBlobs(manifest._internal.container);
    } catch (err) {
      // The container went away (deleted by hand): make it again, there is nothing in it to move.
      if (err instanceof StorageRequestError && err.statusCode === 404) {
        await this.#services.storage.createContainer(manifest._internal.container);
        return;
      }
      throw err;
    }
    const files = filesOfIngestManifest(this.#services.store, manifest.Id);
    const names = new Set(files.map((f) => f.Name));
    for (const file of files) {
      if (file.State !== IngestManifestFileState.Pending) continue;
      const blob = blobs.find((b) => b.name === file.Name);
      if (blob) await this.#move(manifest, file, blob);
    }
    const unexpected = blobs.filter((b) => !names.has(b.name)).map((b) => b.name);
    await this.#services.store.transaction((tx) => refreshIngestManifest(tx, manifest.Id, now(), unexpected));
  }

  /** The blob into its asset as an AssetFile; the manifest file Finished (or Error, saying why). */
  async #move(manifest: IngestManifestRecord, file: IngestManifestFileRecord, blob: BlobInfo): Promise<void> {
    const services = this.#services;
    const manifestAsset = findIngestManifestAsset(services.store, file.ParentIngestManifestAssetId);
    const destination = manifestAsset && destinationOf(services.store, manifestAsset);
    if (!destination) {
      await this.#fail(file, 'the asset of its IngestManifestAsset was deleted before the upload arrived');
      return;
    }
    const stream = await services.storage.readBlob(manifest._internal.container, blob.name);
    await services.storage.uploadBlob(destination.container, file.Name, stream, blob.contentType ?? file.MimeType ?? undefined);
    const fileId = formatNbId('cid', services.ids.guid());
    const now = services.now().toISOString();
    const moved = await services.store.transaction((tx) => {
      const current = findIngestManifestFile(tx, file.Id);
      if (!current || current.State !== IngestManifestFileState.Pending) return false;
      const siblings = tx.lookup<AssetFileRecord>(INDEXES.filesByAsset, destination.assetId);
      if (siblings.some((f) => f.Name === file.Name)) {
        putIngestManifestFile(tx, { ...current, State: IngestManifestFileState.Error, ErrorDetail: `the asset '${destination.assetId}' already has a file named '${file.Name}'`, LastModified: now }, now);
        return false;
      }
      const assetFile: AssetFileRecord = {
        Id: fileId,
        Name: file.Name,
        ContentFileSize: String(blob.size),
        ParentAssetId: destination.assetId,
        EncryptionVersion: file.EncryptionVersion,
        EncryptionScheme: file.EncryptionScheme,
        IsEncrypted: file.IsEncrypted,
        EncryptionKeyId: file.EncryptionKeyId,
        InitializationVector: file.InitializationVector,
        IsPrimary: file.IsPrimary,
        LastModified: now,
        Created: now,
        MimeType: file.MimeType ?? blob.contentType ?? null,
        ContentChecksum: null,
        Options: 0,
      };
      tx.put(COLLECTIONS.Files, fileId, assetFile);
      putIngestManifestFile(tx, { ...current, State: IngestManifestFileState.Finished, LastModified: now, _internal: { ...current._internal, assetFileId: fileId } }, now);
      return true;
    });
    if (!moved) return;
    await services.storage.deleteBlob(manifest._internal.container, blob.name);
    services.events.fileChanged(fileId, ingestOrigin(file));
  }

  /** Finished files whose verification failed become Error, with what the verification found. */
  async #settleVerifications(manifest: IngestManifestRecord): Promise<void> {
    const failed = filesOfIngestManifest(this.#services.store, manifest.Id).flatMap((file) => {
      if (file.State !== IngestManifestFileState.Finished || !file._internal.assetFileId) return [];
      const verification = getVerification(this.#services.store, file._internal.assetFileId);
      if (verification?.status !== 'failed') return [];
      return [{ file, detail: `the upload failed verification: ${verification.diagnosis?.message ?? verification.reason}` }];
    });
    if (failed.length === 0) return;
    const now = this.#services.now().toISOString();
    await this.#services.store.transaction((tx) => {
      for (const { file, detail } of failed) {
        const current = findIngestManifestFile(tx, file.Id);
        if (current?.State === IngestManifestFileState.Finished) putIngestManifestFile(tx, { ...current, State: IngestManifestFileState.Error, ErrorDetail: detail, LastModified: now }, now);
      }
    });
  }

  async #fail(file: IngestManifestFileRecord, detail: string): Promise<void> {
    const now = this.#services.now().toISOString();
    await this.#services.store.transaction((tx) => {
      const current = findIngestManifestFile(tx, file.Id);
      if (current?.State === IngestManifestFileState.Pending) putIngestManifestFile(tx, { ...current, State: IngestManifestFileState.Error, ErrorDetail: detail, LastModified: now }, now);
    });
  }
}

/** A manifest whose finished encrypted files may still have a verification to look at. */
function hasUnsettled(services: Services, manifest: IngestManifestRecord): boolean {
  return filesOfIngestManifest(services.store, manifest.Id).some((f) => {
    if (f.State !== IngestManifestFileState.Finished || !f._internal.assetFileId) return false;
    const status = getVerification(services.store, f._internal.assetFileId)?.status;
    return status === undefined || status === 'pending' || status === 'failed';
  });
}

/**
 * Whose upload an ingested file's verification judges: the client that registered the file (its
 * IV and key) and wrote the blob; the emulator only moved the bytes. A file stored before the
 * registering request was kept has nobody to name, so its verification files no finding (the
 * manifest file's ErrorDetail still says what went wrong).
 */
function ingestOrigin(file: IngestManifestFileRecord): RequestInfo {
  const registeredBy = file._internal.registeredBy;
  if (registeredBy) return { ...registeredBy };
  return { requestId: file.Id, client: 'ams-emulator bulk ingest', method: 'INGEST', path: `IngestManifestFiles('${file.Id}')`, internal: true };
}
