import type { EntityTypeDef, NavigationDef, PropertyDef } from '../odata/edm.js';
import type { ResourcePath } from '../odata/uri.js';
import type { JsonRecord } from '../store/types.js';
import type { RequestInfo } from '../domain/findings.js';

/**
 * What a resource handler gets and returns. Handlers never see express: they take a parsed
 * request and return a result the HTTP layer writes in the client's format.
 */
export type HttpMethod = 'GET' | 'HEAD' | 'POST' | 'PUT' | 'MERGE' | 'PATCH' | 'DELETE';

export interface ApiRequest {
  method: HttpMethod;
  path: ResourcePath;
  /** The query string as received (still percent-encoded, without '?'). */
  rawQuery: string;
  body: Buffer;
  contentType: string | undefined;
  /** Absolute service root ending in `/api/`, following the request's Host. */
  serviceRoot: string;
  /** Absolute root of the emulator (`http://host:port/`), for origin locator paths. */
  baseUrl: string;
  info: RequestInfo;
  /**
   * Set by a `$batch` undo on the requests it sends to take back what a failed changeset did: a
   * change it makes must be complete when it answers (a job it cancels is Canceled, not Canceling,
   * so that the delete after it can succeed), whatever the progression flags say.
   */
  undo?: true;
}

export type ApiResult =
  | { kind: 'entity'; type: EntityTypeDef; record: JsonRecord; status: 200 | 201 | 202; select?: string[]; headers?: Record<string, string> }
  /** 202 without a body: an asynchronous change was accepted (its `operation-id` in `headers`). */
  | { kind: 'accepted'; headers: Record<string, string> }
  | { kind: 'feed'; type: EntityTypeDef; records: JsonRecord[]; count?: number; select?: string[]; selfHref: string }
  | { kind: 'count'; count: number }
  | { kind: 'property'; type: EntityTypeDef; property: PropertyDef; value: unknown; raw: boolean }
  | { kind: 'function'; name: string; value: string | null }
  | { kind: 'links'; type: EntityTypeDef; nav: NavigationDef; uris: string[]; single: boolean }
  | { kind: 'noContent' }
  | { kind: 'serviceDocument'; sets: string[] }
  | { kind: 'document'; contentType: string; body: string };
