import type { EmulatorConfig } from '../config.js';
import type { IdGenerator } from '../ids.js';
import type { Secrets } from '../secrets/index.js';
import type { BlobStorage } from '../storage/types.js';
import type { Transaction } from '../store/types.js';
import type { AssetFileRecord, JobRecord, NotificationEndPointRecord, TaskRecord } from '../model/records.js';
import type { InstrumentedStore } from '../store/instrumented.js';
import type { RequestInfo } from '../domain/findings.js';
import type { ContentKeyOpener } from '../domain/content-keys.js';

/**
 * What every part of the running emulator is given: configuration, state, blobs, secrets, and the
 * change events subsystems react to. Built once per emulator by `server.ts`; handlers,
 * subsystems and the control plane take it, none of them owns it.
 */
/** Things that happen after a request changed state, for subsystems that react (verification, jobs). */
export interface ChangeEvents extends FileEvents, JobEvents {}

/** What a job's changes cause elsewhere (notifications). */
export interface JobEvents {
  /**
   * Inside the transaction that stores a job: `before` is the job as stored until now (undefined
   * for a new job), `after` as it will be. Whatever the change causes is written to `tx`, so it
   * is kept or dropped with the change. For a new job it may throw a Refusal (its
   * JobNotificationSubscriptions name no endpoint), which refuses the job.
   */
  jobWritten(tx: Transaction, before: JobRecord | undefined, after: JobRecord): void;
  /** The same for one of a job's tasks (written with its job, or on its own by the job's work). */
  taskWritten(tx: Transaction, before: TaskRecord | undefined, after: TaskRecord): void;
  /** Inside the transaction that creates a NotificationEndPoint. */
  endpointCreated(tx: Transaction, endpoint: NotificationEndPointRecord): void;
}

/** What file changes cause (verification). */
export interface FileEvents {
  /**
   * Strict mode only: a file create or update is about to be committed with `candidate` as its new
   * state. Throwing (an ODataError) refuses the request before anything is stored; this is where a
   * strict emulator verifies an upload that the request completes.
   */
  beforeFileCommit(candidate: AssetFileRecord, request: RequestInfo): Promise<void>;
  /** A file was created or updated (its blob may now be complete). Must not throw. */
  fileChanged(fileId: string, request: RequestInfo): void;
  /** `file` was deleted (on its own; an asset's delete is assetDeleted). Must not throw. */
  fileDeleted(file: AssetFileRecord, request: RequestInfo): void;
  /**
   * An asset is about to be deleted with its container: the last chance to read its files' blobs
   * (verifications still pending are run now, within a bound). Must not throw.
   */
  beforeAssetDelete(assetId: string): Promise<void>;
  /** An asset and everything under it (`files`, as they were) were deleted. Must not throw. */
  assetDeleted(assetId: string, files: readonly AssetFileRecord[], request: RequestInfo): void;
}

export const NO_EVENTS: ChangeEvents = {
  beforeFileCommit: async () => undefined,
  fileChanged: () => undefined,
  fileDeleted: () => undefined,
  beforeAssetDelete: async () => undefined,
  assetDeleted: () => undefined,
  jobWritten: () => undefined,
  taskWritten: () => undefined,
  endpointCreated: () => undefined,
};

export interface Services {
  config: EmulatorConfig;
  store: InstrumentedStore;
  storage: BlobStorage;
  secrets: Secrets;
  /** Opens EncryptedContentKeys with the protection key (memoised). */
  keys: ContentKeyOpener;
  ids: IdGenerator;
  now(): Date;
  events: ChangeEvents;
}
