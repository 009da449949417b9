import type { EmulatorConfig } from '../config.js';
import type { IdGenerator } from '../ids.js';
import type { EntityTypeDef, NavigationDef, PropertyDef } from '../odata/edm.js';
import type { ODataPath } from '../odata/uri.js';
import type { Secrets } from '../secrets/index.js';
import type { BlobStorage } from '../storage/types.js';
import type { JsonRecord } from '../store/types.js';
import type { InstrumentedStore } from '../store/instrumented.js';
import type { RequestInfo } from '../domain/findings.js';
import type { ContentKeyOpener } from '../domain/content-keys.js';

/**
 * What a resource handler gets and returns. Handlers never see express: they take a parsed
 * request and return a result the HTTP layer writes in the client's format.
 */
export type HttpMethod = 'GET' | 'HEAD' | 'POST' | 'PUT' | 'MERGE' | 'PATCH' | 'DELETE';

export interface ApiRequest {
  method: HttpMethod;
  path: ODataPath;
  /** The query string as received (still percent-encoded, without '?'). */
  rawQuery: string;
  body: Buffer;
  contentType: string | undefined;
  /** Absolute service root ending in `/api/`, following the request's Host. */
  serviceRoot: string;
  /** Absolute root of the emulator (`http://host:port/`), for origin locator paths. */
  baseUrl: string;
  info: RequestInfo;
}

export type ApiResult =
  | { kind: 'entity'; type: EntityTypeDef; record: JsonRecord; status: 200 | 201; select?: string[] }
  | { kind: 'feed'; type: EntityTypeDef; records: JsonRecord[]; count?: number; select?: string[]; selfHref: string }
  | { kind: 'count'; count: number }
  | { kind: 'property'; type: EntityTypeDef; property: PropertyDef; value: unknown; raw: boolean }
  | { kind: 'function'; name: string; value: string | null }
  | { kind: 'links'; type: EntityTypeDef; nav: NavigationDef; uris: string[]; single: boolean }
  | { kind: 'noContent' }
  | { kind: 'serviceDocument'; sets: string[] }
  | { kind: 'document'; contentType: string; body: string };

/** Things that happen after a request changed state, for subsystems that react (verification, jobs). */
export interface ChangeEvents {
  /**
   * Strict mode only: a file create or update is about to be committed with `candidate` as its new
   * state. Throwing (an ODataError) refuses the request before anything is stored; this is where a
   * strict emulator verifies an upload that the request completes.
   */
  beforeFileCommit(candidate: JsonRecord, request: RequestInfo): Promise<void>;
  /** A file was created or updated (its blob may now be complete). Must not throw. */
  fileChanged(fileId: string, request: RequestInfo): void;
  /** `file` was deleted (on its own; an asset's delete is assetDeleted). Must not throw. */
  fileDeleted(file: JsonRecord, request: RequestInfo): void;
  /**
   * An asset is about to be deleted with its container: the last chance to read its files' blobs
   * (verifications still pending are run now, within a bound). Must not throw.
   */
  beforeAssetDelete(assetId: string): Promise<void>;
  /** An asset and everything under it (`files`, as they were) were deleted. Must not throw. */
  assetDeleted(assetId: string, files: readonly JsonRecord[], request: RequestInfo): void;
}

export const NO_EVENTS: ChangeEvents = {
  beforeFileCommit: async () => undefined,
  fileChanged: () => undefined,
  fileDeleted: () => undefined,
  beforeAssetDelete: async () => undefined,
  assetDeleted: () => undefined,
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
